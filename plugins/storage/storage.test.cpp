// The storage suite: the plugin file this build produced, loaded into the in-process harness as a
// node loads it, asked through the messages of alys/schemas/storage.hpp. Each TEMPLATE_TEST_CASE
// runs once per backend; only the [storage] table differs.
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "storage/leveldb/file_size_limit.hpp"
#include "storage_suite.hpp"

using namespace storage_suite;
using Catch::Matchers::Contains;

namespace {

std::vector<std::uint64_t> heights_of(const std::vector<StoredBlock>& blocks) {
  std::vector<std::uint64_t> heights;
  for (const StoredBlock& block : blocks) heights.push_back(block.height);
  return heights;
}

std::map<Bytes, Bytes> as_map(const std::vector<KeyValue>& entries) {
  std::map<Bytes, Bytes> map;
  for (const KeyValue& entry : entries) map[entry.key] = entry.value;
  return map;
}

// Lines of /proc/self/maps that map a file whose path contains `needle`.
std::size_t mappings_of(const std::string& needle) {
  std::ifstream maps("/proc/self/maps");
  std::size_t count = 0;
  for (std::string line; std::getline(maps, line);)
    if (line.find(needle) != std::string::npos) ++count;
  return count;
}

std::string start_error(const std::string& config_toml) {
  alys::testing::Harness harness;
  harness.add("storage", kPluginFile, config_toml);
  try {
    harness.start();
  } catch (const std::exception& error) {
    return error.what();
  }
  return "";
}

}  // namespace

TEMPLATE_TEST_CASE("an empty database has no head and no blocks", "", MemoryBackendConfig,
                   LevelDbBackendConfig) {
  SuiteNode<TestType> node;
  Head head = node->head();
  CHECK(head.error.empty());
  CHECK_FALSE(head.has_head);
  CHECK_FALSE(head.has_finalized);

  BlockFound at_zero = node->by_height(0);
  CHECK(at_zero.error.empty());
  CHECK_FALSE(at_zero.found);
  CHECK(node->range(0).blocks.empty());
  EngineStatePage page = node->scan(std::nullopt, 10);
  CHECK(page.error.empty());
  CHECK(page.entries.empty());
  CHECK_FALSE(page.more);
}

TEMPLATE_TEST_CASE("a chain of blocks reads back by hash, by height and by range", "",
                   MemoryBackendConfig, LevelDbBackendConfig) {
  SuiteNode<TestType> node;
  for (std::uint64_t height = 0; height < 10; ++height) {
    Committed committed = node->commit(block_at(height, 'a', 100));
    REQUIRE(committed.error.empty());
  }

  Head head = node->head();
  CHECK(head.has_head);
  CHECK(head.height == 9);
  CHECK(head.hash == hash_of(9));
  CHECK_FALSE(head.has_finalized);

  for (std::uint64_t height = 0; height < 10; ++height) {
    BlockFound by_height = node->by_height(height);
    REQUIRE(by_height.found);
    CHECK(by_height.block.height == height);
    CHECK(by_height.block.hash == hash_of(height));
    CHECK(by_height.block.block == block_bytes(height, 'a', 100));
    BlockFound by_hash = node->by_hash(hash_of(height));
    REQUIRE(by_hash.found);
    CHECK(by_hash.block.height == height);
    CHECK(by_hash.block.block == by_height.block.block);
  }
  CHECK_FALSE(node->by_height(10).found);

  SECTION("a range stops at the head") {
    CHECK(heights_of(node->range(0).blocks) ==
          std::vector<std::uint64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
    CHECK(heights_of(node->range(8).blocks) == std::vector<std::uint64_t>{8, 9});
    CHECK(node->range(10).blocks.empty());
    CHECK(node->range(10).error.empty());
  }
  SECTION("a range stops at max_count") {
    BlockRange range = node->range(3, 4);
    CHECK(heights_of(range.blocks) == std::vector<std::uint64_t>{3, 4, 5, 6});
    CHECK(range.blocks[1].block == block_bytes(4, 'a', 100));
    CHECK(range.blocks[1].hash == hash_of(4));
  }
  SECTION("a range stops before the block that would pass max_bytes") {
    CHECK(heights_of(node->range(0, 256, 300).blocks) == std::vector<std::uint64_t>{0, 1, 2});
    CHECK(heights_of(node->range(0, 256, 299).blocks) == std::vector<std::uint64_t>{0, 1});
  }
  SECTION("a range holds at least one block, however small max_bytes") {
    CHECK(heights_of(node->range(5, 256, 0).blocks) == std::vector<std::uint64_t>{5});
    CHECK(heights_of(node->range(5, 256, 99).blocks) == std::vector<std::uint64_t>{5});
  }
  SECTION("max_count 0 is an error, not an empty answer") {
    BlockRange range = node->range(0, 0);
    CHECK_THAT(range.error, Contains("max_count"));
    CHECK(range.blocks.empty());
  }

  auto& harness = node->harness();
  CHECK(harness.metric("storage", "storage_commits_total") == 10.0);
  CHECK(harness.metric("storage", "storage_commit_seconds") == 10.0);  // a histogram's count
  // Each commit writes its block (100 bytes + an 8-byte height) under a 33-byte key, and more.
  CHECK(harness.metric("storage", "storage_commit_bytes_total").value_or(0) > 10 * (108 + 33));
  CHECK(harness.metric("storage", "storage_reads_total").value_or(0) >= 22.0);
}

TEMPLATE_TEST_CASE("engine puts and deletes are visible and scanned page by page", "",
                   MemoryBackendConfig, LevelDbBackendConfig) {
  SuiteNode<TestType> node;
  CommitBlock genesis = block_at(0);
  for (int i = 0; i < 10; ++i)
    genesis.engine_puts.push_back(
        {bytes_of("k" + std::to_string(i)), bytes_of("v" + std::to_string(i))});
  REQUIRE(node->commit(genesis).error.empty());

  CommitBlock next = block_at(1);
  next.engine_deletes = {bytes_of("k3"), bytes_of("absent")};
  next.engine_puts = {{bytes_of("k5"), bytes_of("v5'")},
                      {bytes_of("a"), bytes_of("first")},
                      {bytes_of("k7"), bytes_of("put and deleted")}};
  next.engine_deletes.push_back(bytes_of("k7"));  // deletes apply after puts: k7 ends deleted
  REQUIRE(node->commit(next).error.empty());

  std::map<Bytes, Bytes> expected = {
      {bytes_of("a"), bytes_of("first")}, {bytes_of("k0"), bytes_of("v0")},
      {bytes_of("k1"), bytes_of("v1")},   {bytes_of("k2"), bytes_of("v2")},
      {bytes_of("k4"), bytes_of("v4")},   {bytes_of("k5"), bytes_of("v5'")},
      {bytes_of("k6"), bytes_of("v6")},   {bytes_of("k8"), bytes_of("v8")},
      {bytes_of("k9"), bytes_of("v9")}};

  SECTION("one page holds everything, in key order") {
    EngineStatePage page = node->scan(std::nullopt, 100);
    CHECK_FALSE(page.more);
    CHECK(as_map(page.entries) == expected);
    REQUIRE(page.entries.size() == expected.size());
    CHECK(page.entries.front().key == bytes_of("a"));
    CHECK(page.entries.back().key == bytes_of("k9"));
  }
  SECTION("pages of 4 resume after the last key and end with more = false") {
    EngineStatePage first = node->scan(std::nullopt, 4);
    REQUIRE(first.entries.size() == 4);
    CHECK(first.more);
    CHECK(first.entries.back().key == bytes_of("k2"));
    EngineStatePage second = node->scan(bytes_of("k2"), 4);
    REQUIRE(second.entries.size() == 4);
    CHECK(second.entries.front().key == bytes_of("k4"));
    CHECK(second.more);
    int pages = 0;
    std::vector<KeyValue> all = node->scan_all(4, pages);
    CHECK(pages == 3);
    CHECK(all.size() == expected.size());
    CHECK(as_map(all) == expected);
  }
  SECTION("a page that ends exactly at the last key says more = false") {
    int pages = 0;
    node->scan_all(9, pages);
    CHECK(pages == 1);
    EngineStatePage last = node->scan(bytes_of("k8"), 1);
    REQUIRE(last.entries.size() == 1);
    CHECK_FALSE(last.more);
  }
  SECTION("start_after need not be a stored key; past the last key the page is empty") {
    EngineStatePage page = node->scan(bytes_of("k35"), 2);
    REQUIRE(page.entries.size() == 2);
    CHECK(page.entries[0].key == bytes_of("k4"));
    EngineStatePage past = node->scan(bytes_of("z"), 2);
    CHECK(past.entries.empty());
    CHECK_FALSE(past.more);
  }
  SECTION("max_entries 0 is an error") {
    CHECK_THAT(node->scan(std::nullopt, 0).error, Contains("max_entries"));
  }
  SECTION("an empty engine key is refused, and nothing of that commit is written") {
    CommitBlock bad = block_at(2);
    bad.engine_puts = {{bytes_of("new"), bytes_of("x")}, {Bytes{}, bytes_of("y")}};
    CHECK_THAT(node->commit(bad).error, Contains("empty key"));
    CHECK(as_map(node->scan(std::nullopt, 100).entries) == expected);
    CHECK(node->head().height == 1);
  }
}

TEMPLATE_TEST_CASE("the chain's own state is written with its block and read back whole", "",
                   MemoryBackendConfig, LevelDbBackendConfig) {
  SuiteNode<TestType> node;
  CHECK(node->template ask<ChainState>(GetChainState{}).entries.empty());
  CommitBlock genesis = block_at(0);
  genesis.chain_puts = {{bytes_of("pow"), bytes_of("v1")}, {bytes_of("approved"), bytes_of("0")}};
  REQUIRE(node->commit(genesis).error.empty());
  CommitBlock next = block_at(1);
  next.chain_puts = {{bytes_of("pow"), bytes_of("v2")}};
  REQUIRE(node->commit(next).error.empty());
  ChainState state = node->template ask<ChainState>(GetChainState{});
  CHECK(state.error.empty());
  CHECK(as_map(state.entries) == std::map<Bytes, Bytes>{{bytes_of("approved"), bytes_of("0")},
                                                        {bytes_of("pow"), bytes_of("v2")}});
  // The chain's keys are not the engine's.
  CHECK(node->scan(std::nullopt, 100).entries.empty());

  CommitBlock bad = block_at(2);
  bad.chain_puts = {{bytes_of("pow"), bytes_of("v3")}, {Bytes{}, bytes_of("x")}};
  CHECK_THAT(node->commit(bad).error, Contains("chain put #1 has an empty key"));
  CHECK(as_map(node->template ask<ChainState>(GetChainState{}).entries).at(bytes_of("pow")) ==
        bytes_of("v2"));
}

TEMPLATE_TEST_CASE("PutChainState writes chain keys without a block", "", MemoryBackendConfig,
                   LevelDbBackendConfig) {
  SuiteNode<TestType> node;
  REQUIRE(node->commit(block_at(0)).error.empty());
  PutChainState put;
  put.puts = {{bytes_of("approved"), bytes_of("h1")}, {bytes_of("evidence/1/0/2"), bytes_of("e")}};
  CHECK(node->template ask<Committed>(put).error.empty());
  CHECK(as_map(node->template ask<ChainState>(GetChainState{}).entries) ==
        std::map<Bytes, Bytes>{{bytes_of("approved"), bytes_of("h1")},
                               {bytes_of("evidence/1/0/2"), bytes_of("e")}});
  CHECK(node->head().height == 0);
  CHECK(node->scan(std::nullopt, 100).entries.empty());

  PutChainState bad;
  bad.puts = {{bytes_of("approved"), bytes_of("h2")}, {Bytes{}, bytes_of("x")}};
  CHECK_THAT(node->template ask<Committed>(bad).error, Contains("empty"));
  CHECK(as_map(node->template ask<ChainState>(GetChainState{}).entries).at(bytes_of("approved")) ==
        bytes_of("h1"));
}

TEMPLATE_TEST_CASE("a replacement at an existing height removes the index above it", "",
                   MemoryBackendConfig, LevelDbBackendConfig) {
  SuiteNode<TestType> node;
  node->commit_chain(0, 5, 'a');

  REQUIRE(node->commit(block_at(3, 'b')).error.empty());
  Head head = node->head();
  CHECK(head.height == 3);
  CHECK(head.hash == hash_of(3, 'b'));
  CHECK(node->by_height(3).block.hash == hash_of(3, 'b'));
  CHECK_FALSE(node->by_height(4).found);
  CHECK_FALSE(node->by_height(5).found);
  BlockRange range = node->range(0);
  REQUIRE(heights_of(range.blocks) == std::vector<std::uint64_t>{0, 1, 2, 3});
  CHECK(range.blocks[2].hash == hash_of(2, 'a'));
  CHECK(range.blocks[3].hash == hash_of(3, 'b'));

  // The replaced blocks are still there by hash, with the height they had.
  BlockFound replaced = node->by_hash(hash_of(4, 'a'));
  REQUIRE(replaced.found);
  CHECK(replaced.block.height == 4);

  // The chain goes on from the new head, not the old one.
  CHECK_THAT(node->commit(block_at(6, 'b')).error, Contains("head + 1"));
  REQUIRE(node->commit(block_at(4, 'b')).error.empty());
  CHECK(node->by_height(4).block.hash == hash_of(4, 'b'));

  // Replacing the head itself.
  REQUIRE(node->commit(block_at(4, 'c')).error.empty());
  CHECK(node->head().hash == hash_of(4, 'c'));
  CHECK(node->range(0).blocks.size() == 5);
}

TEMPLATE_TEST_CASE("the finalized pointer moves with commits and guards what is final", "",
                   MemoryBackendConfig, LevelDbBackendConfig) {
  SuiteNode<TestType> node;
  node->commit_chain(0, 3);

  CommitBlock finalizing = block_at(4);
  finalizing.set_finalized = true;
  finalizing.finalized_height = 2;
  finalizing.finalized_hash = hash_of(2);
  REQUIRE(node->commit(finalizing).error.empty());
  Head head = node->head();
  CHECK(head.height == 4);
  CHECK(head.has_finalized);
  CHECK(head.finalized_height == 2);
  CHECK(head.finalized_hash == hash_of(2));

  SECTION("a commit without set_finalized keeps the pointer") {
    REQUIRE(node->commit(block_at(5)).error.empty());
    CHECK(node->head().finalized_height == 2);
  }
  SECTION("a block can finalize itself") {
    CommitBlock self = block_at(5);
    self.set_finalized = true;
    self.finalized_height = 5;
    self.finalized_hash = self.hash;
    REQUIRE(node->commit(self).error.empty());
    CHECK(node->head().finalized_height == 5);
  }
  SECTION("blocks at or below the finalized height cannot be replaced") {
    CHECK_THAT(node->commit(block_at(2, 'b')).error, Contains("finalized height 2"));
    CHECK_THAT(node->commit(block_at(1, 'b')).error, Contains("final"));
    REQUIRE(node->commit(block_at(3, 'b')).error.empty());  // above it, a replacement is fine
    CHECK(node->head().finalized_height == 2);
  }
  SECTION("a finalized pointer above the committed block is refused") {
    CommitBlock above = block_at(5);
    above.set_finalized = true;
    above.finalized_height = 6;
    above.finalized_hash = hash_of(6);
    CHECK_THAT(node->commit(above).error, Contains("above"));
  }
  SECTION("a finalized pointer cannot go back") {
    CommitBlock back = block_at(5);
    back.set_finalized = true;
    back.finalized_height = 1;
    back.finalized_hash = hash_of(1);
    CHECK_THAT(node->commit(back).error, Contains("below the current finalized height 2"));
  }
  SECTION("a finalized hash must be the canonical block at its height") {
    CommitBlock wrong = block_at(5);
    wrong.set_finalized = true;
    wrong.finalized_height = 3;
    wrong.finalized_hash = hash_of(3, 'z');
    CHECK_THAT(node->commit(wrong).error, Contains("not the canonical block"));
  }
  // Whatever was refused above left the pointers alone.
  CHECK(node->head().has_finalized);
  CHECK(node->head().finalized_height >= 2);
}

TEMPLATE_TEST_CASE("the strict height rule refuses gaps and leaves nothing behind", "",
                   MemoryBackendConfig, LevelDbBackendConfig) {
  SuiteNode<TestType> node;
  CommitBlock first = block_at(1);
  first.engine_puts = {{bytes_of("k"), bytes_of("v")}};
  Committed refused = node->commit(first);
  CHECK_THAT(refused.error, Contains("height 0"));
  CHECK_FALSE(node->head().has_head);
  CHECK_FALSE(node->by_hash(first.hash).found);
  CHECK(node->scan(std::nullopt, 10).entries.empty());

  node->commit_chain(0, 2);
  CommitBlock gap = block_at(4);
  gap.engine_puts = {{bytes_of("k"), bytes_of("v")}};
  CHECK_THAT(node->commit(gap).error, Contains("does not extend the head at height 2"));
  CHECK(node->head().height == 2);
  CHECK_FALSE(node->by_hash(gap.hash).found);
  CHECK_FALSE(node->by_height(4).found);
  CHECK(node->scan(std::nullopt, 10).entries.empty());

  auto& harness = node->harness();
  CHECK(harness.metric("storage", "storage_commits_total") == 3.0);
  CHECK(harness.metric("storage", "storage_commits_rejected_total") == 2.0);
  CHECK(harness.state("storage") == "running");
}

TEMPLATE_TEST_CASE("an unknown hash or height is found = false, not an error", "",
                   MemoryBackendConfig, LevelDbBackendConfig) {
  SuiteNode<TestType> node;
  node->commit_chain(0, 1);
  BlockFound unknown = node->by_hash(hash_of(0, 'x'));
  CHECK(unknown.error.empty());
  CHECK_FALSE(unknown.found);
  BlockFound too_high = node->by_height(100);
  CHECK(too_high.error.empty());
  CHECK_FALSE(too_high.found);
  CHECK(node->harness().dead_letters().empty());
}

TEMPLATE_TEST_CASE("a request sent without a reply address is dead-lettered", "",
                   MemoryBackendConfig, LevelDbBackendConfig) {
  SuiteNode<TestType> node;
  auto& harness = node->harness();
  REQUIRE(harness.send("storage", block_at(0)).ok());
  harness.run();
  auto dead = harness.dead_letters();
  REQUIRE(dead.size() == 1);
  CHECK_THAT(dead[0].reason, Contains("must be sent as a request"));
  CHECK_FALSE(node->head().has_head);
  CHECK(harness.state("storage") == "running");
}

TEST_CASE("bad config fails the start with a message naming the key") {
  alys::testing::TempDir dir("alys-storage");
  const std::string db = (dir.path() / "chain.db").string();

  std::string backend = start_error("backend = \"rocksdb\"\n");
  CHECK_THAT(backend,
             Contains("backend") && Contains("\"leveldb\" or \"memory\"") && Contains("rocksdb"));
  CHECK_THAT(start_error("backend = 7\n"), Contains("[storage] backend: must be a string"));
  CHECK_THAT(start_error("backend = \"memory\"\ncahce_mb = 8\n"),
             Contains("[storage] cahce_mb: unknown key"));
  // Without host.data_dir (the harness sets none) a relative path has nothing to resolve against.
  CHECK_THAT(start_error("backend = \"leveldb\"\npath = \"chain.db\"\n"),
             Contains("path") && Contains("host.data_dir"));
  CHECK_THAT(start_error(""), Contains("path") && Contains("relative"));  // leveldb by default
  CHECK_THAT(start_error("path = \"\"\n"), Contains("path") && Contains("empty"));
  CHECK_THAT(start_error("path = \"" + db + "\"\nsync = \"yes\"\n"),
             Contains("[storage] sync: must be true or false"));
  CHECK_THAT(start_error("path = \"" + db + "\"\ncache_mb = 1.5\n"),
             Contains("[storage] cache_mb: must be an integer"));
  CHECK_THAT(start_error("path = \"" + db + "\"\ncache_mb = 0\n"), Contains("cache_mb"));
  CHECK_THAT(start_error("path = \"" + db + "\"\nmax_open_files = 10\n"),
             Contains("max_open_files") && Contains("74"));
  // Settings are checked whatever the backend.
  CHECK_THAT(start_error("backend = \"memory\"\ncache_mb = -1\n"), Contains("cache_mb"));
  // A path where a directory cannot be made.
  dir.write("file", "not a directory");
  CHECK_THAT(start_error("path = \"" + (dir.path() / "file" / "db").string() + "\"\n"),
             Contains((dir.path() / "file").string()));

  CHECK(start_error("backend = \"memory\"\n").empty());
  CHECK(start_error("path = \"" + db + "\"\nsync = false\ncache_mb = 1\n").empty());
}

TEST_CASE("a relative path resolves against host.data_dir") {
  alys::testing::TempDir dir("alys-storage");
  const std::string data_dir = "host.data_dir = \"" + dir.path().string() + "\"\n";
  {
    StorageNode node(data_dir + "path = \"nested/chain.db\"\n");
    node.commit_chain(0, 0);
  }
  CHECK(std::filesystem::is_directory(dir.path() / "nested" / "chain.db"));
  CHECK(std::filesystem::exists(dir.path() / "nested" / "chain.db" / "CURRENT"));
  StorageNode reopened(data_dir);  // the default path, chain.db: another database
  CHECK_FALSE(reopened.head().has_head);
  CHECK(std::filesystem::exists(dir.path() / "chain.db" / "CURRENT"));
}

TEST_CASE("leveldb keeps the chain across restarts of the storage role") {
  alys::testing::TempDir dir("alys-storage");
  const std::string config = LevelDbBackendConfig::toml(dir.path());
  {
    StorageNode node(config);
    node.commit_chain(0, 4);
    CommitBlock last = block_at(5);
    last.set_finalized = true;
    last.finalized_height = 3;
    last.finalized_hash = hash_of(3);
    last.engine_puts = {{bytes_of("balance"), bytes_of("42")}};
    REQUIRE(node.commit(last).error.empty());
  }
  StorageNode node(config);
  Head head = node.head();
  CHECK(head.height == 5);
  CHECK(head.hash == hash_of(5));
  CHECK(head.finalized_height == 3);
  CHECK(heights_of(node.range(0).blocks) == std::vector<std::uint64_t>{0, 1, 2, 3, 4, 5});
  EngineStatePage page = node.scan(std::nullopt, 10);
  REQUIRE(page.entries.size() == 1);
  CHECK(page.entries[0].value == bytes_of("42"));
  CHECK(node.commit(block_at(6)).error.empty());
}

TEST_CASE("a second storage on an open leveldb database fails to start, naming the lock") {
  alys::testing::TempDir dir("alys-storage");
  const std::string config = LevelDbBackendConfig::toml(dir.path());
  StorageNode first(config);
  std::string error = start_error(config);
  CHECK_THAT(error, Contains((dir.path() / "chain.db").string()) && Contains("LOCK") &&
                        Contains("has it open"));
  first.commit_chain(0, 0);  // the first one is unaffected
}

TEST_CASE("a commit the disk refuses is answered with the error and changes nothing") {
  alys::testing::TempDir dir("alys-storage");
  const std::string config = LevelDbBackendConfig::toml(dir.path());
  {
    StorageNode node(config);
    node.commit_chain(0, 1);
    Committed failed;
    {
      alys::testing::FileSizeLimit limit(64 << 10);
      failed = node.commit(block_at(2, 'a', 512 << 10));
    }
    CHECK_THAT(failed.error, Contains("write failed"));
    CHECK(node.head().height == 1);
    CHECK_FALSE(node.by_hash(hash_of(2)).found);
    // Further writes are refused until the role restarts and reopens the database.
    CHECK_THAT(node.commit(block_at(2)).error, Contains("restart the storage role"));
    CHECK(node.by_height(1).found);  // reads still work
    auto& harness = node.harness();
    CHECK(harness.metric("storage", "storage_commit_failures_total") == 2.0);
    CHECK(harness.metric("storage", "storage_commits_total") == 2.0);
  }
  StorageNode reopened(config);
  CHECK(reopened.head().height == 1);
  CHECK_FALSE(reopened.by_hash(hash_of(2)).found);
  CHECK(reopened.commit(block_at(2)).error.empty());
  CHECK(reopened.head().height == 2);
}

TEST_CASE("the plugin unloads after using leveldb, while libleveldb stays for its thread") {
  // The harness loads private copies named <pid>-<n>-alys_storage.so.
  const std::string plugin_copies = "-alys_storage.so";
  alys::testing::TempDir dir("alys-storage");
  const std::string config = LevelDbBackendConfig::toml(dir.path());
  {
    StorageNode node(config);
    // 6 MiB of blocks: past LevelDB's 4 MiB write buffer, so it compacts on its own thread.
    for (std::uint64_t height = 0; height < 12; ++height)
      REQUIRE(node.commit(block_at(height, 'a', 512 << 10)).error.empty());
    CHECK(mappings_of(plugin_copies) > 0);
  }
  CHECK(mappings_of(plugin_copies) == 0);
  CHECK(mappings_of("libleveldb.so") > 0);

  StorageNode again(config);  // a new copy of the plugin over the same LevelDB library
  CHECK(again.head().height == 11);
  CHECK(again.range(0, 256, 0).blocks.size() == 1);
  CHECK(again.commit(block_at(12)).error.empty());
}

TEST_CASE("a reload of the same build hands over, and the new instance reopens the same database") {
  alys::testing::TempDir dir("alys-storage");
  StorageNode node(LevelDbBackendConfig::toml(dir.path()));
  node.commit_chain(0, 2);
  alys::testing::SwapResult swapped = node.harness().swap("storage", kPluginFile);
  REQUIRE(swapped.ok);
  CHECK(swapped.mode == "state");
  CHECK(node.head().height == 2);
  CHECK(node.commit(block_at(3)).error.empty());
}

TEMPLATE_TEST_CASE("a hot swap hands the database to the new version and back (v1 -> v2 -> v1)", "",
                   MemoryBackendConfig, LevelDbBackendConfig) {
  SuiteNode<TestType> node;
  node->commit_chain(0, 5);
  CommitBlock with_state = block_at(6);
  with_state.engine_puts = {{bytes_of("balance/alice"), bytes_of("100")}};
  REQUIRE(node->commit(with_state).error.empty());

  for (const char* file : {kPluginV2File, kPluginFile, kPluginV2File, kPluginFile}) {
    alys::testing::SwapResult swapped = node->harness().swap("storage", file);
    INFO(file << ": " << swapped.stage << " " << swapped.message);
    REQUIRE(swapped.ok);
    CHECK(swapped.mode == "state");
    Head head = node->head();
    CHECK(head.has_head);
    CHECK(head.height == 6);
    CHECK(node->by_height(3).found);
    int pages = 0;
    CHECK(as_map(node->scan_all(16, pages))[bytes_of("balance/alice")] == bytes_of("100"));
  }
  // The chain goes on after the swaps, on the same data.
  node->commit_chain(7, 9);
  CHECK(node->head().height == 9);
  CHECK(heights_of(node->range(0).blocks) ==
        std::vector<std::uint64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
}

TEST_CASE("a memory database survives a reload: before hand-off it was lost with the instance") {
  StorageNode node(MemoryBackendConfig::toml({}));
  node.commit_chain(0, 3);
  REQUIRE(node.harness().swap("storage", kPluginFile).ok);
  Head head = node.head();
  REQUIRE(head.has_head);
  CHECK(head.height == 3);
  CHECK(node.commit(block_at(4)).error.empty());
}
