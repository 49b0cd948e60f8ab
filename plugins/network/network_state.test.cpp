#include "network_state.hpp"

#include <catch2/catch.hpp>

#include "wire/messages.hpp"

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

TEST_CASE("only consensus frames and transactions are handed on across a swap", "[network]") {
  auto frame = [](const wire::Message& message, bool consensus) {
    return OutboundFrame{*wire::encode_frame(message), consensus};
  };
  alys::XOnlyPublicKey a{}, b{};
  a[0] = 1;
  b[0] = 2;
  std::map<alys::XOnlyPublicKey, std::vector<OutboundFrame>> unsent;
  alys::chain::ApproveBlock approval;
  approval.round = 3;
  unsent[a] = {frame(wire::PeerStatus{}, false), frame(approval, true),
               frame(wire::Blocks{5, {Bytes(100, 1)}}, true),
               frame(alys::engine::SubmitTransaction{Bytes{1}}, false)};
  unsent[b] = {frame(wire::Blocks{}, true), frame(wire::Ping{1}, false)};
  keep_frames_worth_handing_on(unsent);
  REQUIRE(unsent.size() == 1);
  REQUIRE(unsent[a].size() == 2);
  CHECK(unsent[a][0].plaintext[1] == static_cast<std::uint8_t>(wire::MessageType::approval));
  CHECK(unsent[a][1].plaintext[1] == static_cast<std::uint8_t>(wire::MessageType::transaction));
}
