// The leveldb backend on its own: what is committed survives closing and reopening, a commit is
// all-or-nothing on disk (a refused one and one the disk fails halfway), and a database that is
// locked, of another format or corrupt is refused with the path and the reason.
#include "storage/leveldb/leveldb_backend.hpp"

#include <leveldb/db.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "storage/leveldb/file_size_limit.hpp"
#include "temp_dir.hpp"

using namespace alys;
using namespace alys::storage;
using Catch::Matchers::Contains;

namespace {

Hash32 hash_of(std::uint64_t height, char fork = 'a') {
  Hash32 hash{};
  hash[0] = static_cast<std::uint8_t>(fork);
  hash[31] = static_cast<std::uint8_t>(height);
  return hash;
}

Bytes bytes_of(const std::string& text) { return Bytes(text.begin(), text.end()); }

CommitBlock block_at(std::uint64_t height, std::size_t size = 64) {
  CommitBlock commit;
  commit.height = height;
  commit.hash = hash_of(height);
  commit.block = Bytes(size, static_cast<std::uint8_t>(height));
  commit.engine_puts = {{bytes_of("state"), bytes_of("after " + std::to_string(height))},
                        {bytes_of("at " + std::to_string(height)), bytes_of("x")}};
  return commit;
}

LevelDbOptions options_in(const testing::TempDir& dir) {
  LevelDbOptions options;
  options.path = dir.path() / "chain.db";
  return options;
}

std::string open_error(const LevelDbOptions& options) {
  try {
    LevelDbBackend backend(options);
  } catch (const StoreFailure& failure) {
    return failure.what();
  }
  return "";
}

// Writes `key` = `value` into the database at `path` with LevelDB itself, bypassing the backend.
void raw_put(const std::filesystem::path& path, const std::string& key, const std::string& value) {
  leveldb::Options options;
  options.create_if_missing = true;
  leveldb::DB* raw = nullptr;
  REQUIRE(leveldb::DB::Open(options, path.string(), &raw).ok());
  std::unique_ptr<leveldb::DB> db(raw);
  REQUIRE(db->Put(leveldb::WriteOptions(), key, value).ok());
}

// Everything commit(block_at(height)) wrote is there.
void check_committed(const Backend& backend, std::uint64_t height) {
  auto by_height = backend.block_by_height(height);
  REQUIRE(by_height);
  CHECK(by_height->hash == hash_of(height));
  CHECK(by_height->block == block_at(height).block);
  auto by_hash = backend.block_by_hash(hash_of(height));
  REQUIRE(by_hash);
  CHECK(by_hash->height == height);
  EnginePage page = backend.scan_engine(bytes_of("at " + std::to_string(height - 1)), 1);
  REQUIRE(page.entries.size() == 1);
  CHECK(page.entries[0].key == bytes_of("at " + std::to_string(height)));
}

}  // namespace

TEST_CASE("what is committed is there after closing and reopening") {
  testing::TempDir dir("alys-leveldb");
  LevelDbOptions options = options_in(dir);
  SECTION("with sync") {}
  SECTION("without sync (a clean close still writes everything)") { options.sync = false; }
  {
    LevelDbBackend backend(options);
    CHECK_FALSE(backend.head());
    for (std::uint64_t height = 0; height <= 5; ++height) backend.commit(block_at(height));
    CommitBlock last = block_at(6);
    last.set_finalized = true;
    last.finalized_height = 4;
    last.finalized_hash = hash_of(4);
    last.engine_deletes = {bytes_of("at 0")};
    backend.commit(last);
  }
  LevelDbBackend reopened(options);
  REQUIRE(reopened.head());
  CHECK(*reopened.head() == ChainPointer{6, hash_of(6)});
  REQUIRE(reopened.finalized());
  CHECK(*reopened.finalized() == ChainPointer{4, hash_of(4)});
  for (std::uint64_t height = 1; height <= 6; ++height) check_committed(reopened, height);
  CHECK(reopened.block_range(0, 100, 1 << 20).size() == 7);
  EnginePage page = reopened.scan_engine(std::nullopt, 100);
  CHECK(page.entries.size() == 7);  // "at 1".."at 6" and "state"
  CHECK(page.entries.back().key == bytes_of("state"));
  CHECK(page.entries.back().value == bytes_of("after 6"));
  // The height rule holds against the reopened head.
  CHECK_THROWS_AS(reopened.commit(block_at(8)), Rejected);
  reopened.commit(block_at(7));
}

TEST_CASE("a refused commit leaves nothing behind, also on disk") {
  testing::TempDir dir("alys-leveldb");
  {
    LevelDbBackend backend(options_in(dir));
    for (std::uint64_t height = 0; height <= 2; ++height) backend.commit(block_at(height));
    CommitBlock gap = block_at(4);
    gap.set_finalized = true;
    gap.finalized_height = 2;
    gap.finalized_hash = hash_of(2);
    CHECK_THROWS_WITH(backend.commit(gap), Contains("does not extend the head at height 2"));
  }
  LevelDbBackend reopened(options_in(dir));
  CHECK(*reopened.head() == ChainPointer{2, hash_of(2)});
  CHECK_FALSE(reopened.finalized());
  CHECK_FALSE(reopened.block_by_hash(hash_of(4)));
  CHECK_FALSE(reopened.block_by_height(4));
  EnginePage page = reopened.scan_engine(std::nullopt, 100);
  CHECK(page.entries.size() == 4);  // "at 0".."at 2" and "state"
  CHECK(page.entries.back().value == bytes_of("after 2"));
}

TEST_CASE("a commit the disk fails halfway is absent after reopening, all of it") {
  testing::TempDir dir("alys-leveldb");
  {
    LevelDbBackend backend(options_in(dir));
    for (std::uint64_t height = 0; height <= 3; ++height) backend.commit(block_at(height));
    {
      // The write-ahead log is small; the 1 MiB block crosses the limit partway through.
      testing::FileSizeLimit limit(96 << 10);
      CHECK_THROWS_WITH(backend.commit(block_at(4, 1 << 20)), Contains("write failed"));
    }
    CHECK(*backend.head() == ChainPointer{3, hash_of(3)});
    CHECK_FALSE(backend.block_by_hash(hash_of(4)));
    // The log may now end in a torn record: no more writes may follow it.
    CHECK_THROWS_WITH(backend.commit(block_at(4)), Contains("restart the storage role"));
  }
  LevelDbBackend reopened(options_in(dir));
  CHECK(*reopened.head() == ChainPointer{3, hash_of(3)});
  check_committed(reopened, 3);
  CHECK_FALSE(reopened.block_by_hash(hash_of(4)));
  CHECK_FALSE(reopened.block_by_height(4));
  EnginePage page = reopened.scan_engine(bytes_of("at 3"), 10);
  REQUIRE(page.entries.size() == 1);
  CHECK(page.entries[0].key == bytes_of("state"));
  CHECK(page.entries[0].value == bytes_of("after 3"));
  reopened.commit(block_at(4));
  check_committed(reopened, 4);
}

TEST_CASE("a second open of the same path fails with the path and the lock") {
  testing::TempDir dir("alys-leveldb");
  LevelDbBackend first(options_in(dir));
  std::string error = open_error(options_in(dir));
  CHECK_THAT(error, Contains("cannot open leveldb database at " + options_in(dir).path.string()) &&
                        Contains("LOCK") && Contains("has it open"));
  first.commit(block_at(0));
}

TEST_CASE("a database of another format or another program is refused, naming both") {
  testing::TempDir dir("alys-leveldb");
  LevelDbOptions options = options_in(dir);
  SECTION("a newer format") {
    raw_put(options.path, "mformat", "alys.storage/9");
    CHECK_THAT(open_error(options), Contains(options.path.string()) &&
                                        Contains("holds format 'alys.storage/9'") &&
                                        Contains("this build reads 'alys.storage/1'"));
  }
  SECTION("data without a format marker") {
    raw_put(options.path, "some key", "some value");
    CHECK_THAT(open_error(options), Contains("not an alys storage database"));
  }
}

TEST_CASE("a corrupt or unreadable database fails the open with LevelDB's reason and the path") {
  testing::TempDir dir("alys-leveldb");
  LevelDbOptions options = options_in(dir);
  { LevelDbBackend created(options); }
  SECTION("a damaged CURRENT file") {
    std::ofstream(options.path / "CURRENT", std::ios::trunc) << "MANIFEST-nonsense";
    CHECK_THAT(open_error(options), Contains(options.path.string()) && Contains("Corruption"));
  }
  SECTION("a path that is a file") {
    options.path = dir.write("plain-file", "x");
    CHECK_THAT(open_error(options), Contains(options.path.string()));
  }
}
