// What the storage role hands to its successor on a hot swap (docs/storage.md, "Hot swap").
//
// The database is the state: a leveldb instance closes it on stop and its successor opens it
// again, so the snapshot only names which database it was, and a successor configured for another
// database refuses it (the swap rolls back) instead of switching a running chain to other data.
// A memory database exists only in the instance: its entries go along.
//
// Schema 1: backend, leveldb path, memory entries. Schema 2 (the test build alys_storage_v2 only):
// schema 1 and a count of hand-offs, so tests can see a version-skewed hand-off happen. Either ends
// with the CRC32C of the bytes before it (4 bytes, little-endian).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "alys/actor.hpp"
#include "storage/storage_config.hpp"

namespace alys::storage {

struct StorageState {
  BackendKind backend = BackendKind::leveldb;
  std::string leveldb_path;               // absolute; empty for memory
  std::map<Bytes, Bytes> memory_entries;  // memory backend only
  std::uint64_t handoffs = 0;             // schema 2
};

// The newest schema this build writes and reads.
#ifdef ALYS_STORAGE_STATE_SCHEMA
inline constexpr std::uint32_t kStorageStateSchema = ALYS_STORAGE_STATE_SCHEMA;
#else
inline constexpr std::uint32_t kStorageStateSchema = 1;
#endif

// In the newest schema <= `target_schema` this build writes. Throws Error(ALYS_ERR_SCHEMA) when
// `target_schema` is 0.
StateSnapshot encode_storage_state(const StorageState& state, std::uint32_t target_schema);
// Throws Error: ALYS_ERR_SCHEMA for a schema this build does not read; ALYS_ERR_INVALID for bytes
// whose checksum does not match ("checksum mismatch: truncated or corrupt", before anything is
// parsed) and for bytes that are not a state of that schema, every field present and every byte
// used (a field missing is not a default here, unlike in a message).
StorageState decode_storage_state(ByteView bytes, std::uint32_t schema);

// Empty when `config` describes the database `state` came from; otherwise why not.
std::string restore_mismatch(const StorageState& state, const StorageConfig& config);

}  // namespace alys::storage
