// Hot swaps of the chain in the harness (chain + engine + storage, virtual clock): the state the
// chain hands over (chain_state.hpp), to a schema-2 build and back, and a rollback. Swaps with a
// job in flight are in chain_swap_in_flight.test.cpp.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "alys/domain/auxpow.hpp"
#include "alys/schemas/chain.hpp"
#include "alys/schemas/chain_events.hpp"
#include "alys/schemas/storage.hpp"
#include "alys/testing.hpp"
#include "approval_records.hpp"
#include "chain_test_node.hpp"
#include "temp_dir.hpp"

using namespace alys;
using namespace alys::chain_test;
using namespace std::chrono_literals;
using alys::testing::SwapResult;
using alys::testing::TempDir;

namespace {

constexpr std::uint32_t kAuxChainId = 1953;

void swap_to(TestNode& node, const char* file) {
  const SwapResult result = node.harness().swap("chain", file);
  INFO(result.stage << ": " << result.message);
  REQUIRE(result.ok);
  CHECK(result.mode == "state");
  CHECK(node.harness().state("chain") == "running");
}

std::uint32_t pending_blocks(TestNode& node) {
  const std::string status = node.rpc("chain_status", "[]");
  const auto at = status.find("\"pending_blocks\":");
  REQUIRE(at != std::string::npos);
  return static_cast<std::uint32_t>(std::stoul(status.substr(at + 17)));
}

// createauxblock's hash (display order) and bits.
std::pair<std::string, std::uint32_t> create_aux_block(TestNode& node) {
  const std::string answer = node.rpc("createauxblock", "[]");
  auto field = [&](const std::string& name) {
    const auto at = answer.find("\"" + name + "\":");
    REQUIRE(at != std::string::npos);
    const auto start = answer.find_first_not_of("\" :", at + name.size() + 2);
    return answer.substr(start, answer.find_first_of("\",}", start) - start);
  };
  return {field("hash"), static_cast<std::uint32_t>(std::stoul(field("bits"), nullptr, 16))};
}

std::string submit_mined(TestNode& node, const std::pair<std::string, std::uint32_t>& work) {
  AuxPow auxpow = make_auxpow(reversed(*fixed_from_hex<32>(work.first)), kAuxChainId,
                              AuxPowCommitment::coinbase_script);
  REQUIRE(mine_auxpow(auxpow, work.second, 1'000'000));
  return node.rpc("submitauxblock",
                  "[\"" + work.first + "\", \"" + to_hex(auxpow.serialize()) + "\"]");
}

}  // namespace

TEST_CASE("swap v1 -> v2 -> v1 while producing: every slot has its block, finality goes on",
          "[chain][swap]") {
  TempDir dir("chain-swap-producing");
  NodeSetup setup;
  setup.member = 0;
  setup.extra_chain_toml = auxpow_toml(100, true);  // every block finalizes the ones before it
  TestNode node(dir, setup);
  node.harness().subscribe(std::string(chain::kBlockImportedTopic));
  const std::uint64_t genesis_slot = kGenesisMs / 2000;

  node.harness().advance(5 * 2000ms);
  REQUIRE(node.head().height == 5);
  CHECK(node.head().finalized_height == 4);

  swap_to(node, ALYS_CHAIN_V2_PLUGIN);
  CHECK(node.harness().metric("chain", "chain_state_handoffs") == 1);
  node.harness().advance(5 * 2000ms);
  CHECK(node.head().height == 10);
  CHECK(node.head().finalized_height == 9);

  swap_to(node, ALYS_CHAIN_V2_PLUGIN);  // schema 2 to schema 2: the count goes on
  CHECK(node.harness().metric("chain", "chain_state_handoffs") == 2);
  node.harness().advance(2000ms);
  swap_to(node, ALYS_CHAIN_PLUGIN);  // v2 writes schema 1 for v1
  node.harness().advance(4 * 2000ms);
  CHECK(node.head().height == 15);
  CHECK(node.head().finalized_height == 14);
  swap_to(node, ALYS_CHAIN_V2_PLUGIN);  // schema 1 has no count: it starts again
  CHECK(node.harness().metric("chain", "chain_state_handoffs") == 1);
  node.harness().advance(2000ms);

  const storage::Head head = node.head();
  REQUIRE(head.height == 16);
  CHECK(head.finalized_height == 15);
  Hash32 parent = block_hash(node.block_at(0).block);
  for (std::uint64_t height = 1; height <= head.height; ++height) {
    const SignedBlock block = node.block_at(height);
    CHECK(block.block.slot == genesis_slot + height);
    CHECK(block.block.parent_hash == parent);
    parent = block_hash(block.block);
  }
  std::vector<std::uint64_t> announced;
  for (const auto& event : node.harness().events(std::string(chain::kBlockImportedTopic)))
    announced.push_back(event.as<chain::BlockImported>().height);
  CHECK(announced.size() == head.height);
  for (std::size_t i = 0; i < announced.size(); ++i) CHECK(announced[i] == i + 1);
  CHECK(node.harness().metric("chain", "chain_blocks_rejected_total").value_or(0) == 0);
  CHECK(node.harness().restarts("chain") == 0);
}

TEST_CASE("swap: a held block and early approvals survive; the quorum commits the block after it",
          "[chain][swap]") {
  TempDir dir("chain-swap-held");
  NodeSetup setup;
  setup.members = 3;
  setup.threshold = 2;
  TestNode node(dir, setup);
  node.harness().advance(2000ms);
  const std::uint64_t slot = node.harness().now_ms() / 2000;
  const std::uint32_t author = static_cast<std::uint32_t>(slot % 3);
  const SignedBlock block = make_block(node, slot, {author}, 3);
  const Hash32 hash = block_hash(block.block);
  CHECK(node.import(block).pending);
  REQUIRE(pending_blocks(node) == 1);

  swap_to(node, ALYS_CHAIN_V2_PLUGIN);
  CHECK(pending_blocks(node) == 1);
  CHECK(node.head().height == 0);
  REQUIRE(node.harness()
              .send("chain", chain::ApproveBlock{hash, approval_by((author + 1) % 3, hash)})
              .ok());
  node.harness().run();
  CHECK(node.head().height == 1);
  CHECK(node.head().hash == hash);

  // An approval that arrives before its block waits for it across the swap.
  node.harness().advance(2000ms);
  const std::uint64_t next_slot = node.harness().now_ms() / 2000;
  const std::uint32_t next_author = static_cast<std::uint32_t>(next_slot % 3);
  const SignedBlock next = make_block(node, next_slot, {next_author}, 3);
  const Hash32 next_hash = block_hash(next.block);
  REQUIRE(node.harness()
              .send("chain",
                    chain::ApproveBlock{next_hash, approval_by((next_author + 2) % 3, next_hash), 0,
                                        next.block.height})
              .ok());
  node.harness().run();
  swap_to(node, ALYS_CHAIN_PLUGIN);
  CHECK(node.import(next).imported);
  CHECK(node.head().height == 2);
  CHECK(pending_blocks(node) == 0);
}

TEST_CASE("swap: this member's approval of a held block is kept, and counts after the swap",
          "[chain][swap]") {
  TempDir dir("chain-swap-own-approval");
  NodeSetup setup;
  setup.members = 3;
  setup.threshold = 3;
  setup.member = 1;
  TestNode node(dir, setup);
  const std::uint64_t slot = kGenesisMs / 2000 + 1;  // authored by member 2
  REQUIRE(slot % 3 == 2);
  node.harness().advance(2000ms);
  const SignedBlock block = make_block(node, slot, {2}, 3);
  const Hash32 hash = block_hash(block.block);
  const chain::ImportResult held = node.import(block);
  CHECK(held.pending);
  CHECK(held.error.find("2 of 3") == 0);  // the author's and this member's

  swap_to(node, ALYS_CHAIN_V2_PLUGIN);
  REQUIRE(node.harness().send("chain", chain::ApproveBlock{hash, approval_by(0, hash)}).ok());
  node.harness().run();
  REQUIRE(node.head().height == 1);
  std::vector<std::uint32_t> approvers;
  for (const Approval& approval : node.block_at(1).approvals)
    approvers.push_back(approval.member_index);
  std::sort(approvers.begin(), approvers.end());
  CHECK(approvers == std::vector<std::uint32_t>{0, 1, 2});
}

TEST_CASE("swap: work from createauxblock before the swap is accepted by submitauxblock after",
          "[chain][swap][auxpow]") {
  TempDir dir("chain-swap-auxpow");
  NodeSetup setup;
  setup.member = 0;
  setup.extra_chain_toml = auxpow_toml(100);
  TestNode node(dir, setup);
  node.harness().advance(3 * 2000ms);
  REQUIRE(node.head().height == 3);

  const auto work = create_aux_block(node);
  swap_to(node, ALYS_CHAIN_V2_PLUGIN);
  CHECK(submit_mined(node, work) == "true");
  node.harness().advance(2000ms);  // block 4 carries it
  CHECK(node.head().height == 4);
  CHECK(node.head().finalized_height == 3);

  // A submitted AuxPoW waiting for the next block is handed over too.
  node.harness().advance(2000ms);
  CHECK(submit_mined(node, create_aux_block(node)) == "true");
  swap_to(node, ALYS_CHAIN_PLUGIN);
  node.harness().advance(2000ms);
  CHECK(node.head().height == 6);
  CHECK(node.head().finalized_height == 5);
  CHECK(node.block_at(6).block.auxpow.size() == 1);
}

TEST_CASE("swap to a build whose restore fails: rolled back, the held block and approvals intact",
          "[chain][swap]") {
  TempDir dir("chain-swap-bad-restore");
  NodeSetup setup;
  setup.members = 3;
  setup.threshold = 2;
  TestNode node(dir, setup);
  node.harness().advance(2000ms);
  const std::uint64_t slot = node.harness().now_ms() / 2000;
  const std::uint32_t author = static_cast<std::uint32_t>(slot % 3);
  const SignedBlock block = make_block(node, slot, {author}, 3);
  const Hash32 hash = block_hash(block.block);
  CHECK(node.import(block).pending);

  const SwapResult result = node.harness().swap("chain", ALYS_CHAIN_BAD_RESTORE_PLUGIN);
  CHECK_FALSE(result.ok);
  CHECK(result.stage == "restore");
  CHECK(result.message.find("refuses every snapshot (got state schema 1") != std::string::npos);
  CHECK(node.harness().state("chain") == "running");
  CHECK(node.harness().restarts("chain") == 0);
  CHECK(pending_blocks(node) == 1);

  REQUIRE(node.harness()
              .send("chain", chain::ApproveBlock{hash, approval_by((author + 1) % 3, hash)})
              .ok());
  node.harness().run();
  CHECK(node.head().height == 1);
  CHECK(node.head().hash == hash);
}

TEST_CASE("swap: storage's newer approval record wins over the handed-over state",
          "[chain][swap]") {
  TempDir dir("chain-swap-record");
  NodeSetup setup;
  setup.members = 3;
  setup.threshold = 3;
  setup.member = 1;
  TestNode node(dir, setup);
  const std::uint64_t slot = kGenesisMs / 2000 + 1;  // authored by member 2
  REQUIRE(slot % 3 == 2);
  node.harness().advance(2000ms);
  const SignedBlock block = make_block(node, slot, {2}, 3);
  // What a swapped-in version wrote (and sent) before its trial failed and the old state came
  // back: this member's approval of another block at height 1 in round 0.
  Hash32 other{};
  other[0] = 0x51;
  storage::PutChainState put;
  const std::string approved_key = "approved";
  put.puts.push_back(
      {Bytes(approved_key.begin(), approved_key.end()), encode(chain::ApprovedAt{1, other, 0})});
  REQUIRE(node.ask<storage::Committed>("storage", put).error.empty());

  swap_to(node, ALYS_CHAIN_V2_PLUGIN);
  node.harness().subscribe(chain::kApprovalTopic);
  node.harness().clear_received();
  CHECK(node.import(block).pending);
  CHECK(node.harness().events(chain::kApprovalTopic).empty());
  CHECK(node.head().height == 0);
}
