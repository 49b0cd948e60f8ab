// Chain benchmarks (issue: a running chain on one node). Prints `BENCH <name> <value> <unit>`.
//
//   alys_bench_chain [--slots N] [--txs N] [--slot-ms N] [--idle-s N]
//
// 1. Production: a real alysd (config/dev.toml with a shorter slot) produces N blocks while a
//    client submits `--txs` signed transfers per slot (one JSON-RPC batch, mid-slot). The figure is
//    the node's own "+X ms after slot start" of each block that carries transfers: slot start to
//    block imported (payload built, re-executed, committed with fsync).
// 2. Replay: a fresh node in the in-process harness (observer, leveldb with sync) imports every
//    block of (1) from its database: blocks/s and transfers/s.
// 3. Idle RSS of the dev node as the README starts it (config/dev.toml, 2 s slots).
#include <sys/stat.h>

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
#include "alys/schemas/chain.hpp"
#include "alys/schemas/storage.hpp"
#include "alys/testing.hpp"
#include "bench_report.hpp"
#include "child_process.hpp"
#include "dev_files.hpp"
#include "loopback_http.hpp"
#include "temp_dir.hpp"
#include "transfer_batch.hpp"

using namespace alys;
using alys::testing::ChildProcess;
using alys::testing::copy_dev_member_key;
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
  std::uint64_t txs = 100;
  std::uint64_t slot_ms = 250;
  std::uint64_t idle_s = 30;
};

// The dev config in `dir`, its key beside it (chmod 600), with another slot length.
constexpr const char* kOneSenderPool =
    "mempool_max_per_sender = 1000000\nmempool_max_future_per_sender = 1000000\n";

std::filesystem::path dev_config(const TempDir& dir, std::uint64_t slot_ms) {
  std::string config = read_file(ALYS_SOURCE_DIR "/config/dev.toml");
  const std::string slot_line = "slot_ms = 2000";
  config.replace(config.find(slot_line), slot_line.size(), "slot_ms = " + std::to_string(slot_ms));
  // Faster slots would retarget dev mining harder and harder: keep the dev target.
  const std::string interval_line = "retarget_interval = 10";
  config.replace(config.find(interval_line), interval_line.size(), "retarget_interval = 1000000");
  // One wallet sends every transfer: the pool's per-sender limits (16 executable by default) would
  // turn the benchmark into one of refusals.
  const std::string engine_header = "[engine]\n";
  config.insert(config.find(engine_header) + engine_header.size(), kOneSenderPool);
  std::ofstream(dir.path() / "node.toml") << config;
  copy_dev_member_key(dir.path());
  return dir.path() / "node.toml";
}

ChildProcess start_node(const std::filesystem::path& config, const TempDir& dir,
                        std::uint16_t port) {
  return ChildProcess(
      {ALYS_BINARY_DIR "/bin/alysd", "--config", config.string(), "--data-dir",
       (dir.path() / "data").string(), "--plugin-dir", ALYS_BINARY_DIR "/plugins", "--admin-listen",
       "127.0.0.1:" + std::to_string(port), "--log-level", "info"},
      dir.path() / "alysd.log");
}

struct Produced {
  std::vector<double> delays_ms;  // blocks that carry transfers
  std::uint64_t transfers = 0;
  std::filesystem::path database;
};

Produced produce(const Options& options, const TempDir& dir) {
  const SecretKey key = *SecretKey::from_bytes(*fixed_from_hex<32>(kDevKey));
  const std::uint16_t port = alys::testing::free_loopback_port();
  ChildProcess node = start_node(dev_config(dir, options.slot_ms), dir, port);
  if (!node.wait_for_output("produced block 1 ", std::chrono::seconds(30)))
    throw std::runtime_error("the node did not produce:\n" + node.output());
  std::fprintf(stderr, "bench: producing %llu slots of %llu ms with %llu transfers each\n",
               static_cast<unsigned long long>(options.slots),
               static_cast<unsigned long long>(options.slot_ms),
               static_cast<unsigned long long>(options.txs));
  std::uint64_t nonce = 0;
  for (std::uint64_t slot = 0; slot < options.slots; ++slot) {
    const std::string batch =
        alys::testing::transfer_batch(kChainId, key, nonce, options.txs);  // signed before its slot
    nonce += options.txs;
    // Mid-slot, so that the submission does not compete with the block built at the slot start.
    const std::uint64_t now = unix_ms();
    const std::uint64_t target =
        (now / options.slot_ms + 1) * options.slot_ms + options.slot_ms / 2;
    std::this_thread::sleep_for(std::chrono::milliseconds(target - now));
    auto reply = alys::testing::http_request("127.0.0.1", port, "POST", "/", batch, {});
    if (!reply || reply->body.find("\"error\"") != std::string::npos)
      throw std::runtime_error("submission failed: " +
                               (reply ? reply->body.substr(0, 400) : "no answer"));
    if (slot % 100 == 99)
      std::fprintf(stderr, "bench: %llu/%llu slots\n", static_cast<unsigned long long>(slot + 1),
                   static_cast<unsigned long long>(options.slots));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(3 * options.slot_ms));
  node.signal(SIGTERM);
  node.wait_exit(std::chrono::seconds(20));

  Produced produced;
  produced.database = dir.path() / "data" / "chain.db";
  const std::regex line(R"(produced block \d+ \w+ txs=(\d+) slot=\d+ \+(\d+) ms after slot start)");
  std::istringstream log(node.output());
  for (std::string text; std::getline(log, text);) {
    std::smatch match;
    if (!std::regex_search(text, match, line)) continue;
    const std::uint64_t txs = std::stoull(match[1]);
    if (txs == 0) continue;
    produced.transfers += txs;
    produced.delays_ms.push_back(std::stod(match[2]));
  }
  return produced;
}

std::string chain_table(std::uint64_t slot_ms) {
  // The produced chain's spec, for an observer that replays it (no key_file, no dev_mine): the
  // [chain] table and its [chain.auxpow] sub-table, as the role's own TOML.
  std::string config = read_file(ALYS_SOURCE_DIR "/config/dev.toml");
  auto section = [&](const std::string& header) {
    const auto start = config.find(header) + header.size();
    return config.substr(start, config.find("\n[", start) - start);
  };
  std::string table = section("[chain]\n") + "\n[auxpow]\n" + section("[chain.auxpow]");
  table.replace(table.find("key_file"), 0, "# ");
  table.replace(table.find("dev_mine"), 0, "# ");
  const std::string slot_line = "slot_ms = 2000";
  table.replace(table.find(slot_line), slot_line.size(), "slot_ms = " + std::to_string(slot_ms));
  const std::string interval_line = "retarget_interval = 10";
  table.replace(table.find(interval_line), interval_line.size(), "retarget_interval = 1000000");
  return table;
}

void replay(const Produced& produced, std::uint64_t slot_ms) {
  TempDir dir("alys-bench-replay");
  using alys::testing::Harness;
  Harness source(alys::testing::HarnessOptions{unix_ms(), 0});
  source.add("storage", ALYS_STORAGE_PLUGIN, "path = \"" + produced.database.string() + "\"\n");
  source.start();
  Harness replica(alys::testing::HarnessOptions{unix_ms(), 0});
  replica.add("storage", ALYS_STORAGE_PLUGIN,
              "path = \"" + (dir.path() / "replica.db").string() + "\"\n");
  replica.add("engine", ALYS_ENGINE_PLUGIN,
              std::string("chain_id = 263634\nbase_fee_wei = 1000000000\n") + kOneSenderPool,
              {"storage"});
  replica.add("chain", ALYS_CHAIN_PLUGIN, chain_table(slot_ms), {"storage", "engine"});
  replica.start();
  replica.run();

  // Read everything first: the figure is the import alone.
  std::vector<SignedBlock> blocks;
  for (std::uint64_t next = 1;;) {
    auto id = source.request("storage", storage::GetBlockRange{next, 512}, 60'000);
    source.run();
    auto range = source.reply_as<storage::BlockRange>(id);
    if (!range || !range->error.empty()) throw std::runtime_error("cannot read the source blocks");
    if (range->blocks.empty()) break;
    for (const auto& stored : range->blocks) blocks.push_back(decode<SignedBlock>(stored.block));
    next += range->blocks.size();
  }
  std::uint64_t transfers = 0;
  for (const auto& block : blocks) transfers += block.block.payload.transactions.size();
  std::fprintf(stderr, "bench: replaying %zu blocks\n", blocks.size());

  const auto started = Clock::now();
  std::uint64_t last_correlation = 0;
  for (const auto& block : blocks) {
    last_correlation = replica.request("chain", chain::ImportBlock{block}, 600'000);
    replica.run();
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  auto last = replica.reply_as<chain::ImportResult>(last_correlation);
  if (!last || !last->imported)
    throw std::runtime_error("replay failed: " +
                             (last ? last->code + " " + last->error : "no answer"));
  bench("chain_replay_blocks_per_s", static_cast<double>(blocks.size()) / seconds, "blocks/s");
  bench("chain_replay_transfers_per_s", static_cast<double>(transfers) / seconds, "tx/s");
}

double idle_rss_mb(const Options& options) {
  TempDir dir("alys-bench-idle");
  std::filesystem::copy_file(ALYS_SOURCE_DIR "/config/dev.toml", dir.path() / "dev.toml");
  copy_dev_member_key(dir.path());
  ChildProcess node = start_node(dir.path() / "dev.toml", dir, alys::testing::free_loopback_port());
  if (!node.wait_for_output("produced block 1 ", std::chrono::seconds(30)))
    throw std::runtime_error("the idle node did not produce:\n" + node.output());
  std::fprintf(stderr, "bench: idle dev node for %llu s\n",
               static_cast<unsigned long long>(options.idle_s));
  std::this_thread::sleep_for(std::chrono::seconds(options.idle_s));
  const std::string status = read_file("/proc/" + std::to_string(node.pid()) + "/status");
  const auto at = status.find("VmRSS:");
  if (at == std::string::npos) throw std::runtime_error("no VmRSS");
  return std::stod(status.substr(at + 6)) / 1024.0;
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
    else if (flag == "--idle-s")
      options.idle_s = value;
    else {
      std::fprintf(stderr, "usage: %s [--slots N] [--txs N] [--slot-ms N] [--idle-s N]\n", argv[0]);
      return 2;
    }
  }
  try {
    TempDir dir("alys-bench-chain");
    Produced produced = produce(options, dir);
    bench("chain_blocks_with_transfers", static_cast<double>(produced.delays_ms.size()), "blocks");
    bench("chain_transfers_per_block",
          produced.delays_ms.empty() ? 0
                                     : static_cast<double>(produced.transfers) /
                                           static_cast<double>(produced.delays_ms.size()),
          "tx");
    bench("chain_import_delay_p50_ms", percentile(produced.delays_ms, 0.50), "ms");
    bench("chain_import_delay_p99_ms", percentile(produced.delays_ms, 0.99), "ms");
    bench("chain_import_delay_max_ms", percentile(produced.delays_ms, 1.0), "ms");
    replay(produced, options.slot_ms);
    bench("dev_node_idle_rss_mb", idle_rss_mb(options), "MB");
  } catch (const std::exception& error) {
    std::fprintf(stderr, "bench failed: %s\n", error.what());
    return 1;
  }
  return 0;
}
