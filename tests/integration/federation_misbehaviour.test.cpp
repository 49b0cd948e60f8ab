// Misbehaving peers against a running three-member federation: raw TCP clients of the test (with
// the wire library for the ones that need a completed handshake) and a second alysd of another
// chain. Each is disconnected, counted in /metrics as network_misbehaviour_total{reason=...}, and
// the federation produces on.
//
// One federation meets them all, one after the other. Each raw client connects from its own
// loopback address (127.0.0.2, .3, ...) and with its own key, so that one client's ban (of its
// address before a handshake, of its key after) does not stand in the next one's way.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <random>
#include <string>
#include <vector>

#include "alys/codec.hpp"
#include "alys/domain/block.hpp"
#include "federation.hpp"
#include "wire/handshake.hpp"
#include "wire/messages.hpp"
#include "wire/secure_channel.hpp"

using alys::testing::Federation;
using alys::testing::federation_of;
using alys::testing::FederationOptions;
using namespace std::chrono_literals;
namespace wire = alys::network::wire;

namespace {

constexpr std::uint64_t kChainId = 263634;

// A blocking TCP connection from a chosen loopback address.
class RawPeer {
 public:
  RawPeer(const std::string& from_ip, std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd_ >= 0);
    timeval timeout{0, 200'000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    sockaddr_in local{};
    local.sin_family = AF_INET;
    ::inet_pton(AF_INET, from_ip.c_str(), &local.sin_addr);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) == 0);
    sockaddr_in remote{};
    remote.sin_family = AF_INET;
    remote.sin_port = htons(port);
    ::inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&remote), sizeof remote) == 0);
  }
  ~RawPeer() { ::close(fd_); }
  RawPeer(const RawPeer&) = delete;
  RawPeer& operator=(const RawPeer&) = delete;

  // False once the peer closed the connection.
  bool send(alys::ByteView bytes) {
    std::size_t sent = 0;
    while (sent < bytes.size()) {
      const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<std::size_t>(n);
    }
    return true;
  }
  // What arrives within ~200 ms; nullopt when the peer closed the connection.
  std::optional<alys::Bytes> receive() {
    std::uint8_t buffer[65536];
    const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n == 0) return std::nullopt;
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return alys::Bytes{};
      return std::nullopt;
    }
    return alys::Bytes(buffer, buffer + n);
  }
  // Reads and discards until the peer closes; false if it has not within `timeout`.
  bool closed_within(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline)
      if (!receive()) return true;
    return false;
  }

 private:
  int fd_ = -1;
};

struct Session {
  std::unique_ptr<RawPeer> peer;
  std::unique_ptr<wire::Sealer> sealer;
};

// A completed handshake as `key` with node `target` (bound to `chain_id` and `genesis`), or the
// handshake's failure when `corrupt_auth` spoils this side's signature.
Session handshake(Federation& federation, std::size_t target, const std::string& from_ip,
                  const alys::SecretKey& key, std::uint64_t chain_id, const alys::Hash32& genesis,
                  bool corrupt_auth = false) {
  Session session;
  session.peer = std::make_unique<RawPeer>(from_ip, federation.node(target).net_port);
  wire::HandshakeConfig config{key, chain_id, genesis,
                               [](const alys::XOnlyPublicKey&) { return true; }};
  wire::Handshake shake(std::move(config), wire::HandshakeRole::initiator);
  REQUIRE(session.peer->send(shake.take_output()));
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (shake.state() == wire::Handshake::State::in_progress &&
         std::chrono::steady_clock::now() < deadline) {
    auto bytes = session.peer->receive();
    if (!bytes) break;
    shake.receive(*bytes);
    alys::Bytes out = shake.take_output();
    if (corrupt_auth && !out.empty()) out[10] ^= 0x5a;
    if (!out.empty() && !session.peer->send(out)) break;
  }
  if (!corrupt_auth) {
    INFO("handshake: " << shake.failure_message());
    REQUIRE(shake.state() == wire::Handshake::State::done);
    // Our Auth may still be queued after the peer's arrived.
    alys::Bytes rest = shake.take_output();
    if (!rest.empty()) REQUIRE(session.peer->send(rest));
    session.sealer = std::make_unique<wire::Sealer>(shake.keys().send_key);
  }
  return session;
}

alys::Hash32 genesis_of(Federation& federation) {
  auto block = federation.block(0, 0);
  REQUIRE(block);
  auto hash = alys::fixed_from_hex<32>(block->hash.substr(2));
  REQUIRE(hash);
  return *hash;
}

alys::Bytes frame_of(const wire::Message& message) {
  auto frame = wire::encode_frame(message);
  REQUIRE(frame);
  return *frame;
}

// The federation produces on: `blocks` more on every member.
void producing(Federation& federation, std::uint64_t blocks = 3) {
  std::uint64_t low = UINT64_MAX;
  for (std::size_t i = 0; i < 3; ++i) low = std::min(low, federation.height(i));
  CHECK(federation.wait_heights({0, 1, 2}, low + blocks, 20s));
}

bool counted(Federation& federation, std::size_t node, const std::string& reason, double before) {
  return Federation::wait_until([&] { return federation.misbehaviour(node, reason) > before; },
                                10s);
}

}  // namespace

TEST_CASE("misbehaving peers are cut off and counted; the federation produces on",
          "[integration][federation][network]") {
  // Keys the raw clients use: admitted by every node like an observer.
  std::vector<alys::SecretKey> clients;
  std::vector<std::string> admitted;
  for (int i = 0; i < 7; ++i) {
    clients.push_back(alys::SecretKey::generate());
    admitted.push_back(alys::to_hex(clients.back().xonly_public_key()));
  }
  FederationOptions options = federation_of(3, 300);
  options.admitted_keys = admitted;
  options.network_extra = "max_messages_per_second = 200\n";
  Federation federation(options);
  federation.start_all();
  REQUIRE(federation.wait_heights({0, 1, 2}, 3, 30s));
  const alys::Hash32 genesis = genesis_of(federation);
  std::mt19937_64 random(13);

  {
    INFO("garbage bytes before a handshake (no Hello of our protocol): garbage");
    const double before = federation.misbehaviour(0, "garbage");
    RawPeer peer("127.0.0.2", federation.node(0).net_port);
    alys::Bytes garbage(4096);
    for (auto& byte : garbage) byte = static_cast<std::uint8_t>(random());
    peer.send(garbage);
    CHECK(peer.closed_within(10s));
    CHECK(counted(federation, 0, "garbage", before));
  }
  {
    INFO("a frame that does not decode, sealed in a valid record: garbage");
    const double before = federation.misbehaviour(0, "garbage");
    Session session = handshake(federation, 0, "127.0.0.3", clients[0], kChainId, genesis);
    alys::Bytes frame{wire::kWireVersion, static_cast<std::uint8_t>(wire::MessageType::approval)};
    for (int i = 0; i < 40; ++i) frame.push_back(static_cast<std::uint8_t>(random()));
    session.peer->send(session.sealer->seal(frame));
    CHECK(session.peer->closed_within(10s));
    CHECK(counted(federation, 0, "garbage", before));
  }
  {
    INFO("a frame above its type's cap: oversize");
    const double before = federation.misbehaviour(0, "oversize");
    Session session = handshake(federation, 0, "127.0.0.4", clients[1], kChainId, genesis);
    alys::Bytes frame{wire::kWireVersion, static_cast<std::uint8_t>(wire::MessageType::approval)};
    frame.resize(wire::kFrameHeaderSize + wire::payload_cap(wire::MessageType::approval) + 1000);
    session.peer->send(session.sealer->seal(frame));
    CHECK(session.peer->closed_within(10s));
    CHECK(counted(federation, 0, "oversize", before));
  }
  {
    INFO("a handshake whose signature does not verify: bad_handshake");
    const double before = federation.misbehaviour(0, "bad_handshake");
    Session session = handshake(federation, 0, "127.0.0.5", clients[2], kChainId, genesis, true);
    CHECK(session.peer->closed_within(10s));
    CHECK(counted(federation, 0, "bad_handshake", before));
  }
  {
    INFO("a raw client bound to another chain id: wrong_chain");
    const double before = federation.misbehaviour(0, "wrong_chain");
    RawPeer peer("127.0.0.6", federation.node(0).net_port);
    wire::Handshake shake(wire::HandshakeConfig{clients[3], kChainId + 1, genesis,
                                                [](const alys::XOnlyPublicKey&) { return true; }},
                          wire::HandshakeRole::initiator);
    peer.send(shake.take_output());
    CHECK(peer.closed_within(10s));
    CHECK(counted(federation, 0, "wrong_chain", before));
  }
  {
    INFO("a forged approval (a member's index, another key's signature): invalid_signature");
    const double before = federation.misbehaviour(0, "invalid_signature");
    Session session = handshake(federation, 0, "127.0.0.7", clients[4], kChainId, genesis);
    // For a block nobody has approved: a forged copy of an approval already seen is dropped as a
    // duplicate before any check (it can do no harm), so the forgery names a fresh block.
    auto head = federation.head(0);
    REQUIRE(head);
    alys::Hash32 block_hash{};
    for (auto& byte : block_hash) byte = static_cast<std::uint8_t>(random());
    alys::chain::ApproveBlock forged;
    forged.block_hash = block_hash;
    forged.height = head->height + 1;
    forged.round = 0;
    forged.approval.member_index = 1;
    forged.approval.signature = clients[4].schnorr_sign(
        alys::approval_message(kChainId, block_hash, 0), alys::random_bytes32());
    session.peer->send(session.sealer->seal(frame_of(forged)));
    CHECK(session.peer->closed_within(10s));
    CHECK(counted(federation, 0, "invalid_signature", before));
  }
  {
    INFO("a replayed record: authentication");
    const double before = federation.misbehaviour(0, "authentication");
    Session session = handshake(federation, 0, "127.0.0.8", clients[5], kChainId, genesis);
    const alys::Bytes record = session.sealer->seal(frame_of(wire::Ping{7}));
    session.peer->send(record);
    session.peer->send(record);
    CHECK(session.peer->closed_within(10s));
    CHECK(counted(federation, 0, "authentication", before));
  }
  {
    INFO("a flood above max_messages_per_second: rate_limit");
    const double before = federation.misbehaviour(0, "rate_limit");
    Session session = handshake(federation, 0, "127.0.0.9", clients[6], kChainId, genesis);
    alys::Bytes burst;
    for (std::uint64_t i = 0; i < 2000; ++i)
      session.sealer->seal_into(frame_of(wire::Ping{i}), burst);
    session.peer->send(burst);
    CHECK(session.peer->closed_within(10s));
    CHECK(counted(federation, 0, "rate_limit", before));
  }
  producing(federation);
  federation.finished();
}

TEST_CASE("an alysd of another chain is refused as wrong_chain", "[integration][federation]") {
  Federation federation(federation_of(3, 300));
  federation.start_all();
  REQUIRE(federation.wait_heights({0, 1, 2}, 3, 30s));
  const double before = federation.misbehaviour(0, "wrong_chain");
  // One member of another chain (another chain id, so another genesis) dialling node1: the
  // handshake's chain binding refuses it before its key is looked at.
  alys::SecretKey foreign_key = alys::SecretKey::generate();
  FederationOptions options = federation_of(1, 300);
  options.chain_id = kChainId + 7;
  options.member_keys = {foreign_key};
  options.dial = {{federation.node(0).key_hex, federation.node(0).net_address()}};
  options.prefix = "alys-foreign";
  Federation foreign(options);
  foreign.start_all();
  CHECK(counted(federation, 0, "wrong_chain", before));
  // Its dials keep failing: node1 never lists it as connected, and the federation produces on.
  producing(federation);
  const auto peers = federation.network_peers(0);
  CHECK(alys::testing::fed_json::serialize(peers).find(foreign.node(0).key_hex) ==
        std::string::npos);
  foreign.finished();
  federation.finished();
}
