// The engine plugin as a node runs it: the plugin files this build produced (engine, and storage
// with its memory or leveldb backend) in the in-process harness. The test plays the chain's side
// of the protocol (alys/schemas/engine.hpp): build, execute, commit to storage, commit to the
// engine; and a wallet's side over JSON-RPC.
#include <catch2/catch.hpp>

#include <boost/json.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "alys/admin_rpc.hpp"
#include "alys/plugin.hpp"
#include "alys/schemas/engine.hpp"
#include "alys/schemas/storage.hpp"
#include "alys/testing.hpp"
#include "engine/testing/engine_test_node.hpp"
#include "engine/testing/signed_transfers.hpp"
#include "temp_dir.hpp"

using namespace alys;
using namespace alys::engine;
using namespace alys::engine::testing;
using alys::Envelope;
using alys::testing::Harness;
using Catch::Matchers::Contains;
using Catch::Matchers::Equals;
using Catch::Matchers::StartsWith;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

constexpr const char* kEnginePlugin = ALYS_ENGINE_PLUGIN;
constexpr const char* kEngineV2Plugin = ALYS_ENGINE_V2_PLUGIN;
constexpr const char* kStoragePlugin = ALYS_STORAGE_PLUGIN;
constexpr std::uint64_t kGenesisMs = kTestGenesisMs;

// ethers 6.17.0 signed this type 2 transfer (tests/data/ethers_signed_transactions.json, the
// first vector): 1 ether to 0x3535..35 on chain 263634, nonce 0, max fee 30 gwei, tip 1 gwei.
constexpr std::uint64_t kChainId = kTestChainId;
constexpr const char* kEthersRaw =
    "0x02f876830405d280843b9aca008506fc23ac00825208943535353535353535353535353535353535353535880de0"
    "b6b3a764000080c080a0b875ec69f6f093d039b1d33ee51ee51a126b729bde28f4eefeb3a000b5d4c98fa0699a4290"
    "6d253a2ee209da1933a12ea4276548056eea9647694ef9824a32d6f7";
constexpr const char* kEthersHash =
    "0x9e318e893cc92d2a2b7fc64f5abbbbeb5881be3749144adea3560568d1c0a793";
constexpr const char* kEthersFrom = "0x2c7536e3605d9c16a7a3d7b1898e529396a65c23";
constexpr const char* kEthersTo = "0x3535353535353535353535353535353535353535";

const std::string& kEngineConfig = kTestEngineConfig;

std::string leveldb_storage(const std::filesystem::path& dir) {
  return "backend = \"leveldb\"\npath = \"" + (dir / "chain.db").string() + "\"\n";
}

EthAddress ethers_sender() { return *fixed_from_hex<20>(kEthersFrom); }

// A node with storage and the engine; the test is its chain and its wallet.
using Node = EngineTestNode;

static_assert(type_id_of<RpcCall>() == ALYS_TYPE_RPC_CALL);

// A storage role compiled into this test: it holds every ScanEngineState until the test sends
// ReleaseScans, then answers each with an empty page. It lets the test see the engine before its
// state has loaded.
struct ReleaseScans {
  static constexpr std::string_view schema_name = "alys.test.engine.ReleaseScans/1";
  bool unused = false;
  ALYS_FIELDS(unused)
};

class HeldStorage : public alys::Actor {
 public:
  explicit HeldStorage(alys::Context context) : Actor(context) {
    on<storage::ScanEngineState>([this](const storage::ScanEngineState&, const Envelope& envelope) {
      held_.push_back(envelope.correlation_id);
      this->context().counter_add("scans_received_total");
    });
    on<ReleaseScans>([this](const ReleaseScans&, const Envelope&) {
      for (std::uint64_t id : held_) (void)this->context().reply(id, storage::EngineStatePage{});
      held_.clear();
    });
  }

 private:
  std::vector<std::uint64_t> held_;
};

}  // namespace

ALYS_PLUGIN(HeldStorage,
            alys::PluginInfo{.role = "storage", .name = "test-held-storage", .version = "1.0.0"});

TEST_CASE("requests wait, in order, until the state has loaded; RPC calls are refused meanwhile") {
  Harness harness;
  harness.add("storage", alys::testing::this_plugin());
  harness.add("engine", kEnginePlugin, kEngineConfig, {"storage"});
  harness.start();
  CHECK(harness.metric("storage", "scans_received_total") == 1);

  std::uint64_t info_id = harness.request("engine", GetInfo{}, 60'000);
  std::uint64_t genesis_id = harness.request("engine", BuildGenesis{kGenesisMs, {}}, 60'000);
  harness.run();
  CHECK_FALSE(harness.reply(info_id).has_value());
  CHECK_FALSE(harness.reply(genesis_id).has_value());
  CHECK_THROWS_WITH(harness.call_rpc("eth_blockNumber", "[]"),
                    Contains("engine state is still loading"));

  // Storage does not answer within the scan's deadline (10 s): the engine tries again 1 s later.
  harness.advance(11s);
  CHECK(harness.metric("storage", "scans_received_total") == 2);
  CHECK_FALSE(harness.reply(info_id).has_value());

  REQUIRE(harness.send("storage", ReleaseScans{}).ok());
  harness.run();
  auto info = harness.reply_as<Info>(info_id);
  auto genesis = harness.reply_as<PayloadBuilt>(genesis_id);
  REQUIRE(info);
  REQUIRE(genesis);
  CHECK_FALSE(info->has_head);
  CHECK(genesis->error.empty());
  CHECK(genesis->payload.number == 0);
  // Answered in the order they came.
  std::vector<std::uint64_t> order;
  for (const auto& received : harness.received())
    if (received.correlation_id == info_id || received.correlation_id == genesis_id)
      order.push_back(received.correlation_id);
  CHECK(order == std::vector<std::uint64_t>{info_id, genesis_id});
  CHECK(harness.call_rpc("eth_chainId", "[]") == q("0x405d2"));
}

TEST_CASE("requests held while the state loads are answered by the instance a swap brings in") {
  Harness harness;
  harness.add("storage", alys::testing::this_plugin());
  harness.add("engine", kEnginePlugin, kEngineConfig, {"storage"});
  harness.start();
  std::uint64_t info_id = harness.request("engine", GetInfo{}, 60'000);
  std::uint64_t genesis_id = harness.request("engine", BuildGenesis{kGenesisMs, {}}, 60'000);
  harness.run();
  REQUIRE_FALSE(harness.reply(info_id).has_value());

  // The old instance's scan dies with it: the new one begins the load again.
  alys::testing::SwapResult swapped = harness.swap("engine", kEngineV2Plugin);
  REQUIRE(swapped.ok);
  CHECK(swapped.mode == "state");
  CHECK(harness.metric("storage", "scans_received_total") == 2);
  CHECK_FALSE(harness.reply(info_id).has_value());

  REQUIRE(harness.send("storage", ReleaseScans{}).ok());
  harness.run();
  auto info = harness.reply_as<Info>(info_id);
  auto genesis = harness.reply_as<PayloadBuilt>(genesis_id);
  REQUIRE(info);
  REQUIRE(genesis);
  CHECK_FALSE(info->has_head);
  CHECK(genesis->error.empty());
  std::vector<std::uint64_t> order;
  for (const auto& received : harness.received())
    if (received.correlation_id == info_id || received.correlation_id == genesis_id)
      order.push_back(received.correlation_id);
  CHECK(order == std::vector<std::uint64_t>{info_id, genesis_id});
  CHECK_THAT(harness.call_rpc("web3_clientVersion", "[]"), Contains("-v2/embedded"));
  CHECK(harness.dead_letters().empty());
}

TEST_CASE("a wallet's transfers: JSON-RPC in, a block built and imported, balances and receipts") {
  Node node(kMemoryStorage);
  Info empty = node.info();
  CHECK(empty.error.empty());
  CHECK(empty.chain_id == kChainId);
  CHECK_FALSE(empty.has_head);

  const EthAddress fee_recipient = address_of(77);
  ExecutionPayload genesis =
      node.genesis({mint(ethers_sender(), 5 * kEther), mint(address_of(1), 5 * kEther)});
  Info after_genesis = node.info();
  CHECK(after_genesis.has_head);
  CHECK(after_genesis.head_number == 0);
  CHECK(after_genesis.head_payload_hash == genesis.block_hash);
  CHECK(after_genesis.state_root == genesis.state_root);
  CHECK(node.rpc("eth_chainId") == q("0x405d2"));
  CHECK(node.rpc("eth_blockNumber") == q("0x0"));
  CHECK(node.balance(ethers_sender()) == q("0x4563918244f40000"));  // 5 ether

  // A wallet's flow: the nonce to use, the gas, then the signed transaction.
  CHECK(node.rpc("eth_getTransactionCount", "[" + q(kEthersFrom) + ", \"pending\"]") == q("0x0"));
  CHECK(node.rpc("eth_estimateGas", "[{\"from\": " + q(kEthersFrom) + ", \"to\": " + q(kEthersTo) +
                                        ", \"value\": \"0xde0b6b3a7640000\"}]") == q("0x5208"));
  CHECK(node.rpc("eth_sendRawTransaction", "[" + q(kEthersRaw) + "]") == q(kEthersHash));
  // Our own legacy transfer at 3 gwei (tip 2 gwei), and a second one from the same key.
  auto legacy = signed_tx(legacy_transfer(kChainId, 0, address_of(2), kEther, 3 * kGwei), 1);
  auto second = signed_tx(eip1559_transfer(kChainId, 1, address_of(2), 1, 5 * kGwei, kGwei), 1);
  CHECK(node.send_raw(legacy.raw) == q(to_0x_hex(legacy.hash)));
  CHECK(node.send_raw(second.raw) == q(to_0x_hex(second.hash)));
  CHECK(node.rpc("eth_getTransactionCount", "[" + q(to_0x_hex(address_of(1))) + ", \"pending\"]") ==
        q("0x2"));
  CHECK(node.rpc_json("eth_getTransactionByHash", "[" + q(kEthersHash) + "]")
            .at("blockHash")
            .is_null());
  CHECK(node.info().mempool_size == 3);
  CHECK(node.metric("engine_mempool_size") == 3);
  CHECK(node.metric("engine_transactions_accepted_total") == 3);

  ExecutionPayload block = node.produce(1, fee_recipient);
  CHECK(block.number == 1);
  CHECK(block.parent_hash == genesis.block_hash);
  CHECK(block.timestamp_s == kGenesisMs / 1000 + 2);
  // Best tip first: the legacy transfer (2 gwei) before ethers' (1 gwei); key 1's second after its
  // first (tip 1 gwei, but it arrived after ethers').
  REQUIRE(block.transactions.size() == 3);
  CHECK(block.transactions[0] == legacy.raw);
  CHECK(to_0x_hex(block.transactions[1]) == kEthersRaw);
  CHECK(block.transactions[2] == second.raw);
  CHECK(block.gas_used == 63'000);

  Info head = node.info();
  CHECK(head.head_number == 1);
  CHECK(head.head_payload_hash == block.block_hash);
  CHECK(head.state_root == block.state_root);
  CHECK(head.mempool_size == 0);
  CHECK(node.metric("engine_mempool_size") == 0);
  CHECK(node.metric("engine_payloads_built_total") == 2);
  CHECK(node.metric("engine_payloads_executed_total") == 2);

  // ethers' sender paid 1 ether + 21000 * 2 gwei (price min(30, 1 + 1) gwei).
  CHECK(node.balance(ethers_sender()) == q(wei_to_quantity(4 * kEther - 21'000 * 2 * kGwei)));
  CHECK(node.balance(*fixed_from_hex<20>(kEthersTo)) == q("0xde0b6b3a7640000"));
  CHECK(node.balance(address_of(1)) ==
        q(wei_to_quantity(4 * kEther - 1 - 21'000 * 3 * kGwei - 21'000 * 2 * kGwei)));
  CHECK(node.balance(address_of(2)) == q(wei_to_quantity(kEther + 1)));
  // Tips: 2 gwei + 1 gwei + 1 gwei per gas; the base fee was burned.
  CHECK(node.balance(fee_recipient) == q(wei_to_quantity(21'000 * 4 * kGwei)));
  CHECK(node.rpc("eth_getTransactionCount", "[" + q(kEthersFrom) + ", \"latest\"]") == q("0x1"));
  CHECK(node.rpc("eth_getTransactionCount", "[" + q(to_0x_hex(address_of(1))) + ", \"pending\"]") ==
        q("0x2"));

  json::value receipt = node.rpc_json("eth_getTransactionReceipt", "[" + q(kEthersHash) + "]");
  CHECK(receipt.at("status") == "0x1");
  CHECK(receipt.at("blockNumber") == "0x1");
  CHECK(receipt.at("blockHash") == json::string(to_0x_hex(block.block_hash)));
  CHECK(receipt.at("transactionIndex") == "0x1");
  CHECK(receipt.at("cumulativeGasUsed") == "0xa410");  // 42000
  CHECK(receipt.at("effectiveGasPrice") == "0x77359400");
  CHECK(receipt.at("from") == json::string(kEthersFrom));
  json::value latest = node.rpc_json("eth_getBlockByNumber", R"(["latest", false])");
  CHECK(latest.at("hash") == json::string(to_0x_hex(block.block_hash)));
  CHECK(latest.at("stateRoot") == json::string(to_0x_hex(block.state_root)));
  CHECK(latest.at("miner") == json::string(to_0x_hex(fee_recipient)));
  CHECK(latest.at("transactions").as_array().size() == 3);
  CHECK(node.harness().dead_letters().empty());
}

TEST_CASE("refused transactions: each a JSON-RPC error, and nothing changes") {
  Node node(kMemoryStorage);
  node.genesis({mint(address_of(1), kEther)});
  auto first = signed_tx(eip1559_transfer(kChainId, 0, address_of(2), 1000), 1);
  node.send_raw(first.raw);
  node.produce(1);
  const Info before = node.info();
  const std::string balance = node.balance(address_of(1));

  struct Refusal {
    const char* what;
    Bytes raw;
    std::string message;
  };
  auto data_tx = eip1559_transfer(kChainId, 1, address_of(2), 0);
  data_tx.data = {0xa9, 0x05, 0x9c, 0xbb};
  data_tx.gas_limit = 60'000;
  auto create = eip1559_transfer(kChainId, 1, address_of(2), 0);
  create.to.reset();
  create.data = {0x60, 0x80};
  create.gas_limit = 100'000;
  std::vector<Refusal> refusals = {
      {"bad signature",
       with_signature_r(sign(eip1559_transfer(kChainId, 1, address_of(2), 5), 1), {}),
       "invalid signature: r out of range"},
      {"reused nonce", sign(eip1559_transfer(kChainId, 0, address_of(3), 5), 1),
       "nonce too low: next nonce 1, tx nonce 0"},
      {"insufficient balance", sign(eip1559_transfer(kChainId, 1, address_of(2), kEther), 1),
       "insufficient funds for gas * price + value: balance " +
           wei_to_decimal(kEther - 1000 - 21'000 * kGwei) + ", tx cost " +
           wei_to_decimal(kEther + 21'000 * 2 * kGwei)},
      {"contract data", sign(data_tx, 1),
       "transaction data is not supported by the embedded engine (value transfers only)"},
      {"contract creation", sign(create, 1),
       "contract creation is not supported by the embedded engine (value transfers only)"},
      {"wrong chain", sign(eip1559_transfer(1, 1, address_of(2), 5), 1),
       "invalid chain id: expected 263634, got 1"},
      {"not a transaction", Bytes{0x80, 0x01}, "not a transaction"},
  };
  for (const Refusal& refusal : refusals) {
    INFO(refusal.what);
    RpcAnswer answer =
        node.rpc_answer("eth_sendRawTransaction", "[" + q(to_0x_hex(refusal.raw)) + "]");
    CHECK_FALSE(answer.ok);
    CHECK(answer.code == -32000);
    CHECK_THAT(answer.text, StartsWith(refusal.message));
  }
  CHECK(node.rpc_answer("eth_sendRawTransaction", R"(["not hex"])").code == -32602);
  CHECK(node.metric("engine_transactions_rejected_total") == refusals.size() + 1);
  CHECK(node.metric("engine_transactions_accepted_total") == 1);

  Info after = node.info();
  CHECK(after.state_root == before.state_root);
  CHECK(after.head_number == before.head_number);
  CHECK(after.mempool_size == 0);
  CHECK(node.balance(address_of(1)) == balance);
  // A block built now carries nothing.
  PayloadBuilt empty = node.build(2);
  CHECK(empty.payload.transactions.empty());
}

TEST_CASE("tampered payloads are rejected, each with its own error, and change nothing") {
  Node node(kMemoryStorage);
  node.genesis({mint(address_of(1), 10 * kEther)});
  for (std::uint64_t nonce = 0; nonce < 3; ++nonce)
    node.send_raw(sign(legacy_transfer(kChainId, nonce, address_of(2), kEther, 2 * kGwei), 1));
  PayloadBuilt built = node.build(1, address_of(9));
  REQUIRE(built.error.empty());
  const ExecutionPayload good = built.payload;
  REQUIRE(good.transactions.size() == 3);
  const Info before = node.info();

  auto rehash = [](ExecutionPayload payload) {
    payload.block_hash = payload_hash(payload);
    return payload;
  };
  struct Tamper {
    const char* what;
    ExecutionPayload payload;
    std::string error;
  };
  std::vector<Tamper> tampers;
  {
    ExecutionPayload p = good;
    p.state_root[0] ^= 0xff;
    tampers.push_back({"state root", rehash(p),
                       "payload state root " + to_0x_hex(p.state_root) + ", computed " +
                           to_0x_hex(good.state_root)});
  }
  {
    ExecutionPayload p = good;
    p.transactions.pop_back();
    tampers.push_back(
        {"a transaction removed", rehash(p), "payload gas used 63000, executed 42000"});
  }
  {
    ExecutionPayload p = good;
    p.gas_used = 21'000;
    tampers.push_back({"gas used", rehash(p), "payload gas used 21000, executed 63000"});
  }
  {
    ExecutionPayload p = good;
    p.parent_hash[3] ^= 1;
    tampers.push_back({"parent", rehash(p),
                       "payload parent " + to_0x_hex(p.parent_hash) + " is not the engine's head " +
                           to_0x_hex(before.head_payload_hash) + " (block 0)"});
  }
  {
    ExecutionPayload p = good;
    p.number = 5;
    tampers.push_back({"number", rehash(p), "payload number 5, expected 1"});
  }
  {
    ExecutionPayload p = good;
    p.block_hash[0] ^= 1;
    tampers.push_back({"block hash", p,
                       "payload block hash " + to_0x_hex(p.block_hash) + ", computed " +
                           to_0x_hex(good.block_hash)});
  }
  for (const Tamper& tamper : tampers) {
    INFO(tamper.what);
    PayloadExecuted executed = node.execute(tamper.payload);
    CHECK_THAT(executed.error, Equals(tamper.error));
    CHECK(executed.state_puts.empty());
    // A CommitPayload for the rejected payload moves nothing (the engine reloads, finds storage
    // unchanged, and stays where it was).
    REQUIRE(node.harness().send("engine", CommitPayload{tamper.payload.block_hash}).ok());
    node.harness().run();
    Info now = node.info();
    CHECK(now.state_root == before.state_root);
    CHECK(now.head_payload_hash == before.head_payload_hash);
  }
  CHECK(node.metric("engine_payload_rejected_total") == tampers.size());
  // The transactions are still pooled: the reloads keep the mempool.
  CHECK(node.info().mempool_size == 3);

  // The genuine payload still imports.
  node.import(good, node.execute(good));
  CHECK(node.info().head_payload_hash == good.block_hash);
  CHECK(node.info().mempool_size == 0);
}

constexpr std::uint32_t kManyAccounts = 5000;

// 0x00..00 || i (4 bytes, big-endian): addresses nobody has the key of, to fill the state.
EthAddress numbered_address(std::uint32_t i) {
  EthAddress address{};
  for (int b = 0; b < 4; ++b) address[19 - b] = static_cast<std::uint8_t>(i >> (8 * b));
  return address;
}

TEST_CASE("a restarted node reloads the same state from leveldb and carries on") {
  alys::testing::TempDir dir("alys-engine");
  Info before;
  std::string hash_of_mined;
  std::string receipt_before;
  {
    Node node(leveldb_storage(dir.path()));
    // Enough accounts that the engine's key space takes two scan pages (4096 entries each).
    std::vector<Mint> alloc{mint(address_of(1), 10 * kEther)};
    for (std::uint32_t i = 1; i <= kManyAccounts; ++i)
      alloc.push_back(mint(numbered_address(i), i));
    node.genesis(alloc);
    for (std::uint64_t slot = 1; slot <= 3; ++slot) {
      auto tx = signed_tx(legacy_transfer(kChainId, slot - 1, address_of(2), kEther, 2 * kGwei), 1);
      node.send_raw(tx.raw);
      hash_of_mined = to_0x_hex(tx.hash);
      // A peg-in style mint in block 2.
      node.produce(slot, address_of(9),
                   slot == 2 ? std::vector<Mint>{mint(address_of(5), 123)} : std::vector<Mint>{});
    }
    before = node.info();
    receipt_before = node.rpc("eth_getTransactionReceipt", "[" + q(hash_of_mined) + "]");
  }

  Node node(leveldb_storage(dir.path()));
  Info after = node.info();
  CHECK(after.has_head);
  CHECK(after.head_number == 3);
  CHECK(after.head_payload_hash == before.head_payload_hash);
  CHECK(after.state_root == before.state_root);
  CHECK(node.balance(address_of(2)) == q(wei_to_quantity(3 * kEther)));
  CHECK(node.balance(address_of(5)) == q("0x7b"));
  CHECK(node.balance(numbered_address(kManyAccounts)) == q(wei_to_quantity(kManyAccounts)));
  CHECK(node.rpc("eth_getTransactionCount", "[" + q(to_0x_hex(address_of(1))) + ", \"latest\"]") ==
        q("0x3"));
  CHECK(node.rpc("eth_getTransactionReceipt", "[" + q(hash_of_mined) + "]") == receipt_before);
  CHECK(node.rpc_json("eth_getBlockByNumber", R"(["0x2", false])").at("number") == "0x2");

  node.send_raw(sign(legacy_transfer(kChainId, 3, address_of(2), kEther, 2 * kGwei), 1));
  ExecutionPayload next = node.produce(4, address_of(9));
  CHECK(next.number == 4);
  CHECK(next.parent_hash == before.head_payload_hash);
  CHECK(node.balance(address_of(2)) == q(wei_to_quantity(4 * kEther)));
}

TEST_CASE("a store written for another chain id is refused") {
  alys::testing::TempDir dir("alys-engine");
  {
    Node node(leveldb_storage(dir.path()));
    node.genesis({mint(address_of(1), kEther)});
  }
  Node node(leveldb_storage(dir.path()), "chain_id = 5\n");
  CHECK_THROWS_WITH(node.rpc("eth_chainId"), Contains("engine state is still loading"));
  CHECK(node.harness().state("engine") == "running");
}

TEST_CASE("a CommitPayload for a payload no longer cached reloads the state from storage") {
  Node node(kMemoryStorage);
  node.genesis({mint(address_of(1), 10 * kEther)});
  node.send_raw(sign(legacy_transfer(kChainId, 0, address_of(2), kEther), 1));
  PayloadBuilt chosen = node.build(1);
  PayloadExecuted executed = node.execute(chosen.payload);
  REQUIRE(executed.error.empty());
  // Sixteen competing payloads (other timestamps) push the chosen one out of the cache.
  for (std::uint64_t slot = 2; slot < 18; ++slot) {
    PayloadBuilt sibling = node.build(slot);
    REQUIRE(node.execute(sibling.payload).error.empty());
  }
  node.import(chosen.payload, executed);
  Info head = node.info();
  CHECK(head.head_payload_hash == chosen.payload.block_hash);
  CHECK(head.state_root == chosen.payload.state_root);
  CHECK(node.balance(address_of(2)) == q("0xde0b6b3a7640000"));
  CHECK(head.mempool_size == 0);  // the included transaction left the pool after the reload
}

TEST_CASE("genesis and payload requests are refused in the wrong state") {
  Node node(kMemoryStorage);
  PayloadBuilt no_head = node.build(1);
  CHECK_THAT(no_head.error, Equals("the engine has no head yet: build the genesis first"));
  ExecutionPayload genesis = node.genesis({});
  PayloadBuilt again = node.ask<PayloadBuilt>("engine", BuildGenesis{kGenesisMs, {}});
  CHECK_THAT(again.error, StartsWith("the engine already has a head: block 0"));
  CHECK_THAT(node.execute(genesis, {}, true).error,
             StartsWith("a genesis payload is only valid before the first block"));
  BuildPayload stale;
  stale.parent_payload_hash[0] = 1;
  stale.timestamp_ms = kGenesisMs + 2000;
  CHECK_THAT(node.ask<PayloadBuilt>("engine", stale).error, StartsWith("payload parent 0x01"));

  // A request sent without a reply address cannot be answered: dead-lettered, the engine carries
  // on.
  REQUIRE(node.harness().send("engine", GetInfo{}).ok());
  node.harness().run();
  REQUIRE(node.harness().dead_letters().size() == 1);
  CHECK_THAT(node.harness().dead_letters()[0].reason, Contains("must be sent as a request"));
  CHECK(node.harness().state("engine") == "running");
  CHECK(node.harness().restarts("engine") == 0);
  CHECK(node.info().head_payload_hash == genesis.block_hash);
}

TEST_CASE("settings are checked when the engine starts") {
  auto start_error = [](const std::string& engine_toml) {
    Harness harness;
    harness.add("storage", kStoragePlugin, kMemoryStorage);
    harness.add("engine", kEnginePlugin, engine_toml, {"storage"});
    try {
      harness.start();
    } catch (const std::exception& error) {
      return std::string(error.what());
    }
    return std::string("started");
  };
  CHECK_THAT(start_error("chain_id = 5\nbackend = \"geth\"\n"),
             Contains("unknown backend 'geth'; valid backends: embedded, engine-api"));
  // The engine-api backend: the secret file is read before anything is asked of the client.
  CHECK_THAT(start_error("chain_id = 5\nbackend = \"engine-api\"\n"
                         "jwt_secret_file = \"/nonexistent/alys-jwt.hex\"\n"),
             Contains("jwt_secret_file") && Contains("/nonexistent/alys-jwt.hex"));
  CHECK_THAT(start_error(""), Contains("chain_id: missing"));
  CHECK_THAT(start_error("chain_id = 5\nmempool_limt = 3\n"),
             Contains("mempool_limt: unknown key"));
  CHECK(start_error("chain_id = 5\nbase_fee_wei = \"7\"\n") == "started");
}

TEST_CASE("pooled transactions are published once, from RPC and from peers alike") {
  Node node(kMemoryStorage);
  node.genesis({mint(address_of(1), 5 * kEther)});
  node.harness().subscribe(kTransactionPooledTopic);
  auto from_wallet =
      signed_tx(eip1559_transfer(kChainId, 0, address_of(2), 1, 5 * kGwei, kGwei), 1);
  auto from_peer = signed_tx(eip1559_transfer(kChainId, 1, address_of(2), 1, 5 * kGwei, kGwei), 1);
  auto unpayable =
      signed_tx(eip1559_transfer(kChainId, 0, address_of(3), kEther, 5 * kGwei, kGwei), 9);

  CHECK(node.send_raw(from_wallet.raw) == q(to_0x_hex(from_wallet.hash)));
  REQUIRE(node.harness().send("engine", SubmitTransaction{from_peer.raw}).ok());
  // Gossip echoes: the same transactions again, from a peer. Then one the sender cannot pay for.
  REQUIRE(node.harness().send("engine", SubmitTransaction{from_wallet.raw}).ok());
  REQUIRE(node.harness().send("engine", SubmitTransaction{from_peer.raw}).ok());
  REQUIRE(node.harness().send("engine", SubmitTransaction{unpayable.raw}).ok());
  node.harness().run();

  std::vector<TransactionPooled> published;
  for (const auto& event : node.harness().events(kTransactionPooledTopic))
    published.push_back(event.as<TransactionPooled>());
  REQUIRE(published.size() == 2);
  CHECK(published[0].hash == from_wallet.hash);
  CHECK(published[0].raw == from_wallet.raw);
  CHECK(published[1].hash == from_peer.hash);
  CHECK(published[1].raw == from_peer.raw);
  CHECK(node.info().mempool_size == 2);
  CHECK(node.metric("engine_transactions_from_peers_total") == 1);
  CHECK(node.metric("engine_transactions_known_total") == 2);
  CHECK(node.metric("engine_transactions_rejected_total") == 1);
  // The peer's transaction is served like a wallet's.
  CHECK(node.rpc_json("eth_getTransactionByHash", "[" + q(to_0x_hex(from_peer.hash)) + "]")
            .at("hash")
            .as_string() == to_0x_hex(from_peer.hash));
}
