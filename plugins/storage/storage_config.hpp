// The `[storage]` table of a node's config, read and checked. Keys and defaults are in
// docs/storage.md.
#pragma once

#include <memory>
#include <string>

#include "alys/context.hpp"
#include "storage/backend.hpp"
#include "storage/leveldb/leveldb_backend.hpp"

namespace alys::storage {

enum class BackendKind { leveldb, memory };

struct StorageConfig {
  BackendKind backend = BackendKind::leveldb;
  LevelDbOptions leveldb;  // `path` resolved to an absolute path when backend is leveldb
};

// Throws std::runtime_error naming the key and what it accepts. Every key is type-checked
// whichever the backend; `path` is resolved (against `host.data_dir`) only for leveldb.
StorageConfig read_config(const Context& context);

// Opens the configured backend. Throws StoreFailure.
std::unique_ptr<Backend> open_backend(const StorageConfig& config);

}  // namespace alys::storage
