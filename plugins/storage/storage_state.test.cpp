#include "storage/storage_state.hpp"

#include <catch2/catch.hpp>

#include "alys/codec.hpp"
#include "alys/crc32c.hpp"

using namespace alys;
using namespace alys::storage;
using Catch::Matchers::Contains;

namespace {

Bytes bytes_of(const std::string& text) { return Bytes(text.begin(), text.end()); }

StorageConfig memory_config() {
  StorageConfig config;
  config.backend = BackendKind::memory;
  return config;
}

StorageConfig leveldb_config(const std::string& path) {
  StorageConfig config;
  config.backend = BackendKind::leveldb;
  config.leveldb.path = path;
  return config;
}

// Bytes given the checksum of their own, so that what the reader checks behind it is reached.
Bytes sealed(Bytes body) {
  const std::uint32_t crc = crc32c(body);
  for (int i = 0; i < 4; ++i) body.push_back(static_cast<std::uint8_t>(crc >> (8 * i)));
  return body;
}

std::string refusal(ByteView bytes, std::uint32_t schema) {
  try {
    decode_storage_state(bytes, schema);
  } catch (const Error& error) {
    return error.code() == ALYS_ERR_INVALID ? error.what() : "not ALYS_ERR_INVALID";
  }
  return "accepted";
}

std::int32_t code_of(const std::function<void()>& run) {
  try {
    run();
  } catch (const Error& error) {
    return error.code();
  }
  return ALYS_OK;
}

}  // namespace

TEST_CASE("a memory database's entries go through the hand-off in key order") {
  StorageState state;
  state.backend = BackendKind::memory;
  state.memory_entries = {{bytes_of("b"), bytes_of("2")}, {bytes_of("a"), bytes_of("1")}};
  StateSnapshot snapshot = encode_storage_state(state, 1);
  CHECK(snapshot.schema_version == 1);
  StorageState back = decode_storage_state(snapshot.bytes, 1);
  CHECK(back.backend == BackendKind::memory);
  CHECK(back.memory_entries == state.memory_entries);
  CHECK(restore_mismatch(back, memory_config()).empty());
}

TEST_CASE("a leveldb state names its database, and another database refuses it") {
  StorageState state;
  state.backend = BackendKind::leveldb;
  state.leveldb_path = "/var/lib/alysd/chain.db";
  StorageState back = decode_storage_state(encode_storage_state(state, 1).bytes, 1);
  CHECK(restore_mismatch(back, leveldb_config("/var/lib/alysd/chain.db")).empty());
  CHECK_THAT(restore_mismatch(back, leveldb_config("/srv/other.db")),
             Catch::Matchers::Contains("/srv/other.db"));
  CHECK_THAT(restore_mismatch(back, memory_config()),
             Catch::Matchers::Contains("configured for memory"));
}

TEST_CASE("a state this build cannot read is refused with the schema or the malformation") {
  StorageState state;
  state.backend = BackendKind::memory;
  state.memory_entries = {{bytes_of("key"), bytes_of("value")}};
  Bytes bytes = encode_storage_state(state, 1).bytes;

  CHECK(code_of([&] { decode_storage_state(bytes, 7); }) == ALYS_ERR_SCHEMA);
  CHECK(code_of([&] { encode_storage_state(state, 0); }) == ALYS_ERR_SCHEMA);
  Bytes truncated(bytes.begin(), bytes.end() - 3);
  CHECK(code_of([&] { decode_storage_state(truncated, 1); }) == ALYS_ERR_INVALID);
  Bytes unknown_backend(bytes.begin(), bytes.end() - 4);
  unknown_backend[0] = 9;
  CHECK(code_of([&] { decode_storage_state(sealed(unknown_backend), 1); }) == ALYS_ERR_INVALID);
}

TEST_CASE("schema 1 is the newest this build writes, whatever the target") {
  StorageState state;
  CHECK(encode_storage_state(state, 1).schema_version == 1);
  CHECK(encode_storage_state(state, 5).schema_version == kStorageStateSchema);
}

TEST_CASE("a state cut anywhere or with a byte changed is refused by its checksum") {
  StorageState state;
  state.backend = BackendKind::memory;
  state.memory_entries = {{bytes_of("head"), bytes_of("block 7")}, {bytes_of("k"), Bytes{}}};
  for (std::uint32_t schema = 1; schema <= kStorageStateSchema; ++schema) {
    const Bytes bytes = encode_storage_state(state, schema).bytes;
    REQUIRE(decode_storage_state(bytes, schema).memory_entries == state.memory_entries);
    for (std::size_t size = 0; size < bytes.size(); ++size) {
      INFO("schema " << schema << ", cut at " << size << " of " << bytes.size());
      REQUIRE_THAT(refusal(ByteView(bytes).first(size), schema),
                   Contains("checksum mismatch: truncated or corrupt"));
    }
    for (std::size_t at = 0; at < bytes.size(); ++at) {
      Bytes flipped = bytes;
      flipped[at] ^= 0x01;
      INFO("schema " << schema << ", byte " << at << " flipped");
      REQUIRE_THAT(refusal(flipped, schema), Contains("checksum mismatch: truncated or corrupt"));
    }
    Bytes longer = bytes;
    longer.push_back(0);
    CHECK_THAT(refusal(longer, schema), Contains("checksum mismatch"));
  }
}

TEST_CASE("behind a good checksum, a state must have every field and no byte more") {
  StorageState state;
  state.backend = BackendKind::memory;
  state.memory_entries = {{bytes_of("head"), bytes_of("block 7")}};
  const Bytes bytes = encode_storage_state(state, 1).bytes;
  const Bytes body(bytes.begin(), bytes.end() - 4);
  // Cut at a field boundary after the leveldb path: the codec's decode<T> read this as a memory
  // database with no entries, and the swap went on with an empty chain.
  const Bytes up_to_path(body.begin(), body.begin() + 2);  // backend, an empty path's length
  CHECK_THAT(refusal(sealed(up_to_path), 1), Contains("is malformed"));
  for (std::size_t size = 0; size < body.size(); ++size) {
    INFO("body cut at " << size << " of " << body.size());
    REQUIRE_THAT(refusal(sealed(Bytes(body.begin(), body.begin() + size)), 1),
                 Contains("is malformed"));
  }
  Bytes longer = body;
  longer.push_back(0);
  CHECK_THAT(refusal(sealed(longer), 1), Contains("1 bytes after the state"));
  // An entry whose nested length leaves out its value.
  Bytes short_entry = body;
  const std::size_t entry_length_at = 3;  // backend, path length 0, entry count 1
  REQUIRE(short_entry[entry_length_at] == 1 + 4 + 1 + 7);
  short_entry[entry_length_at] = 1 + 4;
  short_entry.resize(short_entry.size() - 8);
  CHECK_THAT(refusal(sealed(short_entry), 1), Contains("is malformed"));
  CHECK(decode_storage_state(sealed(body), 1).memory_entries == state.memory_entries);
}
