// The `[storage]` table of a node's config, read and checked. Keys and defaults are in
// docs/storage.md.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "alys/config_check.hpp"
#include "alys/context.hpp"
#include "storage/backend.hpp"
#include "storage/leveldb/leveldb_backend.hpp"

namespace alys::storage {

enum class BackendKind { leveldb, memory };

struct StorageConfig {
  BackendKind backend = BackendKind::leveldb;
  LevelDbOptions leveldb;  // `path` resolved to an absolute path when backend is leveldb
};

// The one reader of the table, for the start and the table check alike. `table_json`: the role's
// table as JSON (Context::config_json()). Every problem goes to `problems`, its key relative to
// the table; where a value is refused the config keeps the default. Every key is type-checked
// whichever the backend; `path` is resolved (against `host.data_dir`) only for leveldb. Touches no
// file and keeps no state: safe on any thread.
StorageConfig read_storage_config(std::string_view table_json, ConfigProblems& problems);

// What the start uses: the instance's table, read as above. Throws std::runtime_error naming
// every problem, "[storage] KEY: WHAT" one per line.
StorageConfig read_config(const Context& context);

// Opens the configured backend. Throws StoreFailure.
std::unique_ptr<Backend> open_backend(const StorageConfig& config);

}  // namespace alys::storage
