#include "storage/storage_config.hpp"

#include <boost/json.hpp>
#include <optional>
#include <stdexcept>
#include <utility>

#include "storage/memory/memory_backend.hpp"

namespace alys::storage {
namespace {

namespace json = boost::json;

constexpr const char* kDefaultPath = "chain.db";
constexpr std::int64_t kMaxCacheMb = 65536;
// LevelDB clamps max_open_files to this range (64 table files + 10 of its own at least).
constexpr std::int64_t kMinOpenFiles = 74;
constexpr std::int64_t kMaxOpenFiles = 50000;

// The table's keys; `host` is the host's (host.data_dir). A misspelt key would otherwise be a
// silent default.
constexpr std::string_view kKnown[] = {"backend",  "path",           "sync",
                                       "cache_mb", "max_open_files", "host"};

class TableReader {
 public:
  TableReader(const json::object& table, ConfigProblems& problems)
      : table_(table), problems_(problems) {}

  std::optional<std::string> string(const char* key) const {
    const json::value* value = table_.if_contains(key);
    if (value == nullptr) return std::nullopt;
    if (!value->is_string()) {
      problems_.wrong_type(key, "must be a string");
      return std::nullopt;
    }
    return std::string(value->as_string());
  }

  std::optional<bool> boolean(const char* key) const {
    const json::value* value = table_.if_contains(key);
    if (value == nullptr) return std::nullopt;
    if (!value->is_bool()) {
      problems_.wrong_type(key, "must be true or false");
      return std::nullopt;
    }
    return value->as_bool();
  }

  std::optional<std::int64_t> int_in_range(const char* key, std::int64_t low,
                                           std::int64_t high) const {
    const json::value* value = table_.if_contains(key);
    if (value == nullptr) return std::nullopt;
    if (!value->is_int64() && !value->is_uint64()) {
      problems_.wrong_type(key, "must be an integer");
      return std::nullopt;
    }
    const bool in_range =
        value->is_int64() && value->as_int64() >= low && value->as_int64() <= high;
    if (!in_range) {
      problems_.invalid(key, "must be from " + std::to_string(low) + " to " + std::to_string(high) +
                                 ", got " + json::serialize(*value));
      return std::nullopt;
    }
    return value->as_int64();
  }

  // The host's data_dir, if it gave one (a string).
  std::string data_dir() const {
    const json::value* host = table_.if_contains("host");
    const json::value* dir =
        host != nullptr && host->is_object() ? host->as_object().if_contains("data_dir") : nullptr;
    return dir != nullptr && dir->is_string() ? std::string(dir->as_string()) : std::string();
  }

 private:
  const json::object& table_;
  ConfigProblems& problems_;
};

std::optional<std::filesystem::path> resolve_path(const TableReader& r, const std::string& path,
                                                  ConfigProblems& problems) {
  if (path.empty()) {
    problems.invalid("path", "must not be empty");
    return std::nullopt;
  }
  std::filesystem::path configured(path);
  if (configured.is_absolute()) return configured.lexically_normal();
  std::string data_dir = r.data_dir();
  if (data_dir.empty()) {
    problems.invalid("path", "\"" + path +
                                 "\" is relative and there is no host.data_dir to resolve it "
                                 "against; give an absolute path");
    return std::nullopt;
  }
  return (std::filesystem::path(data_dir) / configured).lexically_normal();
}

}  // namespace

StorageConfig read_storage_config(std::string_view table_json, ConfigProblems& problems) {
  StorageConfig config;
  json::error_code error;
  const json::value parsed = json::parse(table_json, error);
  if (error || !parsed.is_object()) {
    problems.invalid("", "the role table is not a JSON object");
    return config;
  }
  const json::object& table = parsed.as_object();
  for (const auto& entry : table) {
    bool known = false;
    for (std::string_view name : kKnown) known = known || entry.key() == name;
    if (!known)
      problems.invalid(std::string(entry.key()),
                       "unknown key (valid: backend, path, sync, cache_mb, max_open_files)");
  }
  const TableReader r(table, problems);
  if (auto backend = r.string("backend")) {
    if (*backend == "leveldb")
      config.backend = BackendKind::leveldb;
    else if (*backend == "memory")
      config.backend = BackendKind::memory;
    else
      problems.invalid("backend", "must be \"leveldb\" or \"memory\", got \"" + *backend + "\"");
  }
  const std::optional<std::string> path = r.string("path");
  if (auto sync = r.boolean("sync")) config.leveldb.sync = *sync;
  config.leveldb.cache_mb =
      static_cast<std::uint64_t>(r.int_in_range("cache_mb", 1, kMaxCacheMb).value_or(8));
  config.leveldb.max_open_files = static_cast<int>(
      r.int_in_range("max_open_files", kMinOpenFiles, kMaxOpenFiles).value_or(256));
  if (config.backend == BackendKind::leveldb && (path || !table.contains("path"))) {
    if (auto resolved = resolve_path(r, path.value_or(kDefaultPath), problems))
      config.leveldb.path = *resolved;
  }
  return config;
}

StorageConfig read_config(const Context& context) {
  ConfigProblems problems;
  StorageConfig config = read_storage_config(context.config_json(), problems);
  if (problems.empty()) return config;
  std::string message;
  for (const ConfigProblem& problem : problems.list())
    message += (message.empty() ? "[storage] " : "\n[storage] ") +
               (problem.key.empty() ? std::string() : problem.key + ": ") + problem.message;
  throw std::runtime_error(message);
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
