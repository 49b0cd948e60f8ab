// No config reload can take the node down: for each built-in role (chain, engine, storage) a
// wrong type, an out-of-range value and an unknown key in its table. `alysd --check-config`
// refuses each (exit 2) naming FILE:LINE:COL: KEY; a running dev node given the same file by
// SIGHUP applies nothing, logs the same lines, and keeps producing blocks. Real alysd processes
// with the real plugins, on loopback ports chosen at run time.
#include <signal.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "child_process.hpp"
#include "dev_files.hpp"
#include "loopback_http.hpp"
#include "temp_dir.hpp"

using alys::testing::ChildProcess;
using alys::testing::copy_dev_member_key;
using alys::testing::free_loopback_port;
using alys::testing::http_request;
using alys::testing::read_file;
using alys::testing::TempDir;
using namespace std::chrono_literals;

namespace {

const std::string kAlysd = ALYS_BINARY_DIR "/bin/alysd";
const std::string kPluginDir = ALYS_BINARY_DIR "/plugins";

// One mistake in a role's table: the line of the dev config that starts with `line` becomes
// `replacement` (which may add lines); the bad key is on line `offset` of the replacement.
struct Mistake {
  const char* what;
  const char* line;
  const char* replacement;
  int offset;
  const char* key;
  const char* message;
};

const Mistake kMistakes[] = {
    // The operator's typo of issue 12: it used to pass --check-config and stop the node on SIGHUP.
    {"engine: wrong type", "block_gas_limit = 30000000", R"(block_gas_limit = "lots")", 0,
     "engine.block_gas_limit", R"(must be a non-negative integer, got "lots")"},
    {"engine: out of range", "block_gas_limit = 30000000", "block_gas_limit = 20000", 0,
     "engine.block_gas_limit", "must be at least 21000, got 20000"},
    {"engine: unknown key", "block_gas_limit = 30000000",
     "block_gas_limit = 30000000\ngas_limt = 5", 1, "engine.gas_limt", "unknown key"},
    {"storage: wrong type", R"(path = "chain.db")", "path = \"chain.db\"\ncache_mb = \"big\"", 1,
     "storage.cache_mb", "must be an integer"},
    {"storage: out of range", R"(path = "chain.db")", "path = \"chain.db\"\nmax_open_files = 10", 1,
     "storage.max_open_files", "must be from 74 to 50000, got 10"},
    {"storage: unknown key", R"(path = "chain.db")", "path = \"chain.db\"\ncahce_mb = 8", 1,
     "storage.cahce_mb", "unknown key"},
    {"chain: wrong type", "slot_ms = 200", R"(slot_ms = "fast")", 0, "chain.slot_ms",
     "must be an integer"},
    {"chain: out of range", "slot_ms = 200", "slot_ms = 10", 0, "chain.slot_ms", "must be >= 100"},
    {"chain: unknown key", R"(commitment = "coinbase-script")",
     "commitment = \"coinbase-script\"\ninterval = 5", 1, "chain.auxpow.interval", "unknown key"},
};

// The README's dev config with short slots (and a retarget window to match), so that a running
// node shows within a second or two that it still produces.
std::string dev_config() {
  std::string config = read_file(ALYS_SOURCE_DIR "/config/dev.toml");
  auto replace = [&config](const std::string& from, const std::string& to) {
    const auto at = config.find(from);
    REQUIRE(at != std::string::npos);
    config.replace(at, from.size(), to);
  };
  replace("slot_ms = 2000", "slot_ms = 200");
  replace("retarget_interval = 10", "retarget_interval = 1000000");
  return config;
}

// `config` with `mistake` made; `line_out` is the 1-based line of the bad key.
std::string with_mistake(std::string config, const Mistake& mistake, int& line_out) {
  const std::string::size_type at = config.find(std::string("\n") + mistake.line);
  REQUIRE(at != std::string::npos);
  const std::string::size_type start = at + 1;
  const std::string::size_type end = config.find('\n', start);
  config.replace(start, end - start, mistake.replacement);
  line_out = 1 + static_cast<int>(std::count(config.begin(), config.begin() + start, '\n')) +
             mistake.offset;
  return config;
}

// Written beside and renamed into place: the node never reads half a file.
void write_config(const std::filesystem::path& file, const std::string& text) {
  const std::filesystem::path next = file.string() + ".next";
  std::ofstream(next) << text;
  std::filesystem::rename(next, file);
}

std::optional<std::uint64_t> head_height(std::uint16_t port) {
  auto reply = http_request("127.0.0.1", port, "POST", "/",
                            R"({"jsonrpc":"2.0","id":1,"method":"chain_status","params":[]})", {});
  if (!reply) return std::nullopt;
  try {
    boost::json::value parsed = boost::json::parse(reply->body);
    return static_cast<std::uint64_t>(
        parsed.at("result").at("head").at("height").to_number<std::int64_t>());
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// Waits until the head is past `height`.
bool advances_past(std::uint16_t port, std::uint64_t height) {
  for (int i = 0; i < 200; ++i) {
    if (auto now = head_height(port); now && *now > height) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t found = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
    ++found;
  return found;
}

}  // namespace

TEST_CASE("--check-config refuses each mistake in a role table, naming FILE:LINE:COL: KEY",
          "[integration][config]") {
  TempDir dir("alysd-check-tables");
  copy_dev_member_key(dir.path());
  const std::filesystem::path file = dir.path() / "node.toml";

  write_config(file, dev_config());
  ChildProcess good({kAlysd, "--check-config", file.string(), "--plugin-dir", kPluginDir},
                    dir.path() / "good.log");
  auto good_code = good.wait_exit(60s);
  REQUIRE(good_code);
  INFO(good.output());
  CHECK(*good_code == 0);
  CHECK(good.output().find("OK (3 plugin(s))") != std::string::npos);
  CHECK(good.output().find("warning") == std::string::npos);  // all three check their tables

  for (const Mistake& mistake : kMistakes) {
    INFO(mistake.what);
    int line = 0;
    write_config(file, with_mistake(dev_config(), mistake, line));
    ChildProcess check({kAlysd, "--check-config", file.string(), "--plugin-dir", kPluginDir},
                       dir.path() / "check.log");
    auto code = check.wait_exit(60s);
    REQUIRE(code);
    INFO(check.output());
    CHECK(*code == 2);
    CHECK(check.output().find(file.string() + ":" + std::to_string(line) + ":1: " + mistake.key +
                              ": " + mistake.message) != std::string::npos);
    CHECK(check.output().find("1 error(s) in " + file.string()) != std::string::npos);
  }
}

TEST_CASE("SIGHUP with a mistake in a role table changes nothing and the node keeps producing",
          "[integration][config]") {
  TempDir dir("alysd-reload-tables");
  copy_dev_member_key(dir.path());
  const std::filesystem::path file = dir.path() / "node.toml";
  write_config(file, dev_config());
  const std::uint16_t port = free_loopback_port();
  ChildProcess node(
      {kAlysd, "--config", file.string(), "--data-dir", (dir.path() / "data").string(),
       "--plugin-dir", kPluginDir, "--admin-listen", "127.0.0.1:" + std::to_string(port)},
      dir.path() / "alysd.log");
  REQUIRE(node.wait_for_output("produced block 1 ", 60s));

  std::size_t refused = 0;
  for (const Mistake& mistake : kMistakes) {
    INFO(mistake.what);
    int line = 0;
    write_config(file, with_mistake(dev_config(), mistake, line));
    auto before = head_height(port);
    REQUIRE(before);
    REQUIRE(node.signal(SIGHUP));
    ++refused;
    const std::string not_applied =
        "[reload] config not applied: 1 error(s); the node runs as before";
    for (int i = 0; i < 200 && count(node.output(), not_applied) < refused; ++i)
      std::this_thread::sleep_for(25ms);
    const std::string log = node.output();
    INFO(log);
    REQUIRE(count(log, not_applied) == refused);
    CHECK(log.find("[reload] " + file.string() + ":" + std::to_string(line) + ":1: " + mistake.key +
                   ": " + mistake.message) != std::string::npos);
    CHECK(advances_past(port, *before));
    CHECK(node.running());
  }
  const std::string log = node.output();
  // Nothing was delivered, restarted or given up on.
  CHECK(log.find("config table changed") == std::string::npos);
  CHECK(log.find("declined its new config table") == std::string::npos);
  CHECK(log.find("giving up") == std::string::npos);

  REQUIRE(node.signal(SIGTERM));
  auto code = node.wait_exit(30s);
  REQUIRE(code);
  CHECK(*code == 0);
}
