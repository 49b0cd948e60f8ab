#include "network_state.hpp"

#include <catch2/catch.hpp>

using namespace alys::network;
using alys::Bytes;

namespace {

NetworkState sample_state() {
  NetworkState state;
  alys::XOnlyPublicKey key{};
  key[1] = 9;
  state.peers[key] = PeerRecord{-40, 123456, 2};
  state.ip_bans["10.1.2.3"] = 99;
  state.offence_counts[static_cast<std::size_t>(Offence::garbage)] = 3;
  state.gossip = Bytes{1, 2, 3};
  state.unsent[key] = {OutboundFrame{Bytes{4, 5}, true}, OutboundFrame{Bytes{6}, false}};
  return state;
}

}  // namespace

TEST_CASE("the hand-off state round-trips", "[network]") {
  const auto snapshot = encode_network_state(sample_state(), 1);
  CHECK(snapshot.schema_version == kNetworkStateSchema);
  NetworkState back = decode_network_state(snapshot.bytes, 1);
  REQUIRE(back.peers.size() == 1);
  CHECK(back.peers.begin()->second.score == -40);
  CHECK(back.peers.begin()->second.banned_until_ms == 123456);
  CHECK(back.ip_bans.at("10.1.2.3") == 99);
  CHECK(back.offence_counts[static_cast<std::size_t>(Offence::garbage)] == 3);
  CHECK(back.gossip == Bytes{1, 2, 3});
  const auto& frames = back.unsent.begin()->second;
  REQUIRE(frames.size() == 2);
  CHECK(frames[0].plaintext == Bytes{4, 5});
  CHECK(frames[0].consensus);
  CHECK_FALSE(frames[1].consensus);
}

TEST_CASE("a corrupt, truncated or foreign hand-off state is refused", "[network]") {
  auto snapshot = encode_network_state(sample_state(), 1);
  Bytes flipped = snapshot.bytes;
  flipped[3] ^= 1;
  CHECK_THROWS_WITH(decode_network_state(flipped, 1), Catch::Contains("checksum"));
  Bytes cut(snapshot.bytes.begin(), snapshot.bytes.end() - 6);
  CHECK_THROWS(decode_network_state(cut, 1));
  CHECK_THROWS_WITH(decode_network_state(snapshot.bytes, 2), Catch::Contains("schema 2"));
  CHECK_THROWS(encode_network_state(sample_state(), 0));
}
