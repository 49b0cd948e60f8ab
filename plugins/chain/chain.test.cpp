// The chain with the real storage and engine plugins, in the harness on a virtual clock: production
// over many slots and a replay into a fresh node, bad blocks, approvals, restart from storage.
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "alys/domain/eth_transaction.hpp"
#include "alys/domain/wei.hpp"
#include "alys/schemas/chain.hpp"
#include "alys/schemas/chain_events.hpp"
#include "alys/schemas/engine.hpp"
#include "alys/schemas/storage.hpp"
#include "alys/testing.hpp"
#include "temp_dir.hpp"

using namespace alys;
using namespace std::chrono_literals;
using alys::testing::Harness;
using alys::testing::HarnessOptions;
using alys::testing::TempDir;

namespace {

constexpr std::uint64_t kChainId = 263634;
constexpr std::uint64_t kGenesisMs = 1'700'000'000'000;

SecretKey key(std::uint8_t seed) {
  std::array<std::uint8_t, 32> bytes{};
  bytes[0] = 0x5e;
  bytes[31] = seed;
  return *SecretKey::from_bytes(bytes);
}

const SecretKey& funded_key() {
  static const SecretKey funded = key(0xf0);
  return funded;
}
EthAddress funded_address() { return eth_address(funded_key().uncompressed_public_key()); }

std::string members_toml(int count) {
  std::string out = "members = [";
  for (int i = 0; i < count; ++i)
    out += (i ? ", \"" : "\"") + to_hex(key(static_cast<std::uint8_t>(i + 1)).xonly_public_key()) +
           "\"";
  return out + "]\n";
}

struct NodeSetup {
  int members = 1;
  int threshold = 1;
  std::optional<int> member;  // this node's member index; nullopt: an observer
  std::string storage_toml = "backend = \"memory\"\n";
  std::uint64_t start_ms = kGenesisMs;
};

// One node's roles in a harness. Its key file (if a member) lives in `dir`.
class TestNode {
 public:
  TestNode(const TempDir& dir, const NodeSetup& setup)
      : harness_(HarnessOptions{setup.start_ms, 0}) {
    std::string chain = "chain_id = " + std::to_string(kChainId) + "\n" +
                        members_toml(setup.members) +
                        "threshold = " + std::to_string(setup.threshold) + "\n" +
                        "genesis_timestamp_ms = " + std::to_string(kGenesisMs) + "\n" +
                        "genesis_alloc = [{ address = \"" + to_0x_hex(funded_address()) +
                        "\", balance_wei = \"1000000000000000000000\" }]\n";
    if (setup.member) {
      const SecretKey member_key = key(static_cast<std::uint8_t>(*setup.member + 1));
      auto file =
          dir.write("member-" + std::to_string(*setup.member) + ".key", to_hex(member_key.bytes()));
      ::chmod(file.c_str(), 0600);
      chain += "key_file = \"" + file.string() + "\"\n";
    }
    harness_.add("storage", ALYS_STORAGE_PLUGIN, setup.storage_toml);
    harness_.add("engine", ALYS_ENGINE_PLUGIN,
                 "chain_id = " + std::to_string(kChainId) + "\nbase_fee_wei = 7\n", {"storage"});
    harness_.add("chain", ALYS_CHAIN_PLUGIN, chain, {"storage", "engine"});
    harness_.start();
    harness_.run();
  }

  Harness& harness() { return harness_; }

  template <class Reply, class Request>
  Reply ask(const std::string& role, const Request& request) {
    auto id = harness_.request(role, request, 60'000);
    harness_.run();
    auto reply = harness_.reply_as<Reply>(id);
    REQUIRE(reply);
    return *reply;
  }

  storage::Head head() { return ask<storage::Head>("storage", storage::GetHead{}); }
  engine::Info engine_info() { return ask<engine::Info>("engine", engine::GetInfo{}); }

  SignedBlock block_at(std::uint64_t height) {
    auto found = ask<storage::BlockFound>("storage", storage::GetBlockByHeight{height});
    REQUIRE(found.error.empty());
    REQUIRE(found.found);
    return decode<SignedBlock>(found.block.block);
  }

  chain::ImportResult import(const SignedBlock& block) {
    return ask<chain::ImportResult>("chain", chain::ImportBlock{block});
  }

  std::string rpc(const std::string& method, const std::string& params) {
    return harness_.call_rpc(method, params);
  }

 private:
  Harness harness_;
};

Bytes transfer(std::uint64_t nonce, std::uint8_t to_seed, std::uint64_t value) {
  eth::Transaction tx;
  tx.type = eth::TxType::eip1559;
  tx.chain_id = kChainId;
  tx.nonce = nonce;
  tx.max_priority_fee_per_gas = 1;
  tx.max_fee_per_gas = 100;
  tx.gas_limit = 21000;
  EthAddress to{};
  to[0] = 0xee;
  to[19] = to_seed;
  tx.to = to;
  tx.value = value;
  return eth::sign_transaction(tx, funded_key());
}

// A block on top of `node`'s head for `slot`, its payload built by the node's own engine, signed by
// the given members.
SignedBlock make_block(TestNode& node, std::uint64_t slot, std::vector<std::uint32_t> signers,
                       std::uint32_t members) {
  const storage::Head head = node.head();
  const SignedBlock parent = node.block_at(head.height);
  engine::BuildPayload build{parent.block.payload.block_hash, slot * 2000, {}, {}, 1000};
  auto built = node.ask<engine::PayloadBuilt>("engine", build);
  REQUIRE(built.error.empty());
  SignedBlock block;
  block.block.height = head.height + 1;
  block.block.parent_hash = head.hash;
  block.block.slot = slot;
  block.block.timestamp_ms = slot * 2000;
  block.block.author_index = static_cast<std::uint32_t>(slot % members);
  block.block.payload = built.payload;
  for (std::uint32_t member : signers)
    block.approvals.push_back(
        Approval{member, key(static_cast<std::uint8_t>(member + 1))
                             .schnorr_sign(approval_message(kChainId, block_hash(block.block)))});
  return block;
}

void resign(SignedBlock& block, std::vector<std::uint32_t> signers) {
  block.approvals.clear();
  for (std::uint32_t member : signers)
    block.approvals.push_back(
        Approval{member, key(static_cast<std::uint8_t>(member + 1))
                             .schnorr_sign(approval_message(kChainId, block_hash(block.block)))});
}

}  // namespace

TEST_CASE(
    "10,000 slots produce 10,000 blocks; a fresh node replays them to the same head and state",
    "[chain][slow]") {
  TempDir dir("chain-10k");
  NodeSetup setup;
  setup.member = 0;
  setup.storage_toml =
      "backend = \"leveldb\"\nsync = false\npath = \"" + (dir.path() / "a.db").string() + "\"\n";
  TestNode producer(dir, setup);
  REQUIRE(producer.head().has_head);
  CHECK(producer.head().height == 0);

  std::uint64_t nonce = 0;
  for (int round = 0; round < 100; ++round) {
    // A few transfers now and then, so that the state is more than the genesis allocation.
    for (int i = 0; i < 3; ++i) {
      producer.rpc(
          "eth_sendRawTransaction",
          "[\"" + to_0x_hex(transfer(nonce++, static_cast<std::uint8_t>(round), 1000)) + "\"]");
    }
    producer.harness().advance(100 * 2000ms);
  }
  const storage::Head head = producer.head();
  CHECK(head.height == 10'000);
  const engine::Info produced = producer.engine_info();
  CHECK(produced.head_number == 10'000);
  CHECK(produced.mempool_size == 0);

  // A fresh observer imports every block from the producer's storage, oldest first.
  NodeSetup fresh;
  fresh.start_ms = producer.harness().now_ms();
  TestNode replica(dir, fresh);
  REQUIRE(replica.head().height == 0);
  CHECK(block_hash(replica.block_at(0).block) == block_hash(producer.block_at(0).block));
  std::uint64_t next = 1;
  while (next <= head.height) {
    auto range = producer.ask<storage::BlockRange>("storage", storage::GetBlockRange{next, 500});
    REQUIRE(range.error.empty());
    REQUIRE_FALSE(range.blocks.empty());
    for (const storage::StoredBlock& stored : range.blocks) {
      // Sent as plain messages: the chain queues them and imports in arrival order.
      REQUIRE(replica.harness()
                  .send("chain", chain::ImportBlock{decode<SignedBlock>(stored.block)})
                  .ok());
      ++next;
    }
    replica.harness().run();
  }
  CHECK(replica.head().height == head.height);
  CHECK(replica.head().hash == head.hash);
  CHECK(replica.engine_info().state_root == produced.state_root);
  CHECK(replica.harness().metric("chain", "chain_blocks_rejected_total").value_or(0) == 0);
}

TEST_CASE("approvals: 2-of-3 imports, 1-of-3 waits until a second member approves", "[chain]") {
  TempDir dir("chain-approvals");
  NodeSetup setup;
  setup.members = 3;
  setup.threshold = 2;
  TestNode node(dir, setup);
  const std::uint64_t slot = kGenesisMs / 2000 + 1;
  node.harness().advance(2000ms);

  SignedBlock block = make_block(node, slot, {static_cast<std::uint32_t>(slot % 3)}, 3);
  auto waiting = node.import(block);
  CHECK_FALSE(waiting.imported);
  CHECK(waiting.pending);
  CHECK(waiting.code == "too_few_approvals");
  CHECK(node.head().height == 0);

  // The second member's approval arrives on its own.
  const std::uint32_t second = static_cast<std::uint32_t>((slot + 1) % 3);
  Approval approval{second, key(static_cast<std::uint8_t>(second + 1))
                                .schnorr_sign(approval_message(kChainId, block_hash(block.block)))};
  REQUIRE(
      node.harness().send("chain", chain::ApproveBlock{block_hash(block.block), approval}).ok());
  node.harness().run();
  CHECK(node.head().height == 1);
  CHECK(node.head().hash == block_hash(block.block));

  // A block that comes with two approvals is imported at once.
  node.harness().advance(2000ms);
  SignedBlock next = make_block(node, slot + 1, {0, 2}, 3);
  auto imported = node.import(next);
  CHECK(imported.imported);
  CHECK(imported.code.empty());
  CHECK(node.head().height == 2);
}

TEST_CASE("a member adds its own approval to a valid block from the slot's author", "[chain]") {
  TempDir dir("chain-own-approval");
  NodeSetup setup;
  setup.members = 3;
  setup.threshold = 2;
  setup.member = 1;
  TestNode node(dir, setup);
  // The first slot after genesis belongs to member 2: this node (member 1) does not produce in it
  // and has approved nothing at height 1.
  const std::uint64_t slot = kGenesisMs / 2000 + 1;
  REQUIRE(slot % 3 == 2);
  node.harness().advance(2000ms);
  SignedBlock block = make_block(node, slot, {2}, 3);
  auto result = node.import(block);
  INFO(result.code << ": " << result.error);
  CHECK(result.imported);
  CHECK(node.head().height == 1);
  const SignedBlock stored = node.block_at(1);
  REQUIRE(stored.approvals.size() == 2);
  CHECK(stored.approvals[1].member_index == 1);
}

TEST_CASE("bad blocks are rejected with their own code and change nothing", "[chain]") {
  TempDir dir("chain-bad");
  NodeSetup setup;
  setup.members = 3;
  setup.threshold = 2;
  TestNode node(dir, setup);
  node.harness().advance(2000ms);
  const std::uint64_t slot = node.harness().now_ms() / 2000;
  const storage::Head before = node.head();
  const Hash32 root_before = node.engine_info().state_root;
  // A transfer in the mempool, so that a payload carries a transaction to tamper with.
  node.rpc("eth_sendRawTransaction", "[\"" + to_0x_hex(transfer(0, 1, 5)) + "\"]");

  struct Case {
    const char* name;
    std::string code;
    std::function<void(SignedBlock&)> spoil;
  };
  const std::vector<Case> cases{
      {"wrong parent", "wrong_parent",
       [](SignedBlock& b) {
         b.block.parent_hash.fill(0x42);
         b.block.height = 2;
         resign(b, {0, 1});
       }},
      {"wrong height", "wrong_height",
       [](SignedBlock& b) {
         b.block.height = 5;
         resign(b, {0, 1});
       }},
      {"wrong author", "wrong_author",
       [](SignedBlock& b) {
         b.block.author_index = (b.block.author_index + 1) % 3;
         resign(b, {0, 1});
       }},
      {"forged approval", "bad_approval",
       [](SignedBlock& b) {
         resign(b, {0, 1});
         b.approvals[1].signature[3] ^= 0x10;
       }},
      {"one approval of three", "too_few_approvals", [](SignedBlock& b) { resign(b, {1}); }},
      {"slot in the future", "slot_in_future",
       [](SignedBlock& b) {
         b.block.slot += 30;
         b.block.timestamp_ms += 60'000;
         b.block.author_index = static_cast<std::uint32_t>(b.block.slot % 3);
         b.block.payload.timestamp_s += 60;
         b.block.payload.block_hash = payload_hash(b.block.payload);
         resign(b, {0, 1});
       }},
      {"state root that execution does not give", "payload_invalid",
       [](SignedBlock& b) {
         b.block.payload.state_root[0] ^= 1;
         b.block.payload.block_hash = payload_hash(b.block.payload);
         resign(b, {0, 1});
       }},
      {"a transaction left out of an unchanged payload", "payload_invalid",
       [](SignedBlock& b) {
         REQUIRE_FALSE(b.block.payload.transactions.empty());
         b.block.payload.transactions.clear();
         b.block.payload.block_hash = payload_hash(b.block.payload);
         resign(b, {0, 1});
       }},
  };
  const SignedBlock good = make_block(node, slot, {0, 1}, 3);
  for (const Case& c : cases) {
    INFO(c.name);
    SignedBlock bad = good;
    c.spoil(bad);
    auto result = node.import(bad);
    CHECK_FALSE(result.imported);
    CHECK(result.code == c.code);
    CHECK_FALSE(result.error.empty());
    CHECK(node.head().hash == before.hash);
    CHECK(node.engine_info().state_root == root_before);
  }
  CHECK(node.harness().metric("chain", "chain_blocks_rejected_total").value_or(0) == 7);
  // The untouched block still imports: the rejections left no trace.
  auto result = node.import(good);
  CHECK(result.imported);
  CHECK(node.head().height == before.height + 1);
  CHECK(node.engine_info().state_root != root_before);
}

TEST_CASE("a restarted node resumes from storage and keeps producing", "[chain]") {
  TempDir dir("chain-restart");
  NodeSetup setup;
  setup.member = 0;
  setup.storage_toml =
      "backend = \"leveldb\"\npath = \"" + (dir.path() / "chain.db").string() + "\"\n";
  Hash32 head_hash{};
  std::uint64_t stopped_at = 0;
  {
    TestNode node(dir, setup);
    node.harness().advance(20 * 2000ms);
    CHECK(node.head().height == 20);
    head_hash = node.head().hash;
    stopped_at = node.harness().now_ms();
    // The RPC view of the same chain.
    const std::string status = node.rpc("chain_status", "[]");
    CHECK(status.find("\"height\":20") != std::string::npos);
    const std::string block = node.rpc("chain_getBlockByHeight", "[20]");
    CHECK(block.find(to_0x_hex(head_hash)) != std::string::npos);
    CHECK(node.rpc("chain_getBlockByHash", "[\"" + to_0x_hex(head_hash) + "\"]") == block);
    CHECK(node.rpc("chain_getBlockByHeight", "[21]") == "null");
  }
  setup.start_ms = stopped_at + 10 * 2000;  // ten slots later
  TestNode node(dir, setup);
  CHECK(node.head().hash == head_hash);
  node.harness().advance(5 * 2000ms);
  CHECK(node.head().height == 25);
  CHECK(node.block_at(21).block.parent_hash == head_hash);
}
