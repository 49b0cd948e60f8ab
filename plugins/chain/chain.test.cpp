// The chain with the real storage and engine plugins, in the harness on a virtual clock: production
// over many slots and a replay into a fresh node, bad blocks, approvals, restart from storage.
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

// Member `member`'s approval of `hash` (member i holds key(i + 1), as members_toml lists them).
Approval approval_by(std::uint32_t member, const Hash32& hash) {
  return Approval{
      member,
      key(static_cast<std::uint8_t>(member + 1)).schnorr_sign(approval_message(kChainId, hash))};
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
  std::string extra_chain_toml;  // more [chain] keys, e.g. an auxpow table
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
    chain += setup.extra_chain_toml;
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
    block.approvals.push_back(approval_by(member, block_hash(block.block)));
  return block;
}

void resign(SignedBlock& block, std::vector<std::uint32_t> signers) {
  block.approvals.clear();
  for (std::uint32_t member : signers)
    block.approvals.push_back(approval_by(member, block_hash(block.block)));
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
  const Approval approval = approval_by(second, block_hash(block.block));
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
  // Approvals come from the slot's author and one more member.
  const std::uint32_t author = static_cast<std::uint32_t>(slot % 3);
  const std::uint32_t other = (author + 1) % 3;
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
       [=](SignedBlock& b) {
         b.block.parent_hash.fill(0x42);
         b.block.height = 2;
         resign(b, {author, other});
       }},
      {"wrong height", "wrong_height",
       [=](SignedBlock& b) {
         b.block.height = 5;
         resign(b, {author, other});
       }},
      {"wrong author", "wrong_author",
       [=](SignedBlock& b) {
         b.block.author_index = (b.block.author_index + 1) % 3;
         resign(b, {author, other});
       }},
      {"forged approval", "bad_approval",
       [=](SignedBlock& b) {
         resign(b, {author, other});
         b.approvals[1].signature[3] ^= 0x10;
       }},
      {"one approval of three", "too_few_approvals", [=](SignedBlock& b) { resign(b, {author}); }},
      {"two approvals, none of them the author's", "missing_author_approval",
       [=](SignedBlock& b) {
         resign(b, {(author + 1) % 3, (author + 2) % 3});
       }},
      {"slot in the future", "slot_in_future",
       [=](SignedBlock& b) {
         b.block.slot += 30;
         b.block.timestamp_ms += 60'000;
         b.block.author_index = static_cast<std::uint32_t>(b.block.slot % 3);
         b.block.payload.timestamp_s += 60;
         b.block.payload.block_hash = payload_hash(b.block.payload);
         resign(b, {author, other});
       }},
      {"state root that execution does not give", "payload_invalid",
       [=](SignedBlock& b) {
         b.block.payload.state_root[0] ^= 1;
         b.block.payload.block_hash = payload_hash(b.block.payload);
         resign(b, {author, other});
       }},
      {"a transaction left out of an unchanged payload", "payload_invalid",
       [=](SignedBlock& b) {
         REQUIRE_FALSE(b.block.payload.transactions.empty());
         b.block.payload.transactions.clear();
         b.block.payload.block_hash = payload_hash(b.block.payload);
         resign(b, {author, other});
       }},
  };
  const SignedBlock good = make_block(node, slot, {author, other}, 3);
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
  CHECK(node.harness().metric("chain", "chain_blocks_rejected_total").value_or(0) == 8);
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

// --- merged mining ------------------------------------------------------------------------------

namespace {

constexpr std::uint32_t kAuxChainId = 0x7a1;
constexpr std::uint32_t kDevBits = 0x207fffff;

std::string auxpow_toml(std::uint64_t max_blocks_without_pow, bool dev_mine = false) {
  return std::string(dev_mine ? "dev_mine = true\n" : "") +
         "auxpow = { chain_id = 1953, max_blocks_without_pow = " +
         std::to_string(max_blocks_without_pow) +
         ", initial_bits = \"207fffff\", retarget_interval = 1000, target_spacing_s = 2 }\n";
}

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

TEST_CASE("GetStatus: the chain's head and finalized block, as storage holds them",
          "[chain][auxpow]") {
  TempDir dir("chain-status");
  NodeSetup setup;
  setup.member = 0;
  setup.extra_chain_toml = auxpow_toml(5, true);
  TestNode node(dir, setup);
  node.harness().advance(10 * 2000ms);

  const storage::Head head = node.head();
  REQUIRE(head.height == 10);
  REQUIRE(head.has_finalized);
  const chain::ChainStatus status = node.ask<chain::ChainStatus>("chain", chain::GetStatus{});
  CHECK(status.head_height == head.height);
  CHECK(status.head_hash == head.hash);
  CHECK(status.has_finalized);
  CHECK(status.finalized_height == head.finalized_height);
  CHECK(status.finalized_hash == head.finalized_hash);
  CHECK_FALSE(status.syncing);
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

TEST_CASE("a member whose block failed execution still imports a valid block at that height",
          "[chain]") {
  TempDir dir("chain-member-invalid");
  NodeSetup setup;
  setup.members = 3;
  setup.threshold = 2;
  setup.member = 1;
  TestNode node(dir, setup);
  const std::uint64_t slot = kGenesisMs / 2000 + 1;  // authored by member 2
  REQUIRE(slot % 3 == 2);
  node.harness().advance(2000ms);
  const SignedBlock good = make_block(node, slot, {2}, 3);
  SignedBlock bad = good;
  bad.block.payload.state_root[0] ^= 1;
  bad.block.payload.block_hash = payload_hash(bad.block.payload);
  resign(bad, {2});
  CHECK(node.import(bad).code == "payload_invalid");
  // This member approved nothing for the invalid block, so it approves the valid one.
  auto result = node.import(good);
  CHECK(result.imported);
  CHECK(node.head().height == 1);
}

TEST_CASE("approvals: forged and repeated ones are dropped alone; early ones wait for the block",
          "[chain]") {
  TempDir dir("chain-approve-messages");
  NodeSetup setup;
  setup.members = 3;
  setup.threshold = 2;
  TestNode node(dir, setup);
  node.harness().advance(2000ms);
  const std::uint64_t slot = node.harness().now_ms() / 2000;
  const std::uint32_t author = static_cast<std::uint32_t>(slot % 3);
  const std::uint32_t other = (author + 1) % 3;
  SignedBlock block = make_block(node, slot, {author}, 3);
  const Hash32 hash = block_hash(block.block);
  // An approval that arrives before its block waits for it.
  REQUIRE(node.harness().send("chain", chain::ApproveBlock{hash, approval_by(other, hash)}).ok());
  node.harness().run();
  CHECK(node.import(block).imported);
  CHECK(node.head().height == 1);

  node.harness().advance(2000ms);
  const std::uint64_t next_slot = node.harness().now_ms() / 2000;
  const std::uint32_t next_author = static_cast<std::uint32_t>(next_slot % 3);
  SignedBlock next = make_block(node, next_slot, {next_author}, 3);
  const Hash32 next_hash = block_hash(next.block);
  CHECK(node.import(next).pending);
  // A forged approval and a repeat of the author's are dropped; the block stays pending.
  Approval forged{(next_author + 1) % 3,
                  key(9).schnorr_sign(approval_message(kChainId, next_hash))};
  const Approval repeat = approval_by(next_author, next_hash);
  REQUIRE(node.harness().send("chain", chain::ApproveBlock{next_hash, forged}).ok());
  REQUIRE(node.harness().send("chain", chain::ApproveBlock{next_hash, repeat}).ok());
  node.harness().run();
  CHECK(node.head().height == 1);
  CHECK(node.harness().metric("chain", "chain_approvals_invalid_total").value_or(0) == 1);
  const std::uint32_t second = (next_author + 2) % 3;
  const Approval valid = approval_by(second, next_hash);
  REQUIRE(node.harness().send("chain", chain::ApproveBlock{next_hash, valid}).ok());
  node.harness().run();
  CHECK(node.head().height == 2);
  CHECK(node.harness().metric("chain", "chain_blocks_rejected_total").value_or(0) == 0);
}
