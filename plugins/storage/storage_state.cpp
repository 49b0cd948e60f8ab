#include "storage/storage_state.hpp"

#include "alys/codec.hpp"
#include "alys/schemas/storage.hpp"

namespace alys::storage {
namespace {

constexpr std::uint8_t kLevelDb = 0;
constexpr std::uint8_t kMemory = 1;

struct StateV1 {
  std::uint8_t backend = kLevelDb;
  std::string leveldb_path;
  std::vector<KeyValue> memory_entries;  // in key order
  ALYS_FIELDS(backend, leveldb_path, memory_entries)
};

struct StateV2 {
  StateV1 v1;
  std::uint64_t handoffs = 0;
  ALYS_FIELDS(v1, handoffs)
};

StateV1 to_v1(const StorageState& state) {
  StateV1 v1;
  v1.backend = state.backend == BackendKind::memory ? kMemory : kLevelDb;
  v1.leveldb_path = state.leveldb_path;
  v1.memory_entries.reserve(state.memory_entries.size());
  for (const auto& [key, value] : state.memory_entries) v1.memory_entries.push_back({key, value});
  return v1;
}

StorageState from_v1(StateV1 v1) {
  if (v1.backend != kLevelDb && v1.backend != kMemory)
    throw Error(ALYS_ERR_INVALID, "storage state names backend " + std::to_string(v1.backend) +
                                      ", which is neither leveldb (0) nor memory (1)");
  StorageState state;
  state.backend = v1.backend == kMemory ? BackendKind::memory : BackendKind::leveldb;
  state.leveldb_path = std::move(v1.leveldb_path);
  for (KeyValue& entry : v1.memory_entries) {
    if (state.backend != BackendKind::memory)
      throw Error(ALYS_ERR_INVALID, "storage state of a leveldb database carries memory entries");
    auto [at, inserted] =
        state.memory_entries.emplace(std::move(entry.key), std::move(entry.value));
    if (!inserted) throw Error(ALYS_ERR_INVALID, "storage state repeats a key");
  }
  return state;
}

template <class T>
T decode_checked(ByteView bytes, std::uint32_t schema) {
  try {
    return decode<T>(bytes);
  } catch (const DecodeError& error) {
    throw Error(ALYS_ERR_INVALID, "storage state (schema " + std::to_string(schema) +
                                      ") is malformed: " + error.what());
  }
}

}  // namespace

StateSnapshot encode_storage_state(const StorageState& state, std::uint32_t target_schema) {
  if (target_schema == 0)
    throw Error(ALYS_ERR_SCHEMA, "the storage writes state schema 1 at the oldest");
  if (kStorageStateSchema >= 2 && target_schema >= 2)
    return {encode(StateV2{to_v1(state), state.handoffs}), 2};
  return {encode(to_v1(state)), 1};
}

StorageState decode_storage_state(ByteView bytes, std::uint32_t schema) {
  if (schema == 1) return from_v1(decode_checked<StateV1>(bytes, schema));
  if (kStorageStateSchema >= 2 && schema == 2) {
    StateV2 v2 = decode_checked<StateV2>(bytes, schema);
    StorageState state = from_v1(std::move(v2.v1));
    state.handoffs = v2.handoffs;
    return state;
  }
  throw Error(ALYS_ERR_SCHEMA, "this storage build reads state schema 1" +
                                   std::string(kStorageStateSchema >= 2 ? " and 2" : "") +
                                   ", not " + std::to_string(schema));
}

std::string restore_mismatch(const StorageState& state, const StorageConfig& config) {
  if (state.backend != config.backend)
    return std::string("the state is of a ") +
           (state.backend == BackendKind::memory ? "memory" : "leveldb") +
           " database, but this instance is configured for " +
           (config.backend == BackendKind::memory ? "memory" : "leveldb");
  if (state.backend == BackendKind::leveldb && state.leveldb_path != config.leveldb.path.string())
    return "the state is of the database at " + state.leveldb_path +
           ", but this instance is configured for " + config.leveldb.path.string() +
           " (a swap does not move a running chain to other data; restart the node for that)";
  return {};
}

}  // namespace alys::storage
