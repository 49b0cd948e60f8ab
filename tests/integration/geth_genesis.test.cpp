// alys-ctl genesis and a real Geth: the genesis generated from a node's config is accepted by
// `geth init`, and Geth started from it serves the chain the config describes (chain id, alloc,
// the predeployed code, block 0's time, gas limit and base fee). Also what alys-ctl genesis
// refuses, which needs no Geth.
#include <catch2/catch.hpp>

#include <fstream>

#include <boost/json.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "alys/domain/wei.hpp"
#include "child_process.hpp"
#include "dev_files.hpp"
#include "geth_process.hpp"
#include "temp_dir.hpp"

using namespace alys::testing;
using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

const std::string kCtl = ALYS_BINARY_DIR "/bin/alys-ctl";
constexpr std::uint64_t kChainId = 424242;
constexpr std::uint64_t kGenesisSeconds = 1767225600;
constexpr std::uint64_t kGasLimit = 25'000'000;
constexpr std::uint64_t kBaseFee = 7'000'000'000;
const std::string kFunded = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8";
const std::string kFundedWei = "123456789000000000000000";  // past 64 bits
const std::string kBridge = "0xbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
// Any other address, for a contract given with --predeploy.
const std::string kOther = "0x00000000000000000000000000000000000c0de1";

// The committed bridge runtime, as eth_getCode shows it.
std::string bridge_code_quantity() {
  std::ifstream file(ALYS_SOURCE_DIR "/contracts/bridge/Bridge.bin-runtime");
  std::string hex;
  file >> hex;
  return "0x" + hex;
}
// PUSH1 42, PUSH1 0, MSTORE, PUSH1 32, PUSH1 0, RETURN: every call returns the word 42.
const std::string kReturns42 = "602a60005260206000f3";

// A node config as an operator writes it; alys-ctl reads it like alysd does (the plugin files
// must exist, hence the build's plugin folder).
std::string node_config(std::uint64_t engine_chain_id) {
  return R"([host]
data_dir = "data"
plugin_dir = ")" ALYS_BINARY_DIR R"(/plugins"

[plugins.storage]
file = "storage/alys_storage.so"
backend = "memory"

[plugins.engine]
file = "engine/alys_engine.so"
requires = ["storage"]

[plugins.chain]
file = "chain/alys_chain.so"
requires = ["storage", "engine"]

[engine]
chain_id = )" +
         std::to_string(engine_chain_id) +
         R"(
base_fee_wei = )" +
         std::to_string(kBaseFee) +
         R"(
block_gas_limit = )" +
         std::to_string(kGasLimit) +
         R"(

[chain]
chain_id = )" +
         std::to_string(kChainId) +
         R"(
members = ["7c88092d3232446189c081c6d6d95199e6b61cc05ea51d0a8fe1231264752054"]
threshold = 1
slot_ms = 2000
genesis_timestamp_ms = )" +
         std::to_string(kGenesisSeconds * 1000) +
         R"(
genesis_alloc = [
  { address = ")" +
         kFunded + R"(", balance_wei = ")" + kFundedWei + R"(" },
]
)";
}

using Run = alys::testing::Finished;

Run ctl(const TempDir& dir, std::vector<std::string> args) {
  static int runs = 0;
  args.insert(args.begin(), kCtl);
  return alys::testing::run_to_exit(args, dir.path() / ("ctl-" + std::to_string(++runs) + ".log"),
                                    20s);
}

std::string quantity(std::uint64_t value) { return alys::wei_to_quantity(value); }

}  // namespace

TEST_CASE("geth serves the chain alys-ctl genesis generated", "[integration][geth]") {
  const auto geth = find_geth();
  if (!geth) {
    WARN("SKIP: " + geth_missing_reason());
    return;
  }
  TempDir dir("alys-geth-genesis");
  const fs::path config = dir.write("node.toml", node_config(kChainId));
  // As solc writes --bin-runtime: hex, no 0x, a newline.
  const fs::path code = dir.write("code.bin-runtime", kReturns42 + "\n");
  const fs::path genesis = dir.path() / "genesis.json";
  const Run generated =
      ctl(dir, {"genesis", "--engine", "geth", "--config", config.string(), "--out",
                genesis.string(), "--predeploy", kOther + "=" + code.string()});
  INFO(generated.output);
  REQUIRE(generated.code == 0);

  const fs::path datadir = dir.path() / "geth";
  const GethInit init = geth_init(*geth, datadir, genesis, dir.path() / "geth-init.log");
  INFO(init.output);
  REQUIRE(init.code == 0);

  GethOptions options;
  options.binary = *geth;
  options.datadir = datadir;
  options.jwt_secret = write_jwt_secret(dir.path() / "jwt.hex");
  options.log = dir.path() / "geth.log";
  GethProcess node(options);
  const bool ready = node.wait_ready();
  INFO(node.output());
  REQUIRE(ready);

  CHECK(node.rpc("eth_chainId") == json::value(quantity(kChainId)));
  // No --networkid: Geth takes the chain id.
  CHECK(node.rpc("net_version") == json::value(std::to_string(kChainId)));
  CHECK(node.rpc("eth_getBalance", {kFunded, "latest"}) ==
        json::value(alys::wei_to_quantity(*alys::wei_parse(kFundedWei))));
  // The bridge is in every genesis, without a --predeploy.
  CHECK(node.rpc("eth_getCode", {kBridge, "latest"}) == json::value(bridge_code_quantity()));
  CHECK(node.rpc("eth_getCode", {kOther, "latest"}) == json::value("0x" + kReturns42));
  // The code runs, not just sits there.
  CHECK(node.rpc("eth_call", {json::object{{"to", kOther}}, "latest"}) ==
        json::value("0x000000000000000000000000000000000000000000000000000000000000002a"));

  const auto block = node.rpc("eth_getBlockByNumber", {"0x0", false});
  REQUIRE(block);
  REQUIRE(block->is_object());
  const json::object& header = block->as_object();
  CHECK(header.at("timestamp") == json::value(quantity(kGenesisSeconds)));
  CHECK(header.at("gasLimit") == json::value(quantity(kGasLimit)));
  CHECK(header.at("baseFeePerGas") == json::value(quantity(kBaseFee)));
  CHECK(header.at("difficulty") == json::value("0x0"));
  // Shanghai from block 0: the header commits to an (empty) withdrawals list.
  CHECK(header.contains("withdrawalsRoot"));
  CHECK_FALSE(header.contains("blobGasUsed"));
  CHECK(node.rpc("eth_blockNumber") == json::value("0x0"));

  // The Engine API listens on the port chosen for it and refuses a request without the JWT.
  const auto engine = http_request(
      "127.0.0.1", node.authrpc_port(), "POST", "/",
      R"({"jsonrpc":"2.0","id":1,"method":"engine_exchangeCapabilities","params":[[]]})");
  REQUIRE(engine);
  CHECK(engine->status == 401);

  const auto stopped = node.stop();
  INFO(node.output());
  CHECK(stopped == 0);

  // Restarted on the same datadir and ports, it keeps the chain.
  GethProcess again(node.options());
  const bool ready_again = again.wait_ready();
  INFO(again.output());
  REQUIRE(ready_again);
  CHECK(again.rpc("eth_getCode", {kOther, "latest"}) == json::value("0x" + kReturns42));
  CHECK(again.stop() == 0);
}

TEST_CASE("alys-ctl genesis refuses chain ids that differ and a bad predeploy",
          "[integration][ctl]") {
  TempDir dir("alys-geth-genesis");
  const fs::path mismatched = dir.write("mismatched.toml", node_config(kChainId + 1));
  const Run differ = ctl(dir, {"genesis", "--engine", "geth", "--config", mismatched.string()});
  CHECK(differ.code == 1);
  CHECK_THAT(differ.output, Catch::Contains("differ"));

  const fs::path config = dir.write("node.toml", node_config(kChainId));
  const fs::path not_hex = dir.write("code.txt", "not bytecode\n");
  const Run bad_code = ctl(dir, {"genesis", "--engine", "geth", "--config", config.string(),
                                 "--predeploy", kBridge + "=" + not_hex.string()});
  CHECK(bad_code.code == 1);
  CHECK_THAT(bad_code.output, Catch::Contains("not runtime bytecode"));

  // Other code at the bridge's address would be a genesis without a bridge.
  const fs::path other_code = dir.write("other.bin-runtime", kReturns42 + "\n");
  const Run not_bridge = ctl(dir, {"genesis", "--engine", "geth", "--config", config.string(),
                                   "--predeploy", kBridge + "=" + other_code.string()});
  CHECK(not_bridge.code == 1);
  CHECK_THAT(not_bridge.output, Catch::Contains("is not the bridge contract's runtime code"));

  const Run bad_address = ctl(dir, {"genesis", "--engine", "geth", "--config", config.string(),
                                    "--predeploy", "0xbb=" + not_hex.string()});
  CHECK(bad_address.code == 2);

  const Run unknown_engine = ctl(dir, {"genesis", "--engine", "reth", "--config", config.string()});
  CHECK(unknown_engine.code == 2);

  // The keys of the engine-api backend are the node's to check, not the genesis's.
  std::string for_geth = node_config(kChainId);
  for_geth.replace(for_geth.find("[engine]\n"), 9,
                   "[engine]\nbackend = \"engine-api\"\njwt_secret_file = \"jwt.hex\"\n");
  const fs::path geth_config = dir.write("for-geth.toml", for_geth);
  const Run other_keys =
      ctl(dir, {"genesis", "--engine", "geth", "--config", geth_config.string()});
  INFO(other_keys.output);
  CHECK(other_keys.code == 0);

  // Without --out the genesis goes to standard output, parseable as JSON.
  const Run printed = ctl(dir, {"genesis", "--engine", "geth", "--config", config.string()});
  REQUIRE(printed.code == 0);
  const json::value parsed = json::parse(printed.output);
  CHECK(parsed.at("config").at("chainId") == json::value(kChainId));
}
