// The engine-api backend with a real Geth. Prints `BENCH <name> <value> <unit>`.
//
//   alys_bench_geth [--slots N] [--txs N] [--slot-ms N]
//
// 1. Production: alysd (config/dev.toml with `backend = "engine-api"` and a shorter slot) drives a
//    Geth initialised from `alys-ctl genesis --engine geth`, for N slots, while a client sends
//    `--txs` signed transfers per slot to Geth's own RPC (where wallets go on this backend),
//    mid-slot. The figure is the node's own "+X ms after slot start" of each block that carries
//    transfers: slot start to block imported (fcU with attributes, getPayload, newPayload, the
//    block committed with fsync, fcU to the new head).
// 2. Replay: alysd is stopped, Geth starts again on an EMPTY data dir (geth init only), and alysd
//    starts on its chain: it replays every payload from its storage into Geth. The figure is the
//    wall time from alysd's start to Geth's head being alysd's head, as blocks/s.
// 3. RSS of alysd and of Geth at the end of production, side by side.
// Needs Geth (bash packaging/geth.sh install).
#include <signal.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "alys/domain/eth_transaction.hpp"
#include "bench_report.hpp"
#include "child_process.hpp"
#include "dev_files.hpp"
#include "geth_process.hpp"
#include "loopback_http.hpp"
#include "temp_dir.hpp"
#include "transfer_batch.hpp"

using namespace alys;
using alys::testing::ChildProcess;
using alys::testing::GethProcess;
using alys::testing::read_file;
using alys::testing::TempDir;
using Clock = std::chrono::steady_clock;
namespace json = boost::json;

namespace {

using alys::bench_report::bench;
using alys::bench_report::percentile;
using alys::bench_report::unix_ms;

const std::string kDevKey = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
constexpr std::uint64_t kChainId = 263634;

struct Options {
  std::uint64_t slots = 1000;
  std::uint64_t txs = 20;
  std::uint64_t slot_ms = 1000;  // Geth counts whole seconds: two blocks never share one
};

double rss_mb(int pid) {
  const std::string status = read_file("/proc/" + std::to_string(pid) + "/status");
  const auto at = status.find("VmRSS:");
  if (at == std::string::npos) throw std::runtime_error("no VmRSS for pid " + std::to_string(pid));
  return std::stod(status.substr(at + 6)) / 1024.0;
}

void replace_once(std::string& text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  if (at == std::string::npos) throw std::runtime_error("config/dev.toml has no '" + from + "'");
  text.replace(at, from.size(), to);
}

// The dev config with the engine-api backend pointed at `geth`, a shorter slot, and the genesis at
// the start of the run (Geth's first payload timestamp must follow block 0's).
std::filesystem::path node_config(const TempDir& dir, std::uint64_t slot_ms,
                                  std::uint64_t genesis_ms, std::uint16_t authrpc_port) {
  std::string config = read_file(ALYS_SOURCE_DIR "/config/dev.toml");
  replace_once(config, "slot_ms = 2000", "slot_ms = " + std::to_string(slot_ms));
  replace_once(config, "retarget_interval = 10", "retarget_interval = 1000000");
  replace_once(config, "genesis_timestamp_ms = 1767225600000",
               "genesis_timestamp_ms = " + std::to_string(genesis_ms));
  replace_once(config, "backend = \"embedded\"", "backend = \"engine-api\"");
  // alys-ctl genesis checks the whole config, plugin files included.
  replace_once(config, "plugin_dir = \"../build/dev/plugins\"",
               "plugin_dir = \"" ALYS_BINARY_DIR "/plugins\"");
  replace_once(config, "data_dir = \"../data/dev\"",
               "data_dir = \"" + (dir.path() / "data").string() + "\"");
  // The embedded backend's keys mean nothing to engine-api: its table is its own.
  const auto engine_start = config.find("[engine]\n");
  const auto engine_end = config.find("\n[", engine_start + 1);
  config.replace(engine_start, engine_end - engine_start,
                 "[engine]\nchain_id = 263634\nengine_url = \"http://127.0.0.1:" +
                     std::to_string(authrpc_port) + "\"\njwt_secret_file = \"" +
                     (dir.path() / "jwt.hex").string() + "\"\n");
  std::ofstream(dir.path() / "node.toml") << config;
  alys::testing::copy_dev_member_key(dir.path());
  return dir.path() / "node.toml";
}

ChildProcess start_node(const std::filesystem::path& config, const TempDir& dir, std::uint16_t port,
                        const std::string& log_name) {
  return ChildProcess(
      {ALYS_BINARY_DIR "/bin/alysd", "--config", config.string(), "--data-dir",
       (dir.path() / "data").string(), "--plugin-dir", ALYS_BINARY_DIR "/plugins", "--admin-listen",
       "127.0.0.1:" + std::to_string(port), "--log-level", "info"},
      dir.path() / log_name);
}

void init_geth(const std::filesystem::path& binary, const TempDir& dir,
               const std::filesystem::path& datadir) {
  std::filesystem::remove_all(datadir);
  auto init = alys::testing::geth_init(binary, datadir, dir.path() / "genesis.json",
                                       dir.path() / "geth-init.log");
  if (init.code != 0) throw std::runtime_error("geth init failed:\n" + init.output);
}

void start_geth(std::optional<GethProcess>& geth, const std::filesystem::path& binary,
                const TempDir& dir, const std::filesystem::path& datadir,
                std::uint16_t authrpc_port, const std::string& log_name) {
  alys::testing::GethOptions options;
  options.binary = binary;
  options.datadir = datadir;
  options.jwt_secret = dir.path() / "jwt.hex";
  options.log = dir.path() / log_name;
  options.authrpc_port = authrpc_port;
  // One wallet sends every transfer: Geth's per-account pool slots would refuse most of them.
  // The load's transfers tip 1 wei (tests/support/transfer_batch.hpp): Geth's builder leaves out
  // tips below --miner.gasprice (default 1 mwei), so it is lowered to 1 wei.
  options.extra_flags = {"--miner.gasprice",      "1",      "--miner.gaslimit",     "30000000",
                         "--txpool.accountslots", "100000", "--txpool.globalslots", "100000",
                         "--txpool.accountqueue", "100000", "--txpool.globalqueue", "100000"};
  geth.emplace(options);
  if (!geth->wait_ready()) throw std::runtime_error("geth did not answer:\n" + geth->output());
}

std::uint64_t geth_height(GethProcess& geth) {
  auto answer = geth.rpc("eth_blockNumber");
  if (!answer || !answer->is_string()) return 0;
  return std::stoull(std::string(answer->as_string().c_str()).substr(2), nullptr, 16);
}

struct Produced {
  std::vector<double> delays_ms;  // blocks that carry transfers
  std::uint64_t transfers = 0;
  std::uint64_t height = 0;
  double alysd_rss_mb = 0;
  double geth_rss_mb = 0;
};

int run(const Options& options) {
  std::optional<std::filesystem::path> binary = alys::testing::find_geth();
  if (!binary) {
    std::fprintf(stderr, "bench: no Geth: %s\n", alys::testing::geth_missing_reason().c_str());
    return 1;
  }
  TempDir dir("alys-bench-geth");
  alys::testing::write_jwt_secret(dir.path() / "jwt.hex");
  const std::uint16_t authrpc_port = alys::testing::free_loopback_port();
  const std::uint64_t genesis_ms = unix_ms() / options.slot_ms * options.slot_ms;
  const std::filesystem::path config = node_config(dir, options.slot_ms, genesis_ms, authrpc_port);
  auto generated = alys::testing::run_to_exit(
      {ALYS_BINARY_DIR "/bin/alys-ctl", "genesis", "--engine", "geth", "--config", config.string(),
       "--out", (dir.path() / "genesis.json").string()},
      dir.path() / "genesis.log", std::chrono::seconds(30));
  if (generated.code != 0)
    throw std::runtime_error("alys-ctl genesis failed:\n" + generated.output);
  const std::filesystem::path datadir = dir.path() / "geth";
  init_geth(*binary, dir, datadir);

  Produced produced;
  {
    std::optional<GethProcess> running;
    start_geth(running, *binary, dir, datadir, authrpc_port, "geth.log");
    GethProcess& geth = *running;
    const std::uint16_t port = alys::testing::free_loopback_port();
    ChildProcess node = start_node(config, dir, port, "alysd.log");
    if (!node.wait_for_output("produced block 1 ", std::chrono::seconds(60)))
      throw std::runtime_error("the node did not produce:\n" + node.output());
    std::fprintf(stderr, "bench: producing %llu slots of %llu ms with %llu transfers each\n",
                 static_cast<unsigned long long>(options.slots),
                 static_cast<unsigned long long>(options.slot_ms),
                 static_cast<unsigned long long>(options.txs));
    const SecretKey key = *SecretKey::from_bytes(*fixed_from_hex<32>(kDevKey));
    std::uint64_t nonce = 0;
    for (std::uint64_t slot = 0; slot < options.slots; ++slot) {
      const std::string batch = alys::testing::transfer_batch(kChainId, key, nonce, options.txs);
      nonce += options.txs;
      const std::uint64_t now = unix_ms();
      const std::uint64_t target =
          (now / options.slot_ms + 1) * options.slot_ms + options.slot_ms / 2;
      std::this_thread::sleep_for(std::chrono::milliseconds(target - now));
      auto reply =
          alys::testing::http_request("127.0.0.1", geth.http_port(), "POST", "/", batch, {});
      if (!reply || reply->body.find("\"error\"") != std::string::npos)
        throw std::runtime_error("submission to geth failed: " +
                                 (reply ? reply->body.substr(0, 400) : "no answer"));
      if (slot % 100 == 99)
        std::fprintf(stderr, "bench: %llu/%llu slots\n", static_cast<unsigned long long>(slot + 1),
                     static_cast<unsigned long long>(options.slots));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(3 * options.slot_ms));
    produced.alysd_rss_mb = rss_mb(node.pid());
    produced.geth_rss_mb = rss_mb(geth.pid());
    node.signal(SIGTERM);
    node.wait_exit(std::chrono::seconds(30));
    produced.height = geth_height(geth);
    geth.stop();

    const std::regex line(
        R"(produced block \d+ \w+ txs=(\d+) slot=\d+ \+(\d+) ms after slot start)");
    std::istringstream log(node.output());
    for (std::string text; std::getline(log, text);) {
      std::smatch match;
      if (!std::regex_search(text, match, line)) continue;
      const std::uint64_t txs = std::stoull(match[1]);
      if (txs == 0) continue;
      produced.transfers += txs;
      produced.delays_ms.push_back(std::stod(match[2]));
    }
  }
  bench("geth_blocks_with_transfers", static_cast<double>(produced.delays_ms.size()), "blocks");
  bench("geth_transfers_per_block",
        produced.delays_ms.empty() ? 0
                                   : static_cast<double>(produced.transfers) /
                                         static_cast<double>(produced.delays_ms.size()),
        "tx");
  bench("geth_import_delay_p50_ms", percentile(produced.delays_ms, 0.50), "ms");
  bench("geth_import_delay_p99_ms", percentile(produced.delays_ms, 0.99), "ms");
  bench("geth_import_delay_max_ms", percentile(produced.delays_ms, 1.0), "ms");
  bench("geth_alysd_rss_mb", produced.alysd_rss_mb, "MB");
  bench("geth_geth_rss_mb", produced.geth_rss_mb, "MB");

  // Replay into a Geth that lost everything. alysd's slots keep coming meanwhile, so the target is
  // the height alysd had when it stopped; production resumes only once Geth has it.
  init_geth(*binary, dir, datadir);
  std::optional<GethProcess> running;
  start_geth(running, *binary, dir, datadir, authrpc_port, "geth-replay.log");
  GethProcess& geth = *running;
  std::fprintf(stderr, "bench: replaying %llu blocks into an empty Geth\n",
               static_cast<unsigned long long>(produced.height));
  const auto started = Clock::now();
  ChildProcess node =
      start_node(config, dir, alys::testing::free_loopback_port(), "alysd-replay.log");
  while (geth_height(geth) < produced.height) {
    if (!node.running()) throw std::runtime_error("alysd stopped:\n" + node.output());
    if (Clock::now() - started > std::chrono::minutes(30))
      throw std::runtime_error("the replay did not finish in 30 minutes");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  bench("geth_replay_blocks", static_cast<double>(produced.height), "blocks");
  bench("geth_replay_blocks_per_s", static_cast<double>(produced.height) / seconds, "blocks/s");
  node.signal(SIGTERM);
  node.wait_exit(std::chrono::seconds(30));
  geth.stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::uint64_t value = std::stoull(argv[i + 1]);
    if (flag == "--slots")
      options.slots = value;
    else if (flag == "--txs")
      options.txs = value;
    else if (flag == "--slot-ms")
      options.slot_ms = value;
    else {
      std::fprintf(stderr, "usage: %s [--slots N] [--txs N] [--slot-ms N]\n", argv[0]);
      return 2;
    }
  }
  try {
    return run(options);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "bench failed: %s\n", error.what());
    return 1;
  }
}
