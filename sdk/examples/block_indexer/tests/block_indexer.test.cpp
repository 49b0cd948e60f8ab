// Tests of the block indexer and the demo chain. Both plugins are loaded from the files this build
// produced, exactly as a node loads them (manifest read from the file, ABI gate, private copy),
// into alys::testing::Harness: a real host on a virtual clock, in which the test is the role
// "test". Nothing runs until the test calls run() or advance(), so 1000 seconds of chain take
// however long 500 blocks take to handle.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "alys/schemas/chain.hpp"
#include "alys/schemas/chain_events.hpp"
#include "alys/testing.hpp"
#include "indexer_schemas.hpp"

namespace {

using alys::chain::BlockImported;
using alys::chain::ChainStatus;
using alys::chain::GetStatus;
using alys::testing::Harness;
using Catch::Matchers::Contains;
using example::indexer::Block;
using example::indexer::GetBlock;
using example::indexer::Hash;
using namespace std::chrono_literals;

// Paths of the plugins under test: set by alys_add_plugin_test (CMakeLists.txt, PLUGINS).
constexpr const char* kIndexerPlugin = BLOCK_INDEXER_PLUGIN_FILE;
constexpr const char* kDemoChainPlugin = DEMO_CHAIN_PLUGIN_FILE;
constexpr std::uint64_t kIntervalMs = 2000;

// The demo chain and the indexer, as in the README's node config, started. `indexer_config` is the
// text of the [indexer] table.
void start_node(Harness& harness, const std::string& indexer_config = "") {
  harness.add("chain", kDemoChainPlugin, "interval_ms = " + std::to_string(kIntervalMs) + "\n");
  harness.add("indexer", kIndexerPlugin, indexer_config, {"chain"});
  harness.start();
}

std::optional<Block> get_block(Harness& harness, std::uint64_t height) {
  std::uint64_t id = harness.request("indexer", GetBlock{height});
  harness.run();
  return harness.reply_as<Block>(id);
}

// The demo chain puts height % 7 transactions in each block.
std::uint64_t transactions_up_to(std::uint64_t height) {
  std::uint64_t total = 0;
  for (std::uint64_t h = 1; h <= height; ++h) total += h % 7;
  return total;
}

std::string status_json(std::uint64_t indexed, std::uint64_t highest, std::uint64_t transactions) {
  return "{\"version\":\"" BLOCK_INDEXER_VERSION "\",\"indexed\":" + std::to_string(indexed) +
         ",\"highest\":" + std::to_string(highest) +
         ",\"transactions\":" + std::to_string(transactions) + "}";
}

std::string to_hex(const Hash& hash) {
  constexpr std::string_view kDigits = "0123456789abcdef";
  std::string out = "0x";
  for (std::uint8_t byte : hash) {
    out += kDigits[byte >> 4];
    out += kDigits[byte & 0x0f];
  }
  return out;
}

}  // namespace

TEST_CASE("the indexer follows the demo chain: 1000 virtual seconds are 500 blocks") {
  Harness harness;
  start_node(harness);

  auto started = std::chrono::steady_clock::now();
  harness.advance(1000s);
  auto elapsed = std::chrono::steady_clock::now() - started;

  CHECK(elapsed < 1s);
  CHECK(harness.call_rpc("indexer_status") == status_json(500, 500, transactions_up_to(500)));
  CHECK(harness.metric("indexer", "blocks_indexed") == 500.0);
  CHECK(harness.metric("indexer", "highest_height") == 500.0);
  CHECK(harness.state("indexer") == "running");
  CHECK(harness.state("chain") == "running");
  CHECK(harness.dead_letters().empty());
}

TEST_CASE("GetBlock answers an indexed height, and says when a height is not indexed") {
  Harness harness;
  start_node(harness);
  const std::uint64_t start_ms = harness.now_ms();
  harness.advance(20s);  // heights 1..10

  auto block = get_block(harness, 7);
  REQUIRE(block);
  CHECK(block->found);
  CHECK(block->height == 7);
  CHECK(block->timestamp_ms == start_ms + 7 * kIntervalMs);
  CHECK(block->slot == block->timestamp_ms / kIntervalMs);
  CHECK(block->transaction_count == 0);  // 7 % 7
  CHECK(block->hash != Hash{});
  auto parent = get_block(harness, 6);
  REQUIRE(parent);
  CHECK(block->parent_hash == parent->hash);

  for (std::uint64_t missing : {std::uint64_t{0}, std::uint64_t{11}, std::uint64_t{1'000'000}}) {
    auto answer = get_block(harness, missing);
    REQUIRE(answer);
    CHECK_FALSE(answer->found);
    CHECK(answer->height == missing);
    CHECK(answer->hash == Hash{});
  }

  // Sent without a request, GetBlock cannot be answered: dead-lettered, and the indexer carries on.
  CHECK(harness.send("indexer", GetBlock{7}).ok());
  harness.run();
  CHECK(harness.dead_letters().size() == 1);
  CHECK(harness.state("indexer") == "running");
  CHECK(harness.restarts("indexer") == 0);
}

TEST_CASE("the admin methods indexer_status and indexer_get_block") {
  Harness harness;
  start_node(harness);
  harness.advance(20s);  // heights 1..10

  CHECK(harness.call_rpc("indexer_status") == status_json(10, 10, transactions_up_to(10)));

  auto block = get_block(harness, 7);
  REQUIRE(block);
  std::string expected =
      "{\"height\":7,\"hash\":\"" + to_hex(block->hash) + "\",\"parent_hash\":\"" +
      to_hex(block->parent_hash) + "\",\"slot\":" + std::to_string(block->slot) +
      ",\"timestamp_ms\":" + std::to_string(block->timestamp_ms) + ",\"transaction_count\":0}";
  CHECK(harness.call_rpc("indexer_get_block", R"({"height": 7})") == expected);
  CHECK(harness.call_rpc("indexer_get_block", "{ \"note\" : \"height\",\n \"height\" : 7 }") ==
        expected);

  CHECK_THROWS_WITH(harness.call_rpc("indexer_get_block", R"({"height": 11})"),
                    Contains("block 11 is not indexed") && Contains("heights 1..10"));
  // Params errors name what was wrong, where, and how to call the method.
  const std::pair<const char*, const char*> bad_params[] = {
      {"{}", R"(params: missing key "height")"},
      {"[7]", "params: expected an object, got an array"},
      {R"({"height": "7"})", "params.height: expected a non-negative integer, got a string"},
      {R"({"height": -1})", "params.height: expected a non-negative integer, got -1"},
      {R"({"height": 7.5})", "params.height: expected a non-negative integer, got a number"},
      {R"({"height": 1e3})", "params.height: expected a non-negative integer, got a number"},
      {R"({"height": 99999999999999999999999})",
       "params.height: expected a non-negative integer, got a number"},
  };
  for (const auto& [bad, why] : bad_params) {
    INFO("params: " << bad);
    CHECK_THROWS_WITH(harness.call_rpc("indexer_get_block", bad),
                      Contains(why) && Contains(R"(indexer_get_block takes {"height": N})"));
  }
  // Params that are not JSON at all (the admin API never passes those on; the harness does).
  CHECK_THROWS_WITH(harness.call_rpc("indexer_get_block", R"({"height": })"),
                    Contains("invalid JSON at line 1, column 12"));
  CHECK_THROWS_WITH(harness.call_rpc("indexer_get_block", "not json"),
                    Contains("invalid JSON at line 1, column 1"));
  // A caller's mistake is answered as an error; it does not fail the actor.
  CHECK(harness.state("indexer") == "running");
  CHECK(harness.restarts("indexer") == 0);
}

TEST_CASE("keep_blocks bounds the index: the oldest blocks are evicted") {
  Harness harness;
  start_node(harness, "keep_blocks = 10\n");
  harness.advance(200s);  // heights 1..100

  // The transaction total still counts the evicted blocks.
  CHECK(harness.call_rpc("indexer_status") == status_json(10, 100, transactions_up_to(100)));
  CHECK(harness.metric("indexer", "blocks_indexed") == 100.0);
  CHECK_FALSE(get_block(harness, 1)->found);
  CHECK_FALSE(get_block(harness, 90)->found);
  CHECK(get_block(harness, 91)->found);
  CHECK(get_block(harness, 100)->found);
}

TEST_CASE("a keep_blocks below 1 fails the indexer's start") {
  Harness harness;
  harness.add("chain", kDemoChainPlugin);
  harness.add("indexer", kIndexerPlugin, "keep_blocks = 0\n", {"chain"});
  CHECK_THROWS_WITH(harness.start(),
                    Contains("indexer") && Contains("keep_blocks must be at least 1, got 0"));
}

TEST_CASE("the indexer starts in a node without a chain role and indexes nothing yet") {
  // It asks the chain where it stands on start; a node with no chain must not make that fail.
  Harness harness;
  harness.add("indexer", kIndexerPlugin);
  harness.start();
  harness.advance(4s);
  CHECK(harness.call_rpc("indexer_status") ==
        "{\"version\":\"" BLOCK_INDEXER_VERSION
        "\",\"indexed\":0,\"highest\":null,\"transactions\":0}");
}

TEST_CASE("the index survives a hot swap to the same plugin file") {
  Harness harness;
  start_node(harness);
  harness.advance(100s);  // heights 1..50
  auto before = get_block(harness, 25);
  REQUIRE(before);
  REQUIRE(before->found);

  alys::testing::SwapResult swap = harness.swap("indexer", kIndexerPlugin);
  INFO("stage: " << swap.stage << ", message: " << swap.message);
  REQUIRE(swap.ok);
  CHECK(swap.mode == "state");

  auto after = get_block(harness, 25);
  REQUIRE(after);
  CHECK(after->found);
  CHECK(after->hash == before->hash);
  // The transaction total is not recomputable from the kept blocks: state schema 2 carried it.
  CHECK(harness.call_rpc("indexer_status") == status_json(50, 50, transactions_up_to(50)));

  // The new instance is subscribed and carries on where the old one stopped.
  harness.advance(100s);
  CHECK(harness.call_rpc("indexer_status") == status_json(100, 100, transactions_up_to(100)));
  CHECK(harness.metric("indexer", "blocks_indexed") == 100.0);  // host metrics outlive instances
  CHECK(harness.restarts("indexer") == 0);
}

TEST_CASE("a hot swap of the demo chain keeps its height") {
  Harness harness;
  start_node(harness);
  harness.advance(20s);  // heights 1..10

  alys::testing::SwapResult swap = harness.swap("chain", kDemoChainPlugin);
  INFO("stage: " << swap.stage << ", message: " << swap.message);
  REQUIRE(swap.ok);
  CHECK(swap.mode == "state");

  harness.advance(20s);  // heights 11..20, not 1..10 again (the indexer would see a reorg)
  CHECK(harness.call_rpc("indexer_status") == status_json(20, 20, transactions_up_to(20)));
}

TEST_CASE("the demo chain's events decode as alys.chain.BlockImported") {
  Harness harness;
  start_node(harness);
  const std::string_view topic = alys::chain::kBlockImportedTopic;
  harness.subscribe(topic);
  const std::uint64_t start_ms = harness.now_ms();
  harness.advance(10s);

  std::vector<alys::testing::Received> events = harness.events(topic);
  REQUIRE(events.size() == 5);
  std::set<Hash> hashes;
  Hash parent{};  // height 1 has no parent
  for (std::size_t i = 0; i < events.size(); ++i) {
    INFO("event " << i);
    REQUIRE(events[i].is<BlockImported>());
    CHECK(events[i].kind == ALYS_KIND_EVENT);
    CHECK(events[i].topic_id == alys::topic_id(topic));
    BlockImported block = events[i].as<BlockImported>();
    std::uint64_t height = i + 1;
    CHECK(block.height == height);
    CHECK(block.timestamp_ms == start_ms + height * kIntervalMs);
    CHECK(block.slot == block.timestamp_ms / kIntervalMs);
    CHECK(block.transaction_count == height % 7);
    CHECK(block.parent_hash == parent);
    hashes.insert(block.hash);
    parent = block.hash;

    // What the indexer answers is what the chain announced.
    auto indexed = get_block(harness, height);
    REQUIRE(indexed);
    CHECK(indexed->hash == block.hash);
    CHECK(indexed->parent_hash == block.parent_hash);
  }
  CHECK(hashes.size() == events.size());
}

TEST_CASE("the demo chain answers GetStatus with the head it announced last") {
  Harness harness;
  start_node(harness);
  std::uint64_t asked = harness.request("chain", GetStatus{});
  harness.run();
  REQUIRE(harness.reply_as<ChainStatus>(asked));
  CHECK(harness.reply_as<ChainStatus>(asked)->head_height == 0);  // nothing announced yet

  const std::string topic(alys::chain::kBlockImportedTopic);
  harness.subscribe(topic);
  harness.advance(20s);  // heights 1..10
  asked = harness.request("chain", GetStatus{});
  harness.run();
  auto status = harness.reply_as<ChainStatus>(asked);
  REQUIRE(status);
  CHECK(status->head_height == 10);
  CHECK(status->head_hash == harness.events(topic).back().as<BlockImported>().hash);
  CHECK_FALSE(status->has_finalized);
  CHECK_FALSE(status->syncing);
}

TEST_CASE("each indexer instance asks the chain where it stands when it starts") {
  Harness harness;
  start_node(harness);
  CHECK(harness.metric("indexer", "chain_head_at_start") == 0.0);

  harness.advance(20s);  // heights 1..10
  // The swapped-in instance has not seen the chain's events yet, but knows its head.
  alys::testing::SwapResult swap = harness.swap("indexer", kIndexerPlugin);
  INFO("stage: " << swap.stage << ", message: " << swap.message);
  REQUIRE(swap.ok);
  harness.run();
  CHECK(harness.metric("indexer", "chain_head_at_start") == 10.0);
  CHECK(harness.dead_letters().empty());
}
