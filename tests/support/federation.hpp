// A federation of real alysd processes on loopback for integration tests and benchmarks: N members
// and some observers, each with its own key, config, data dir, admin port and network port (chosen
// at run time), started, stopped (SIGTERM), killed (SIGKILL) and restarted on the same data dir by
// PID. Reads each node over its admin JSON-RPC (chain_status, blocks, eth_*, network_peers,
// network_fault, /metrics). When the test ends early (or ALYS_TEST_SHOW_LOGS is set) the tail of
// every node's log is printed.
// Needs ALYS_BINARY_DIR (alys_add_test sets it) and Boost.JSON.
#pragma once

#include <catch2/catch.hpp>

#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "alys/domain/hash.hpp"
#include "alys/domain/secp256k1.hpp"
#include "child_process.hpp"
#include "dev_files.hpp"
#include "loopback_http.hpp"
#include "temp_dir.hpp"

namespace alys::testing {

namespace fed_json = boost::json;

struct FederationOptions {
  std::size_t members = 3;
  std::size_t threshold = 0;  // 0: the default rule (2N+2)/3
  std::size_t observers = 0;
  std::uint64_t slot_ms = 300;
  std::uint64_t chain_id = 263634;
  bool fault_injection = true;
  // Members merge-mine their own blocks (dev difficulty, never retargeted), so blocks finalize.
  bool dev_mine = true;
  // Secret keys of the first members (e.g. another federation's, for a wrong-chain test); the rest
  // are fresh.
  std::vector<SecretKey> member_keys;
  // Keys every node admits besides the members and observers (x-only hex): the tests' raw peers.
  std::vector<std::string> admitted_keys;
  // Nodes every node of this federation dials too: {x-only key hex, "host:port"}.
  std::vector<std::pair<std::string, std::string>> dial;
  std::string network_extra;  // more lines of [network]
  std::string engine_extra;   // more lines of [engine]
  std::string chain_extra;    // more lines of [chain] on every node (spec keys)
  // More lines of [engine] for node i alone (e.g. its own execution client's URL: geth_node.hpp).
  std::function<std::string(std::size_t)> node_engine_extra;
  std::uint64_t genesis_delay_ms = 3000;  // genesis this far after the fixture is made
  // Or genesis at this unix time (rounded down to a slot start), e.g. in the past for a chain built
  // before the members start (prebuilt_chain.hpp).
  std::optional<std::uint64_t> genesis_ms;
  std::uint64_t max_blocks_without_pow = 50;
  std::string prefix = "alys-federation";
};

// `members` members (threshold by the default rule) with slots of `slot_ms`; the rest as defaults.
inline FederationOptions federation_of(std::size_t members, std::uint64_t slot_ms,
                                       std::size_t observers = 0) {
  FederationOptions options;
  options.members = members;
  options.slot_ms = slot_ms;
  options.observers = observers;
  return options;
}

struct Head {
  std::uint64_t height = 0;
  std::string hash;
  std::optional<std::uint64_t> finalized;
};

// A block as chain_getBlockByHeight shows it, the fields the tests compare.
struct BlockView {
  std::uint64_t height = 0;
  std::string hash;
  std::string parent_hash;
  std::uint64_t slot = 0;
  std::uint64_t author = 0;
  std::string state_root;
  std::size_t approvals = 0;
  std::size_t transactions = 0;
};

struct FederationNode {
  std::string name;  // node1.., observer1..
  bool member = false;
  SecretKey key = SecretKey::generate();
  std::string key_hex;  // x-only public key
  std::uint16_t admin_port = 0;
  std::uint16_t net_port = 0;
  std::filesystem::path dir;
  std::filesystem::path config;
  std::string token;
  int starts = 0;
  std::unique_ptr<ChildProcess> process;
  std::vector<std::filesystem::path> logs;  // one per start

  std::string net_address() const { return "127.0.0.1:" + std::to_string(net_port); }
  std::string admin_url() const { return "http://127.0.0.1:" + std::to_string(admin_port) + "/"; }
};

class Federation {
 public:
  explicit Federation(FederationOptions options)
      : options_(std::move(options)), dir_(options_.prefix) {
    const std::size_t total = options_.members + options_.observers;
    for (std::size_t i = 0; i < total; ++i) {
      auto node = std::make_unique<FederationNode>();
      node->member = i < options_.members;
      node->name = node->member ? "node" + std::to_string(i + 1)
                                : "observer" + std::to_string(i - options_.members + 1);
      if (node->member && i < options_.member_keys.size()) node->key = options_.member_keys[i];
      node->key_hex = to_hex(node->key.xonly_public_key());
      node->admin_port = free_loopback_port();
      do {
        node->net_port = free_loopback_port();
      } while (node->net_port == node->admin_port);
      node->dir = dir_.path() / node->name;
      node->token = "token-" + node->name;
      nodes_.push_back(std::move(node));
    }
    const std::uint64_t now_ms =
        static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                       std::chrono::system_clock::now().time_since_epoch())
                                       .count());
    // Genesis a little ahead, as a federation's launch agrees on it: block 1's slot comes after
    // every member's network is up. (A proposal made before then reaches its peers only by the
    // stall replay, a second or more later; the observer test starts members on a prebuilt chain
    // and goes through exactly that.)
    genesis_ms_ = options_.genesis_ms.value_or(now_ms + options_.genesis_delay_ms) /
                  options_.slot_ms * options_.slot_ms;
    for (auto& node : nodes_) write_files(*node);
  }

  ~Federation() {
    if (finished_ && !std::getenv("ALYS_TEST_SHOW_LOGS")) return;
    // ALYS_TEST_LOG_LINES: how many last lines of each log (default 80).
    const char* lines = std::getenv("ALYS_TEST_LOG_LINES");
    for (const auto& node : nodes_)
      for (const auto& log : node->logs) print_tail(log, lines ? std::stoul(lines) : 80);
    // And what each running node says of itself now.
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      if (!running(i)) continue;
      auto status = rpc(i, "chain_status");
      std::cerr << "----- " << nodes_[i]->name << " chain_status: "
                << (status ? fed_json::serialize(*status) : std::string("no answer")) << "\n";
      if (std::getenv("ALYS_DEBUG_METRICS")) {
        std::istringstream text(metrics(i));
        for (std::string line; std::getline(text, line);)
          if (line.starts_with("alys_plugin_") && !line.ends_with(" 0")) std::cerr << line << "\n";
      }
    }
  }
  Federation(const Federation&) = delete;
  Federation& operator=(const Federation&) = delete;

  // The test ran to its end: no logs to show.
  void finished() { finished_ = true; }

  std::size_t size() const { return nodes_.size(); }
  std::size_t members() const { return options_.members; }
  std::size_t threshold() const {
    return options_.threshold ? options_.threshold : (2 * options_.members + 2) / 3;
  }
  std::uint64_t slot_ms() const { return options_.slot_ms; }
  std::uint64_t chain_id() const { return options_.chain_id; }
  std::uint64_t genesis_ms() const { return genesis_ms_; }
  FederationNode& node(std::size_t i) { return *nodes_.at(i); }
  const TempDir& dir() const { return dir_; }

  // Starts node i (on its data dir as left by an earlier run); REQUIRES it is not running.
  void start(std::size_t i) {
    FederationNode& n = node(i);
    REQUIRE_FALSE(running(i));
    ++n.starts;
    const auto log = n.dir / ("alysd." + std::to_string(n.starts) + ".log");
    n.logs.push_back(log);
    n.process = std::make_unique<ChildProcess>(
        std::vector<std::string>{ALYS_BINARY_DIR "/bin/alysd", "--config", n.config.string()}, log);
  }
  void start_all() {
    for (std::size_t i = 0; i < size(); ++i) start(i);
    for (std::size_t i = 0; i < size(); ++i) wait_ready(i);
  }
  // Until node i answers chain_status with its head read (not syncing its start).
  void wait_ready(std::size_t i, std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    const bool ready = wait_until([&] { return head(i).has_value(); }, timeout);
    INFO(node(i).name << " did not answer chain_status");
    REQUIRE(ready);
  }
  bool running(std::size_t i) { return node(i).process && node(i).process->running(); }
  // SIGTERM and wait for the exit (SIGKILL after 20 s).
  void stop(std::size_t i) {
    FederationNode& n = node(i);
    if (!n.process) return;
    n.process->signal(SIGTERM);
    if (!n.process->wait_exit(std::chrono::seconds(20))) n.process->signal(SIGKILL);
    n.process->wait_exit(std::chrono::seconds(10));
    n.process.reset();
  }
  void kill(std::size_t i) {
    FederationNode& n = node(i);
    if (!n.process) return;
    n.process->signal(SIGKILL);
    n.process->wait_exit(std::chrono::seconds(10));
    n.process.reset();
  }
  void restart(std::size_t i) {
    stop(i);
    start(i);
    wait_ready(i);
  }

  // JSON-RPC on node i's admin endpoint, with its token. nullopt when it does not answer or answers
  // with an error (then `error` holds it).
  std::optional<fed_json::value> rpc(std::size_t i, const std::string& method,
                                     const std::string& params = "[]",
                                     std::string* error = nullptr) {
    FederationNode& n = node(i);
    const std::string body =
        R"({"jsonrpc":"2.0","id":1,"method":")" + method + R"(","params":)" + params + "}";
    auto reply = http_request("127.0.0.1", n.admin_port, "POST", "/", body,
                              {"Authorization: Bearer " + n.token});
    if (!reply) {
      if (error) *error = "no answer";
      return std::nullopt;
    }
    fed_json::value parsed;
    try {
      parsed = fed_json::parse(reply->body);
    } catch (const std::exception&) {
      if (error) *error = "not JSON: " + reply->body;
      return std::nullopt;
    }
    if (!parsed.is_object()) return std::nullopt;
    if (auto* failure = parsed.as_object().if_contains("error")) {
      if (error) *error = fed_json::serialize(*failure);
      return std::nullopt;
    }
    if (auto* result = parsed.as_object().if_contains("result")) return *result;
    return std::nullopt;
  }
  fed_json::value must(std::size_t i, const std::string& method, const std::string& params = "[]") {
    std::string error;
    auto result = rpc(i, method, params, &error);
    INFO(node(i).name << " " << method << " " << params << " -> " << error);
    REQUIRE(result);
    return *result;
  }

  std::optional<Head> head(std::size_t i) {
    auto status = rpc(i, "chain_status");
    if (!status || !status->is_object()) return std::nullopt;
    const auto& object = status->as_object();
    if (auto* syncing = object.if_contains("syncing");
        syncing && syncing->is_bool() && syncing->as_bool() && !object.at("head").is_object())
      return std::nullopt;
    const auto& head = object.at("head").as_object();
    Head out;
    out.height = to_u64(head.at("height"));
    out.hash = std::string(head.at("hash").as_string());
    if (auto* finalized = object.if_contains("finalized"); finalized && finalized->is_object())
      out.finalized = to_u64(finalized->as_object().at("height"));
    return out;
  }
  std::uint64_t height(std::size_t i) {
    auto h = head(i);
    return h ? h->height : 0;
  }

  std::optional<BlockView> block(std::size_t i, std::uint64_t height) {
    auto result = rpc(i, "chain_getBlockByHeight", "[" + std::to_string(height) + "]");
    if (!result || !result->is_object()) return std::nullopt;
    const auto& object = result->as_object();
    BlockView view;
    view.height = to_u64(object.at("height"));
    view.hash = std::string(object.at("hash").as_string());
    view.parent_hash = std::string(object.at("parentHash").as_string());
    view.slot = to_u64(object.at("slot"));
    view.author = to_u64(object.at("author"));
    const auto& payload = object.at("payload").as_object();
    view.state_root = std::string(payload.at("stateRoot").as_string());
    view.transactions = payload.at("transactions").as_array().size();
    view.approvals = object.at("approvals").as_array().size();
    return view;
  }

  // Polls every 50 ms until `predicate` holds; false on timeout.
  static bool wait_until(const std::function<bool()>& predicate,
                         std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (predicate()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return predicate();
  }
  // Until every node in `nodes` has a head at or above `height`.
  bool wait_heights(const std::vector<std::size_t>& nodes, std::uint64_t height,
                    std::chrono::milliseconds timeout) {
    return wait_until(
        [&] {
          for (std::size_t i : nodes)
            if (height_or_zero(i) < height) return false;
          return true;
        },
        timeout);
  }
  std::vector<std::size_t> all() const {
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < size(); ++i) out.push_back(i);
    return out;
  }

  // network_peers (read-only) and network_fault (token; fault_injection = true).
  fed_json::value network_peers(std::size_t i) { return must(i, "network_peers", "{}"); }
  fed_json::value network_fault(std::size_t i, const std::vector<std::size_t>& drop) {
    std::string keys;
    for (std::size_t d : drop) keys += (keys.empty() ? "\"" : ",\"") + node(d).key_hex + "\"";
    return must(i, "network_fault", "{\"drop\":[" + keys + "]}");
  }
  // Peers node i reports as connected.
  std::size_t connected_peers(std::size_t i) {
    auto peers = rpc(i, "network_peers", "{}");
    if (!peers || !peers->is_object()) return 0;
    auto* list = peers->as_object().if_contains("peers");
    if (!list || !list->is_array()) return 0;
    std::size_t count = 0;
    for (const auto& peer : list->as_array())
      if (peer.is_object() && peer.as_object().if_contains("state") &&
          peer.as_object().at("state") == "connected")
        ++count;
    return count;
  }

  // GET /metrics of node i ("" when it does not answer).
  std::string metrics(std::size_t i) {
    auto reply = http_request("127.0.0.1", node(i).admin_port, "GET", "/metrics");
    return reply ? reply->body : "";
  }
  // The value of the sample whose name and labels start with `sample`, e.g.
  // `alys_plugin_network_misbehaviour_total{role="network",reason="garbage"}`, summed over the
  // samples that match (all label sets when `sample` is a bare name); 0 when absent.
  double metric(std::size_t i, const std::string& sample) {
    std::istringstream lines(metrics(i));
    double total = 0;
    for (std::string line; std::getline(lines, line);) {
      if (line.empty() || line[0] == '#' || !line.starts_with(sample)) continue;
      const std::string rest = line.substr(sample.size());
      if (!rest.empty() && rest[0] != ' ' && rest[0] != '{' && rest[0] != ',') continue;
      total += std::stod(line.substr(line.rfind(' ') + 1));
    }
    return total;
  }
  // A plugin's metric as the host exposes it (`alys_plugin_` + name, labels after role), e.g.
  // plugin_metric(i, "network_messages_sent_total", "type=\"approval\"").
  double plugin_metric(std::size_t i, const std::string& name, const std::string& labels = "") {
    const std::string full = "alys_plugin_" + name;
    return metric(i, labels.empty() ? full : full + "{role=\"network\"," + labels + "}");
  }
  double misbehaviour(std::size_t i, const std::string& reason) {
    return plugin_metric(i, "network_misbehaviour_total", "reason=\"" + reason + "\"");
  }

  // Everything node i has logged over all its starts.
  std::string log_text(std::size_t i) {
    std::string text;
    for (const auto& log : node(i).logs) text += read_file(log);
    return text;
  }

  // Every block of node i from `from` to `to` (inclusive); REQUIREs each exists.
  std::vector<BlockView> blocks(std::size_t i, std::uint64_t from, std::uint64_t to) {
    std::vector<BlockView> out;
    for (std::uint64_t h = from; h <= to; ++h) {
      auto b = block(i, h);
      INFO(node(i).name << " has no block " << h);
      REQUIRE(b);
      out.push_back(*b);
    }
    return out;
  }

  // The role tables every node shares (what follows `[engine]`, `[chain]`, `[chain.auxpow]`).
  std::string engine_table() const {
    return "chain_id = " + std::to_string(options_.chain_id) +
           "\nbase_fee_wei = 1000000000\nblock_gas_limit = 30000000\n" + options_.engine_extra;
  }
  std::string chain_spec_table() const {
    std::string members;
    for (std::size_t i = 0; i < options_.members; ++i)
      members += (i ? ", \"" : "\"") + nodes_[i]->key_hex + "\"";
    return "chain_id = " + std::to_string(options_.chain_id) + "\nmembers = [" + members +
           "]\nthreshold = " + std::to_string(threshold()) +
           "\nslot_ms = " + std::to_string(options_.slot_ms) +
           "\ngenesis_timestamp_ms = " + std::to_string(genesis_ms_) +
           "\ngenesis_alloc = [\n  { address = \"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266\", "
           "balance_wei = \"10000000000000000000000\" },\n]\n" +
           options_.chain_extra;
  }
  std::string auxpow_table() const {
    return "chain_id = 1953\ncommitment = \"coinbase-script\"\nmax_blocks_without_pow = " +
           std::to_string(options_.max_blocks_without_pow) +
           "\ninitial_bits = \"207fffff\"\n"
           "pow_limit = \"7fffff0000000000000000000000000000000000000000000000000000000000\"\n"
           "retarget_interval = 1000000\ntarget_spacing_s = 2\nmax_adjustment = 4\n";
  }

  std::string node_engine_table(const FederationNode& n) const {
    if (!options_.node_engine_extra) return {};
    for (std::size_t i = 0; i < nodes_.size(); ++i)
      if (nodes_[i].get() == &n) return options_.node_engine_extra(i);
    return {};
  }

  // The secret key's 64 hex digits (for a test that plays a node with it).
  static std::string secret_hex(const SecretKey& key) { return to_hex(key.bytes()); }

 private:
  static std::uint64_t to_u64(const fed_json::value& value) {
    if (value.is_int64()) return static_cast<std::uint64_t>(value.as_int64());
    if (value.is_uint64()) return value.as_uint64();
    if (value.is_string()) {
      const std::string text(value.as_string());
      return text.starts_with("0x") ? std::stoull(text.substr(2), nullptr, 16) : std::stoull(text);
    }
    return 0;
  }
  std::uint64_t height_or_zero(std::size_t i) {
    auto h = head(i);
    return h ? h->height : 0;
  }

  static void print_tail(const std::filesystem::path& log, std::size_t lines) {
    std::istringstream text(read_file(log));
    std::vector<std::string> all;
    for (std::string line; std::getline(text, line);) all.push_back(line);
    std::cerr << "----- " << log.parent_path().filename().string() << "/" << log.filename().string()
              << " (last " << std::min(lines, all.size()) << " of " << all.size() << " lines)\n";
    for (std::size_t k = all.size() > lines ? all.size() - lines : 0; k < all.size(); ++k)
      std::cerr << all[k] << "\n";
  }

  void write_files(FederationNode& n) {
    std::filesystem::create_directories(n.dir);
    const auto key_file = n.dir / "node.key";
    std::ofstream(key_file) << secret_hex(n.key) << "\n";
    std::filesystem::permissions(
        key_file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
        std::filesystem::perm_options::replace);
    const auto token_file = n.dir / "token";
    std::ofstream(token_file) << n.token << "\n";
    std::filesystem::permissions(
        token_file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
        std::filesystem::perm_options::replace);

    std::string peers;
    for (const auto& other : nodes_) {
      if (other.get() == &n) continue;
      // Members dial each other; an observer dials the members; members admit observers.
      if (other->member)
        peers += "  { public_key = \"" + other->key_hex + "\", address = \"" +
                 other->net_address() + "\" },\n";
      else if (n.member)
        peers += "  { public_key = \"" + other->key_hex + "\" },\n";
    }
    for (const auto& key : options_.admitted_keys) peers += "  { public_key = \"" + key + "\" },\n";
    for (const auto& [key, address] : options_.dial)
      peers += "  { public_key = \"" + key + "\", address = \"" + address + "\" },\n";

    std::string chain_local;
    if (n.member) {
      chain_local =
          "key_file = \"node.key\"\n"
          "fee_recipient = \"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266\"\n";
      if (options_.dev_mine) chain_local += "dev_mine = true\n";
    }
    const std::string config = R"([host]
workers = 2
data_dir = "data"
log_level = "info"
admin_listen = "127.0.0.1:)" + std::to_string(n.admin_port) +
                               R"("
admin_token_file = "token"
swap_trial_ms = 300
plugin_dir = ")" + std::string(ALYS_BINARY_DIR "/plugins") +
                               R"("

[plugins.storage]
file = "storage/alys_storage.so"
backend = "leveldb"

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

[storage]
path = "chain.db"

[engine]
)" + engine_table() + node_engine_table(n) +
                               R"(
[network]
listen = ")" + n.net_address() +
                               R"("
key_file = "node.key"
fault_injection = )" + (options_.fault_injection ? "true" : "false") +
                               "\n" + options_.network_extra + R"(
peers = [
)" + peers + R"(]

[chain]
)" + chain_spec_table() + chain_local +
                               R"(
[chain.auxpow]
)" + auxpow_table() + R"(
[supervision]
strategy = "rest_for_one"
max_restarts = 5
period_ms = 10000
children = ["storage", "engine", "chain", "network"]
)";
    n.config = n.dir / "node.toml";
    std::ofstream(n.config) << config;
  }

  FederationOptions options_;
  TempDir dir_;
  std::uint64_t genesis_ms_ = 0;
  std::vector<std::unique_ptr<FederationNode>> nodes_;
  bool finished_ = false;
};

}  // namespace alys::testing
