#include "storage/storage_state.hpp"

#include "alys/codec.hpp"
#include "alys/crc32c.hpp"
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

// The trailer: the CRC32C of every byte before it, little-endian.
constexpr std::size_t kChecksumSize = 4;

Bytes with_checksum(Bytes body) {
  const std::uint32_t crc = crc32c(body);
  for (std::size_t i = 0; i < kChecksumSize; ++i)
    body.push_back(static_cast<std::uint8_t>(crc >> (8 * i)));
  return body;
}

// REQUIRES bytes.size() >= kChecksumSize.
std::uint32_t stored_checksum(ByteView bytes) {
  ByteView trailer = bytes.last(kChecksumSize);
  return static_cast<std::uint32_t>(trailer[0]) | static_cast<std::uint32_t>(trailer[1]) << 8 |
         static_cast<std::uint32_t>(trailer[2]) << 16 |
         static_cast<std::uint32_t>(trailer[3]) << 24;
}

// The codec's decode<T> reads fields missing at the end as defaults and ignores bytes after the
// last one, for messages of other versions; a state is of the schema it names, so every field is
// read strictly and every byte must be used: a state cut after the leveldb path must not restore
// as an empty memory database.
void require_used(const Reader& reader, const char* what) {
  if (reader.remaining() != 0)
    throw DecodeError(std::to_string(reader.remaining()) + " bytes after " + what);
}

Reader nested(Reader& reader) { return Reader(reader.take(reader.varint())); }

StateV1 read_v1(Reader& reader) {
  StateV1 v1;
  reader.read(v1.backend);
  reader.read(v1.leveldb_path);
  const std::uint64_t count = reader.varint();
  if (count > reader.remaining()) throw DecodeError("entry count exceeds the state");
  v1.memory_entries.resize(static_cast<std::size_t>(count));
  for (KeyValue& entry : v1.memory_entries) {
    Reader fields = nested(reader);
    fields.read(entry.key);
    fields.read(entry.value);
    require_used(fields, "an entry");
  }
  return v1;
}

StateV2 read_v2(Reader& reader) {
  StateV2 v2;
  Reader v1 = nested(reader);
  v2.v1 = read_v1(v1);
  require_used(v1, "the schema 1 part");
  reader.read(v2.handoffs);
  return v2;
}

template <class T>
T decode_checked(ByteView bytes, std::uint32_t schema, T (*read)(Reader&)) {
  const std::string what = "storage state (schema " + std::to_string(schema) + ")";
  // Checked before anything is parsed, as the engine and the chain check theirs.
  if (bytes.size() < kChecksumSize ||
      crc32c(bytes.first(bytes.size() - kChecksumSize)) != stored_checksum(bytes))
    throw Error(ALYS_ERR_INVALID, what + ": checksum mismatch: truncated or corrupt (" +
                                      std::to_string(bytes.size()) + " bytes)");
  try {
    Reader reader(bytes.first(bytes.size() - kChecksumSize));
    T state = read(reader);
    require_used(reader, "the state");
    return state;
  } catch (const DecodeError& error) {
    throw Error(ALYS_ERR_INVALID, what + " is malformed: " + error.what());
  }
}

}  // namespace

StateSnapshot encode_storage_state(const StorageState& state, std::uint32_t target_schema) {
  if (target_schema == 0)
    throw Error(ALYS_ERR_SCHEMA, "the storage writes state schema 1 at the oldest");
  if (kStorageStateSchema >= 2 && target_schema >= 2)
    return {with_checksum(encode(StateV2{to_v1(state), state.handoffs})), 2};
  return {with_checksum(encode(to_v1(state))), 1};
}

StorageState decode_storage_state(ByteView bytes, std::uint32_t schema) {
  if (schema == 1) return from_v1(decode_checked(bytes, schema, read_v1));
  if (kStorageStateSchema >= 2 && schema == 2) {
    StateV2 v2 = decode_checked(bytes, schema, read_v2);
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
