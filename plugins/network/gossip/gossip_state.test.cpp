#include "gossip_state.hpp"

#include <catch2/catch.hpp>

#include "gossip_engine.hpp"
#include "gossip_test_port.hpp"

using namespace alys;
using namespace alys::network;
using namespace alys::network::testing;

namespace {

constexpr PeerId kPeer = 31;

// An engine at head 0 that holds a proposal and two approvals for height 1.
struct Holding {
  RecordingPort port;
  GossipEngine engine{test_settings(), port};
  SignedBlock block = make_block(1, test_spec().genesis_hash, 100);

  Holding() {
    chain::ChainStatus status;
    status.head_hash = test_spec().genesis_hash;
    engine.chain_status(status);
    const Hash32 hash = block_hash(block.block);
    engine.local_proposal(chain::ImportBlock{block});
    engine.local_approval(approval_of(0, hash, 1));
    engine.peer_connected(kPeer, member_peer(1));
    engine.received(kPeer, approval_of(1, hash, 1));
  }
};

}  // namespace

TEST_CASE("snapshot: a restored engine replays what the old one held") {
  Holding old;
  const Bytes bytes = old.engine.snapshot();

  RecordingPort port;
  GossipEngine fresh(test_settings(), port);
  REQUIRE(fresh.restore(bytes).ok());
  CHECK(fresh.stats().recent_consensus_messages == 3);
  CHECK(fresh.stats().relayed_total == old.engine.stats().relayed_total);
  fresh.peer_connected(kPeer, member_peer(2));
  const auto proposals = port.sent_of<chain::ImportBlock>();
  REQUIRE(proposals.size() == 1);
  CHECK(block_hash(proposals[0].second.block.block) == block_hash(old.block.block));
  CHECK(port.sent_of<chain::ApproveBlock>().size() == 2);
  // And the round trip is exact.
  CHECK(fresh.snapshot() == bytes);
}

TEST_CASE("snapshot: bytes that are not one whole state are refused") {
  Holding old;
  Bytes bytes = old.engine.snapshot();
  RecordingPort port;
  GossipEngine fresh(test_settings(), port);

  SECTION("a flipped byte") {
    bytes[bytes.size() / 2] ^= 0x01;
    CHECK(fresh.restore(bytes).code() == ALYS_ERR_INVALID);
  }
  SECTION("truncated") {
    bytes.resize(bytes.size() - 1);
    CHECK(fresh.restore(bytes).code() == ALYS_ERR_INVALID);
    CHECK(fresh.restore(ByteView(bytes).first(10)).code() == ALYS_ERR_INVALID);
  }
  SECTION("another schema number, checksum intact") {
    GossipStateV1 state;
    state.chain_id = kChainId;
    Bytes other = encode_gossip_state(state);
    other[0] = 2;
    other.resize(other.size() - 32);
    const Hash32 checksum = sha256(other);
    other.insert(other.end(), checksum.begin(), checksum.end());
    CHECK(fresh.restore(other).code() == ALYS_ERR_SCHEMA);
  }
  SECTION("a trailing byte under a valid checksum") {
    bytes.resize(bytes.size() - 32);
    bytes.push_back(0);
    const Hash32 checksum = sha256(bytes);
    bytes.insert(bytes.end(), checksum.begin(), checksum.end());
    CHECK(fresh.restore(bytes).code() == ALYS_ERR_INVALID);
  }
  SECTION("another chain") {
    GossipSettings settings = test_settings();
    settings.spec.chain_id = kChainId + 1;
    RecordingPort other_port;
    GossipEngine other(settings, other_port);
    CHECK(other.restore(bytes).code() == ALYS_ERR_INVALID);
  }
  CHECK(fresh.stats().recent_consensus_messages == 0);
}
