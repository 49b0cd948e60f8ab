// The network role in real alysd processes on loopback: two nodes handshake and exchange status,
// network_peers lists them, a restarted peer is dialled again, and raw sockets that misbehave
// (garbage, an unknown key, another chain, an oversize record, a tampered record, a flood) are cut
// off and counted by reason in /metrics.
#include <sys/stat.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>

#include <boost/asio.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cstdlib>
#include <regex>
#include <string>
#include <thread>

#include "alys/domain/hash.hpp"
#include "alys/domain/secp256k1.hpp"
#include "child_process.hpp"
#include "dev_files.hpp"
#include "loopback_http.hpp"
#include "temp_dir.hpp"
#include "wire/handshake.hpp"
#include "wire/messages.hpp"
#include "wire/secure_channel.hpp"

using namespace alys;
namespace wire = alys::network::wire;
using namespace std::chrono_literals;
using alys::testing::ChildProcess;
using alys::testing::free_loopback_port;
using alys::testing::http_request;
using alys::testing::TempDir;
namespace json = boost::json;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

const std::string kAlysd = ALYS_BINARY_DIR "/bin/alysd";
const std::string kPluginDir = ALYS_BINARY_DIR "/plugins";
constexpr std::uint64_t kChainId = 424242;

std::string key_hex(const SecretKey& key) { return to_hex(key.xonly_public_key()); }

// One alysd with storage (memory), engine, chain and network.
class Node {
 public:
  struct Options {
    std::string name;
    SecretKey chain_member;              // the federation's only member
    std::optional<SecretKey> chain_key;  // this node's chain key_file: a member; else observer
    SecretKey network_key;
    std::uint16_t network_port = 0;
    std::string peers;          // TOML array body of [network] peers
    std::string network_extra;  // more [network] lines
    bool with_token = false;    // an admin token (mutating methods), "secret-token"
  };

  Node(TempDir& dir, Options options) : dir_(dir), options_(std::move(options)) {
    admin_port_ = free_loopback_port();
    const std::string name = options_.name;
    write_key(name + "-net.key", options_.network_key);
    std::string chain_key;
    if (options_.chain_key) {
      write_key(name + "-chain.key", *options_.chain_key);
      chain_key = "key_file = \"" + name + "-chain.key\"\n";
    }
    std::string token_line;
    if (options_.with_token) {
      auto token = dir_.write(name + ".token", "secret-token\n");
      ::chmod(token.c_str(), 0600);
      token_line = "admin_token_file = \"" + name + ".token\"\n";
    }
    config_ = dir_.write(name + ".toml", "[host]\n" + token_line + R"(workers = 2
log_level = "info"
plugin_dir = ")" + kPluginDir + R"("

[plugins.storage]
file = "storage/alys_storage.so"
backend = "memory"

[plugins.engine]
file = "engine/alys_engine.so"
backend = "embedded"
requires = ["storage"]

[plugins.chain]
file = "chain/alys_chain.so"
requires = ["storage", "engine"]

[plugins.network]
file = "network/alys_network.so"
requires = ["storage", "engine", "chain"]

[engine]
chain_id = )" + std::to_string(kChainId) + R"(
base_fee_wei = 1000000000
block_gas_limit = 30000000

[chain]
chain_id = )" + std::to_string(kChainId) + R"(
members = [")" + key_hex(options_.chain_member) +
                                             R"("]
threshold = 1
slot_ms = 500
genesis_timestamp_ms = 1767225600000
fee_recipient = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
)" + chain_key + R"(
[network]
listen = "127.0.0.1:)" + std::to_string(options_.network_port) +
                                             R"("
key_file = ")" + name + R"(-net.key"
dial_backoff_min_ms = 50
dial_backoff_max_ms = 400
peers = [)" + options_.peers + "]\n" + options_.network_extra +
                                             "\n");
  }

  void start() {
    process_.reset();
    process_.emplace(
        std::vector<std::string>{kAlysd, "--config", config_.string(), "--data-dir",
                                 (dir_.path() / (options_.name + "-data")).string(),
                                 "--admin-listen", "127.0.0.1:" + std::to_string(admin_port_)},
        dir_.path() / (options_.name + "-" + std::to_string(++runs_) + ".log"));
  }
  void kill() { process_.reset(); }
  std::string output() const { return process_ ? process_->output() : std::string(); }
  bool wait_for_output(const std::string& needle, std::chrono::milliseconds timeout = 30s) {
    return process_ && process_->wait_for_output(needle, timeout);
  }

  std::optional<json::value> rpc(const std::string& method, const std::string& params = "{}",
                                 std::string* error = nullptr) {
    auto reply = http_request(
        "127.0.0.1", admin_port_, "POST", "/",
        R"({"jsonrpc":"2.0","id":1,"method":")" + method + R"(","params":)" + params + "}",
        options_.with_token ? std::vector<std::string>{"Authorization: Bearer secret-token"}
                            : std::vector<std::string>{});
    if (!reply) return std::nullopt;
    json::error_code ec;
    json::value parsed = json::parse(reply->body, ec);
    if (ec || !parsed.is_object()) return std::nullopt;
    if (auto* failure = parsed.as_object().if_contains("error")) {
      if (error) *error = json::serialize(*failure);
      return std::nullopt;
    }
    if (auto* result = parsed.as_object().if_contains("result")) return *result;
    return std::nullopt;
  }

  // `alys-ctl peers` against this node: its exit code and output.
  std::pair<int, std::string> ctl_peers() {
    const auto out = dir_.path() / (options_.name + "-ctl.out");
    const std::string command = std::string(ALYS_BINARY_DIR "/bin/alys-ctl") +
                                " --admin 127.0.0.1:" + std::to_string(admin_port_) + " peers > '" +
                                out.string() + "' 2>&1";
    const int status = std::system(command.c_str());
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, alys::testing::read_file(out)};
  }

  std::string metrics() {
    auto reply = http_request("127.0.0.1", admin_port_, "GET", "/metrics");
    return reply ? reply->body : std::string();
  }

  // Waits until /metrics has `line` (a whole sample line).
  bool wait_for_metric(const std::string& line, std::chrono::milliseconds timeout = 20s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (metrics().find("\n" + line + "\n") != std::string::npos) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }

  // The network_peers row of `key`, once `predicate` holds for it.
  template <class Predicate>
  std::optional<json::object> wait_for_peer(const SecretKey& key, Predicate predicate,
                                            std::chrono::milliseconds timeout = 30s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (auto peers = rpc("network_peers")) {
        for (const auto& row : peers->at("peers").as_array())
          if (row.at("key").as_string() == key_hex(key) && predicate(row.as_object()))
            return row.as_object();
      }
      std::this_thread::sleep_for(50ms);
    }
    return std::nullopt;
  }

  // network_peers' "self", once the spec is known.
  json::object self() {
    for (int i = 0; i < 600; ++i) {
      if (auto peers = rpc("network_peers")) {
        const auto& self = peers->at("self").as_object();
        if (self.contains("genesis_hash") && !self.at("listen").as_string().empty()) return self;
      }
      std::this_thread::sleep_for(50ms);
    }
    FAIL("network_peers never showed the spec:\n" << output());
    return {};
  }

 private:
  void write_key(const std::string& file, const SecretKey& key) {
    auto path = dir_.write(file, to_hex(key.bytes()));
    ::chmod(path.c_str(), 0600);
  }

  TempDir& dir_;
  Options options_;
  std::filesystem::path config_;
  std::uint16_t admin_port_ = 0;
  int runs_ = 0;
  std::optional<ChildProcess> process_;
};

// A peer written by hand: a socket and, when asked, a real handshake.
class RawPeer {
 public:
  explicit RawPeer(std::uint16_t port) : socket_(io_) {
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    set_timeout();
  }
  // The node's dial, taken on `acceptor`.
  explicit RawPeer(tcp::acceptor& acceptor) : socket_(io_) {
    acceptor.accept(socket_);
    set_timeout();
  }

  void write(ByteView bytes) {
    boost::system::error_code ignored;
    asio::write(socket_, asio::buffer(bytes.data(), bytes.size()), ignored);
  }

  // True when the node closes the connection (reads EOF or a reset) within the socket timeout.
  bool closed_by_node() {
    std::array<std::uint8_t, 4096> buffer{};
    for (;;) {
      boost::system::error_code error;
      socket_.read_some(asio::buffer(buffer), error);
      if (error == asio::error::eof || error == asio::error::connection_reset) return true;
      if (error) return false;  // the timeout
    }
  }

  // Runs the handshake as the initiator; the state it ended in.
  wire::Handshake::State handshake(const SecretKey& key, std::uint64_t chain_id,
                                   const Hash32& genesis,
                                   wire::HandshakeRole role = wire::HandshakeRole::initiator) {
    wire::Handshake handshake(
        wire::HandshakeConfig{key, chain_id, genesis, [](const XOnlyPublicKey&) { return true; }},
        role);
    write(handshake.take_output());
    std::array<std::uint8_t, 4096> buffer{};
    while (handshake.state() == wire::Handshake::State::in_progress) {
      boost::system::error_code error;
      const std::size_t n = socket_.read_some(asio::buffer(buffer), error);
      if (error) return wire::Handshake::State::failed;
      handshake.receive(ByteView(buffer.data(), n));
      write(handshake.take_output());
    }
    if (handshake.state() == wire::Handshake::State::done) {
      sealer_.emplace(handshake.keys().send_key);
      opener_.emplace(handshake.keys().receive_key);
      Bytes leftover = handshake.take_leftover();
      opener_->feed(leftover, opened_);
    }
    return handshake.state();
  }

  // The node's next message after the handshake; nullopt on a close or the socket timeout.
  std::optional<wire::Message> next_message() {
    std::array<std::uint8_t, 4096> buffer{};
    while (opened_.empty()) {
      boost::system::error_code error;
      const std::size_t n = socket_.read_some(asio::buffer(buffer), error);
      if (error || opener_->feed(ByteView(buffer.data(), n), opened_) != wire::ChannelFailure::none)
        return std::nullopt;
    }
    wire::DecodedFrame decoded = wire::decode_frame(opened_.front());
    opened_.erase(opened_.begin());
    return decoded.message;
  }

  Bytes seal_raw(ByteView frame) { return sealer_->seal(frame); }
  Bytes seal(const wire::Message& message) { return sealer_->seal(*wire::encode_frame(message)); }

 private:
  void set_timeout() {
    timeval timeout{10, 0};
    ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  }

  asio::io_context io_;
  tcp::socket socket_;
  std::optional<wire::Sealer> sealer_;
  std::optional<wire::Opener> opener_;
  std::vector<Bytes> opened_;  // frames opened, not yet read
};

Hash32 genesis_of(const json::object& self) {
  return *fixed_from_hex<32>(std::string(self.at("genesis_hash").as_string()));
}

std::string misbehaviour(const std::string& reason, int count) {
  return R"(alys_plugin_network_misbehaviour_total{role="network",reason=")" + reason + "\"} " +
         std::to_string(count);
}

std::string peer_entry(const SecretKey& key, std::uint16_t port = 0) {
  return "{ public_key = \"" + key_hex(key) + "\"" +
         (port != 0 ? ", address = \"127.0.0.1:" + std::to_string(port) + "\"" : "") + " }, ";
}

}  // namespace

TEST_CASE("two nodes handshake, exchange status, list each other; a restart is redialled",
          "[network][integration]") {
  TempDir dir("alys-net-pair");
  const SecretKey member = SecretKey::generate();
  const SecretKey observer = SecretKey::generate();
  const std::uint16_t member_port = free_loopback_port();
  const std::uint16_t observer_port = free_loopback_port();
  // Each dials the other: both must keep one connection, the same one.
  Node a(dir, {"a", member, member, member, member_port, peer_entry(observer, observer_port),
               "fault_injection = true", true});
  Node b(dir,
         {"b", member, std::nullopt, observer, observer_port, peer_entry(member, member_port), ""});
  a.start();
  b.start();
  INFO("a:\n" << a.output() << "\nb:\n" << b.output());

  const auto a_self = a.self();
  CHECK(a_self.at("identity").as_string() == "member 0");
  CHECK(a_self.at("listen").as_string() == "127.0.0.1:" + std::to_string(member_port));
  CHECK(b.self().at("identity").as_string() == "observer");

  // Each lists the other, with its status once exchanged.
  auto connected = [](const json::object& row) {
    return row.at("state").as_string() == "connected" && row.at("status").is_object();
  };
  auto seen_by_b = b.wait_for_peer(member, connected);
  REQUIRE(seen_by_b);
  CHECK(seen_by_b->at("identity").as_string() == "member 0");
  CHECK(seen_by_b->at("messages_in").as_int64() > 0);
  auto seen_by_a = a.wait_for_peer(observer, connected);
  REQUIRE(seen_by_a);
  CHECK(seen_by_a->at("identity").as_string() == "observer");
  // Give a duplicate time to be settled, then check both sides kept the same connection.
  std::this_thread::sleep_for(1s);
  seen_by_a = a.wait_for_peer(observer, connected);
  seen_by_b = b.wait_for_peer(member, connected);
  REQUIRE(seen_by_a);
  REQUIRE(seen_by_b);
  // The two sides agree on the one connection kept (when both dials meet, the smaller key's).
  CHECK(seen_by_a->at("direction").as_string() != seen_by_b->at("direction").as_string());
  CHECK(a.wait_for_metric(R"(alys_plugin_network_peers_connected{role="network"} 1)"));
  // The labelled families, as a real node writes them, pass promtool.
  const auto scraped = dir.write("a.prom", a.metrics());
  const std::string promtool = "/usr/bin/promtool check metrics < '" + scraped.string() + "' > '" +
                               (dir.path() / "promtool.out").string() + "' 2>&1";
  CHECK(std::system(promtool.c_str()) == 0);
  CHECK(alys::testing::read_file(dir.path() / "promtool.out").empty());
  const auto [code, table] = a.ctl_peers();
  INFO(table);
  CHECK(code == 0);
  CHECK(table.find("(member 0), listening on 127.0.0.1:" + std::to_string(member_port)) !=
        std::string::npos);
  CHECK(table.find("KEY") != std::string::npos);
  CHECK(table.find(key_hex(observer).substr(0, 16)) != std::string::npos);
  CHECK(table.find("observer") != std::string::npos);
  CHECK(table.find("connected") != std::string::npos);
  // The connection's age, not the epoch milliseconds it started at.
  CHECK(table.find("CONNECTED FOR") != std::string::npos);
  CHECK(std::regex_search(table, std::regex(R"((^|\s)[0-9]{1,2}s(\s|$))")));
  CHECK(a.metrics().find(
            R"(alys_plugin_network_messages_received_total{role="network",type="status"})") !=
        std::string::npos);

  // The observer follows the member's chain: proposals and sync reach its chain through the
  // network role.
  auto head_of = [](Node& node) -> std::int64_t {
    auto status = node.rpc("chain_status", "[]");
    return status ? status->at("head").at("height").to_number<std::int64_t>() : -1;
  };
  const auto follow_deadline = std::chrono::steady_clock::now() + 30s;
  while (head_of(b) < 3 && std::chrono::steady_clock::now() < follow_deadline)
    std::this_thread::sleep_for(100ms);
  CHECK(head_of(b) >= 3);
  CHECK(head_of(a) >= head_of(b));

  // The fault switch: traffic between the two stops both ways, the connection stays; then heals.
  std::string error;
  REQUIRE(a.rpc("network_fault", R"({"drop": [")" + key_hex(observer) + R"("]})", &error));
  auto dropped = a.wait_for_peer(
      observer, [](const json::object& row) { return row.at("fault_dropped").as_bool(); });
  REQUIRE(dropped);
  std::this_thread::sleep_for(500ms);  // frames already on the wire arrive
  const auto frozen = b.wait_for_peer(member, connected)->at("messages_in").as_int64();
  std::this_thread::sleep_for(3s);  // statuses go out every 2 s
  auto still = b.wait_for_peer(member, connected);
  REQUIRE(still);
  CHECK(still->at("messages_in").as_int64() == frozen);
  REQUIRE(a.rpc("network_fault", R"({"drop": []})", &error));
  CHECK(b.wait_for_peer(member, [frozen](const json::object& row) {
    return row.at("messages_in").as_int64() > frozen;
  }));

  // The member goes away and comes back on its port: the observer dials it again.
  const auto since = seen_by_b->at("connected_since_ms").as_int64();
  a.kill();
  REQUIRE(b.wait_for_peer(
      member, [](const json::object& row) { return row.at("state").as_string() != "connected"; }));
  a.start();
  auto again = b.wait_for_peer(member, [since](const json::object& row) {
    return row.at("state").as_string() == "connected" &&
           row.at("connected_since_ms").as_int64() > since;
  });
  CHECK(again);
}

TEST_CASE("misbehaving raw peers are cut off and counted by reason", "[network][integration]") {
  TempDir dir("alys-net-bad");
  const SecretKey member = SecretKey::generate();
  const SecretKey oversize = SecretKey::generate();
  const SecretKey tamper = SecretKey::generate();
  const SecretKey flood = SecretKey::generate();
  const std::uint16_t port = free_loopback_port();
  Node a(dir, {"a", member, member, member, port,
               peer_entry(oversize) + peer_entry(tamper) + peer_entry(flood),
               "max_messages_per_second = 50\nio_threads = 3"});
  a.start();
  INFO("node:\n" << a.output());
  const auto self = a.self();
  const Hash32 genesis = genesis_of(self);

  SECTION("garbage bytes before any handshake") {
    RawPeer peer(port);
    Bytes garbage(200, 0xAB);
    peer.write(garbage);
    CHECK(peer.closed_by_node());
    CHECK(a.wait_for_metric(misbehaviour("garbage", 1)));
  }
  SECTION("a key that is neither a member nor listed") {
    RawPeer peer(port);
    CHECK(peer.handshake(SecretKey::generate(), kChainId, genesis) ==
          wire::Handshake::State::failed);
    CHECK(a.wait_for_metric(misbehaviour("unknown_key", 1)));
  }
  SECTION("the member key of another chain") {
    RawPeer peer(port);
    CHECK(peer.handshake(member, kChainId + 1, genesis) == wire::Handshake::State::failed);
    CHECK(a.wait_for_metric(misbehaviour("wrong_chain", 1)));
  }
  SECTION("an oversize record after a good handshake; the key is banned") {
    {
      RawPeer peer(port);
      REQUIRE(peer.handshake(oversize, kChainId, genesis) == wire::Handshake::State::done);
      const std::uint32_t length = 64u << 20;
      peer.write(Bytes{static_cast<std::uint8_t>(length), static_cast<std::uint8_t>(length >> 8),
                       static_cast<std::uint8_t>(length >> 16),
                       static_cast<std::uint8_t>(length >> 24)});
      CHECK(peer.closed_by_node());
      CHECK(a.wait_for_metric(misbehaviour("oversize", 1)));
    }
    auto row = a.wait_for_peer(
        oversize, [](const json::object& r) { return r.at("state").as_string() == "banned"; });
    REQUIRE(row);
    CHECK(row->at("score").as_int64() == -100);
    // A banned key is refused at its next handshake.
    RawPeer again(port);
    again.handshake(oversize, kChainId, genesis);
    CHECK(again.closed_by_node());
    CHECK(a.wait_for_metric(
        R"(alys_plugin_network_connections_refused_total{role="network",reason="banned"} 1)"));
  }
  SECTION("a frame above its type's cap, and a frame that does not decode") {
    RawPeer peer(port);
    REQUIRE(peer.handshake(oversize, kChainId, genesis) == wire::Handshake::State::done);
    Bytes approval{wire::kWireVersion, static_cast<std::uint8_t>(wire::MessageType::approval)};
    approval.resize(2 + 4096, 0x11);  // an approval's cap is 256 bytes
    peer.write(peer.seal_raw(approval));
    CHECK(peer.closed_by_node());
    CHECK(a.wait_for_metric(misbehaviour("oversize", 1)));

    RawPeer other(port);
    REQUIRE(other.handshake(tamper, kChainId, genesis) == wire::Handshake::State::done);
    const Bytes ping{wire::kWireVersion, static_cast<std::uint8_t>(wire::MessageType::ping), 1};
    other.write(other.seal_raw(ping));  // 1 byte where a u64 is due
    CHECK(other.closed_by_node());
    CHECK(a.wait_for_metric(misbehaviour("garbage", 1)));
  }
  SECTION("a tampered record") {
    RawPeer peer(port);
    REQUIRE(peer.handshake(tamper, kChainId, genesis) == wire::Handshake::State::done);
    Bytes record = peer.seal(wire::Ping{7});
    record.back() ^= 0x01;
    peer.write(record);
    CHECK(peer.closed_by_node());
    CHECK(a.wait_for_metric(misbehaviour("authentication", 1)));
  }
  SECTION("a flood above max_messages_per_second") {
    RawPeer peer(port);
    REQUIRE(peer.handshake(flood, kChainId, genesis) == wire::Handshake::State::done);
    Bytes burst;
    for (std::uint64_t i = 0; i < 500; ++i) {
      Bytes record = peer.seal(wire::Ping{i});
      burst.insert(burst.end(), record.begin(), record.end());
    }
    peer.write(burst);
    CHECK(peer.closed_by_node());
    CHECK(a.wait_for_metric(misbehaviour("rate_limit", 1)));
  }
  // Whatever the peer did, the node is still serving.
  CHECK(a.rpc("network_peers"));
}

TEST_CASE("a hot swap of the network plugin keeps its bans; its peer reconnects",
          "[network][integration]") {
  TempDir dir("alys-net-swap");
  const SecretKey member = SecretKey::generate();
  const SecretKey observer = SecretKey::generate();
  const SecretKey bad = SecretKey::generate();
  const std::uint16_t member_port = free_loopback_port();
  Node a(dir, {"a", member, member, member, member_port, peer_entry(observer) + peer_entry(bad), "",
               true});
  Node b(dir, {"b", member, std::nullopt, observer, 0, peer_entry(member, member_port), ""});
  a.start();
  b.start();
  INFO("a:\n" << a.output() << "\nb:\n" << b.output());
  const Hash32 genesis = genesis_of(a.self());
  auto connected = [](const json::object& row) {
    return row.at("state").as_string() == "connected";
  };
  auto before = b.wait_for_peer(member, connected);
  REQUIRE(before);
  {
    RawPeer peer(member_port);
    REQUIRE(peer.handshake(bad, kChainId, genesis) == wire::Handshake::State::done);
    Bytes record = peer.seal(wire::Ping{1});
    record[5] ^= 0x40;
    peer.write(record);
    CHECK(peer.closed_by_node());
  }
  auto banned = [](const json::object& row) { return row.at("state").as_string() == "banned"; };
  REQUIRE(a.wait_for_peer(bad, banned));

  std::string error;
  auto swapped = a.rpc(
      "plugin_reload",
      R"({"role": "network", "path": ")" + kPluginDir + R"(/network/alys_network.so"})", &error);
  INFO(error);
  REQUIRE(swapped);
  // The ban went along, and the observer is connected to the new instance.
  CHECK(a.wait_for_peer(bad, banned, 5s));
  const auto since = before->at("connected_since_ms").as_int64();
  CHECK(b.wait_for_peer(member, [since](const json::object& row) {
    return row.at("state").as_string() == "connected" &&
           row.at("connected_since_ms").as_int64() > since;
  }));
  RawPeer again(member_port);
  again.handshake(bad, kChainId, genesis);
  CHECK(again.closed_by_node());
  CHECK(a.wait_for_metric(misbehaviour("authentication", 1)));
}

TEST_CASE("an idle connection is pinged; a peer that answers stays, a silent one is closed",
          "[network][integration]") {
  TempDir dir("alys-net-keepalive");
  const SecretKey member = SecretKey::generate();
  const SecretKey quiet = SecretKey::generate();
  const SecretKey live = SecretKey::generate();
  const std::uint16_t port = free_loopback_port();
  // Pings every 500 ms, closes after 2 s of silence.
  Node a(dir, {"a", member, member, member, port, peer_entry(quiet) + peer_entry(live),
               "idle_timeout_ms = 2000"});
  a.start();
  INFO("node:\n" << a.output());
  const Hash32 genesis = genesis_of(a.self());

  RawPeer answering(port);
  REQUIRE(answering.handshake(live, kChainId, genesis) == wire::Handshake::State::done);
  std::uint64_t pings = 0;
  const auto until = std::chrono::steady_clock::now() + 4s;
  while (std::chrono::steady_clock::now() < until) {
    auto message = answering.next_message();
    REQUIRE(message);
    if (const auto* ping = std::get_if<wire::Ping>(&*message)) {
      ++pings;
      answering.write(answering.seal(wire::Pong{ping->nonce}));
    }
  }
  CHECK(pings >= 4);
  auto row = a.wait_for_peer(
      live, [](const json::object& r) { return r.at("state").as_string() == "connected"; }, 1s);
  CHECK(row);

  RawPeer silent(port);
  REQUIRE(silent.handshake(quiet, kChainId, genesis) == wire::Handshake::State::done);
  const auto start = std::chrono::steady_clock::now();
  CHECK(silent.closed_by_node());
  CHECK(std::chrono::steady_clock::now() - start < 5s);
  CHECK(a.wait_for_output("silent for"));
}

TEST_CASE("a redial replaces a silent connection instead of being refused as duplicate",
          "[network][integration]") {
  TempDir dir("alys-net-halfopen");
  const SecretKey member = SecretKey::generate();
  // The node's own dial is the one kept between two connections: its key must be the smaller.
  SecretKey peer_key = SecretKey::generate();
  while (!(member.xonly_public_key() < peer_key.xonly_public_key()))
    peer_key = SecretKey::generate();
  asio::io_context io;
  tcp::acceptor listener(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const std::uint16_t peer_port = listener.local_endpoint().port();
  const std::uint16_t port = free_loopback_port();
  // Pings every 2 s: a connection silent for 4 s may be replaced; none is closed before 8 s.
  Node a(dir, {"a", member, member, member, port, peer_entry(peer_key, peer_port),
               "idle_timeout_ms = 8000"});
  a.start();
  INFO("node:\n" << a.output());
  const Hash32 genesis = genesis_of(a.self());

  RawPeer dialled(listener);  // then half-open: it never writes again
  REQUIRE(dialled.handshake(peer_key, kChainId, genesis, wire::HandshakeRole::responder) ==
          wire::Handshake::State::done);
  auto connected = [](const json::object& r) { return r.at("state").as_string() == "connected"; };
  REQUIRE(a.wait_for_peer(peer_key, connected));
  std::this_thread::sleep_for(4500ms);

  RawPeer redial(port);
  const auto start = std::chrono::steady_clock::now();
  REQUIRE(redial.handshake(peer_key, kChainId, genesis) == wire::Handshake::State::done);
  CHECK(dialled.closed_by_node());
  CHECK(std::chrono::steady_clock::now() - start < 2s);  // replaced, not timed out at 8 s
  auto row = a.wait_for_peer(peer_key, [](const json::object& r) {
    return r.at("state").as_string() == "connected" && r.at("direction").as_string() == "inbound";
  });
  CHECK(row);
}
