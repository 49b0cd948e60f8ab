#include "storage/storage_state.hpp"

#include <catch2/catch.hpp>

#include "alys/codec.hpp"

using namespace alys;
using namespace alys::storage;

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
  Bytes unknown_backend = bytes;
  unknown_backend[0] = 9;
  CHECK(code_of([&] { decode_storage_state(unknown_backend, 1); }) == ALYS_ERR_INVALID);
}

TEST_CASE("schema 1 is the newest this build writes, whatever the target") {
  StorageState state;
  CHECK(encode_storage_state(state, 1).schema_version == 1);
  CHECK(encode_storage_state(state, 5).schema_version == kStorageStateSchema);
}
