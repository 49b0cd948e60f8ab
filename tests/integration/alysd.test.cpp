// alysd as a real process: start order, signals, refusal of an incompatible plugin, start failure,
// supervision giving up, and --check-config.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <filesystem>
#include <string>

#include "child_process.hpp"
#include "dev_files.hpp"
#include "loopback_http.hpp"

using alys::testing::ChildProcess;
using alys::testing::TempDir;
using namespace std::chrono_literals;

namespace {

const std::string kAlysd = ALYS_BINARY_DIR "/bin/alysd";

// The admin endpoint on a port chosen now: the default, 127.0.0.1:8645, is the dev node's, and a
// dev node running on the machine would make the start fail.
std::string host_section(const TempDir& dir) {
  return "[host]\nworkers = 2\ndata_dir = \"" + (dir.path() / "data").string() +
         "\"\nplugin_dir = \"" ALYS_TEST_PLUGIN_DIR "\"\nlog_level = \"info\"\n" +
         "admin_listen = \"127.0.0.1:" + std::to_string(alys::testing::free_loopback_port()) +
         "\"\n";  // in place of the blank line: the tests name config lines by number
}

// Position of `needle` in `text`; fails the test when absent.
std::size_t position(const std::string& text, const std::string& needle) {
  std::size_t at = text.find(needle);
  INFO("looking for: " << needle);
  REQUIRE(at != std::string::npos);
  return at;
}

}  // namespace

TEST_CASE("alysd starts plugins in requires order and stops them in reverse on SIGTERM",
          "[integration]") {
  TempDir dir("alysd-order");
  auto config = dir.write("node.toml", host_section(dir) + R"(
[plugins.chain]
file = "alys_test_echo.so"
requires = ["engine"]

[plugins.engine]
file = "alys_test_counter.so"
requires = ["storage"]

[plugins.storage]
file = "alys_test_echo.so"
)");
  ChildProcess node({kAlysd, "--config", config.string()}, dir.path() / "out.log");
  REQUIRE(node.wait_for_output("node running, 3 actor(s)"));
  std::string started = node.output();
  CHECK(position(started, "started role=storage") < position(started, "started role=engine"));
  CHECK(position(started, "started role=engine") < position(started, "started role=chain"));

  REQUIRE(node.signal(SIGTERM));
  auto code = node.wait_exit(20s);
  REQUIRE(code);
  CHECK(*code == 0);
  std::string log = node.output();
  CHECK(position(log, "stopped role=chain") < position(log, "stopped role=engine"));
  CHECK(position(log, "stopped role=engine") < position(log, "stopped role=storage"));
  CHECK(log.find("stopped, exit code 0") != std::string::npos);
}

TEST_CASE("alysd refuses a plugin built for ABI 2.0 by name and keeps running the others",
          "[integration]") {
  TempDir dir("alysd-abi");
  auto config = dir.write("node.toml", host_section(dir) + R"(
[plugins.counter]
file = "alys_test_counter.so"

[plugins.future]
file = "alys_test_abi_future.so"
)");
  ChildProcess node({kAlysd, "--config", config.string()}, dir.path() / "out.log");
  REQUIRE(node.wait_for_output("node running, 1 actor(s), 1 plugin(s) refused"));
  std::string log = node.output();
  CHECK(log.find(ALYS_TEST_PLUGIN_DIR "/alys_test_abi_future.so: plugin ABI 2.0 is incompatible "
                                      "with host ABI 1.2") != std::string::npos);
  // The plugin's static constructor aborts if it ever runs: the gate read the file only.
  CHECK(log.find("plugin code ran before the ABI gate") == std::string::npos);
  CHECK(log.find("started role=counter") != std::string::npos);
  std::this_thread::sleep_for(300ms);
  CHECK(node.running());
  REQUIRE(node.signal(SIGTERM));
  auto code = node.wait_exit(20s);
  REQUIRE(code);
  CHECK(*code == 0);
}

TEST_CASE("alysd names a plugin whose start fails, stops the started ones, and exits 1",
          "[integration]") {
  TempDir dir("alysd-startfail");
  auto config = dir.write("node.toml", host_section(dir) + R"(
[plugins.storage]
file = "alys_test_echo.so"

[plugins.engine]
file = "alys_test_faulty.so"
requires = ["storage"]

[engine]
fail_on_start = true
)");
  ChildProcess node({kAlysd, "--config", config.string()}, dir.path() / "out.log");
  auto code = node.wait_exit(20s);
  REQUIRE(code);
  CHECK(*code == 1);
  std::string log = node.output();
  CHECK(log.find("role 'engine' failed to start: start failed: configured to fail on start") !=
        std::string::npos);
  CHECK(position(log, "started role=storage") < position(log, "stopped role=storage"));
}

TEST_CASE("alysd exits 3 when the root supervisor gives up", "[integration]") {
  TempDir dir("alysd-giveup");
  auto config = dir.write("node.toml", host_section(dir) + R"(
[plugins.storage]
file = "alys_test_echo.so"

[plugins.worker]
file = "alys_test_faulty.so"

[worker]
crash_after_ms = 20

[supervision]
strategy = "one_for_one"
max_restarts = 3
period_ms = 60000
backoff_initial_ms = 5
backoff_max_ms = 40
children = ["storage", "worker"]
)");
  ChildProcess node({kAlysd, "--config", config.string()}, dir.path() / "out.log");
  auto code = node.wait_exit(30s);
  REQUIRE(code);
  CHECK(*code == 3);
  std::string log = node.output();
  CHECK(log.find("giving up: actor 'worker' exceeded 3 restarts") != std::string::npos);
  CHECK(log.find("restarted 'worker'") != std::string::npos);
  CHECK(log.find("stopped role=storage") != std::string::npos);
}

TEST_CASE("alysd --check-config validates; a plugin the ABI gate refuses runs no code",
          "[integration]") {
  TempDir dir("alysd-check");
  SECTION("a good config exits 0") {
    auto config = dir.write("good.toml", host_section(dir) + R"(
[plugins.counter]
file = "alys_test_counter.so"
)");
    ChildProcess check({kAlysd, "--check-config", config.string()}, dir.path() / "out.log");
    auto code = check.wait_exit(20s);
    REQUIRE(code);
    CHECK(*code == 0);
    CHECK(check.output().find("OK (1 plugin(s))") != std::string::npos);
  }
  SECTION("every error is printed with its line, exit 2") {
    auto config = dir.write("bad.toml", host_section(dir) + R"(
[plugins.counter]
file = "alys_test_counter.so"
restart = "sometimes"

[plugins.future]
file = "alys_test_abi_future.so"
)");
    ChildProcess check({kAlysd, "--check-config", config.string()}, dir.path() / "out.log");
    auto code = check.wait_exit(20s);
    REQUIRE(code);
    CHECK(*code == 2);
    std::string out = check.output();
    CHECK(out.find(config.string() + ":10:") != std::string::npos);  // restart = "sometimes"
    CHECK(out.find("plugins.counter.restart") != std::string::npos);
    CHECK(out.find("plugin code ran before the ABI gate") == std::string::npos);
  }
  SECTION("an incompatible plugin is an error at its file key") {
    auto config = dir.write("future.toml", host_section(dir) + R"(
[plugins.future]
file = "alys_test_abi_future.so"
)");
    ChildProcess check({kAlysd, "--check-config", config.string()}, dir.path() / "out.log");
    auto code = check.wait_exit(20s);
    REQUIRE(code);
    CHECK(*code == 2);
    std::string out = check.output();
    CHECK(out.find(config.string() + ":9:") != std::string::npos);  // the file key
    CHECK(out.find("plugins.future.file") != std::string::npos);
    CHECK(out.find("ABI 2.0") != std::string::npos);
  }
}

TEST_CASE("alysd rejects bad usage with exit code 2", "[integration]") {
  TempDir dir("alysd-usage");
  ChildProcess bad({kAlysd, "--bogus"}, dir.path() / "out.log");
  auto code = bad.wait_exit(20s);
  REQUIRE(code);
  CHECK(*code == 2);
  CHECK(bad.output().find("unknown argument '--bogus'") != std::string::npos);

  ChildProcess no_value({kAlysd, "--config"}, dir.path() / "no-value.log");
  CHECK(no_value.wait_exit(20s) == 2);
  CHECK(no_value.output().find("alysd: --config needs a value") != std::string::npos);
  ChildProcess none({kAlysd, "--log-level", "info"}, dir.path() / "none.log");
  CHECK(none.wait_exit(20s) == 2);
  CHECK(none.output().find("--config FILE or --check-config FILE is required") !=
        std::string::npos);
  ChildProcess bad_listen({kAlysd, "--check-config", ALYS_SOURCE_DIR "/config/dev.toml",
                           "--plugin-dir", ALYS_BINARY_DIR "/plugins", "--admin-listen", "[::1]"},
                          dir.path() / "bad-listen.log");
  CHECK(bad_listen.wait_exit(20s) == 2);
  CHECK(bad_listen.output().find("--admin-listen: expected \"HOST:PORT\"") != std::string::npos);
}

TEST_CASE("alysd --help lists every option and the exit codes; --version", "[integration]") {
  TempDir dir("alysd-help");
  ChildProcess help({kAlysd, "--help"}, dir.path() / "help.log");
  REQUIRE(help.wait_exit(20s) == 0);
  for (const char* text :
       {"--config FILE", "--check-config FILE", "--data-dir DIR", "--plugin-dir DIR",
        "--admin-listen HOST:PORT", "--log-level L", "--version", "exit codes:"})
    CHECK(help.output().find(text) != std::string::npos);
  ChildProcess version({kAlysd, "--version"}, dir.path() / "version.log");
  REQUIRE(version.wait_exit(20s) == 0);
  CHECK(version.output().starts_with("alysd "));
  CHECK(version.output().find("(plugin ABI ") != std::string::npos);
}

TEST_CASE("config/dev.toml and config/reference.toml pass --check-config", "[integration]") {
  TempDir dir("alysd-devconfig");
  // Beside the member key dev.toml names, with the mode the quick start gives it (git keeps none).
  for (const char* file : {"dev.toml", "reference.toml"})
    std::filesystem::copy_file(std::string(ALYS_SOURCE_DIR "/config/") + file, dir.path() / file);
  alys::testing::copy_dev_member_key(dir.path());
  for (const char* file : {"dev.toml", "reference.toml"}) {
    INFO(file);
    ChildProcess check({kAlysd, "--check-config", (dir.path() / file).string(), "--plugin-dir",
                        ALYS_BINARY_DIR "/plugins"},
                       dir.path() / "out.log");
    auto code = check.wait_exit(20s);
    REQUIRE(code);
    INFO(check.output());
    CHECK(*code == 0);
  }
}

TEST_CASE("alysd --check-config refuses a key file that group or others can read",
          "[integration]") {
  TempDir dir("alysd-secret");
  std::filesystem::path key = dir.write("member.key", std::string(64, '1') + "\n");
  ::chmod(key.c_str(), 0644);
  auto config = dir.write("node.toml", host_section(dir) + R"(
[plugins.counter]
file = "alys_test_counter.so"

[counter]
key_file = "member.key"
)");
  ChildProcess check({kAlysd, "--check-config", config.string()}, dir.path() / "out.log");
  auto code = check.wait_exit(20s);
  REQUIRE(code);
  CHECK(*code == 2);
  std::string out = check.output();
  INFO(out);
  CHECK(out.find(config.string() + ":12:12: counter.key_file: secret file " + key.string() +
                 " is accessible by group or others (mode 0644)") != std::string::npos);

  ::chmod(key.c_str(), 0600);
  ChildProcess fixed({kAlysd, "--check-config", config.string()}, dir.path() / "fixed.log");
  auto fixed_code = fixed.wait_exit(20s);
  REQUIRE(fixed_code);
  CHECK(*fixed_code == 0);
}
