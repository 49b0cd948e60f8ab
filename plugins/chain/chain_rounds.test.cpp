// Approvals across nodes (docs/chain.md, "Fork choice and liveness"), with the real storage and
// engine plugins in the harness on a virtual clock: rounds after a split, certificates of a later
// round on the sync path, the approval record kept before an approval is sent, equivocation
// evidence, and the bounds on approvals and held blocks.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "alys/schemas/chain.hpp"
#include "alys/schemas/storage.hpp"
#include "approval_records.hpp"
#include "chain_test_node.hpp"
#include "temp_dir.hpp"

using namespace alys;
using namespace alys::chain_test;
using namespace std::chrono_literals;
using alys::testing::TempDir;

namespace {

// The first slot after genesis (kGenesisMs / 2000 = 850,000,000).
constexpr std::uint64_t kFirstSlot = kGenesisMs / 2000 + 1;

std::map<std::string, Bytes> chain_keys(TestNode& node) {
  auto state = node.ask<storage::ChainState>("storage", storage::GetChainState{});
  REQUIRE(state.error.empty());
  std::map<std::string, Bytes> keys;
  for (const storage::KeyValue& entry : state.entries)
    keys[std::string(entry.key.begin(), entry.key.end())] = entry.value;
  return keys;
}

// The approvals `node` published on chain.approval since the last clear.
std::vector<chain::ApproveBlock> published_approvals(TestNode& node) {
  std::vector<chain::ApproveBlock> out;
  for (const auto& event : node.harness().events(chain::kApprovalTopic))
    out.push_back(event.as<chain::ApproveBlock>());
  return out;
}

void send(TestNode& node, const chain::ApproveBlock& message) {
  REQUIRE(node.harness().send("chain", message).ok());
  node.harness().run();
}

double metric(TestNode& node, const char* name) {
  return node.harness().metric("chain", name).value_or(0);
}

std::string leveldb_toml(const TempDir& dir, const std::string& name) {
  return "backend = \"leveldb\"\npath = \"" + (dir.path() / name).string() + "\"\n";
}

}  // namespace

TEST_CASE("a 1/1/1 split: round 1 certifies the same block on every member", "[chain][rounds]") {
  REQUIRE(kFirstSlot % 3 == 2);  // slots: +0 member 2, +1 member 0, +2 member 1
  TempDir dir("chain-rounds-split");
  NodeSetup x_setup;
  x_setup.members = 3;
  x_setup.threshold = 0;  // the default: 2 of 3
  x_setup.member = 0;
  NodeSetup y_setup = x_setup;
  y_setup.member = 1;
  TestNode x(dir, x_setup);
  TestNode y(dir, y_setup);
  for (TestNode* node : {&x, &y}) {
    node->harness().subscribe(chain::kBlockProposedTopic);
    node->harness().subscribe(chain::kApprovalTopic);
  }
  // Member 2's proposal for the first slot, built by an engine on the same genesis.
  x.harness().advance(2000ms);
  const SignedBlock c = make_block(x, kFirstSlot, {2}, 3);
  // X proposes in the second slot, Y in the third; each approves its own proposal in round 0.
  x.harness().advance(2 * 2000ms);
  y.harness().advance(3 * 2000ms);
  // One proposal each; a slot tick after it while stalled sends it again (reannounce).
  auto proposal = [](TestNode& node) {
    auto events = node.harness().events(chain::kBlockProposedTopic);
    REQUIRE(!events.empty());
    const SignedBlock first = events[0].as<chain::ImportBlock>().block;
    for (const auto& event : events)
      CHECK(block_hash(event.as<chain::ImportBlock>().block.block) == block_hash(first.block));
    return first;
  };
  const SignedBlock a = proposal(x);
  const SignedBlock b = proposal(y);
  CHECK(a.block.author_index == 0);
  CHECK(b.block.author_index == 1);

  // The same proposals in different orders: every held block has one round-0 approval.
  CHECK(x.import(c).pending);
  CHECK(x.import(b).pending);
  CHECK(y.import(a).pending);
  CHECK(y.import(c).pending);
  const Hash32 smallest = std::min({block_hash(a.block), block_hash(b.block), block_hash(c.block)});
  auto round_one = [&](TestNode& node) {
    std::vector<chain::ApproveBlock> in_round_one;
    for (const auto& sent : published_approvals(node))
      if (sent.round == 1) in_round_one.push_back(sent);
    REQUIRE(in_round_one.size() == 1);
    CHECK(in_round_one[0].height == 1);
    return in_round_one[0];
  };
  const chain::ApproveBlock from_x = round_one(x);
  const chain::ApproveBlock from_y = round_one(y);
  CHECK(from_x.block_hash == smallest);
  CHECK(from_y.block_hash == smallest);
  CHECK(metric(x, "chain_round") == 1);
  CHECK(x.head().height == 0);

  // A round-1 claim signed as a round-0 approval does not count.
  chain::ApproveBlock stale = from_y;
  stale.approval = approval_by(1, smallest);
  send(x, stale);
  CHECK(metric(x, "chain_approvals_invalid_total") == 1);
  CHECK(x.head().height == 0);

  // Y's round-1 approval completes the certificate at X.
  send(x, from_y);
  REQUIRE(x.head().height == 1);
  CHECK(x.head().hash == smallest);
  const SignedBlock certified = x.block_at(1);
  CHECK(certified.round == 1);
  CHECK(certified.approvals.size() == 2);

  // The sync path: a fresh node imports the round-1 certificate as it is.
  NodeSetup fresh;
  fresh.members = 3;
  fresh.threshold = 0;
  fresh.start_ms = x.harness().now_ms();
  TestNode follower(dir, fresh);
  SignedBlock relabelled = certified;
  relabelled.round = 0;  // round-1 signatures read as round 0: they do not verify
  CHECK(follower.import(relabelled).code == "bad_approval");
  SignedBlock short_one = certified;
  short_one.approvals.pop_back();
  CHECK(follower.import(short_one).code == "incomplete_certificate");
  CHECK(follower.import(certified).imported);
  CHECK(follower.head().hash == smallest);
}

TEST_CASE("a 2/1 split with threshold 2 of 3 certifies in round 0", "[chain][rounds]") {
  TempDir dir("chain-rounds-two-one");
  NodeSetup setup;
  setup.members = 3;
  setup.threshold = 2;
  TestNode node(dir, setup);
  node.harness().advance(2 * 2000ms);
  const SignedBlock first = make_block(node, kFirstSlot, {2}, 3);
  const SignedBlock second = make_block(node, kFirstSlot + 1, {0}, 3);
  CHECK(node.import(first).pending);
  CHECK(node.import(second).pending);
  send(node, approve_message(1, first));
  REQUIRE(node.head().height == 1);
  CHECK(node.head().hash == block_hash(first.block));
  CHECK(node.block_at(1).round == 0);
  CHECK(metric(node, "chain_rounds_total") == 0);
  CHECK(node.import(second).code == "stale_height");
}

TEST_CASE("an approval is on disk before it is sent; restarts never approve twice",
          "[chain][rounds]") {
  TempDir dir("chain-rounds-record");
  NodeSetup setup;
  setup.members = 4;
  setup.threshold = 0;  // 3 of 4
  setup.member = 1;
  setup.storage_toml = leveldb_toml(dir, "member1.db");
  // Started inside this member's own slot (the first after genesis): it produces nothing there.
  REQUIRE(kFirstSlot % 4 == 1);
  setup.start_ms = kFirstSlot * 2000 + 1;
  std::optional<TestNode> node(std::in_place, dir, setup);
  node->harness().subscribe(chain::kApprovalTopic);
  node->harness().advance(2000ms);
  const SignedBlock a = make_block(*node, kFirstSlot + 1, {2}, 4);
  CHECK(node->import(a).pending);
  auto sent = published_approvals(*node);
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].block_hash == block_hash(a.block));
  CHECK(sent[0].round == 0);
  CHECK(sent[0].height == 1);
  // Written on its own, before any block commit.
  const auto record = decode<chain::ApprovedAt>(chain_keys(*node).at("approved"));
  CHECK(record.height == 1);
  CHECK(record.hash == block_hash(a.block));
  CHECK(record.round == 0);

  // The node restarts; a competing proposal at height 1 gets no approval from it.
  setup.start_ms = node->harness().now_ms();
  node.reset();
  node.emplace(dir, setup);
  node->harness().subscribe(chain::kApprovalTopic);
  node->harness().advance(2000ms);
  const SignedBlock b = make_block(*node, kFirstSlot + 2, {3}, 4);
  CHECK(node->import(b).pending);
  CHECK(published_approvals(*node).empty());
  // The block it did approve it approves again (the same signature target, no second block).
  CHECK(node->import(a).pending);
  REQUIRE(published_approvals(*node).size() == 1);
  CHECK(published_approvals(*node)[0].block_hash == block_hash(a.block));

  // An actor swap hands the record over too.
  REQUIRE(node->harness().swap("chain", ALYS_CHAIN_V2_PLUGIN).ok);
  node->harness().clear_received();
  node->harness().advance(2000ms);
  const SignedBlock c = make_block(*node, kFirstSlot + 3, {0}, 4);
  // The slot tick sent the round-0 approval of a again (reannounce); c's import is what counts.
  node->harness().clear_received();
  CHECK(node->import(c).pending);
  // No round-0 approval of c; with all four members heard in round 0 and no block able to reach 3,
  // the node moves on and approves in round 1 instead.
  sent = published_approvals(*node);
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].round == 1);
  CHECK(node->head().height == 0);
}

TEST_CASE("equivocations are kept as evidence and never import both blocks", "[chain][rounds]") {
  TempDir dir("chain-rounds-equivocation");
  NodeSetup setup;
  setup.members = 4;
  setup.threshold = 0;  // 3 of 4
  TestNode node(dir, setup);
  node.harness().advance(2000ms);
  const std::uint32_t author = static_cast<std::uint32_t>(kFirstSlot % 4);
  // Two proposals by one author for one slot: one empty, one with a transfer.
  const SignedBlock empty = make_block(node, kFirstSlot, {author}, 4);
  node.rpc("eth_sendRawTransaction", "[\"" + to_0x_hex(transfer(0, 1, 1000)) + "\"]");
  const SignedBlock full = make_block(node, kFirstSlot, {author}, 4);
  REQUIRE(block_hash(empty.block) != block_hash(full.block));
  CHECK(node.import(empty).pending);
  CHECK(node.import(full).pending);
  CHECK(metric(node, "chain_equivocations_total") == 1);

  // Member x approves both in round 0: a second piece of evidence.
  const std::uint32_t x = (author + 1) % 4;
  const std::uint32_t y = (author + 2) % 4;
  send(node, approve_message(x, empty));
  send(node, approve_message(y, full));
  CHECK(node.head().height == 0);
  send(node, approve_message(x, full));
  CHECK(metric(node, "chain_equivocations_total") == 2);
  REQUIRE(node.head().height == 1);
  CHECK(node.head().hash == block_hash(full.block));
  CHECK(node.import(empty).code == "stale_height");

  const auto keys = chain_keys(node);
  for (std::uint32_t member : {author, x}) {
    const auto found = keys.find(chain::evidence_key(1, 0, member));
    REQUIRE(found != keys.end());
    const auto evidence = decode<chain::Equivocation>(found->second);
    CHECK(evidence.member == member);
    CHECK(evidence.first_hash != evidence.second_hash);
    const XOnlyPublicKey member_key = key(static_cast<std::uint8_t>(member + 1)).xonly_public_key();
    CHECK(schnorr_verify(member_key, approval_message(kChainId, evidence.first_hash, 0),
                         evidence.first_signature));
    CHECK(schnorr_verify(member_key, approval_message(kChainId, evidence.second_hash, 0),
                         evidence.second_signature));
  }
}

TEST_CASE("approvals of decided heights are dropped; each member has few open", "[chain][rounds]") {
  TempDir dir("chain-rounds-early");
  NodeSetup setup;
  setup.members = 3;
  setup.threshold = 2;
  TestNode node(dir, setup);
  node.harness().advance(2000ms);
  const SignedBlock first = make_block(node, kFirstSlot, {2, 0}, 3);
  REQUIRE(node.import(first).imported);

  // An approval that names a decided height is not kept.
  Hash32 unknown{};
  unknown[0] = 0x99;
  send(node, chain::ApproveBlock{unknown, approval_by(1, unknown), 0, 1});
  CHECK(metric(node, "chain_approvals_stale_total") == 1);

  // Member 1 may keep a few approvals of blocks not seen yet; more are dropped.
  for (std::uint8_t i = 0; i < chain::kMaxEarlyApprovalsPerMember + 1; ++i) {
    Hash32 hash{};
    hash[0] = i;
    hash[1] = 0x42;
    send(node, chain::ApproveBlock{hash, approval_by(1, hash), 0, 2});
  }
  CHECK(metric(node, "chain_approvals_dropped_total") == 1);
  // Height 2 is decided: the ones that named it go, and member 1 has room again.
  node.harness().advance(2000ms);
  const SignedBlock second = make_block(node, kFirstSlot + 1, {0, 1}, 3);
  REQUIRE(node.import(second).imported);
  Hash32 later{};
  later[0] = 0x77;
  send(node, chain::ApproveBlock{later, approval_by(1, later), 0, 3});
  CHECK(metric(node, "chain_approvals_dropped_total") == 1);
}

TEST_CASE("with 64 blocks held, the oldest slot's block is evicted", "[chain][rounds]") {
  TempDir dir("chain-rounds-evict");
  NodeSetup setup;
  setup.members = 3;
  setup.threshold = 2;
  TestNode node(dir, setup);
  constexpr int kBlocks = 65;
  node.harness().advance(std::chrono::milliseconds(3 * kBlocks * 2000));
  // One author's proposals at height 1 in its successive slots (an equivocation, kept once); their
  // payloads differ in their timestamps.
  std::vector<SignedBlock> blocks;
  for (int i = 0; i < kBlocks; ++i) {
    const std::uint64_t slot = kFirstSlot + 3 * static_cast<std::uint64_t>(i);
    blocks.push_back(make_block(node, slot, {2}, 3));
    REQUIRE(node.import(blocks.back()).pending);
  }
  CHECK(metric(node, "chain_pending_evicted_total") == 1);
  const SignedBlock& oldest = blocks.front();
  // The smallest hash among the others: the oldest goes whatever its hash (and the blocks' hashes
  // change with every change to the payload, so it may well be the smallest of all).
  const SignedBlock& smallest = *std::min_element(
      blocks.begin() + 1, blocks.end(),
      [](const auto& l, const auto& r) { return block_hash(l.block) < block_hash(r.block); });
  // The evicted block's approval has nothing to complete; the smallest hash is still held.
  send(node, approve_message(0, oldest));
  CHECK(node.head().height == 0);
  send(node, approve_message(1, smallest));
  CHECK(node.head().height == 1);
  CHECK(node.head().hash == block_hash(smallest.block));
}

TEST_CASE("round-1 approvals that arrive before their block count", "[chain][rounds]") {
  TempDir dir("chain-rounds-ahead");
  NodeSetup setup;
  setup.members = 3;
  setup.threshold = 0;  // 2 of 3
  TestNode node(dir, setup);
  node.harness().advance(3 * 2000ms);
  std::vector<SignedBlock> blocks;
  for (std::uint64_t i = 0; i < 3; ++i) {
    const auto author = static_cast<std::uint32_t>((kFirstSlot + i) % 3);
    blocks.push_back(make_block(node, kFirstSlot + i, {author}, 3));
  }
  const auto chosen =
      static_cast<std::size_t>(std::min_element(blocks.begin(), blocks.end(),
                                                [](const auto& l, const auto& r) {
                                                  return block_hash(l.block) < block_hash(r.block);
                                                }) -
                               blocks.begin());
  // The other two proposals are held; round 0 is still open (one member unheard).
  for (std::size_t i = 0; i < 3; ++i)
    if (i != chosen) CHECK(node.import(blocks[i]).pending);
  CHECK(metric(node, "chain_round") == 0);
  // The other members' round-1 approvals of the rule's choice arrive before the block: they wait.
  for (std::uint32_t m = 0; m < 3; ++m)
    if (m != blocks[chosen].block.author_index) send(node, approve_message(m, blocks[chosen], 1));
  CHECK(node.head().height == 0);
  // With the block they complete a round-1 certificate.
  CHECK(node.import(blocks[chosen]).imported);
  REQUIRE(node.head().height == 1);
  CHECK(node.head().hash == block_hash(blocks[chosen].block));
  const SignedBlock stored = node.block_at(1);
  CHECK(stored.round == 1);
  CHECK(stored.approvals.size() == 2);
}

TEST_CASE("while stalled, the own approval and proposal go out again each slot",
          "[chain][rounds]") {
  REQUIRE(kFirstSlot % 3 == 2);  // slot +1 is member 0's
  TempDir dir("chain-rounds-reannounce");
  NodeSetup setup;
  setup.members = 3;
  setup.threshold = 3;
  setup.member = 0;
  TestNode node(dir, setup);
  node.harness().subscribe(chain::kBlockProposedTopic);
  node.harness().subscribe(chain::kApprovalTopic);
  node.harness().advance(2 * 2000ms);
  const auto proposed = node.harness().events(chain::kBlockProposedTopic);
  REQUIRE(proposed.size() == 1);
  const SignedBlock proposal = proposed[0].as<chain::ImportBlock>().block;
  const Hash32 hash = block_hash(proposal.block);
  CHECK(node.head().height == 0);

  node.harness().clear_received();
  node.harness().advance(2000ms);
  const auto again = node.harness().events(chain::kBlockProposedTopic);
  REQUIRE(again.size() == 1);
  CHECK(block_hash(again[0].as<chain::ImportBlock>().block.block) == hash);
  const auto approvals = published_approvals(node);
  REQUIRE(approvals.size() == 1);
  CHECK(approvals[0].block_hash == hash);
  CHECK(approvals[0].approval.member_index == 0);
  CHECK(approvals[0].round == 0);
  CHECK(approvals[0].height == 1);
  CHECK(schnorr_verify(key(1).xonly_public_key(), approval_message(kChainId, hash, 0),
                       approvals[0].approval.signature));

  // Decided: nothing more goes out for it.
  send(node, approve_message(1, proposal));
  send(node, approve_message(2, proposal));
  REQUIRE(node.head().height == 1);
  node.harness().clear_received();
  node.harness().advance(2000ms);
  CHECK(node.harness().events(chain::kBlockProposedTopic).empty());
  CHECK(published_approvals(node).empty());
}

TEST_CASE("a complete certificate is imported without this member's approval", "[chain][rounds]") {
  TempDir dir("chain-rounds-sync");
  NodeSetup setup;
  setup.members = 3;
  setup.threshold = 2;
  setup.member = 1;
  TestNode node(dir, setup);
  node.harness().subscribe(chain::kApprovalTopic);
  node.harness().advance(2000ms);
  const SignedBlock first = make_block(node, kFirstSlot, {2, 0}, 3);
  REQUIRE(node.import(first).imported);
  CHECK(published_approvals(node).empty());
  CHECK(node.block_at(1).approvals.size() == 2);
  CHECK(decode<chain::ApprovedAt>(chain_keys(node).at("approved")).height == 0);
  CHECK(metric(node, "chain_approvals_given_total") == 0);
}

// A stalled height's proposal comes back whenever a peer replays it (every stall interval): the
// member that approved it holds that approval already and neither records nor sends another.
TEST_CASE("a held block this member approved is not approved again when replayed",
          "[chain][rounds]") {
  TempDir dir("chain-rounds-replayed");
  NodeSetup setup;
  setup.members = 4;
  setup.threshold = 0;  // 3 of 4: the author's approval and this member's leave it pending
  setup.member = static_cast<int>((kFirstSlot + 1) % 4);
  TestNode node(dir, setup);
  node.harness().subscribe(chain::kApprovalTopic);
  node.harness().advance(2000ms);
  const auto author = static_cast<std::uint32_t>(kFirstSlot % 4);
  const SignedBlock proposal = make_block(node, kFirstSlot, {author}, 4);
  const chain::ImportResult first = node.import(proposal);
  INFO(first.code << ": " << first.error);
  REQUIRE(first.pending);
  REQUIRE(published_approvals(node).size() == 1);
  const double given = metric(node, "chain_approvals_given_total");
  CHECK(given == 1);
  const double writes =
      node.harness().metric("storage", "storage_chain_state_writes_total").value_or(0);
  node.harness().clear_received();

  for (int replay = 0; replay < 3; ++replay) CHECK(node.import(proposal).pending);
  CHECK(published_approvals(node).empty());
  CHECK(metric(node, "chain_approvals_given_total") == given);
  CHECK(node.harness().metric("storage", "storage_chain_state_writes_total").value_or(0) == writes);
  // Its one approval still certifies the block with a third member's.
  send(node, approve_message(static_cast<std::uint32_t>((kFirstSlot + 2) % 4), proposal));
  CHECK(node.head().height == 1);
}
