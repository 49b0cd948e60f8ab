#include "storage/storage_config.hpp"

#include <boost/json.hpp>
#include <stdexcept>
#include <utility>

#include "storage/memory/memory_backend.hpp"

namespace alys::storage {
namespace {

constexpr const char* kDefaultPath = "chain.db";
constexpr std::int64_t kMaxCacheMb = 65536;
// LevelDB clamps max_open_files to this range (64 table files + 10 of its own at least).
constexpr std::int64_t kMinOpenFiles = 74;
constexpr std::int64_t kMaxOpenFiles = 50000;

std::runtime_error bad(const std::string& key, const std::string& what) {
  return std::runtime_error("[storage] " + key + ": " + what);
}

// The key's value, or `fallback` when it is absent; a value of another type names the type wanted.
template <class T, class Lookup>
T value_or(const char* key, const char* type, T fallback, Lookup&& lookup) {
  try {
    return lookup().value_or(std::move(fallback));
  } catch (const Error& error) {
    if (error.code() != ALYS_ERR_INVALID) throw;  // Context reports a wrong type as invalid
    throw bad(key, std::string("must be ") + type);
  }
}

std::string string_key(const Context& context, const char* key, std::string fallback) {
  return value_or(key, "a string", std::move(fallback), [&] { return context.config_string(key); });
}

std::int64_t int_in_range(const Context& context, const char* key, std::int64_t fallback,
                          std::int64_t low, std::int64_t high) {
  std::int64_t value =
      value_or(key, "an integer", fallback, [&] { return context.config_int(key); });
  if (value < low || value > high)
    throw bad(key, "must be from " + std::to_string(low) + " to " + std::to_string(high) +
                       ", got " + std::to_string(value));
  return value;
}

std::filesystem::path resolve_path(const Context& context, const std::string& path) {
  if (path.empty()) throw bad("path", "must not be empty");
  std::filesystem::path configured(path);
  if (configured.is_absolute()) return configured.lexically_normal();
  std::string data_dir = string_key(context, "host.data_dir", "");
  if (data_dir.empty())
    throw bad("path", "\"" + path +
                          "\" is relative and there is no host.data_dir to resolve it against; "
                          "give an absolute path");
  return (std::filesystem::path(data_dir) / configured).lexically_normal();
}

// A misspelt key would otherwise be a silent default. `host` is the host's (host.data_dir).
void reject_unknown_keys(const Context& context) {
  static constexpr const char* kKnown[] = {"backend",  "path",           "sync",
                                           "cache_mb", "max_open_files", "host"};
  const boost::json::value table = boost::json::parse(context.config_json());
  if (!table.is_object()) return;
  for (const auto& entry : table.as_object()) {
    bool known = false;
    for (const char* name : kKnown) known = known || entry.key() == name;
    if (!known)
      throw bad(std::string(entry.key()),
                "unknown key (valid: backend, path, sync, cache_mb, max_open_files)");
  }
}

}  // namespace

StorageConfig read_config(const Context& context) {
  reject_unknown_keys(context);
  StorageConfig config;
  std::string backend = string_key(context, "backend", "leveldb");
  if (backend == "leveldb")
    config.backend = BackendKind::leveldb;
  else if (backend == "memory")
    config.backend = BackendKind::memory;
  else
    throw bad("backend", "must be \"leveldb\" or \"memory\", got \"" + backend + "\"");

  std::string path = string_key(context, "path", kDefaultPath);
  config.leveldb.sync =
      value_or("sync", "true or false", true, [&] { return context.config_bool("sync"); });
  config.leveldb.cache_mb =
      static_cast<std::uint64_t>(int_in_range(context, "cache_mb", 8, 1, kMaxCacheMb));
  config.leveldb.max_open_files =
      static_cast<int>(int_in_range(context, "max_open_files", 256, kMinOpenFiles, kMaxOpenFiles));
  if (config.backend == BackendKind::leveldb) config.leveldb.path = resolve_path(context, path);
  return config;
}

std::unique_ptr<Backend> open_backend(const StorageConfig& config) {
  switch (config.backend) {
    case BackendKind::memory:
      return std::make_unique<MemoryBackend>();
    case BackendKind::leveldb:
      break;
  }
  return std::make_unique<LevelDbBackend>(config.leveldb);
}

}  // namespace alys::storage
