// Test support for the engine conformance suite (engine_conformance.test.cpp): the real storage
// and engine plugins in the in-process harness, the test playing the chain and a wallet, with the
// engine's backend chosen by configuration only. ALYS_ENGINE_BACKEND (environment) picks it:
// "embedded" (the default) or "engine-api", which also starts a real Geth initialised from a
// genesis of the same allocation (SKIP when Geth is not installed).
//
// The wallet side goes where a wallet goes for each backend: the engine's own Ethereum JSON-RPC
// (embedded) or Geth's HTTP RPC (engine-api). Everything else is the engine role's messages,
// identical for both.
#pragma once

#include <catch2/catch.hpp>

#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "alys/domain/block.hpp"
#include "alys/domain/wei.hpp"
#include "alys/schemas/engine.hpp"
#include "alys/schemas/storage.hpp"
#include "alys/testing.hpp"
#include "engine/geth_genesis.hpp"
#include "geth_process.hpp"
#include "temp_dir.hpp"

namespace alys::engine::testing {

inline constexpr std::uint64_t kConformanceChainId = 263634;
inline constexpr std::uint64_t kConformanceGenesisMs = 1'767'225'600'000;  // 2026-01-01
inline constexpr std::uint64_t kConformanceGasLimit = 30'000'000;
inline constexpr Wei kConformanceBaseFee = 1'000'000'000;

// The backend under test: ALYS_ENGINE_BACKEND, "embedded" when unset.
inline std::string conformance_backend() {
  const char* chosen = std::getenv("ALYS_ENGINE_BACKEND");
  return chosen && *chosen ? chosen : "embedded";
}

inline std::string bridge_runtime_hex() {
  std::ifstream file(ALYS_SOURCE_DIR "/contracts/bridge/Bridge.bin-runtime");
  std::string hex((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  while (!hex.empty() && (hex.back() == '\n' || hex.back() == '\r')) hex.pop_back();
  return hex;
}

// A Geth for the engine-api backend: initialised with the genesis alysd would generate for this
// allocation, its JWT secret in `dir`.
class ConformanceGeth {
 public:
  ConformanceGeth(const std::filesystem::path& binary, const std::filesystem::path& dir,
                  const std::vector<Mint>& alloc) {
    GethGenesisSpec spec;
    spec.chain_id = kConformanceChainId;
    spec.timestamp_s = kConformanceGenesisMs / 1000;
    spec.gas_limit = kConformanceGasLimit;
    spec.base_fee = kConformanceBaseFee;
    spec.alloc = alloc;
    spec.predeploys.push_back(Predeploy{*fixed_from_hex<20>(std::string(kBridgeContractAddress)),
                                        *from_hex(bridge_runtime_hex())});
    Result<std::string> genesis = geth_genesis_json(spec);
    REQUIRE(genesis.ok());
    const std::filesystem::path genesis_file = dir / "genesis.json";
    std::ofstream(genesis_file) << *genesis;
    const std::filesystem::path datadir = dir / "geth";
    alys::testing::GethInit init =
        alys::testing::geth_init(binary, datadir, genesis_file, dir / "geth-init.log");
    INFO(init.output);
    REQUIRE(init.code == 0);
    alys::testing::GethOptions options;
    options.binary = binary;
    options.datadir = datadir;
    options.jwt_secret = alys::testing::write_jwt_secret(dir / "jwt.hex");
    options.log = dir / "geth.log";
    options.extra_flags = {"--miner.gaslimit", std::to_string(kConformanceGasLimit)};
    process_.emplace(options);
    REQUIRE(process_->wait_ready());
  }

  alys::testing::GethProcess& process() { return *process_; }
  // A crash (SIGKILL) and a start again on the same data dir, secret and ports.
  void kill() { process_->kill(); }
  // A Geth that lost everything: its data dir initialised again from the same genesis.
  void start_empty(const std::filesystem::path& dir) {
    process_->stop();
    alys::testing::GethOptions options = process_->options();
    process_.reset();
    std::filesystem::remove_all(options.datadir);
    alys::testing::GethInit init = alys::testing::geth_init(
        options.binary, options.datadir, dir / "genesis.json", dir / "geth-init-again.log");
    REQUIRE(init.code == 0);
    process_.emplace(options);
    REQUIRE(process_->wait_ready());
  }
  void start_again() {
    alys::testing::GethOptions options = process_->options();
    process_.reset();
    process_.emplace(options);
    REQUIRE(process_->wait_ready());
  }

 private:
  std::optional<alys::testing::GethProcess> process_;
};

class ConformanceNode {
 public:
  // `dir` keeps the storage (leveldb) and, for engine-api, Geth: a second node on the same dir
  // and Geth is a restart.
  ConformanceNode(const std::filesystem::path& dir, ConformanceGeth* geth,
                  const std::string& engine_extra = {})
      : geth_(geth) {
    const std::string host = "host.data_dir = \"" + dir.string() + "\"\n";
    harness_.emplace(alys::testing::HarnessOptions{kConformanceGenesisMs, 0});
    harness_->add("storage", ALYS_STORAGE_PLUGIN,
                  host + "backend = \"leveldb\"\npath = \"chain.db\"\n");
    std::string engine = host + "chain_id = " + std::to_string(kConformanceChainId) + "\n";
    if (geth_) {
      engine += "backend = \"engine-api\"\nengine_url = \"" + geth_->process().authrpc_url() +
                "\"\njwt_secret_file = \"" + geth_->process().options().jwt_secret.string() +
                "\"\n";
    } else {
      engine +=
          "base_fee_wei = " + std::to_string(static_cast<std::uint64_t>(kConformanceBaseFee)) +
          "\nblock_gas_limit = " + std::to_string(kConformanceGasLimit) + "\n";
    }
    harness_->add("engine", ALYS_ENGINE_PLUGIN, engine + engine_extra, {"storage"});
    harness_->subscribe(kPegOutsRequestedTopic);
    harness_->start();
  }

  alys::testing::Harness& harness() { return *harness_; }
  bool on_geth() const { return geth_ != nullptr; }

  // Asks and waits for the answer, moving the virtual clock on in small steps: a backend may
  // answer from a timer (a build waits for the execution client to fill its payload).
  template <class Reply, class Request>
  Reply ask(const std::string& role, const Request& request) {
    std::uint64_t id = harness_->request(role, request, 60'000);
    harness_->run();
    for (int step = 0; step < 1200 && !harness_->reply(id); ++step)
      harness_->advance(std::chrono::milliseconds(50));
    std::optional<Reply> reply = harness_->reply_as<Reply>(id);
    if (!reply)
      throw std::runtime_error(std::string("no ") + std::string(Reply::schema_name) +
                               " in reply to " + std::string(Request::schema_name));
    return *reply;
  }

  Info info() { return ask<Info>("engine", GetInfo{}); }

  PayloadExecuted execute(const ExecutionPayload& payload, std::vector<Mint> mints = {},
                          bool genesis = false) {
    return ask<PayloadExecuted>("engine", ExecutePayload{payload, std::move(mints), genesis});
  }

  // The chain's import: the block (a real SignedBlock, as the chain stores it) with the engine's
  // changes in storage's CommitBlock, then CommitPayload.
  void import(const ExecutionPayload& payload, const PayloadExecuted& executed) {
    INFO(executed.error);
    REQUIRE(executed.error.empty());
    SignedBlock block;
    block.block.height = payload.number;
    block.block.parent_hash = parent_block_;
    block.block.slot = payload.timestamp_s * 1000 / 2000;
    block.block.timestamp_ms = payload.timestamp_s * 1000;
    block.block.payload = payload;
    storage::CommitBlock commit;
    commit.hash = block_hash(block.block);
    commit.height = payload.number;
    commit.block = encode(block);
    commit.engine_puts = executed.state_puts;
    commit.engine_deletes = executed.state_deletes;
    REQUIRE(ask<storage::Committed>("storage", commit).error.empty());
    parent_block_ = commit.hash;
    REQUIRE(harness_->send("engine", CommitPayload{payload.block_hash}).ok());
    settle();
  }

  // Lets the engine finish what a send started (a forkchoice update to the execution client).
  void settle() {
    harness_->run();
    harness_->advance(std::chrono::milliseconds(100));
  }

  ExecutionPayload genesis(const std::vector<Mint>& alloc) {
    PayloadBuilt built = ask<PayloadBuilt>("engine", BuildGenesis{kConformanceGenesisMs, alloc});
    INFO(built.error);
    REQUIRE(built.error.empty());
    import(built.payload, execute(built.payload, alloc, true));
    return built.payload;
  }

  PayloadBuilt build(std::uint64_t slot, std::vector<Mint> mints = {},
                     const EthAddress& fee_recipient = {}) {
    BuildPayload request;
    request.parent_payload_hash = info().head_payload_hash;
    request.timestamp_ms = kConformanceGenesisMs + 2000 * slot;
    request.fee_recipient = fee_recipient;
    request.mints = std::move(mints);
    return ask<PayloadBuilt>("engine", request);
  }

  ExecutionPayload produce(std::uint64_t slot, std::vector<Mint> mints = {}) {
    PayloadBuilt built = build(slot, mints);
    INFO(built.error);
    REQUIRE(built.error.empty());
    import(built.payload, execute(built.payload, mints));
    return built.payload;
  }

  // A raw transaction from outside (a peer's gossip): both backends take it this way.
  void submit(const Bytes& raw) {
    REQUIRE(harness_->send("engine", SubmitTransaction{raw}).ok());
    settle();
  }

  // --- the wallet's view, where a wallet would ask ---
  boost::json::value eth(const std::string& method, boost::json::array params) {
    if (geth_) {
      std::optional<boost::json::value> answer = geth_->process().rpc(method, std::move(params));
      if (!answer) throw std::runtime_error("geth refused " + method);
      return *answer;
    }
    return boost::json::parse(harness_->call_rpc(method, boost::json::serialize(params)));
  }
  Wei balance(const EthAddress& address) {
    boost::json::value answer = eth("eth_getBalance", {to_0x_hex(address), "latest"});
    std::optional<Wei> value = wei_parse(answer.as_string().c_str());
    if (!value) throw std::runtime_error("not a quantity");
    return *value;
  }

  std::vector<PegOutsRequested> peg_out_reports() const {
    std::vector<PegOutsRequested> out;
    for (const auto& event : harness_->events(kPegOutsRequestedTopic))
      out.push_back(event.as<PegOutsRequested>());
    return out;
  }

 private:
  ConformanceGeth* geth_ = nullptr;
  std::optional<alys::testing::Harness> harness_;
  Hash32 parent_block_{};
};

}  // namespace alys::engine::testing
