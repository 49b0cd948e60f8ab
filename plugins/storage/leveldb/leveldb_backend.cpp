#include "storage/leveldb/leveldb_backend.hpp"

#include <dlfcn.h>
#include <leveldb/cache.h>
#include <leveldb/db.h>
#include <leveldb/iterator.h>
#include <leveldb/write_batch.h>

#include <system_error>

namespace alys::storage {
namespace {

leveldb::Slice slice(ByteView bytes) {
  return leveldb::Slice(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

ByteView view(const leveldb::Slice& slice) {
  return ByteView(reinterpret_cast<const std::uint8_t*>(slice.data()), slice.size());
}

// LevelDB starts a background compaction thread on first need and never ends it. When the storage
// plugin is unloaded (restart, hot swap), libleveldb would be unloaded with it and that thread
// would wake up in unmapped code. Marking the library "no delete" keeps it mapped for the life of
// the process; the plugin itself still unloads (the thread runs only LevelDB's code).
void pin_leveldb_library() {
  Dl_info info{};
  if (::dladdr(reinterpret_cast<const void*>(&leveldb::DB::Open), &info) == 0 ||
      info.dli_fname == nullptr)
    throw StoreFailure("cannot find the loaded LevelDB library to keep it mapped");
  void* handle = ::dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
  if (handle == nullptr) {
    const char* reason = ::dlerror();
    throw StoreFailure(std::string("cannot keep ") + info.dli_fname +
                       " mapped: " + (reason ? reason : "dlopen failed"));
  }
  ::dlclose(handle);  // the NODELETE flag stays with the library
}

}  // namespace

LevelDbBackend::LevelDbBackend(LevelDbOptions options) : options_(std::move(options)) {
  pin_leveldb_library();

  std::error_code ec;
  std::filesystem::create_directories(options_.path, ec);
  if (ec)
    throw StoreFailure("cannot create the database directory " + options_.path.string() + ": " +
                       ec.message());

  cache_.reset(leveldb::NewLRUCache(options_.cache_mb << 20));
  leveldb::Options open;
  open.create_if_missing = true;
  open.paranoid_checks = true;  // corruption fails the open instead of silently losing data
  open.block_cache = cache_.get();
  open.max_open_files = options_.max_open_files;

  leveldb::DB* db = nullptr;
  leveldb::Status status = leveldb::DB::Open(open, options_.path.string(), &db);
  if (!status.ok()) {
    std::string message =
        "cannot open leveldb database at " + options_.path.string() + ": " + status.ToString();
    if (status.IsIOError() && status.ToString().find("LOCK") != std::string::npos)
      message += " (another process, or another storage instance, has it open)";
    throw StoreFailure(message);
  }
  db_.reset(db);
  load();
}

LevelDbBackend::~LevelDbBackend() = default;

std::string LevelDbBackend::describe() const {
  return "leveldb database at " + options_.path.string();
}

std::optional<Bytes> LevelDbBackend::get(ByteView key) const {
  leveldb::ReadOptions read;
  read.verify_checksums = true;
  std::string value;
  leveldb::Status status = db_->Get(read, slice(key), &value);
  if (status.IsNotFound()) return std::nullopt;
  if (!status.ok()) throw StoreFailure(describe() + ": read failed: " + status.ToString());
  return Bytes(value.begin(), value.end());
}

void LevelDbBackend::write(const std::vector<BatchWrite>& batch) {
  leveldb::WriteBatch writes;
  for (const BatchWrite& one : batch) {
    if (one.value)
      writes.Put(slice(one.key), slice(*one.value));
    else
      writes.Delete(slice(one.key));
  }
  leveldb::WriteOptions options;
  options.sync = options_.sync;
  leveldb::Status status = db_->Write(options, &writes);
  if (!status.ok()) throw StoreFailure(describe() + ": write failed: " + status.ToString());
}

void LevelDbBackend::scan(ByteView first,
                          const std::function<bool(ByteView key, ByteView value)>& visit) const {
  leveldb::ReadOptions read;
  read.verify_checksums = true;
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(read));
  for (it->Seek(slice(first)); it->Valid(); it->Next())
    if (!visit(view(it->key()), view(it->value()))) break;
  if (!it->status().ok())
    throw StoreFailure(describe() + ": scan failed: " + it->status().ToString());
}

}  // namespace alys::storage
