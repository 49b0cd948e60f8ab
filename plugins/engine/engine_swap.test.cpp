// Hot swaps of the real engine plugin (alys_engine.so and its test builds alys_engine_v2.so and
// alys_engine_bad_restore.so) in the in-process harness, with the real storage plugin: the state
// handed over must serve exactly as the old instance would have. The test plays the chain and a
// wallet, as engine.test.cpp does.
//
// Compiled in: a stand-in engine whose snapshot is whatever bytes the test gives it, so that the
// real engine's restore can be fed a forged, cut or corrupted snapshot.
#include <catch2/catch.hpp>

#include <boost/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "alys/crc32c.hpp"
#include "alys/plugin.hpp"
#include "alys/schemas/engine.hpp"
#include "alys/schemas/storage.hpp"
#include "alys/testing.hpp"
#include "engine/engine_state.hpp"
#include "engine/testing/engine_test_node.hpp"
#include "engine/testing/signed_transfers.hpp"

using namespace alys;
using namespace alys::engine;
using namespace alys::engine::testing;
using alys::testing::Harness;
using Catch::Matchers::Contains;
using Catch::Matchers::EndsWith;
namespace json = boost::json;

namespace {

constexpr const char* kEngine = ALYS_ENGINE_PLUGIN;
constexpr const char* kEngineV2 = ALYS_ENGINE_V2_PLUGIN;
constexpr const char* kEngineBadRestore = ALYS_ENGINE_BAD_RESTORE_PLUGIN;
constexpr const char* kStoragePlugin = ALYS_STORAGE_PLUGIN;
constexpr std::uint64_t kChainId = kTestChainId;
const std::string& kEngineConfig = kTestEngineConfig;

// The stand-in engine's instructions: the snapshot it will hand over next.
struct ForgeSnapshot {
  static constexpr std::string_view schema_name = "alys.test.engine_swap.ForgeSnapshot/1";
  Bytes bytes;
  std::uint32_t schema_version = 1;
  ALYS_FIELDS(bytes, schema_version)
};

class StandInEngine : public alys::Actor {
 public:
  explicit StandInEngine(alys::Context context) : Actor(context) {
    on<ForgeSnapshot>([this](const ForgeSnapshot& forged, const alys::Envelope&) {
      snapshot_ = {forged.bytes, forged.schema_version};
    });
  }
  alys::StateSnapshot snapshot(std::uint32_t) override { return snapshot_; }
  // Takes back whatever it handed over when a swap away from it rolls back.
  void restore(alys::ByteView bytes, std::uint32_t schema_version) override {
    snapshot_ = {Bytes(bytes.begin(), bytes.end()), schema_version};
  }

 private:
  alys::StateSnapshot snapshot_;
};

// A node of storage (memory backend) and the engine; the test is its chain and its wallet.
using Node = EngineTestNode;

// A node after genesis and one block, with transactions pending: an executable run per sender, a
// replaced transaction, a legacy one, and future-nonce ones behind a gap.
struct PendingPool {
  std::vector<Hash32> pooled;  // what the pool holds
  Hash32 replaced{};           // replaced by pooled[1]
  std::vector<Bytes> next_payload;

  explicit PendingPool(Node& node) {
    std::vector<Mint> alloc;
    for (std::uint8_t seed = 1; seed <= 5; ++seed) alloc.push_back(mint(address_of(seed), kEther));
    node.genesis(alloc);
    node.send_raw(sign(eip1559_transfer(kChainId, 0, address_of(9), 5, 3 * kGwei, kGwei), 1));
    node.produce(1);

    auto add = [&](const eth::SignedTransaction& tx) {
      REQUIRE(node.send_raw(tx.raw) == q(to_0x_hex(tx.hash)));
      pooled.push_back(tx.hash);
    };
    auto first = signed_tx(eip1559_transfer(kChainId, 1, address_of(9), 1, 3 * kGwei, kGwei), 1);
    add(first);
    replaced = first.hash;
    pooled.pop_back();
    add(signed_tx(eip1559_transfer(kChainId, 1, address_of(9), 1, 4 * kGwei, 2 * kGwei), 1));
    add(signed_tx(eip1559_transfer(kChainId, 2, address_of(9), 1, 4 * kGwei, 3 * kGwei), 1));
    add(signed_tx(eip1559_transfer(kChainId, 4, address_of(9), 1, 4 * kGwei, 3 * kGwei), 1));
    add(signed_tx(eip1559_transfer(kChainId, 0, address_of(9), 2, 3 * kGwei, kGwei), 2));
    add(signed_tx(eip1559_transfer(kChainId, 1, address_of(9), 2, 3 * kGwei, kGwei), 2));
    add(signed_tx(legacy_transfer(kChainId, 0, address_of(9), 3, 2 * kGwei), 3));
    add(signed_tx(eip1559_transfer(kChainId, 7, address_of(9), 4, 9 * kGwei, 5 * kGwei), 4));
    add(signed_tx(eip1559_transfer(kChainId, 0, address_of(9), 5, 3 * kGwei, kGwei), 5));
    PayloadBuilt built = node.build(2);
    REQUIRE(built.error.empty());
    next_payload = built.payload.transactions;
    REQUIRE(next_payload.size() == 6);  // sender 1's nonce 4 and sender 4's nonce 7 wait
  }
};

}  // namespace

ALYS_PLUGIN(StandInEngine, alys::PluginInfo{.role = "engine",
                                            .name = "test-stand-in-engine",
                                            .version = "1.0.0",
                                            .state_schema_version = 1,
                                            .capabilities = ALYS_CAP_SWAPPABLE});

TEST_CASE("v1 -> v2 -> v2 -> v1: the same transactions pending, found, and selected in order") {
  Node node;
  PendingPool pool(node);
  std::vector<std::string> found;
  for (const Hash32& hash : pool.pooled) found.push_back(node.transaction(hash));
  const Info before = node.info();
  CHECK(before.mempool_size == pool.pooled.size());
  CHECK_THAT(node.client_version(), EndsWith("/embedded"));

  auto same_as_before = [&] {
    Info now = node.info();
    CHECK(now.head_payload_hash == before.head_payload_hash);
    CHECK(now.state_root == before.state_root);
    CHECK(now.mempool_size == before.mempool_size);
    for (std::size_t i = 0; i < pool.pooled.size(); ++i)
      CHECK(node.transaction(pool.pooled[i]) == found[i]);
    CHECK(node.transaction(pool.replaced) == "null");
    // The next payload takes the same transactions in the same order (equal tips go by the
    // arrival order the pool kept).
    PayloadBuilt built = node.build(2);
    REQUIRE(built.error.empty());
    CHECK(built.payload.transactions == pool.next_payload);
    // Replacement rules apply to what was handed over.
    auto underpriced =
        signed_tx(eip1559_transfer(kChainId, 1, address_of(9), 1, 4 * kGwei, 2 * kGwei + 1), 1);
    CHECK_THROWS_WITH(node.send_raw(underpriced.raw),
                      Contains("replacement transaction underpriced"));
    CHECK(node.rpc("eth_getTransactionCount",
                   "[" + q(to_0x_hex(address_of(1))) + ", \"pending\"]") == q("0x3"));
    CHECK(node.harness().metric("engine", "engine_mempool_size") == before.mempool_size);
  };

  node.swap_to(kEngineV2);
  CHECK_THAT(node.client_version(), EndsWith("-v2/embedded"));
  CHECK(node.harness().metric("engine", "engine_state_handoffs") == 1);
  same_as_before();
  node.swap_to(kEngineV2);  // schema 2 to schema 2: the count goes on
  CHECK(node.harness().metric("engine", "engine_state_handoffs") == 2);
  same_as_before();
  node.swap_to(kEngine);  // v2 writes schema 1 for v1
  CHECK_THAT(node.client_version(), !EndsWith("-v2/embedded"));
  same_as_before();
  CHECK(node.harness().restarts("engine") == 0);

  // And the chain goes on: the block takes what was selected; the future ones stay pooled.
  ExecutionPayload block = node.produce(2);
  CHECK(block.transactions == pool.next_payload);
  CHECK(node.info().mempool_size == 2);
  CHECK(node.harness().dead_letters().empty());
}

TEST_CASE("an ExecutePayload and its CommitPayload split by a swap commit without a reload") {
  Node node;
  PendingPool pool(node);
  PayloadBuilt built = node.build(2);
  PayloadExecuted executed = node.execute(built.payload);
  REQUIRE(executed.error.empty());
  node.swap_to(kEngineV2);
  // Storage is not told: only the executed payload handed over can move the head now (a reload
  // from storage would find the old head).
  node.commit_to_engine(built.payload);
  Info head = node.info();
  CHECK(head.head_payload_hash == built.payload.block_hash);
  CHECK(head.state_root == built.payload.state_root);
  CHECK(head.mempool_size == 2);
  CHECK(node.transaction(pool.pooled[0]).find("\"blockNumber\":\"0x2\"") != std::string::npos);
}

TEST_CASE("a swap to a build that refuses the snapshot rolls back with the mempool intact") {
  Node node;
  PendingPool pool(node);
  const Info before = node.info();
  alys::testing::SwapResult refused = node.harness().swap("engine", kEngineBadRestore);
  CHECK_FALSE(refused.ok);
  CHECK(refused.stage == "restore");
  CHECK_THAT(refused.message,
             Contains("alys_engine_bad_restore: this build refuses every snapshot"));
  CHECK(node.harness().state("engine") == "running");
  CHECK_THAT(node.client_version(), !EndsWith("-bad-restore/embedded"));
  Info after = node.info();
  CHECK(after.mempool_size == before.mempool_size);
  CHECK(after.head_payload_hash == before.head_payload_hash);
  PayloadBuilt built = node.build(2);
  CHECK(built.payload.transactions == pool.next_payload);
}

TEST_CASE(
    "the real engine's restore refuses a cut, padded or corrupted snapshot, and an unknown "
    "schema") {
  // A state the engine's own code wrote: no genesis yet, two transfers pooled.
  EngineState state(100);
  state.chain_id = kChainId;
  state.loaded = true;
  auto pooled = signed_tx(eip1559_transfer(kChainId, 0, address_of(9), 1, 3 * kGwei, kGwei), 1);
  REQUIRE(state.mempool.add(pooled).empty());
  REQUIRE(state.mempool.add(signed_tx(legacy_transfer(kChainId, 3, address_of(9), 1), 2)).empty());
  const Bytes image = write_engine_state(state, 1);

  Harness harness;
  harness.add("storage", kStoragePlugin, "backend = \"memory\"\n");
  harness.add("engine", alys::testing::this_plugin(), kEngineConfig, {"storage"});
  harness.start();
  auto swap_with = [&](Bytes bytes, std::uint32_t schema) {
    REQUIRE(harness.send("engine", ForgeSnapshot{std::move(bytes), schema}).ok());
    harness.run();
    return harness.swap("engine", kEngine);
  };

  Bytes cut(image.begin(), image.begin() + static_cast<std::ptrdiff_t>(image.size() / 2));
  Bytes padded = image;
  padded.push_back(7);
  // A raw transaction's byte flipped (the arena is last but for the executed payloads' and held
  // requests' counts and the checksum): pooled, it would break every payload built after.
  Bytes bad_raw = image;
  bad_raw.at(image.size() - 4 - 2 - 10) ^= 0x01;
  Bytes bad_type = image;
  // The first pooled transaction's type: after chain id, loaded, finalized (8 + 1 + 1 + 8), an
  // empty ledger and history (4 counts), the pool's counter, entry count and arena size (8 + 1 +
  // 2), the entry's arrival, hash, sender, nonce and fee caps (8 + 32 + 20 + 8 + 16 + 16); given
  // a checksum of its new bytes, so that the parser's check is reached.
  bad_type.at(18 + 4 + 11 + 100) = 0x05;
  bad_type.resize(bad_type.size() - 4);
  const std::uint32_t resealed = crc32c(bad_type);
  for (int i = 0; i < 4; ++i) bad_type.push_back(static_cast<std::uint8_t>(resealed >> (8 * i)));
  struct Forged {
    const char* what;
    Bytes bytes;
    std::uint32_t schema;
    std::string message;
  };
  std::vector<Forged> forged{
      {"cut", cut, 1, "engine state schema 1: checksum mismatch: truncated or corrupt"},
      {"padded", padded, 1, "engine state schema 1: checksum mismatch: truncated or corrupt"},
      {"bad raw byte", bad_raw, 1,
       "engine state schema 1: checksum mismatch: truncated or corrupt"},
      {"bad type", bad_type, 1, "engine state schema 1: pooled transaction of unknown type 5"},
      {"empty", {}, 1, "engine state schema 1: checksum mismatch: truncated or corrupt"},
      {"schema 2 for a v1 build", image, 2, "alys-engine restores state schema 1 to 1, got 2"},
  };
  for (const Forged& attempt : forged) {
    INFO(attempt.what);
    alys::testing::SwapResult refused = swap_with(attempt.bytes, attempt.schema);
    CHECK_FALSE(refused.ok);
    CHECK(refused.stage == "restore");
    CHECK_THAT(refused.message, Contains(attempt.message));
    CHECK(harness.state("engine") == "running");  // the stand-in, rolled back
  }

  // The genuine image: the engine serves what it holds at once.
  alys::testing::SwapResult swapped = swap_with(image, 1);
  INFO(swapped.message);
  REQUIRE(swapped.ok);
  std::uint64_t id = harness.request("engine", GetInfo{}, 5000);
  harness.run();
  auto info = harness.reply_as<Info>(id);
  REQUIRE(info);
  CHECK(info->mempool_size == 2);
  CHECK_FALSE(info->has_head);
  CHECK(harness.call_rpc("eth_getTransactionByHash", "[" + q(to_0x_hex(pooled.hash)) + "]") !=
        "null");
}

TEST_CASE("a snapshot for another chain id fails the start, and the swap rolls back") {
  EngineState state(100);
  state.chain_id = kChainId + 1;
  state.loaded = true;
  Harness harness;
  harness.add("storage", kStoragePlugin, "backend = \"memory\"\n");
  harness.add("engine", alys::testing::this_plugin(), kEngineConfig, {"storage"});
  harness.start();
  REQUIRE(harness.send("engine", ForgeSnapshot{write_engine_state(state, 1), 1}).ok());
  harness.run();
  alys::testing::SwapResult refused = harness.swap("engine", kEngine);
  CHECK_FALSE(refused.ok);
  CHECK(refused.stage == "start");
  CHECK_THAT(refused.message, Contains("the handed-over engine state is for chain id 263635, this "
                                       "engine is configured for 263634"));
}
