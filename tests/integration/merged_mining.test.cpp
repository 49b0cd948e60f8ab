// Merged-mining finality end to end, in real processes: alysd runs the dev chain (short slots, a
// [chain.auxpow] table, no dev_mine) and alys-miner, a separate process, finalizes it over the
// admin endpoint's createauxblock / submitauxblock.
// - The finalized height advances every few slots, survives a restart of the node, and keeps
//   advancing after it.
// - With the miner stopped, production pauses at max_blocks_without_pow; it resumes when the
//   miner comes back.
// - The coinbase-output commitment finalizes too; a miner in the wrong mode is refused.
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include <boost/json.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "child_process.hpp"
#include "dev_files.hpp"
#include "logs_on_failure.hpp"
#include "loopback_http.hpp"

using alys::testing::ChildProcess;
using alys::testing::copy_dev_member_key;
using alys::testing::free_loopback_port;
using alys::testing::http_request;
using alys::testing::LogsOnFailure;
using alys::testing::read_file;
using alys::testing::TempDir;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

const std::string kAlysd = ALYS_BINARY_DIR "/bin/alysd";
const std::string kMiner = ALYS_BINARY_DIR "/bin/alys-miner";
const std::string kPluginDir = ALYS_BINARY_DIR "/plugins";
// config/dev.toml's fee recipient (Hardhat/Anvil's first development account).
const std::string kFeeRecipient = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
constexpr std::uint64_t kMaxBlocksWithoutPow = 8;

std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t found = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
    ++found;
  return found;
}

// The README's dev chain with 200 ms slots and this test's [chain.auxpow] table, mined by nobody
// but alys-miner: dev.toml's own dev_mine line and [chain.auxpow] table (if any) are left out.
std::string mining_config(const std::string& commitment) {
  std::istringstream dev(read_file(ALYS_SOURCE_DIR "/config/dev.toml"));
  std::string config;
  bool in_auxpow_table = false;
  bool slot_replaced = false;
  for (std::string line; std::getline(dev, line);) {
    if (line.starts_with("[")) in_auxpow_table = line.starts_with("[chain.auxpow]");
    if (in_auxpow_table || line.starts_with("dev_mine")) continue;
    if (line.starts_with("slot_ms = ")) {
      line = "slot_ms = 200";
      slot_replaced = true;
    }
    config += line + "\n";
  }
  REQUIRE(slot_replaced);
  config +=
      "\n[chain.auxpow]\n"
      "chain_id = 1953                     # 0x7a1\n"
      "commitment = \"" +
      commitment +
      "\"\n"
      "max_blocks_without_pow = " +
      std::to_string(kMaxBlocksWithoutPow) +
      "\n"
      "initial_bits = \"207fffff\"\n"
      "pow_limit = \"7fffff0000000000000000000000000000000000000000000000000000000000\"\n"
      "retarget_interval = 10\n"
      "target_spacing_s = 1\n"
      "max_adjustment = 4\n";
  return config;
}

// A dev node's directory: its config, its key (chmod 600) and its data.
struct NodeFiles {
  TempDir dir{"alys-mining"};
  std::filesystem::path config;
  std::filesystem::path data;

  explicit NodeFiles(const std::string& commitment) {
    config = dir.write("node.toml", mining_config(commitment));
    copy_dev_member_key(dir.path());
    data = dir.path() / "data";
  }
};

std::unique_ptr<ChildProcess> start_node(const NodeFiles& files, std::uint16_t port,
                                         const std::filesystem::path& log) {
  return std::make_unique<ChildProcess>(
      std::vector<std::string>{kAlysd, "--config", files.config.string(), "--data-dir",
                               files.data.string(), "--plugin-dir", kPluginDir, "--admin-listen",
                               "127.0.0.1:" + std::to_string(port)},
      log);
}

std::string rpc_url(std::uint16_t port) { return "http://127.0.0.1:" + std::to_string(port) + "/"; }

std::vector<std::string> miner_args(std::uint16_t port, const std::string& commitment) {
  return {kMiner,         "--rpc",    rpc_url(port),   "--address", kFeeRecipient,
          "--commitment", commitment, "--interval-ms", "300"};
}

// chain_status, or nullopt while the node does not answer.
std::optional<json::object> chain_status(std::uint16_t port) {
  auto reply = http_request("127.0.0.1", port, "POST", "/",
                            R"({"jsonrpc":"2.0","id":1,"method":"chain_status","params":[]})");
  if (!reply) return std::nullopt;
  try {
    json::value parsed = json::parse(reply->body);
    if (const json::value* result = parsed.as_object().if_contains("result"))
      return result->as_object();
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

struct Heights {
  std::uint64_t head = 0;
  std::optional<std::uint64_t> finalized;  // nullopt: nothing finalized yet
  bool paused = false;

  std::uint64_t finalized_or_zero() const { return finalized.value_or(0); }
  std::uint64_t unfinalized() const { return head - finalized_or_zero(); }
};

Heights heights(const json::object& status) {
  Heights out;
  out.head = status.at("head").at("height").to_number<std::uint64_t>();
  if (!status.at("finalized").is_null())
    out.finalized = status.at("finalized").at("height").to_number<std::uint64_t>();
  out.paused = status.at("auxpow").at("production_paused").as_bool();
  return out;
}

// Polls chain_status every 50 ms until `done` holds; the last heights seen, or nullopt on timeout.
std::optional<Heights> wait_for(std::uint16_t port, const std::function<bool(const Heights&)>& done,
                                std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (auto status = chain_status(port)) {
      Heights now = heights(*status);
      if (done(now)) return now;
    }
    std::this_thread::sleep_for(50ms);
  }
  return std::nullopt;
}

// Watches the finalized height move `advances` times; returns every finalized height seen, in
// order. Checks on every sample that no more than max_blocks_without_pow blocks are unfinalized.
std::vector<std::uint64_t> watch_finality(std::uint16_t port, int advances,
                                          std::chrono::milliseconds timeout) {
  std::vector<std::uint64_t> seen;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (static_cast<int>(seen.size()) <= advances && std::chrono::steady_clock::now() < deadline) {
    if (auto status = chain_status(port)) {
      Heights now = heights(*status);
      CHECK(now.unfinalized() <= kMaxBlocksWithoutPow);
      if (now.finalized && (seen.empty() || *now.finalized != seen.back())) {
        CHECK((seen.empty() || *now.finalized > seen.back()));
        seen.push_back(*now.finalized);
      }
    }
    std::this_thread::sleep_for(50ms);
  }
  return seen;
}

}  // namespace

TEST_CASE("alys-miner finalizes the dev chain, across a node restart; no miner, no production",
          "[integration][mining]") {
  NodeFiles files("coinbase-script");
  const std::uint16_t port = free_loopback_port();
  // One log per process run (a restarted process would truncate its predecessor's).
  const std::filesystem::path node_log = files.dir.path() / "alysd.log";
  const std::filesystem::path restarted_node_log = files.dir.path() / "alysd-restarted.log";
  const std::filesystem::path miner_log = files.dir.path() / "miner.log";
  const std::filesystem::path second_miner_log = files.dir.path() / "miner-second.log";
  LogsOnFailure logs({node_log, miner_log, restarted_node_log, second_miner_log});
  auto node = start_node(files, port, node_log);
  REQUIRE(wait_for(
      port, [](const Heights& h) { return h.head >= 1; }, 30s));

  // Mining: the finalized height advances every few slots (each proof covers the blocks produced
  // since the last one, so every advance is small).
  auto miner = std::make_unique<ChildProcess>(miner_args(port, "coinbase-script"), miner_log);
  std::vector<std::uint64_t> finalized = watch_finality(port, 6, 60s);
  REQUIRE(finalized.size() >= 7);
  const Heights mined = *wait_for(
      port, [](const Heights&) { return true; }, 5s);
  CHECK_FALSE(mined.paused);
  CHECK(count(read_file(node_log), "finalized blocks ") >= 6);
  CHECK(count(read_file(miner_log), "): accepted") >= 6);

  // A restart keeps the finalized height, and finality goes on with the same miner, which found
  // the node gone and waited for it to come back.
  const Heights before_restart = *wait_for(
      port, [](const Heights&) { return true; }, 5s);
  REQUIRE(node->signal(SIGTERM));
  REQUIRE(node->wait_exit(30s) == 0);
  REQUIRE(miner->wait_for_output("node unreachable: connection refused", 10s));
  node = start_node(files, port, restarted_node_log);
  auto restarted = wait_for(
      port, [](const Heights&) { return true; }, 30s);
  REQUIRE(restarted);
  REQUIRE(restarted->finalized);
  REQUIRE(*restarted->finalized >= before_restart.finalized_or_zero());
  CHECK(restarted->head >= before_restart.head);
  std::vector<std::uint64_t> after_restart = watch_finality(port, 4, 60s);
  REQUIRE(after_restart.size() >= 5);
  REQUIRE(after_restart.front() >= *before_restart.finalized);
  CHECK(miner->running());

  // The miner stops: production pauses with max_blocks_without_pow blocks after the finalized
  // one, and the head holds still.
  const std::size_t pauses_before = count(read_file(restarted_node_log), "production paused: ");
  REQUIRE(miner->signal(SIGTERM));
  REQUIRE(miner->wait_exit(10s) == 0);
  CHECK(read_file(miner_log).find("stopped: ") != std::string::npos);
  auto paused = wait_for(
      port, [](const Heights& h) { return h.paused; }, 30s);
  REQUIRE(paused);
  REQUIRE(paused->unfinalized() == kMaxBlocksWithoutPow);
  std::this_thread::sleep_for(1500ms);  // 7 slots
  const Heights still = *wait_for(
      port, [](const Heights&) { return true; }, 5s);
  REQUIRE(still.head == paused->head);
  CHECK(still.finalized == paused->finalized);
  CHECK(still.paused);
  CHECK(still.unfinalized() == kMaxBlocksWithoutPow);
  REQUIRE(count(read_file(restarted_node_log), "production paused: ") == pauses_before + 1);
  const std::size_t resumes_before = count(read_file(restarted_node_log), "production resumes: ");

  // The miner comes back: the waiting range is finalized, production resumes and the head moves.
  miner = std::make_unique<ChildProcess>(miner_args(port, "coinbase-script"), second_miner_log);
  auto resumed = wait_for(
      port,
      [&](const Heights& h) {
        return h.finalized_or_zero() > paused->finalized_or_zero() && h.head > paused->head + 2 &&
               !h.paused;
      },
      30s);
  REQUIRE(resumed);
  REQUIRE(count(read_file(restarted_node_log), "production resumes: ") == resumes_before + 1);
  REQUIRE(watch_finality(port, 2, 30s).size() >= 3);
  CHECK(node->running());
  logs.finished();
}

TEST_CASE("the coinbase-output commitment finalizes; a miner in the other mode is refused",
          "[integration][mining]") {
  NodeFiles files("coinbase-output");
  const std::uint16_t port = free_loopback_port();
  const std::filesystem::path node_log = files.dir.path() / "alysd.log";
  const std::filesystem::path miner_log = files.dir.path() / "miner.log";
  LogsOnFailure logs(
      {node_log, files.dir.path() / "wrong.log", files.dir.path() / "once.log", miner_log});
  auto node = start_node(files, port, node_log);
  REQUIRE(wait_for(
      port, [](const Heights& h) { return h.head >= 1; }, 30s));

  // A proof with the commitment in the coinbase script is not what this chain takes: exit 1.
  ChildProcess wrong({kMiner, "--rpc", rpc_url(port), "--address", kFeeRecipient, "--once"},
                     files.dir.path() / "wrong.log");
  REQUIRE(wrong.wait_exit(30s) == 1);
  REQUIRE(
      wrong.output().find("refused: invalid auxpow: coinbase has no output 2 or 3 (code -25)") !=
      std::string::npos);

  // --once in the right mode: accepted, exit 0; the next block finalizes.
  ChildProcess once({kMiner, "--rpc", rpc_url(port), "--address", kFeeRecipient, "--commitment",
                     "coinbase-output", "--once"},
                    files.dir.path() / "once.log");
  REQUIRE(once.wait_exit(30s) == 0);
  REQUIRE(once.output().find("): accepted") != std::string::npos);
  REQUIRE(wait_for(
      port, [](const Heights& h) { return h.finalized.has_value(); }, 10s));

  ChildProcess miner(miner_args(port, "coinbase-output"), miner_log);
  REQUIRE(watch_finality(port, 4, 60s).size() >= 5);
  CHECK(count(read_file(node_log), "finalized blocks ") >= 5);
  REQUIRE(miner.signal(SIGINT));
  CHECK(miner.wait_exit(10s) == 0);
  logs.finished();
}

TEST_CASE("alys-miner's exit codes: bad arguments 2, --once with no node 3",
          "[integration][mining]") {
  TempDir dir("alys-miner-args");
  ChildProcess no_address({kMiner, "--rpc", "http://127.0.0.1:8645/"}, dir.path() / "a.log");
  CHECK(no_address.wait_exit(10s) == 2);
  CHECK(no_address.output().find("--address ADDR is required") != std::string::npos);
  ChildProcess bad_address({kMiner, "--rpc", "http://127.0.0.1:8645/", "--address", "0x1234"},
                           dir.path() / "b.log");
  CHECK(bad_address.wait_exit(10s) == 2);
  CHECK(bad_address.output().find("--address must be a 20-byte EVM address") != std::string::npos);
  ChildProcess bad_mode({kMiner, "--rpc", "http://127.0.0.1:8645/", "--address", kFeeRecipient,
                         "--commitment", "coinbase"},
                        dir.path() / "c.log");
  CHECK(bad_mode.wait_exit(10s) == 2);
  ChildProcess help({kMiner, "--help"}, dir.path() / "d.log");
  CHECK(help.wait_exit(10s) == 0);
  CHECK(help.output().find("usage:") != std::string::npos);
  for (const char* option : {"--rpc URL", "--address ADDR", "--commitment MODE", "--interval-ms N",
                             "--once", "--max-attempts N", "exit codes:"})
    CHECK(help.output().find(option) != std::string::npos);
  // A usage error names the option.
  ChildProcess bogus({kMiner, "--bogus", "--rpc", "http://127.0.0.1:8645/"}, dir.path() / "f.log");
  CHECK(bogus.wait_exit(10s) == 2);
  CHECK(bogus.output().find("alys-miner: unknown argument '--bogus'") != std::string::npos);
  ChildProcess no_value({kMiner, "--address", kFeeRecipient, "--rpc"}, dir.path() / "g.log");
  CHECK(no_value.wait_exit(10s) == 2);
  CHECK(no_value.output().find("alys-miner: --rpc needs a value") != std::string::npos);
  ChildProcess bad_port({kMiner, "--rpc", "http://127.0.0.1:0/", "--address", kFeeRecipient},
                        dir.path() / "h.log");
  CHECK(bad_port.wait_exit(10s) == 2);
  CHECK(bad_port.output().find("port must be 1..65535") != std::string::npos);

  const std::uint16_t nobody = free_loopback_port();
  ChildProcess unreachable({kMiner, "--rpc", rpc_url(nobody), "--address", kFeeRecipient, "--once"},
                           dir.path() / "e.log");
  CHECK(unreachable.wait_exit(20s) == 3);
  CHECK(unreachable.output().find("node unreachable: connection refused") != std::string::npos);
}
