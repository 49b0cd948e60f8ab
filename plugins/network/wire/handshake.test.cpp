#include "wire/handshake.hpp"

#include <catch2/catch.hpp>

#include <set>
#include <utility>

#include "alys/domain/sha256.hpp"

using namespace alys;
using namespace alys::network::wire;

namespace {

constexpr std::uint64_t kChainId = 263634;

Hash32 genesis() { return sha256(Bytes{1, 2, 3}); }

SecretKey key(std::uint8_t seed) {
  std::array<std::uint8_t, 32> bytes{};
  bytes.fill(seed);
  return *SecretKey::from_bytes(bytes);
}

// A federation of keys 1..3 (members): `allowed` accepts exactly those.
HandshakeConfig config(const SecretKey& node_key, std::uint64_t chain_id = kChainId,
                       Hash32 genesis_hash = genesis()) {
  std::set<XOnlyPublicKey> listed;
  for (std::uint8_t seed = 1; seed <= 3; ++seed) listed.insert(key(seed).xonly_public_key());
  return HandshakeConfig{node_key, chain_id, genesis_hash,
                         [listed](const XOnlyPublicKey& peer) { return listed.count(peer) > 0; }};
}

// Moves bytes both ways until neither side has anything to send, `chunk` bytes at a time.
void run(Handshake& a, Handshake& b, std::size_t chunk = SIZE_MAX) {
  for (int round = 0; round < 1000; ++round) {
    Bytes from_a = a.take_output();
    Bytes from_b = b.take_output();
    if (from_a.empty() && from_b.empty()) return;
    for (std::size_t i = 0; i < from_a.size(); i += chunk)
      b.receive(ByteView(from_a).subspan(i, std::min(chunk, from_a.size() - i)));
    for (std::size_t i = 0; i < from_b.size(); i += chunk)
      a.receive(ByteView(from_b).subspan(i, std::min(chunk, from_b.size() - i)));
  }
  FAIL("handshake did not settle");
}

void require_matching_keys(const Handshake& initiator, const Handshake& responder) {
  REQUIRE(initiator.state() == Handshake::State::done);
  REQUIRE(responder.state() == Handshake::State::done);
  CHECK(initiator.keys().send_key == responder.keys().receive_key);
  CHECK(initiator.keys().receive_key == responder.keys().send_key);
  CHECK(initiator.keys().send_key != initiator.keys().receive_key);
}

// Both Hellos and Auths of one completed session, as each side sent them.
struct Recorded {
  Bytes initiator_bytes;
  Bytes responder_bytes;
};
Recorded recorded_session(const SecretKey& initiator_key, const SecretKey& responder_key) {
  Handshake i(config(initiator_key), HandshakeRole::initiator);
  Handshake r(config(responder_key), HandshakeRole::responder);
  Recorded out;
  for (int round = 0; round < 4; ++round) {
    Bytes from_i = i.take_output();
    Bytes from_r = r.take_output();
    out.initiator_bytes.insert(out.initiator_bytes.end(), from_i.begin(), from_i.end());
    out.responder_bytes.insert(out.responder_bytes.end(), from_r.begin(), from_r.end());
    r.receive(from_i);
    i.receive(from_r);
  }
  REQUIRE(i.state() == Handshake::State::done);
  return out;
}

}  // namespace

TEST_CASE("handshake: both sides agree on crosswise keys and each other's key", "[handshake]") {
  Handshake initiator(config(key(1)), HandshakeRole::initiator);
  Handshake responder(config(key(2)), HandshakeRole::responder);
  run(initiator, responder);
  require_matching_keys(initiator, responder);
  CHECK(initiator.keys().peer == key(2).xonly_public_key());
  CHECK(responder.keys().peer == key(1).xonly_public_key());
  CHECK(initiator.failure() == HandshakeFailure::none);
  CHECK(initiator.failure_message().empty());
}

TEST_CASE("handshake: either node may initiate, fed one byte at a time", "[handshake]") {
  Handshake initiator(config(key(2)), HandshakeRole::initiator);
  Handshake responder(config(key(1)), HandshakeRole::responder);
  run(initiator, responder, 1);
  require_matching_keys(initiator, responder);
  CHECK(initiator.keys().peer == key(1).xonly_public_key());
}

TEST_CASE("handshake: fresh sessions get fresh keys", "[handshake]") {
  Handshake i1(config(key(1)), HandshakeRole::initiator);
  Handshake r1(config(key(2)), HandshakeRole::responder);
  run(i1, r1);
  Handshake i2(config(key(1)), HandshakeRole::initiator);
  Handshake r2(config(key(2)), HandshakeRole::responder);
  run(i2, r2);
  CHECK(i1.keys().send_key != i2.keys().send_key);
  CHECK(i1.keys().receive_key != i2.keys().receive_key);
}

TEST_CASE("handshake: bytes after the peer's Auth are left over, unread", "[handshake]") {
  Handshake initiator(config(key(1)), HandshakeRole::initiator);
  Handshake responder(config(key(2)), HandshakeRole::responder);
  responder.receive(initiator.take_output());
  Bytes hello_and_auth = responder.take_output();
  initiator.receive(ByteView(hello_and_auth).first(kHelloSize));
  Bytes auth_and_more(hello_and_auth.begin() + kHelloSize, hello_and_auth.end());
  auth_and_more.insert(auth_and_more.end(), {9, 8, 7});
  REQUIRE(initiator.receive(auth_and_more) == Handshake::State::done);
  initiator.receive(Bytes{6});
  CHECK(initiator.take_leftover() == Bytes{9, 8, 7, 6});
  CHECK(initiator.take_leftover().empty());
}

TEST_CASE("handshake: Hello and Auth have their documented sizes", "[handshake]") {
  Handshake initiator(config(key(1)), HandshakeRole::initiator);
  Handshake responder(config(key(2)), HandshakeRole::responder);
  Bytes hello = initiator.take_output();
  REQUIRE(hello.size() == kHelloSize);
  CHECK(hello[0] == kHandshakeVersion);
  CHECK(hello[1] == static_cast<std::uint8_t>(kChainId & 0xff));
  auto own = key(1).xonly_public_key();
  CHECK(std::equal(own.begin(), own.end(), hello.begin() + 41));
  responder.receive(hello);
  CHECK(responder.take_output().size() == kHelloSize + kAuthSize);
}

namespace {
// The failure of a responder that receives the initiator's output.
std::pair<HandshakeFailure, HandshakeFailure> refusal(HandshakeConfig initiator_config,
                                                      HandshakeConfig responder_config) {
  Handshake initiator(std::move(initiator_config), HandshakeRole::initiator);
  Handshake responder(std::move(responder_config), HandshakeRole::responder);
  run(initiator, responder);
  CHECK(responder.state() == Handshake::State::failed);
  CHECK_FALSE(responder.failure_message().empty());
  return {initiator.failure(), responder.failure()};
}
}  // namespace

TEST_CASE("handshake: a peer of another chain id is refused", "[handshake]") {
  auto [initiator, responder] = refusal(config(key(1), kChainId + 1), config(key(2)));
  CHECK(responder == HandshakeFailure::wrong_chain);
  CHECK(initiator == HandshakeFailure::wrong_chain);
}

TEST_CASE("handshake: a peer of another genesis is refused", "[handshake]") {
  auto [initiator, responder] = refusal(config(key(1), kChainId, sha256(Bytes{4})), config(key(2)));
  CHECK(responder == HandshakeFailure::wrong_genesis);
  CHECK(initiator == HandshakeFailure::wrong_genesis);
}

TEST_CASE("handshake: a key that is not listed is refused", "[handshake]") {
  auto [initiator, responder] = refusal(config(key(9)), config(key(2)));
  CHECK(responder == HandshakeFailure::unknown_key);
  CHECK(to_string(responder) == "unknown_key");
  // The stranger received the responder's Hello but never gets its Auth: it waits, unauthenticated,
  // until the network actor's handshake timeout closes the connection.
  CHECK(initiator == HandshakeFailure::none);
}

TEST_CASE("handshake: a connection to oneself is refused", "[handshake]") {
  auto [initiator, responder] = refusal(config(key(1)), config(key(1)));
  CHECK(responder == HandshakeFailure::self_connection);
  CHECK(initiator == HandshakeFailure::self_connection);
}

TEST_CASE("handshake: another protocol version is refused", "[handshake]") {
  Handshake initiator(config(key(1)), HandshakeRole::initiator);
  Handshake responder(config(key(2)), HandshakeRole::responder);
  Bytes hello = initiator.take_output();
  hello[0] = 2;
  CHECK(responder.receive(hello) == Handshake::State::failed);
  CHECK(responder.failure() == HandshakeFailure::wrong_version);
  CHECK(responder.take_output().empty());
}

TEST_CASE("handshake: a tampered Auth signature is refused", "[handshake]") {
  Handshake initiator(config(key(1)), HandshakeRole::initiator);
  Handshake responder(config(key(2)), HandshakeRole::responder);
  responder.receive(initiator.take_output());
  Bytes reply = responder.take_output();
  reply.back() ^= 0x01;
  CHECK(initiator.receive(reply) == Handshake::State::failed);
  CHECK(initiator.failure() == HandshakeFailure::bad_signature);
}

TEST_CASE("handshake: a low-order ephemeral key is malformed", "[handshake]") {
  Handshake initiator(config(key(1)), HandshakeRole::initiator);
  Handshake responder(config(key(2)), HandshakeRole::responder);
  Bytes hello = initiator.take_output();
  std::fill(hello.begin() + 73, hello.end(), 0);  // the X25519 point 0: shared secret 0
  CHECK(responder.receive(hello) == Handshake::State::failed);
  CHECK(responder.failure() == HandshakeFailure::malformed);
}

TEST_CASE("handshake: a replayed initiator Hello and Auth is refused", "[handshake]") {
  Recorded old = recorded_session(key(1), key(2));
  Handshake responder(config(key(2)), HandshakeRole::responder);
  CHECK(responder.receive(old.initiator_bytes) == Handshake::State::failed);
  CHECK(responder.failure() == HandshakeFailure::bad_signature);
}

TEST_CASE("handshake: a replayed responder Hello and Auth is refused", "[handshake]") {
  Recorded old = recorded_session(key(1), key(2));
  Handshake initiator(config(key(1)), HandshakeRole::initiator);
  CHECK(initiator.receive(old.responder_bytes) == Handshake::State::failed);
  CHECK(initiator.failure() == HandshakeFailure::bad_signature);
}

TEST_CASE("handshake: an Auth reflected back to its signer is refused", "[handshake]") {
  // Two sides that both claim the initiator role: each expects the responder's role byte (and
  // orders the transcript its own way), so neither Auth verifies.
  Handshake a(config(key(1)), HandshakeRole::initiator);
  Handshake b(config(key(2)), HandshakeRole::initiator);
  run(a, b);
  CHECK(a.failure() == HandshakeFailure::bad_signature);
  CHECK(b.failure() == HandshakeFailure::bad_signature);
}

TEST_CASE("handshake: a failed handshake ignores further bytes", "[handshake]") {
  Handshake responder(config(key(2)), HandshakeRole::responder);
  Bytes garbage(kHelloSize, 0xee);
  CHECK(responder.receive(garbage) == Handshake::State::failed);
  CHECK(responder.failure() == HandshakeFailure::wrong_version);
  CHECK(responder.receive(garbage) == Handshake::State::failed);
  CHECK(responder.take_output().empty());
  CHECK(responder.take_leftover().empty());
}

TEST_CASE("handshake: failure reasons have stable labels", "[handshake]") {
  CHECK(to_string(HandshakeFailure::malformed) == "malformed");
  CHECK(to_string(HandshakeFailure::wrong_version) == "wrong_version");
  CHECK(to_string(HandshakeFailure::wrong_chain) == "wrong_chain");
  CHECK(to_string(HandshakeFailure::wrong_genesis) == "wrong_genesis");
  CHECK(to_string(HandshakeFailure::self_connection) == "self_connection");
  CHECK(to_string(HandshakeFailure::bad_signature) == "bad_signature");
}

TEST_CASE("handshake: Auth signs the documented transcript", "[handshake]") {
  Recorded session = recorded_session(key(1), key(2));
  ByteView initiator_hello = ByteView(session.initiator_bytes).first(kHelloSize);
  ByteView responder_hello = ByteView(session.responder_bytes).first(kHelloSize);
  Hash32 transcript = Sha256()
                          .update(std::string_view("alys/handshake/v1"))
                          .update(initiator_hello)
                          .update(responder_hello)
                          .finish();
  auto signature_of = [](const Bytes& sent) {
    SchnorrSignature signature{};
    std::copy(sent.begin() + kHelloSize, sent.end(), signature.begin());
    return signature;
  };
  REQUIRE(session.initiator_bytes.size() == kHelloSize + kAuthSize);
  for (std::uint8_t role : {0, 1}) {
    Bytes message(transcript.begin(), transcript.end());
    message.push_back(role);
    Hash32 signed_hash = tagged_hash("alys/handshake/auth", message);
    const Bytes& sent = role == 0 ? session.initiator_bytes : session.responder_bytes;
    const SecretKey signer = role == 0 ? key(1) : key(2);
    CHECK(schnorr_verify(signer.xonly_public_key(), signed_hash, signature_of(sent)));
  }
}
