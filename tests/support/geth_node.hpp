// alysd members with the engine-api backend, each driving its own real Geth, for integration
// tests: a Federation (federation.hpp) whose nodes' [engine] tables say backend = "engine-api",
// engine_url = that node's Geth, jwt_secret_file = "jwt.hex" (in the node's dir, shared with its
// Geth). Per node: `alys-ctl genesis --engine geth --config node.toml`, `geth init`, Geth started
// on loopback ports chosen now, then alysd. Geths and alysds are stopped and killed by PID.
//
//   if (auto skip = GethFederation::skip_reason()) { WARN("SKIP: " << *skip); return; }
//   GethFederation net(geth_federation_of(1));   // slots of 1000 ms: Geth counts whole seconds
//   net.start_all();                              // every Geth, then every alysd
//   net.geth(0).rpc("eth_getBlockByNumber", {"latest", false});
//   net.kill_geth(0); net.start_geth(0);          // a crash and a restart on the same datadir
//   net.reset_geth(0);                            // an empty datadir: geth init again
//
// Needs ALYS_BINARY_DIR and ALYS_SOURCE_DIR (alys_add_test sets them). Not thread-safe.
#pragma once

#include <catch2/catch.hpp>

#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "child_process.hpp"
#include "federation.hpp"
#include "geth_process.hpp"

namespace alys::testing {

// `members` members with dev mining and 1000 ms slots (the shortest Geth's whole-second block
// times allow), genesis far enough ahead for `geth init` and Geth's start.
inline FederationOptions geth_federation_of(std::size_t members) {
  FederationOptions options = federation_of(members, 1000);
  options.genesis_delay_ms = 8000;
  options.prefix = "alys-geth-node";
  return options;
}

class GethFederation {
 public:
  // nullopt when Geth is installed; otherwise why the test cannot run.
  static std::optional<std::string> skip_reason() {
    if (find_geth()) return std::nullopt;
    return geth_missing_reason();
  }

  // REQUIRES skip_reason() is nullopt. `options.slot_ms` must be a multiple of 1000.
  explicit GethFederation(FederationOptions options, std::string engine_extra = {})
      : binary_(*find_geth()) {
    const std::size_t total = options.members + options.observers;
    for (std::size_t i = 0; i < total; ++i) {
      GethMember member;
      member.authrpc_port = free_loopback_port();
      do member.http_port = free_loopback_port();
      while (member.http_port == member.authrpc_port);
      members_.push_back(std::move(member));
    }
    options.node_engine_extra = [this, engine_extra](std::size_t i) {
      return "backend = \"engine-api\"\nengine_url = \"http://127.0.0.1:" +
             std::to_string(members_.at(i).authrpc_port) + "\"\njwt_secret_file = \"jwt.hex\"\n" +
             engine_extra;
    };
    federation_ = std::make_unique<Federation>(std::move(options));
    for (std::size_t i = 0; i < total; ++i) {
      write_jwt_secret(jwt_file(i));
      write_genesis(i);
    }
  }

  Federation& federation() { return *federation_; }
  std::size_t size() const { return members_.size(); }
  std::filesystem::path node_dir(std::size_t i) { return federation_->node(i).dir; }
  std::filesystem::path jwt_file(std::size_t i) { return node_dir(i) / "jwt.hex"; }
  std::filesystem::path genesis_file(std::size_t i) { return node_dir(i) / "genesis.json"; }
  std::filesystem::path datadir(std::size_t i) { return node_dir(i) / "geth"; }
  GethProcess& geth(std::size_t i) { return *members_.at(i).process; }
  bool geth_running(std::size_t i) {
    return members_.at(i).process && members_.at(i).process->running();
  }

  // `alys-ctl genesis --engine geth` from node i's own config.
  void write_genesis(std::size_t i) {
    ChildProcess ctl({ALYS_BINARY_DIR "/bin/alys-ctl", "genesis", "--engine", "geth", "--config",
                      federation_->node(i).config.string(), "--out", genesis_file(i).string()},
                     node_dir(i) / "alys-ctl-genesis.log");
    const auto code = ctl.wait_exit(std::chrono::seconds(30));
    INFO("alys-ctl genesis: " << ctl.output());
    REQUIRE(code == 0);
  }

  // `geth init` on an empty datadir (a datadir left from before is removed first).
  void init_geth(std::size_t i) {
    std::filesystem::remove_all(datadir(i));
    const auto log = node_dir(i) / ("geth-init." + std::to_string(++members_.at(i).inits) + ".log");
    GethInit init = geth_init(binary_, datadir(i), genesis_file(i), log);
    INFO("geth init: " << init.output);
    REQUIRE(init.code == 0);
  }

  // Starts node i's Geth on its datadir and ports (initialised first if it never was) and waits
  // until it answers.
  void start_geth(std::size_t i) {
    GethMember& member = members_.at(i);
    if (member.inits == 0) init_geth(i);
    REQUIRE_FALSE(geth_running(i));
    GethOptions options;
    options.binary = binary_;
    options.datadir = datadir(i);
    options.jwt_secret = jwt_file(i);
    options.log = node_dir(i) / ("geth." + std::to_string(++member.starts) + ".log");
    options.authrpc_port = member.authrpc_port;
    options.http_port = member.http_port;
    // The payload builder moves the gas limit toward its own target otherwise (docs/engine.md).
    options.extra_flags = {"--miner.gaslimit", "30000000"};
    member.logs.push_back(options.log);
    member.process = std::make_unique<GethProcess>(options);
    const bool ready = member.process->wait_ready();
    INFO("geth did not come up: " << member.process->output());
    REQUIRE(ready);
  }
  void stop_geth(std::size_t i) {
    if (members_.at(i).process) members_.at(i).process->stop();
  }
  void kill_geth(std::size_t i) {
    if (members_.at(i).process) members_.at(i).process->kill();
  }
  // A Geth that lost everything: stopped, initialised on an empty datadir, started again.
  void reset_geth(std::size_t i) {
    stop_geth(i);
    init_geth(i);
    start_geth(i);
  }

  // Every Geth, then every alysd (each waited for).
  void start_all() {
    for (std::size_t i = 0; i < size(); ++i) start_geth(i);
    federation_->start_all();
  }

  // Geth's block at `tag` ("latest", "safe", "finalized", a quantity): its hash, number and state
  // root; nullopt when it has none (or does not answer).
  struct GethBlock {
    std::string hash;
    std::uint64_t number = 0;
    std::string state_root;
  };
  std::optional<GethBlock> geth_block(std::size_t i, const std::string& tag) {
    auto block = geth(i).rpc("eth_getBlockByNumber", boost::json::array{tag.c_str(), false});
    if (!block || !block->is_object()) return std::nullopt;
    const auto& object = block->as_object();
    return GethBlock{
        std::string(object.at("hash").as_string()),
        std::stoull(std::string(object.at("number").as_string()).substr(2), nullptr, 16),
        std::string(object.at("stateRoot").as_string())};
  }

  // The payload hash of alysd node i's block at `height` (chain_getBlockByHeight).
  std::optional<std::string> payload_hash(std::size_t i, std::uint64_t height) {
    auto block = federation_->rpc(i, "chain_getBlockByHeight", "[" + std::to_string(height) + "]");
    if (!block || !block->is_object()) return std::nullopt;
    return std::string(block->as_object().at("payload").as_object().at("blockHash").as_string());
  }

  // Every Geth log of node i, all starts.
  std::string geth_log_text(std::size_t i) {
    std::string text;
    for (const auto& log : members_.at(i).logs) text += read_file(log);
    return text;
  }

  // The test ran to its end: no logs to show.
  void finished() {
    finished_ = true;
    federation_->finished();
  }

  ~GethFederation() {
    // alysd first: it would otherwise log the Geths going away as an outage.
    for (std::size_t i = 0; i < size(); ++i) federation_->stop(i);
    for (std::size_t i = 0; i < size(); ++i) {
      stop_geth(i);
      if (finished_) continue;
      for (const auto& log : members_.at(i).logs) {
        std::cerr << "----- " << log.string() << " (tail)\n";
        const std::string text = read_file(log);
        std::cerr << text.substr(text.size() > 4000 ? text.size() - 4000 : 0) << "\n";
      }
    }
  }
  GethFederation(const GethFederation&) = delete;
  GethFederation& operator=(const GethFederation&) = delete;

 private:
  struct GethMember {
    std::uint16_t authrpc_port = 0;
    std::uint16_t http_port = 0;
    int inits = 0;
    int starts = 0;
    std::unique_ptr<GethProcess> process;
    std::vector<std::filesystem::path> logs;
  };

  std::filesystem::path binary_;
  std::vector<GethMember> members_;  // before federation_: its options refer to the ports
  std::unique_ptr<Federation> federation_;
  bool finished_ = false;
};

}  // namespace alys::testing
