// The chain with the real storage and engine plugins, in the harness on a virtual clock: production
// over many slots and a replay into a fresh node, bad blocks, approvals, restart from storage, the
// status request. Merged mining in the chain: chain_merged_mining.test.cpp.
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
  REQUIRE(
      node.harness().send("chain", chain::ApproveBlock{hash, approval_by(other, hash), 0, 1}).ok());
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

TEST_CASE("GetSpec: ready with the genesis hash, built or read from storage", "[chain]") {
  TempDir dir("chain-get-spec");
  NodeSetup setup;
  setup.members = 3;
  setup.threshold = 2;
  setup.storage_toml =
      "backend = \"leveldb\"\npath = \"" + (dir.path() / "spec.db").string() + "\"\n";
  Hash32 genesis{};
  {
    TestNode node(dir, setup);
    const auto info = node.ask<chain::ChainSpecInfo>("chain", chain::GetSpec{});
    CHECK(info.ready);
    genesis = block_hash(node.block_at(0).block);
    CHECK(info.genesis_hash == genesis);
    CHECK(info.chain_id == kChainId);
    CHECK(info.members.size() == 3);
    CHECK(info.members[2] == key(3).xonly_public_key());
    CHECK(info.threshold == 2);
    CHECK(info.slot_ms == 2000);
  }
  TestNode restarted(dir, setup);
  const auto info = restarted.ask<chain::ChainSpecInfo>("chain", chain::GetSpec{});
  CHECK(info.ready);
  CHECK(info.genesis_hash == genesis);
}
