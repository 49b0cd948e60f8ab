// The `leveldb` backend: the storage's key space in a LevelDB database (one directory). Each
// commit is one leveldb::WriteBatch, written with sync (by default), so a crash at any instant
// leaves either all of a commit on disk or none of it.
//
// Blocking: opening, writing (fsync) and reading do disk I/O on the caller's thread; the storage
// actor runs on a dedicated thread for that reason.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "storage/backend.hpp"

namespace leveldb {
class Cache;
class DB;
}  // namespace leveldb

namespace alys::storage {

struct LevelDbOptions {
  std::filesystem::path path;  // the database directory; created with its parents if missing
  bool sync = true;            // fsync each commit; false trades the last commits for speed
  std::uint64_t cache_mb = 8;  // LevelDB's block cache
  int max_open_files = 256;    // table files LevelDB keeps open
};

class LevelDbBackend final : public Backend {
 public:
  // Opens (or creates) the database. Throws StoreFailure naming the path and LevelDB's reason:
  // another process holds its LOCK, it is corrupt, permission denied, another format.
  explicit LevelDbBackend(LevelDbOptions options);
  ~LevelDbBackend() override;

  std::string describe() const override;

 protected:
  std::optional<Bytes> get(ByteView key) const override;
  void write(const std::vector<BatchWrite>& batch) override;
  void scan(ByteView first,
            const std::function<bool(ByteView key, ByteView value)>& visit) const override;

 private:
  LevelDbOptions options_;
  // Declared before db_: the database must close before the cache it uses is freed.
  std::unique_ptr<leveldb::Cache> cache_;
  std::unique_ptr<leveldb::DB> db_;
};

}  // namespace alys::storage
