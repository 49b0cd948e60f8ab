// Merged mining in the running chain (chain + engine + storage in the harness on a virtual clock):
// createauxblock/submitauxblock, finality carried in blocks, the pause at max_blocks_without_pow,
// dev_mine, and blocks whose AuxPoW header breaks a rule.
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "alys/domain/auxpow.hpp"
#include "alys/domain/eth_transaction.hpp"
#include "alys/domain/wei.hpp"
#include "alys/schemas/chain.hpp"
#include "alys/schemas/chain_events.hpp"
#include "alys/schemas/engine.hpp"
#include "alys/schemas/storage.hpp"
#include "alys/testing.hpp"
#include "chain_test_node.hpp"
#include "temp_dir.hpp"

using namespace alys;
using namespace std::chrono_literals;
using alys::testing::Harness;
using alys::testing::HarnessOptions;
using alys::testing::TempDir;

using namespace alys::chain_test;

// --- merged mining ------------------------------------------------------------------------------

namespace {

constexpr std::uint32_t kAuxChainId = 0x7a1;
constexpr std::uint32_t kDevBits = 0x207fffff;

struct AuxWork {
  std::string hash_display;
  std::uint32_t bits = 0;
};

AuxWork create_aux_block(TestNode& node) {
  const std::string answer = node.rpc("createauxblock", "[]");
  auto field = [&](const std::string& name) {
    const auto at = answer.find("\"" + name + "\":");
    REQUIRE(at != std::string::npos);
    const auto start = answer.find_first_not_of("\" :", at + name.size() + 2);
    return answer.substr(start, answer.find_first_of("\",}", start) - start);
  };
  CHECK(field("chainid") == std::to_string(kAuxChainId));
  return AuxWork{field("hash"), static_cast<std::uint32_t>(std::stoul(field("bits"), nullptr, 16))};
}

std::string mined_auxpow_hex(const AuxWork& work, std::uint32_t chain_id = kAuxChainId) {
  const Hash32 aux_hash = reversed(*fixed_from_hex<32>(work.hash_display));
  AuxPow auxpow = make_auxpow(aux_hash, chain_id, AuxPowCommitment::coinbase_script);
  REQUIRE(mine_auxpow(auxpow, work.bits, 1'000'000));
  return to_hex(auxpow.serialize());
}

std::string rpc_error(TestNode& node, const std::string& method, const std::string& params) {
  try {
    node.rpc(method, params);
  } catch (const std::exception& error) {
    return error.what();
  }
  return "";
}

}  // namespace

TEST_CASE("merged mining: a submitted AuxPoW finalizes its range in the next block",
          "[chain][auxpow]") {
  TempDir dir("chain-auxpow");
  NodeSetup setup;
  setup.member = 0;
  setup.extra_chain_toml = auxpow_toml(100);
  TestNode node(dir, setup);
  node.harness().subscribe(std::string(chain::kFinalizedTopic));
  node.harness().advance(3 * 2000ms);
  REQUIRE(node.head().height == 3);
  CHECK_FALSE(node.head().has_finalized);
  CHECK(rpc_error(node, "eth_getBlockByNumber", "[\"finalized\", false]")
            .find("no block is finalized") != std::string::npos);

  const AuxWork work = create_aux_block(node);
  CHECK(work.bits == kDevBits);
  CHECK(node.rpc("submitauxblock",
                 "[\"" + work.hash_display + "\", \"" + mined_auxpow_hex(work) + "\"]") == "true");
  node.harness().advance(2000ms);  // block 4 carries the AuxPoW for blocks 1..3
  const storage::Head head = node.head();
  CHECK(head.height == 4);
  REQUIRE(head.has_finalized);
  CHECK(head.finalized_height == 3);
  CHECK(head.finalized_hash == block_hash(node.block_at(3).block));
  const SignedBlock carrier = node.block_at(4);
  REQUIRE(carrier.block.auxpow.size() == 1);
  CHECK(carrier.block.auxpow[0].range_start == 1);
  CHECK(carrier.block.auxpow[0].range_end == 3);
  CHECK(carrier.block.auxpow[0].height == 1);
  auto events = node.harness().events(std::string(chain::kFinalizedTopic));
  REQUIRE(events.size() == 1);
  CHECK(events[0].as<chain::Finalized>().range_end == 3);
  CHECK(node.rpc("chain_status", "[]").find("\"finalized\":{\"height\":3") != std::string::npos);
  // The engine was told: "finalized" is block 3 now.
  CHECK(node.rpc("eth_getBlockByNumber", "[\"finalized\", false]") ==
        node.rpc("eth_getBlockByNumber", "[\"0x3\", false]"));

  // The next work starts after block 3.
  node.harness().advance(2000ms);
  const AuxWork next = create_aux_block(node);
  CHECK(next.hash_display != work.hash_display);
  CHECK(node.rpc("submitauxblock",
                 "[\"" + next.hash_display + "\", \"" + mined_auxpow_hex(next) + "\"]") == "true");
  node.harness().advance(2000ms);
  CHECK(node.head().finalized_height == 5);
}

TEST_CASE("submitauxblock: each bad submission gets its error and changes nothing",
          "[chain][auxpow]") {
  TempDir dir("chain-auxpow-bad");
  NodeSetup setup;
  setup.member = 0;
  setup.extra_chain_toml = auxpow_toml(100);
  TestNode node(dir, setup);
  node.harness().advance(2 * 2000ms);
  const AuxWork work = create_aux_block(node);
  const std::string good = mined_auxpow_hex(work);

  AuxWork unknown = work;
  unknown.hash_display = std::string(64, 'a');
  CHECK(rpc_error(node, "submitauxblock", "[\"" + unknown.hash_display + "\", \"" + good + "\"]")
            .find("unknown aux block hash") != std::string::npos);
  CHECK(rpc_error(node, "submitauxblock", "[\"" + work.hash_display + "\", \"xyz\"]")
            .find("auxpow is not hex") != std::string::npos);
  CHECK(rpc_error(node, "submitauxblock",
                  "[\"" + work.hash_display + "\", \"" + good.substr(2) + "\"]")
            .find("malformed auxpow") != std::string::npos);
  // Insufficient work.
  AuxPow weak = make_auxpow(reversed(*fixed_from_hex<32>(work.hash_display)), kAuxChainId,
                            AuxPowCommitment::coinbase_script);
  while (parent_meets_bits(weak, work.bits)) ++weak.parent.nonce;
  CHECK(rpc_error(node, "submitauxblock",
                  "[\"" + work.hash_display + "\", \"" + to_hex(weak.serialize()) + "\"]")
            .find("insufficient work") != std::string::npos);
  // A proof whose parent carries our chain id (strict chain ids): mined for another chain's view.
  AuxPow same_id = make_auxpow(reversed(*fixed_from_hex<32>(work.hash_display)), kAuxChainId,
                               AuxPowCommitment::coinbase_script, 0x7a2);
  same_id.parent.version = static_cast<std::int32_t>(kAuxChainId << 16);
  REQUIRE(mine_auxpow(same_id, work.bits, 1'000'000));
  CHECK(rpc_error(node, "submitauxblock",
                  "[\"" + work.hash_display + "\", \"" + to_hex(same_id.serialize()) + "\"]")
            .find("invalid auxpow") != std::string::npos);
  // Stale: the head moved, new work was handed out and finalized; the old range is gone.
  const AuxWork fresh = create_aux_block(node);
  REQUIRE(node.rpc("submitauxblock", "[\"" + fresh.hash_display + "\", \"" +
                                         mined_auxpow_hex(fresh) + "\"]") == "true");
  node.harness().advance(2000ms);
  REQUIRE(node.head().has_finalized);
  const std::uint64_t finalized = node.head().finalized_height;
  CHECK(rpc_error(node, "submitauxblock", "[\"" + work.hash_display + "\", \"" + good + "\"]")
            .find("unknown aux block hash") != std::string::npos);
  // Nothing of the refused ones went into a block.
  node.harness().advance(2000ms);
  CHECK(node.head().finalized_height == finalized);
  CHECK(node.harness().metric("chain", "chain_auxpow_rejected_total").value_or(0) == 6);
}

TEST_CASE("production pauses at max_blocks_without_pow and resumes after an AuxPoW",
          "[chain][auxpow]") {
  TempDir dir("chain-auxpow-pause");
  NodeSetup setup;
  setup.member = 0;
  setup.extra_chain_toml = auxpow_toml(5);
  TestNode node(dir, setup);
  node.harness().advance(12 * 2000ms);
  CHECK(node.head().height == 5);  // at most 5 blocks after the finalized genesis
  CHECK(node.harness().metric("chain", "chain_production_paused").value_or(0) == 1);
  CHECK(node.rpc("chain_status", "[]").find("\"production_paused\":true") != std::string::npos);

  const AuxWork work = create_aux_block(node);
  REQUIRE(node.rpc("submitauxblock", "[\"" + work.hash_display + "\", \"" + mined_auxpow_hex(work) +
                                         "\"]") == "true");
  node.harness().advance(2000ms);  // the block carrying the AuxPoW is produced even while paused
  CHECK(node.head().height == 6);
  CHECK(node.head().finalized_height == 5);
  CHECK(node.harness().metric("chain", "chain_production_paused").value_or(1) == 0);
  node.harness().advance(3 * 2000ms);
  CHECK(node.head().height == 9);
}

TEST_CASE("dev_mine finalizes by itself; a restart keeps finality and the difficulty state",
          "[chain][auxpow]") {
  TempDir dir("chain-auxpow-dev");
  NodeSetup setup;
  setup.member = 0;
  setup.extra_chain_toml = auxpow_toml(5, true);
  setup.storage_toml =
      "backend = \"leveldb\"\npath = \"" + (dir.path() / "chain.db").string() + "\"\n";
  std::uint64_t stopped_at = 0;
  std::uint64_t finalized = 0;
  {
    TestNode node(dir, setup);
    node.harness().advance(20 * 2000ms);
    CHECK(node.head().height == 20);
    finalized = node.head().finalized_height;
    CHECK(finalized == 19);  // every block carries the AuxPoW of the blocks before it
    stopped_at = node.harness().now_ms();
  }
  setup.start_ms = stopped_at + 2000;
  TestNode node(dir, setup);
  CHECK(node.head().finalized_height == finalized);
  node.harness().advance(5 * 2000ms);
  CHECK(node.head().finalized_height > finalized);
  CHECK(node.harness().metric("chain", "chain_blocks_rejected_total").value_or(0) == 0);
  const SignedBlock last = node.block_at(node.head().height);
  REQUIRE(last.block.auxpow.size() == 1);
  // Block 1 had nothing to finalize; every block since carries the AuxPoW of its parent range.
  CHECK(last.block.auxpow[0].height == last.block.height - 1);
}

TEST_CASE("a block whose AuxPoW header breaks a rule is rejected as bad_auxpow",
          "[chain][auxpow]") {
  TempDir dir("chain-auxpow-import");
  NodeSetup producer_setup;
  producer_setup.member = 0;
  producer_setup.extra_chain_toml = auxpow_toml(100, true);
  TestNode producer(dir, producer_setup);
  producer.harness().advance(3 * 2000ms);
  NodeSetup observer_setup;
  observer_setup.extra_chain_toml = auxpow_toml(100);
  observer_setup.start_ms = producer.harness().now_ms();
  TestNode observer(dir, observer_setup);
  REQUIRE(observer.import(producer.block_at(1)).imported);
  SignedBlock second = producer.block_at(2);
  REQUIRE(second.block.auxpow.size() == 1);
  SignedBlock spoiled = second;
  // A byte of the coinbase's commitment: the coinbase no longer hashes to the parent's root.
  spoiled.block.auxpow[0].auxpow.at(50) ^= 1;
  resign(spoiled, {0});
  auto result = observer.import(spoiled);
  CHECK(result.code == "bad_auxpow");
  CHECK_FALSE(observer.head().has_finalized);
  CHECK(observer.import(second).imported);
  CHECK(observer.head().finalized_height == 1);
}

TEST_CASE("an AuxPoW submitted to one node is offered to and used by another", "[chain][auxpow]") {
  TempDir dir("chain-auxpow-offer");
  NodeSetup author_setup;
  author_setup.member = 0;
  author_setup.extra_chain_toml = auxpow_toml(100);
  TestNode author(dir, author_setup);
  author.harness().subscribe(std::string(chain::kAuxPowQueuedTopic));
  author.harness().advance(3 * 2000ms);
  REQUIRE(author.head().height == 3);

  // An observer follows the author's blocks; a miner submits its AuxPoW there.
  NodeSetup observer_setup;
  observer_setup.start_ms = author.harness().now_ms();
  observer_setup.extra_chain_toml = auxpow_toml(100);
  TestNode observer(dir, observer_setup);
  observer.harness().subscribe(std::string(chain::kAuxPowQueuedTopic));
  for (std::uint64_t height = 1; height <= 3; ++height)
    REQUIRE(observer.import(author.block_at(height)).imported);
  const AuxWork work = create_aux_block(observer);
  CHECK(observer.rpc("submitauxblock", "[\"" + work.hash_display + "\", \"" +
                                           mined_auxpow_hex(work) + "\"]") == "true");
  auto queued = observer.harness().events(std::string(chain::kAuxPowQueuedTopic));
  REQUIRE(queued.size() == 1);
  const chain::OfferAuxPow offer = queued[0].as<chain::OfferAuxPow>();
  CHECK(offer.header.range_start == 1);
  CHECK(offer.header.range_end == 3);

  // A header that does not fit the author's chain is refused and counted, and not announced.
  chain::OfferAuxPow bad = offer;
  bad.header.range_start = 2;
  REQUIRE(author.harness().send("chain", bad).ok());
  author.harness().run();
  CHECK(author.harness().metric("chain", "chain_auxpow_offers_refused_total") == 1);
  CHECK(author.harness().events(std::string(chain::kAuxPowQueuedTopic)).empty());

  // The good one is queued and announced once; the same offer again changes nothing.
  REQUIRE(author.harness().send("chain", offer).ok());
  author.harness().run();
  REQUIRE(author.harness().send("chain", offer).ok());
  author.harness().run();
  CHECK(author.harness().metric("chain", "chain_auxpow_offers_queued_total") == 1);
  CHECK(author.harness().metric("chain", "chain_auxpow_offers_refused_total") == 2);
  CHECK(author.harness().events(std::string(chain::kAuxPowQueuedTopic)).size() == 1);

  author.harness().advance(2000ms);  // block 4 carries the observer's AuxPoW
  REQUIRE(author.head().height == 4);
  CHECK(author.head().finalized_height == 3);
  const SignedBlock carrier = author.block_at(4);
  REQUIRE(carrier.block.auxpow.size() == 1);
  CHECK(carrier.block.auxpow[0].auxpow == offer.header.auxpow);
}

TEST_CASE("import refuses a block past max_blocks_without_pow without an AuxPoW",
          "[chain][auxpow]") {
  TempDir dir("chain-auxpow-required");
  NodeSetup setup;  // an observer: it imports what it is given
  setup.extra_chain_toml = auxpow_toml(2);
  TestNode node(dir, setup);
  const std::uint64_t first_slot = kGenesisMs / 2000 + 1;
  node.harness().advance(3 * 2000ms);
  for (std::uint64_t i = 0; i < 2; ++i)
    REQUIRE(node.import(make_block(node, first_slot + i, {0}, 1)).imported);
  // Block 3 would leave 3 blocks after the finalized genesis: Alys's MissingRequiredPow.
  const auto refused = node.import(make_block(node, first_slot + 2, {0}, 1));
  CHECK_FALSE(refused.imported);
  CHECK(refused.code == "missing_required_pow");
  CHECK(node.head().height == 2);
}
