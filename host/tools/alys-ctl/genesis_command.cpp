#include "host/tools/alys-ctl/genesis_command.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "alys/config_check.hpp"
#include "alys/schemas/engine.hpp"
#include "host/config/config.hpp"
#include "host/tools/common/command_line.hpp"
#include "plugins/chain/chain_spec.hpp"
#include "plugins/engine/embedded/bridge_call.hpp"
#include "plugins/engine/engine_config.hpp"
#include "plugins/engine/geth_genesis.hpp"

namespace alys::ctl {
namespace {

namespace po = tools::program_options;
namespace fs = std::filesystem;

constexpr int kGenesisOk = 0;
constexpr int kGenesisFailed = 1;
constexpr int kGenesisUsage = 2;

// The [engine] keys a genesis depends on; problems with any other key are the node's to report
// (a table written for a backend this build does not know still yields its genesis).
const std::set<std::string> kEngineKeysUsed = {"", "chain_id", "base_fee_wei", "block_gas_limit"};

po::options_description genesis_options() {
  po::options_description described("options", tools::kHelpWidth);
  described.add_options()  //
      ("engine", po::value<std::string>()->value_name("NAME"),
       "the execution client the genesis is for: geth")  //
      ("config", po::value<std::string>()->value_name("FILE"),
       "the node's config; its [chain] and [engine] tables are read")  //
      ("out", po::value<std::string>()->value_name("FILE"),
       "where the genesis goes (replaced whole); default: standard output")  //
      ("predeploy", po::value<std::vector<std::string>>()->value_name("ADDRESS=FILE"),
       "a contract at ADDRESS from block 0, its runtime bytecode as hex in FILE; repeatable")  //
      ("help,h", po::bool_switch(), "this text");
  return described;
}

std::string genesis_usage() {
  return "usage:\n  alys-ctl genesis --engine geth --config FILE [--out FILE] "
         "[--predeploy ADDRESS=FILE]...\n\n"
         "The genesis file `geth init` needs to execute the chain the node's config describes:\n"
         "chain id, genesis time, gas limit, base fee and alloc from [chain] and [engine],\n"
         "post-merge from block 0, every fork through Shanghai at 0. The bridge contract goes "
         "at\n" +
         std::string(engine::kBridgeContractAddress) + " (docs/engine.md).\n\n" +
         tools::describe_options(genesis_options());
}

Result<std::string> read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Status::Failed("cannot read " + file.string());
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::Failed("cannot read " + file.string());
  return text.str();
}

Result<engine::Predeploy> read_predeploy(const std::string& option) {
  const std::size_t equals = option.find('=');
  if (equals == std::string::npos)
    return Status::Invalid("--predeploy needs ADDRESS=FILE, got '" + option + "'");
  auto address = fixed_from_hex<20>(option.substr(0, equals));
  if (!address || option.compare(0, 2, "0x") != 0)
    return Status::Invalid("--predeploy: '" + option.substr(0, equals) +
                           "' is not an address (0x and 40 hex digits)");
  const fs::path file = option.substr(equals + 1);
  auto text = read_text(file);
  if (!text.ok()) return text.status();
  std::string hex = *text;
  // solc ends its output files with a newline; an editor may too.
  while (!hex.empty() && std::isspace(static_cast<unsigned char>(hex.back()))) hex.pop_back();
  auto code = from_hex(hex);
  if (!code || code->empty())
    return Status::Failed(file.string() + ": not runtime bytecode as hex (with or without 0x)");
  return engine::Predeploy{*address, std::move(*code)};
}

Result<engine::GethGenesisSpec> spec_of(const fs::path& config_file) {
  host::ConfigLoadResult loaded = host::load_config(config_file, {}, host::ConfigReader::client);
  if (!loaded.config) {
    std::string message = "cannot read " + config_file.string() + ":";
    for (const host::ConfigError& error : loaded.errors) message += "\n  " + error.to_string();
    return Status::Failed(message);
  }
  const auto& tables = loaded.config->role_tables;
  const auto chain_table = tables.find("chain");
  const auto engine_table = tables.find("engine");
  if (chain_table == tables.end() || engine_table == tables.end())
    return Status::Failed(config_file.string() + " has no [chain] or no [engine] role");

  ConfigProblems chain_problems;
  const chain::ChainConfig chain_config =
      chain::read_chain_config(chain_table->second->to_json(), chain_problems);
  ConfigProblems engine_read;
  const engine::EngineConfig engine_config =
      engine::read_engine_config(engine_table->second->to_json(), engine_read);
  ConfigProblems engine_problems;
  for (const ConfigProblem& problem : engine_read.list())
    if (kEngineKeysUsed.contains(problem.key)) engine_problems.add(problem);
  if (!chain_problems.empty() || !engine_problems.empty()) {
    std::string message = config_file.string() + ":";
    if (!chain_problems.empty()) message += "\n" + chain_problems.describe("chain");
    if (!engine_problems.empty()) message += "\n" + engine_problems.describe("engine");
    return Status::Failed(message);
  }
  const chain::ChainSpec& chain_spec = chain_config.spec;
  if (chain_spec.chain_id != engine_config.rules.chain_id)
    return Status::Failed(config_file.string() + ": chain.chain_id " +
                          std::to_string(chain_spec.chain_id) + " and engine.chain_id " +
                          std::to_string(engine_config.rules.chain_id) + " differ");

  // Geth's block times are whole seconds: a genesis between two seconds has no Geth equivalent.
  if (chain_spec.genesis_timestamp_ms % 1000 != 0)
    return Status::Failed(config_file.string() + ": chain.genesis_timestamp_ms " +
                          std::to_string(chain_spec.genesis_timestamp_ms) +
                          " is not a whole second, as Geth's block times are");
  engine::GethGenesisSpec spec;
  spec.chain_id = engine_config.rules.chain_id;
  spec.timestamp_s = chain_spec.genesis_timestamp_ms / 1000;
  spec.gas_limit = engine_config.rules.block_gas_limit;
  spec.base_fee = engine_config.rules.base_fee;
  spec.alloc = chain_spec.genesis_alloc;
  return spec;
}

Status write_replacing(const fs::path& target, const std::string& text) {
  fs::path temporary = target;
  temporary += ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) return Status::Failed("cannot write " + temporary.string());
    out << text;
    out.flush();
    if (!out) return Status::Failed("cannot write " + temporary.string());
  }
  std::error_code error;
  fs::rename(temporary, target, error);
  if (error) {
    fs::remove(temporary, error);
    return Status::Failed("cannot replace " + target.string() + ": " + error.message());
  }
  return Status::Ok();
}

int usage_error(const std::string& message) {
  std::cerr << "alys-ctl: genesis: " << message << "\n(alys-ctl genesis --help for usage)\n";
  return kGenesisUsage;
}

}  // namespace

int run_genesis(const std::vector<std::string>& args,
                const std::optional<std::filesystem::path>& config) {
  auto parsed = tools::parse_command_line(args, genesis_options(), {}, "argument");
  if (!parsed.ok()) return usage_error(parsed.status().message());
  const po::variables_map& values = *parsed;
  if (values["help"].as<bool>()) {
    std::cout << genesis_usage();
    return kGenesisOk;
  }
  if (!values.count("engine")) return usage_error("--engine geth is required");
  if (values["engine"].as<std::string>() != "geth")
    return usage_error("unknown engine '" + values["engine"].as<std::string>() + "' (known: geth)");
  std::optional<fs::path> config_file = config;
  if (values.count("config")) config_file = fs::path(values["config"].as<std::string>());
  if (!config_file) return usage_error("--config FILE is required");

  auto spec = spec_of(*config_file);
  if (!spec.ok()) {
    std::cerr << "alys-ctl: genesis: " << spec.status().message() << "\n";
    return kGenesisFailed;
  }
  if (values.count("predeploy")) {
    for (const std::string& option : values["predeploy"].as<std::vector<std::string>>()) {
      auto predeploy = read_predeploy(option);
      if (!predeploy.ok()) {
        if (predeploy.status().code() == ALYS_ERR_INVALID)
          return usage_error(predeploy.status().message());
        std::cerr << "alys-ctl: genesis: " << predeploy.status().message() << "\n";
        return kGenesisFailed;
      }
      spec->predeploys.push_back(std::move(*predeploy));
    }
  }
  // The bridge contract is part of every genesis, as the embedded engine has it built in: without
  // it a requestPegOut on Geth would be a plain transfer to an address with no code, and no peg-out
  // would ever be reported. Other code at its address is refused.
  const Bytes& bridge = engine::embedded::bridge_runtime_code();
  auto at_bridge = std::find_if(
      spec->predeploys.begin(), spec->predeploys.end(),
      [](const engine::Predeploy& p) { return p.address == engine::embedded::kBridgeAddress; });
  if (at_bridge == spec->predeploys.end()) {
    spec->predeploys.push_back(engine::Predeploy{engine::embedded::kBridgeAddress, bridge});
  } else if (at_bridge->code != bridge) {
    std::cerr
        << "alys-ctl: genesis: the predeploy at the bridge address "
        << engine::kBridgeContractAddress
        << " is not the bridge contract's runtime code (contracts/bridge/Bridge.bin-runtime); "
           "the bridge is added by default, leave that --predeploy out\n";
    return kGenesisFailed;
  }
  auto genesis = engine::geth_genesis_json(*spec);
  if (!genesis.ok()) {
    std::cerr << "alys-ctl: genesis: " << genesis.status().message() << "\n";
    return kGenesisFailed;
  }
  if (!values.count("out")) {
    std::cout << *genesis;
    return kGenesisOk;
  }
  const Status written = write_replacing(values["out"].as<std::string>(), *genesis);
  if (!written.ok()) {
    std::cerr << "alys-ctl: genesis: " << written.message() << "\n";
    return kGenesisFailed;
  }
  return kGenesisOk;
}

}  // namespace alys::ctl
