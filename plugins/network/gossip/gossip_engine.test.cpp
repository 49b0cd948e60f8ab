#include "gossip_engine.hpp"

#include <catch2/catch.hpp>

#include <set>

#include "alys/domain/keccak.hpp"
#include "gossip_test_port.hpp"

using namespace alys;
using namespace alys::network;
using namespace alys::network::testing;

namespace {

constexpr PeerId kA = 11, kB = 12, kC = 13;

// An engine at head `head_height` with peers A, B and C (members 1, 2 and an observer).
struct Federation {
  RecordingPort port;
  GossipEngine engine{test_settings(), port};
  Hash32 genesis = test_spec().genesis_hash;

  Federation() {
    chain::ChainStatus status;
    status.head_hash = genesis;
    engine.chain_status(status);
    engine.peer_connected(kA, member_peer(1));
    engine.peer_connected(kB, member_peer(2));
    engine.peer_connected(kC, PeerIdentity{member_key(9).xonly_public_key(), std::nullopt});
    port.sent.clear();
  }

  template <class M>
  std::set<PeerId> receivers_of() {
    std::set<PeerId> peers;
    for (const auto& [peer, _] : port.sent_of<M>()) peers.insert(peer);
    return peers;
  }
};

}  // namespace

TEST_CASE("approval: a valid one goes to the chain and is relayed once") {
  Federation f;
  const SignedBlock block = make_block(1, f.genesis, 101);
  const chain::ApproveBlock approval = approval_of(2, block_hash(block.block), 1);
  f.engine.received(kA, approval);
  REQUIRE(f.port.approvals.size() == 1);
  CHECK(f.receivers_of<chain::ApproveBlock>() == std::set<PeerId>{kB, kC});
  f.port.sent.clear();

  // The same approval again, from another peer and with another signature nonce: a repeat.
  chain::ApproveBlock again = approval_of(2, block_hash(block.block), 1);
  REQUIRE(again.approval.signature != approval.approval.signature);
  f.engine.received(kB, again);
  f.engine.received(kA, approval);
  CHECK(f.port.approvals.size() == 1);
  CHECK(f.port.sent.empty());
  CHECK(f.engine.stats().duplicates_total == 2);
  CHECK(f.port.reports.empty());
}

TEST_CASE("approval: a forged signature is counted and does not shadow the real one") {
  Federation f;
  const Hash32 hash = block_hash(make_block(1, f.genesis, 101).block);
  chain::ApproveBlock forged = approval_of(2, hash, 1);
  // Member 1 signs, claiming to be member 2.
  forged.approval.signature = member_key(1).schnorr_sign(approval_message(kChainId, hash, 0));
  f.engine.received(kA, forged);
  CHECK(f.port.reported(Misbehaviour::invalid_signature) == 1);
  CHECK(f.port.approvals.empty());
  CHECK(f.port.sent.empty());

  // A round-0 signature does not pass as a round-1 approval.
  chain::ApproveBlock wrong_round = approval_of(2, hash, 1, 0);
  wrong_round.round = 1;
  f.engine.received(kA, wrong_round);
  CHECK(f.port.reported(Misbehaviour::invalid_signature) == 2);

  f.engine.received(kB, approval_of(2, hash, 1));
  CHECK(f.port.approvals.size() == 1);
  CHECK(f.receivers_of<chain::ApproveBlock>() == std::set<PeerId>{kA, kC});
}

TEST_CASE("approval: a non-member index is counted") {
  Federation f;
  const Hash32 hash = block_hash(make_block(1, f.genesis, 101).block);
  chain::ApproveBlock approval = approval_of(1, hash, 1);
  approval.approval.member_index = 3;
  f.engine.received(kA, approval);
  CHECK(f.port.reported(Misbehaviour::non_member_approval) == 1);
  CHECK(f.port.reports.front().peer == kA);
  CHECK(f.port.approvals.empty());
  CHECK(f.port.sent.empty());
}

TEST_CASE("approval: our own is sent to every peer once and not taken back") {
  Federation f;
  const Hash32 hash = block_hash(make_block(1, f.genesis, 101).block);
  const chain::ApproveBlock own = approval_of(0, hash, 1);
  f.engine.local_approval(own);
  f.engine.local_approval(own);
  CHECK(f.receivers_of<chain::ApproveBlock>() == std::set<PeerId>{kA, kB, kC});
  CHECK(f.port.sent.size() == 3);
  f.port.sent.clear();
  f.engine.received(kA, own);  // a peer relays it back
  CHECK(f.port.sent.empty());
  CHECK(f.port.approvals.empty());
}

TEST_CASE("proposal: relayed only once the chain says pending or imported") {
  Federation f;
  const SignedBlock block = make_block(1, f.genesis, 101);  // slot 101: member 2's
  f.engine.received(kB, chain::ImportBlock{block});
  REQUIRE(f.port.imports.size() == 1);
  CHECK(f.port.sent.empty());
  // A copy from A while the chain works on it: A will not get it back either.
  f.engine.received(kA, chain::ImportBlock{block});
  CHECK(f.port.imports.size() == 1);

  SECTION("pending") { f.port.answer_import(pending()); }
  SECTION("imported") { f.port.answer_import(imported()); }
  CHECK(f.receivers_of<chain::ImportBlock>() == std::set<PeerId>{kC});
  CHECK(f.port.reports.empty());
}

TEST_CASE("proposal: a rejection that proves it bad is counted, a benign one not") {
  Federation f;
  const SignedBlock block = make_block(1, f.genesis, 101);
  f.engine.received(kB, chain::ImportBlock{block});
  f.engine.received(kA, chain::ImportBlock{block});

  SECTION("bad code") {
    const char* code = GENERATE(
        "bad_approval", "wrong_author", "payload_invalid", "payload_mismatch", "bad_auxpow",
        "wrong_timestamp", "missing_author_approval", "duplicate_approval", "unsupported_content");
    f.port.answer_import(rejected(code));
    CHECK(f.port.reported(Misbehaviour::invalid_block) == 2);  // both senders
    std::set<PeerId> blamed;
    for (const auto& report : f.port.reports) blamed.insert(report.peer);
    CHECK(blamed == std::set<PeerId>{kA, kB});
  }
  SECTION("benign code") {
    const char* code = GENERATE("stale_height", "already_imported", "busy", "slot_in_future");
    f.port.answer_import(rejected(code));
    CHECK(f.port.reports.empty());
  }
  CHECK(f.port.sent_of<chain::ImportBlock>().empty());
}

TEST_CASE("proposal: wrong author or no valid author approval is refused unimported") {
  Federation f;
  SECTION("not the slot's author") {
    SignedBlock block = make_block(1, f.genesis, 101);
    block.block.author_index = 0;
    block.approvals = {approval_of(0, block_hash(block.block), 1).approval};
    f.engine.received(kA, chain::ImportBlock{block});
    CHECK(f.port.reported(Misbehaviour::invalid_block) == 1);
  }
  SECTION("author approval by another key") {
    SignedBlock block = make_block(1, f.genesis, 101);
    block.approvals = {approval_of(1, block_hash(block.block), 1).approval};
    block.approvals.front().member_index = 2;
    f.engine.received(kA, chain::ImportBlock{block});
    CHECK(f.port.reported(Misbehaviour::invalid_signature) == 1);
  }
  SECTION("no author approval") {
    SignedBlock block = make_block(1, f.genesis, 101);
    block.approvals = {approval_of(0, block_hash(block.block), 1).approval};
    f.engine.received(kA, chain::ImportBlock{block});
    CHECK(f.port.reported(Misbehaviour::invalid_signature) == 1);
  }
  CHECK(f.port.imports.empty());
  CHECK(f.port.sent.empty());
}

TEST_CASE("proposal: wrong_parent means we are behind: sync from the sender") {
  Federation f;
  const auto chain = make_chain(5, f.genesis);
  f.engine.received(kA, chain::ImportBlock{chain[4]});
  f.port.answer_import(rejected("wrong_parent"));
  CHECK(f.port.reports.empty());
  const auto requests = f.port.sent_of<wire::GetBlocks>();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].first == kA);
  CHECK(requests[0].second.from_height == 1);
  CHECK(requests[0].second.max_count == 4);
}

TEST_CASE("recent consensus: replayed on connect, pruned when the head passes") {
  Federation f;
  const SignedBlock block = make_block(1, f.genesis, 100);  // ours: member 0
  const Hash32 hash = block_hash(block.block);
  f.engine.local_proposal(chain::ImportBlock{block});
  f.engine.local_approval(approval_of(0, hash, 1));
  f.engine.received(kA, approval_of(1, hash, 1));
  chain::OfferAuxPow offer;
  offer.header.range_start = 0;
  offer.header.range_end = 1;
  offer.header.auxpow = {1, 2, 3};
  f.engine.local_auxpow(offer);
  CHECK(f.engine.stats().recent_consensus_messages == 4);

  constexpr PeerId kD = 14;
  f.port.sent.clear();
  f.engine.peer_connected(kD, member_peer(1));
  REQUIRE(f.port.sent.size() == 5);
  CHECK(std::holds_alternative<wire::PeerStatus>(f.port.sent[0].message));
  CHECK(std::holds_alternative<chain::ImportBlock>(f.port.sent[1].message));
  CHECK(f.port.sent_of<chain::ApproveBlock>().size() == 2);
  CHECK(f.port.sent_of<chain::OfferAuxPow>().size() == 1);

  f.engine.block_imported(imported_event(block));
  chain::Finalized finalized;
  finalized.range_end = 1;
  f.engine.finalized(finalized);
  CHECK(f.engine.stats().recent_consensus_messages == 0);
  f.port.sent.clear();
  constexpr PeerId kE = 15;
  f.engine.peer_connected(kE, member_peer(2));
  REQUIRE(f.port.sent.size() == 1);
  const auto status = f.port.sent_of<wire::PeerStatus>();
  CHECK(status[0].second.head_height == 1);
  CHECK(status[0].second.head_hash == hash);
}

TEST_CASE("transaction: handed to the engine, relayed once it is pooled") {
  Federation f;
  const engine::SubmitTransaction tx{Bytes{0x02, 0xf8, 0x6b, 0x01}};
  f.engine.received(kA, tx);
  f.engine.received(kB, tx);
  REQUIRE(f.port.transactions.size() == 1);
  CHECK(f.port.sent.empty());  // not before the engine accepted it

  const engine::TransactionPooled pooled{keccak256(tx.raw), tx.raw};
  f.engine.local_transaction(pooled);
  CHECK(f.receivers_of<engine::SubmitTransaction>() == std::set<PeerId>{kB, kC});
  f.port.sent.clear();
  f.engine.local_transaction(pooled);  // the engine's echo
  CHECK(f.port.sent.empty());

  // A wallet's transaction at this node goes to every peer.
  const engine::SubmitTransaction own{Bytes{0x02, 0x07}};
  f.engine.local_transaction({keccak256(own.raw), own.raw});
  CHECK(f.receivers_of<engine::SubmitTransaction>() == std::set<PeerId>{kA, kB, kC});
}

TEST_CASE("auxpow: offered to the chain, relayed once the chain queues it") {
  Federation f;
  chain::OfferAuxPow offer;
  offer.header.range_end = 4;
  offer.header.auxpow = {9, 9, 9};
  f.engine.received(kC, offer);
  f.engine.received(kA, offer);
  REQUIRE(f.port.auxpow.size() == 1);
  CHECK(f.port.sent.empty());
  f.engine.local_auxpow(offer);
  CHECK(f.receivers_of<chain::OfferAuxPow>() == std::set<PeerId>{kA, kB});
  f.port.sent.clear();
  f.engine.local_auxpow(offer);
  CHECK(f.port.sent.empty());
}

TEST_CASE("serving GetBlocks: from storage, capped, nothing above our head") {
  Federation f;
  const auto chain = make_chain(3, f.genesis);
  for (const auto& block : chain) f.engine.block_imported(imported_event(block));
  f.port.sent.clear();

  f.engine.received(kA, wire::GetBlocks{2, 100000});
  REQUIRE(f.port.reads.size() == 1);
  CHECK(f.port.reads[0].from == 2);
  CHECK(f.port.reads[0].max_count == 1024);
  f.port.reads[0].done({encode(chain[1]), encode(chain[2])});
  auto answers = f.port.sent_of<wire::Blocks>(true);
  REQUIRE(answers.size() == 1);
  CHECK(answers[0].first == kA);
  CHECK(answers[0].second.from_height == 2);
  CHECK(answers[0].second.blocks.size() == 2);

  f.engine.received(kB, wire::GetBlocks{4, 10});
  CHECK(f.port.reads.size() == 1);
  answers = f.port.sent_of<wire::Blocks>();
  REQUIRE(answers.size() == 1);
  CHECK(answers[0].second.blocks.empty());

  // More bytes than one Blocks frame holds: whole blocks up to the cap.
  f.engine.received(kC, wire::GetBlocks{1, 3});
  const Bytes big(7 * 1024 * 1024, 0xab);
  f.port.reads.back().done({big, big, big});
  answers = f.port.sent_of<wire::Blocks>();
  REQUIRE(answers.size() == 2);
  CHECK(answers[1].second.blocks.size() == 2);
}

TEST_CASE("status: on connect, on import at most every 100 ms, and every 2 s") {
  Federation f;
  const auto chain = make_chain(3, f.genesis);
  f.port.clock_ms += 100;  // the status of the connect went 100 ms ago
  f.engine.block_imported(imported_event(chain[0]));
  CHECK(f.port.sent_of<wire::PeerStatus>(true).size() == 3);
  f.port.clock_ms += 40;
  f.engine.block_imported(imported_event(chain[1]));
  CHECK(f.port.sent_of<wire::PeerStatus>().empty());
  f.port.clock_ms += 60;
  f.engine.tick();  // the held-back status goes now
  auto sent = f.port.sent_of<wire::PeerStatus>(true);
  REQUIRE(sent.size() == 3);
  CHECK(sent[0].second.head_height == 2);
  f.port.clock_ms += 1000;
  f.engine.tick();
  CHECK(f.port.sent_of<wire::PeerStatus>(true).empty());
  f.port.clock_ms += 1000;
  f.engine.tick();
  CHECK(f.port.sent_of<wire::PeerStatus>(true).size() == 3);
}

TEST_CASE("proposal: a spoiled copy does not shadow the intact one") {
  Federation f;
  const SignedBlock block = make_block(1, f.genesis, 101);
  SignedBlock spoiled = block;
  chain::ApproveBlock forged = approval_of(1, block_hash(block.block), 1);
  forged.approval.signature[5] ^= 1;
  spoiled.approvals.push_back(forged.approval);
  f.engine.received(kA, chain::ImportBlock{spoiled});
  f.engine.received(kB, chain::ImportBlock{block});  // while the chain checks A's copy
  REQUIRE(f.port.imports.size() == 1);
  f.port.answer_import(rejected("bad_approval"));
  REQUIRE(f.port.reports.size() == 1);
  CHECK(f.port.reports[0].peer == kA);
  // B's intact copy goes to the chain now, without B sending it again.
  REQUIRE(f.port.imports.size() == 2);
  f.port.answer_import(pending());
  CHECK(f.port.reports.size() == 1);
  CHECK(f.receivers_of<chain::ImportBlock>() == std::set<PeerId>{kA, kC});
}

TEST_CASE("approval: a copy with a false height does not shadow the true one") {
  Federation f;
  const Hash32 hash = block_hash(make_block(1, f.genesis, 101).block);
  chain::ApproveBlock lied = approval_of(2, hash, 1);
  lied.height = 1'000'000;
  f.engine.received(kA, lied);
  // Stated far above the head: ignored outright (counted, not blamed, not relayed).
  CHECK(f.port.approvals.empty());
  CHECK(f.engine.stats().approvals_ignored_total == 1);
  f.engine.received(kB, approval_of(2, hash, 1));
  REQUIRE(f.port.approvals.size() == 1);
  CHECK(f.port.approvals[0].height == 1);
  CHECK(f.engine.stats().recent_consensus_messages == 1);  // only the true one is kept
}

TEST_CASE("stall: head + 1's messages go out again while the head does not move") {
  Federation f;  // slot 2000 ms: a replay after 4000 ms of the same head
  const SignedBlock block = make_block(1, f.genesis, 101);
  const Hash32 hash = block_hash(block.block);
  f.engine.received(kB, chain::ImportBlock{block});
  f.port.answer_import(pending());
  f.engine.received(kB, approval_of(2, hash, 1));
  f.engine.local_approval(approval_of(0, hash, 1));
  f.port.sent.clear();
  f.port.imports.clear();
  f.port.approvals.clear();

  f.port.clock_ms += 3900;
  f.engine.tick();
  CHECK(f.port.sent_of<chain::ImportBlock>().empty());
  CHECK(f.engine.stats().stall_replays_total == 0);

  f.port.clock_ms += 200;
  f.engine.tick();
  CHECK(f.engine.stats().stall_replays_total == 1);
  // To every peer, the sender too: a frame its link dropped may be what it lacks.
  CHECK(f.receivers_of<chain::ImportBlock>() == std::set<PeerId>{kA, kB, kC});
  CHECK(f.port.sent_of<chain::ApproveBlock>().size() == 6);  // 2 approvals x 3 peers
  // And to this node's chain, which may have lost them (an actor restart).
  CHECK(f.port.imports.size() == 1);
  CHECK(f.port.approvals.size() == 2);

  f.port.sent.clear();
  f.port.clock_ms += 1000;
  f.engine.tick();  // not again before another interval
  CHECK(f.port.sent_of<chain::ApproveBlock>().empty());

  CHECK(f.engine.stats().stall_replays_total == 1);
  // The height is decided: nothing is replayed for it (and nothing counted).
  chain::BlockImported imported;
  imported.height = 1;
  imported.hash = hash;
  f.engine.block_imported(imported);
  f.port.sent.clear();
  f.port.clock_ms += 10'000;
  f.engine.tick();
  CHECK(f.port.sent_of<chain::ApproveBlock>().empty());
  CHECK(f.port.sent_of<chain::ImportBlock>().empty());
  CHECK(f.engine.stats().stall_replays_total == 1);
}

TEST_CASE("approval: one stated far above the head is neither kept nor relayed") {
  Federation f;  // head 0
  const Hash32 hash = block_hash(make_block(1, f.genesis, 101).block);
  f.engine.received(kA, approval_of(1, hash, 3));  // head + 3: beyond the margin of 2
  CHECK(f.port.approvals.empty());
  CHECK(f.port.sent.empty());
  CHECK(f.engine.stats().approvals_ignored_total == 1);
  CHECK(f.port.reports.empty());  // a node ahead of us is not misbehaving
  f.engine.received(kA, approval_of(1, hash, 2));
  CHECK(f.port.approvals.size() == 1);
}

TEST_CASE("a member says when too few members are reachable, and when enough are again") {
  RecordingPort port;
  GossipEngine engine{test_settings(), port};  // member 0 of 3, threshold 2
  auto warnings = [&] {
    std::vector<std::string> lines;
    for (const std::string& text : port.logs)
      if (text.find("members reachable") != std::string::npos) lines.push_back(text);
    return lines;
  };
  engine.tick();
  CHECK(warnings().empty());  // within the grace after start
  port.clock_ms += 6000;
  engine.tick();
  REQUIRE(warnings().size() == 1);
  CHECK(warnings()[0] ==
        "1 of 3 members reachable, threshold 2: no block can be approved until more members "
        "connect");
  engine.peer_connected(kC, PeerIdentity{member_key(9).xonly_public_key(), std::nullopt});
  CHECK(warnings().size() == 1);  // an observer does not count
  engine.peer_connected(kA, member_peer(1));
  REQUIRE(warnings().size() == 2);
  CHECK(warnings()[1] == "2 of 3 members reachable, threshold 2: blocks can be approved again");
  engine.tick();
  CHECK(warnings().size() == 2);  // said once per change
  engine.peer_disconnected(kA);
  CHECK(warnings().size() == 3);
}

// A member's chain proposes before its network knows the head (or has a peer): the first
// announcement is sent to nobody and cannot be kept for replay. The chain announces its stalled
// proposal again every slot; that copy, seen already, must still be kept and replayed, or the
// height waits forever for a block only its author holds.
TEST_CASE("stall: an own proposal announced before the head was known is replayed") {
  RecordingPort port;
  GossipEngine engine{test_settings(), port};
  const Hash32 head = test_spec().genesis_hash;        // standing in for block 100's hash
  const SignedBlock own = make_block(101, head, 102);  // slot 102: member 0's, this node
  const chain::ApproveBlock own_approval = approval_of(0, block_hash(own.block), 101);
  engine.local_proposal(chain::ImportBlock{own});  // no head, no peers yet
  engine.local_approval(own_approval);
  CHECK(port.sent.empty());

  chain::ChainStatus status;
  status.head_height = 100;
  status.head_hash = head;
  engine.chain_status(status);
  engine.peer_connected(kA, member_peer(1));
  port.sent.clear();
  // The chain's next announcements: seen, so not relayed again at once, but kept.
  engine.local_proposal(chain::ImportBlock{own});
  engine.local_approval(own_approval);
  CHECK(port.sent.empty());

  port.clock_ms += 4100;
  engine.tick();
  CHECK(engine.stats().stall_replays_total == 1);
  REQUIRE(port.sent_of<chain::ImportBlock>().size() == 1);
  CHECK(port.sent_of<chain::ImportBlock>().front().first == kA);
  CHECK(port.sent_of<chain::ApproveBlock>().size() == 1);
}
