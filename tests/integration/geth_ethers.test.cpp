// The engine-api backend as a dapp meets it: alysd (config/dev-geth.toml, the Geth variant of the
// README's dev node) drives a real Geth, and ethers v6 (tests/js/erc20_flow.mjs) deploys the test
// ERC-20, transfers tokens and reads the Transfer log, sends legacy and EIP-1559 transfers and
// calls the predeployed bridge's requestPegOut through Geth's own JSON-RPC. Then, through alysd:
// the chain holds the blocks Geth reported, and the engine's peg-out report of that call (seen by
// the pegout_watch test plugin on engine.pegouts_requested) names the transaction, caller, address
// and value ethers saw. SKIP without Geth (packaging/geth.sh) or ethers (packaging/ethers.sh).
#include <catch2/catch.hpp>

#include <boost/json.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>

#include "child_process.hpp"
#include "dev_files.hpp"
#include "geth_process.hpp"
#include "loopback_http.hpp"
#include "temp_dir.hpp"

using namespace alys::testing;
using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

const std::string kAlysd = ALYS_BINARY_DIR "/bin/alysd";
const std::string kCtl = ALYS_BINARY_DIR "/bin/alys-ctl";
// The funded account of config/dev.toml and config/dev-geth.toml.
const std::string kDevKey = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const std::string kBridge = "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB";
constexpr std::int64_t kDevChainId = 263634;

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// `line` of `text` (a TOML file) replaced; REQUIRE that it is there once.
void replace_line(std::string& text, const std::string& starts_with, const std::string& by) {
  const auto at = text.find("\n" + starts_with);
  REQUIRE(at != std::string::npos);
  REQUIRE(text.find("\n" + starts_with, at + 1) == std::string::npos);
  const auto end = text.find('\n', at + 1);
  text.replace(at + 1, end - at - 1, by);
}

// The folder holding node_modules/ethers, installed by packaging/ethers.sh; nullopt with the reason
// when npm cannot reach its registry (exit 3).
std::optional<fs::path> ethers_dir(const fs::path& log, std::string& reason) {
  const Finished install =
      run_to_exit({"/bin/bash", ALYS_SOURCE_DIR "/packaging/ethers.sh", "install"}, log,
                  std::chrono::minutes(5));
  if (install.code == 3) {
    reason = install.output;
    return std::nullopt;
  }
  INFO(install.output);
  REQUIRE(install.code == 0);
  std::string out = install.output;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return fs::path(out.substr(out.rfind('\n') + 1));
}

std::optional<json::value> admin_call(std::uint16_t port, const std::string& method,
                                      const std::string& params = "[]") {
  const std::string body =
      R"({"jsonrpc":"2.0","id":1,"method":")" + method + R"(","params":)" + params + "}";
  auto reply = http_request("127.0.0.1", port, "POST", "/", body, {});
  if (!reply) return std::nullopt;
  json::error_code error;
  json::value parsed = json::parse(reply->body, error);
  if (error || !parsed.is_object() || !parsed.as_object().contains("result")) return std::nullopt;
  return parsed.at("result");
}

// The JSON object erc20_flow.mjs printed: its last line that starts with '{' (stderr's progress
// lines share the log).
json::object flow_result(const std::string& output) {
  std::size_t at = output.rfind("\n{");
  const std::string line = output.substr(at == std::string::npos ? 0 : at + 1);
  json::error_code error;
  json::value parsed = json::parse(line.substr(0, line.find('\n')), error);
  REQUIRE_FALSE(error);
  REQUIRE(parsed.is_object());
  return parsed.as_object();
}

}  // namespace

TEST_CASE("ethers on Geth driven by alysd: ERC-20, peg-out, a Geth crash",
          "[integration][engine][geth][ethers]") {
  const auto geth = find_geth();
  if (!geth) {
    WARN("SKIP: " + geth_missing_reason());
    return;
  }
  TempDir dir("alysd-geth-ethers");
  std::string unreachable;
  const auto ethers = ethers_dir(dir.path() / "ethers-install.log", unreachable);
  if (!ethers) {
    WARN("SKIP: ethers is not installed and npm cannot install it: " + unreachable);
    return;
  }

  // config/dev-geth.toml as the quick start runs it; only where things listen and live differ, and
  // the pegout_watch role joins to see the engine's peg-out reports.
  const std::uint16_t admin_port = free_loopback_port();
  const std::uint16_t authrpc_port = free_loopback_port();
  const fs::path jwt = write_jwt_secret(dir.path() / "jwt.hex");
  std::string config = read_file(ALYS_SOURCE_DIR "/config/dev-geth.toml");
  replace_line(config, "data_dir = ", "data_dir = \"data\"");
  replace_line(config, "plugin_dir = ", "plugin_dir = \"" ALYS_BINARY_DIR "/plugins\"");
  replace_line(
      config, "admin_listen = ", "admin_listen = \"127.0.0.1:" + std::to_string(admin_port) + "\"");
  replace_line(config, "engine_url = ",
               "engine_url = \"http://127.0.0.1:" + std::to_string(authrpc_port) + "\"");
  replace_line(config, "jwt_secret_file = ", "jwt_secret_file = \"" + jwt.string() + "\"");
  replace_line(config,
               "children = ", "children = [\"storage\", \"engine\", \"chain\", \"pegout_watch\"]");
  config += "\n[plugins.pegout_watch]\nfile = \"" ALYS_BINARY_DIR
            "/tests/plugins/alys_test_pegout_watch.so\"\n";
  std::ofstream(dir.path() / "node.toml") << config;
  copy_dev_member_key(dir.path());

  const Finished genesis = run_to_exit(
      {kCtl, "genesis", "--engine", "geth", "--config", (dir.path() / "node.toml").string(),
       "--out", (dir.path() / "genesis.json").string()},
      dir.path() / "genesis.log", 60s);
  INFO(genesis.output);
  REQUIRE(genesis.code == 0);
  const GethInit init =
      geth_init(*geth, dir.path() / "geth", dir.path() / "genesis.json", dir.path() / "init.log");
  INFO(init.output);
  REQUIRE(init.code == 0);
  GethOptions options;
  options.binary = *geth;
  options.datadir = dir.path() / "geth";
  options.jwt_secret = jwt;
  options.log = dir.path() / "geth.log";
  options.authrpc_port = authrpc_port;
  options.extra_flags = {"--miner.gaslimit", "30000000"};  // config/dev-geth.toml's
  GethProcess node_geth(options);
  REQUIRE(node_geth.wait_ready());

  ChildProcess alysd({kAlysd, "--config", (dir.path() / "node.toml").string()},
                     dir.path() / "alysd.log");
  INFO("alysd:\n" << alysd.output() << "\ngeth:\n" << node_geth.output());
  REQUIRE(alysd.wait_for_output("produced block 1 ", 60s));

  const auto started = std::chrono::steady_clock::now();
  const Finished flow =
      run_to_exit({"/usr/bin/env", "node", ALYS_SOURCE_DIR "/tests/js/erc20_flow.mjs", "--rpc",
                   node_geth.http_url(), "--key", kDevKey, "--ethers", ethers->string()},
                  dir.path() / "flow.log", 240s);
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  INFO("erc20_flow.mjs:\n" << flow.output);
  REQUIRE(flow.code == 0);
  const json::object out = flow_result(flow.output);
  WARN("figure: erc20_flow.mjs on Geth driven by alysd took "
       << took.count() << " ms (7 transactions); requestPegOut used "
       << (out.at("pegout").is_object() ? out.at("pegout").at("gasUsed").as_string().c_str() : "-")
       << " gas");
  CHECK(out.at("chainId").as_int64() == kDevChainId);
  REQUIRE(out.at("pegout").is_object());
  const json::object& pegout = out.at("pegout").as_object();
  CHECK(pegout.at("bridge").as_string() == kBridge);
  CHECK(pegout.at("evmAddress").as_string() == out.at("wallet").as_string());

  // alysd's chain holds the blocks Geth reported: the payload hash at each height is Geth's.
  for (const char* step : {"tokenTransfer", "pegout"}) {
    const json::object& done = out.at(step).as_object();
    const std::int64_t height = done.at("block").as_int64();
    std::optional<json::value> block;
    for (int i = 0; i < 100 && !block; ++i) {
      block = admin_call(admin_port, "chain_getBlockByHeight", "[" + std::to_string(height) + "]");
      if (!block) std::this_thread::sleep_for(100ms);
    }
    INFO(step << " in block " << height);
    REQUIRE(block);
    CHECK(block->at("payload").at("blockHash").as_string() == done.at("blockHash").as_string());
  }

  // The engine's report of the requestPegOut call, as the bridge role will receive it.
  std::optional<json::object> report;
  for (int i = 0; i < 100 && !report; ++i) {
    if (auto reports = admin_call(admin_port, "pegout_watch_reports")) {
      for (const json::value& entry : reports->at("reports").as_array())
        if (entry.at("height").as_int64() == pegout.at("block").as_int64())
          report = entry.as_object();
    }
    if (!report) std::this_thread::sleep_for(100ms);
  }
  REQUIRE(report);
  INFO(json::serialize(*report));
  CHECK(report->at("payload_hash").as_string() ==
        lower(pegout.at("blockHash").as_string().c_str()));
  REQUIRE(report->at("requests").as_array().size() == 1);
  const json::object& request = report->at("requests").as_array()[0].as_object();
  CHECK(request.at("transaction_hash").as_string() == pegout.at("hash").as_string());
  CHECK(request.at("log_index").as_int64() == pegout.at("logIndex").as_int64());
  CHECK(request.at("evm_address").as_string() ==
        lower(pegout.at("evmAddress").as_string().c_str()));
  CHECK(request.at("bitcoin_address").as_string() == pegout.at("bitcoinAddress").as_string());
  char value_wei[67];
  std::snprintf(value_wei, sizeof value_wei, "0x%064llx",
                std::stoull(pegout.at("value").as_string().c_str()));
  CHECK(request.at("value_wei").as_string() == value_wei);
  // No other block had a peg-out: the report came once.
  CHECK(admin_call(admin_port, "pegout_watch_reports")->at("reports").as_array().size() == 1);

  // Geth killed (SIGKILL) under the running node: production pauses, /health says the engine is
  // degraded with the reason (not restarted); Geth back on its data dir: production resumes, no
  // height is missing, and the contract's state is what it was.
  const std::string token = out.at("token").at("address").as_string().c_str();
  const std::string holder = out.at("tokenTransfer").at("to").as_string().c_str();
  const json::array balance_call{
      json::object{
          {"to", token.c_str()},
          {"data", ("0x70a08231" + std::string(24, '0') + lower(holder).substr(2)).c_str()}},
      "latest"};
  const auto token_balance = node_geth.rpc("eth_call", balance_call);
  REQUIRE(token_balance);
  CHECK(token_balance->as_string() != "0x");
  REQUIRE(node_geth.kill());
  std::optional<json::object> degraded_engine;
  for (int i = 0; i < 150 && !degraded_engine; ++i) {
    auto reply = http_request("127.0.0.1", admin_port, "GET", "/health", "", {});
    if (reply && reply->status == 503) {
      const json::value health = json::parse(reply->body);
      for (const json::value& actor : health.at("actors").as_array())
        if (actor.at("role") == "engine" && actor.at("state") == "degraded")
          degraded_engine = actor.as_object();
    }
    if (!degraded_engine) std::this_thread::sleep_for(100ms);
  }
  REQUIRE(degraded_engine);
  CHECK_THAT(std::string(degraded_engine->at("degraded_reason").as_string()),
             Catch::Contains("unreachable"));
  CHECK(degraded_engine->at("restarts").as_int64() == 0);
  auto head_height = [&] {
    auto status = admin_call(admin_port, "chain_status");
    return status ? status->at("head").at("height").as_int64() : -1;
  };
  const std::int64_t paused_at = head_height();
  std::this_thread::sleep_for(5s);  // two and a half slots
  CHECK(head_height() == paused_at);
  CHECK(alysd.output().find("block production paused") != std::string::npos);

  GethProcess restarted(node_geth.options());
  REQUIRE(restarted.wait_ready());
  bool healthy = false;
  for (int i = 0; i < 300 && !healthy; ++i) {
    auto reply = http_request("127.0.0.1", admin_port, "GET", "/health", "", {});
    healthy = reply && reply->status == 200;
    if (!healthy) std::this_thread::sleep_for(100ms);
  }
  CHECK(healthy);
  for (int i = 0; i < 300 && head_height() < paused_at + 3; ++i) std::this_thread::sleep_for(100ms);
  REQUIRE(head_height() >= paused_at + 3);
  for (std::int64_t h = 1; h <= paused_at + 3; ++h) {
    INFO("height " << h);
    auto block = admin_call(admin_port, "chain_getBlockByHeight", "[" + std::to_string(h) + "]");
    REQUIRE(block);
    auto on_geth = restarted.rpc("eth_getBlockByHash",
                                 json::array{block->at("payload").at("blockHash"), false});
    REQUIRE(on_geth);
    REQUIRE(on_geth->is_object());
  }
  CHECK(restarted.rpc("eth_call", balance_call) == token_balance);

  alysd.signal(SIGTERM);
  CHECK(alysd.wait_exit(30s) == 0);
  CHECK(restarted.stop() == 0);
}
