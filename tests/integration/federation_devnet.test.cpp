// packaging/devnet.sh as a new user runs it: `up 3` starts three members and an observer that
// agree on one chain, `status` shows them, `down` stops every one of them.
#include <signal.h>
#include <stdlib.h>

#include <catch2/catch.hpp>

#include <boost/json.hpp>
#include <chrono>
#include <fstream>
#include <map>
#include <string>
#include <thread>

#include "child_process.hpp"
#include "dev_files.hpp"
#include "loopback_http.hpp"

using alys::testing::read_file;
using alys::testing::TempDir;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

const std::string kScript = ALYS_SOURCE_DIR "/packaging/devnet.sh";

using Run = alys::testing::Finished;

Run devnet(const TempDir& scratch, const std::vector<std::string>& args) {
  static int runs = 0;
  std::vector<std::string> argv{"/bin/bash", kScript};
  argv.insert(argv.end(), args.begin(), args.end());
  return alys::testing::run_to_exit(
      argv, scratch.path() / ("devnet-" + std::to_string(++runs) + ".log"), 120s);
}

std::string setting(const std::filesystem::path& node, const std::string& name) {
  std::ifstream in(node / "devnet.env");
  for (std::string line; std::getline(in, line);)
    if (line.starts_with(name + "=")) return line.substr(name.size() + 1);
  return "";
}

std::optional<json::value> call(std::uint16_t port, const std::string& method,
                                const std::string& params = "[]") {
  auto reply = alys::testing::http_request(
      "127.0.0.1", port, "POST", "/",
      R"({"jsonrpc":"2.0","id":1,"method":")" + method + R"(","params":)" + params + "}");
  if (!reply) return std::nullopt;
  try {
    auto parsed = json::parse(reply->body);
    if (auto* result = parsed.as_object().if_contains("result")) return *result;
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

}  // namespace

TEST_CASE("devnet.sh up 3: four nodes on one chain; down stops them all",
          "[integration][federation][devnet]") {
  TempDir scratch("alys-devnet");
  const std::filesystem::path dir = scratch.path() / "devnet";
  ::setenv("ALYS_BUILD_DIR", ALYS_BINARY_DIR, 1);
  const Run up = devnet(scratch, {"up", "3", "--slot-ms", "300", "--dir", dir.string()});
  INFO("up:\n" << up.output);
  REQUIRE(up.code == 0);
  const std::vector<std::string> nodes{"node1", "node2", "node3", "observer"};
  std::map<std::string, pid_t> pids;
  for (const auto& node : nodes) {
    CHECK(up.output.find(node) != std::string::npos);
    pids[node] = std::stoi(read_file(dir / node / "alysd.pid"));
  }
  struct Down {
    const TempDir& scratch;
    std::filesystem::path dir;
    bool done = false;
    ~Down() {
      if (!done) devnet(scratch, {"down", "--dir", dir.string()});
    }
  } down_at_exit{scratch, dir};

  // Every node reaches height 3, and all hold the same block there.
  std::map<std::string, std::uint16_t> ports;
  for (const auto& node : nodes)
    ports[node] = static_cast<std::uint16_t>(std::stoi(setting(dir / node, "admin_port")));
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  bool reached = false;
  while (!reached && std::chrono::steady_clock::now() < deadline) {
    reached = true;
    for (const auto& node : nodes) {
      auto status = call(ports[node], "chain_status");
      if (!status || status->at("head").at("height").as_int64() < 3) reached = false;
    }
    if (!reached) std::this_thread::sleep_for(100ms);
  }
  std::string logs;
  for (const auto& node : nodes) logs += "--- " + node + "\n" + read_file(dir / node / "alysd.log");
  INFO(logs);
  REQUIRE(reached);
  std::optional<json::value> reference;
  for (const auto& node : nodes) {
    auto block = call(ports[node], "chain_getBlockByHeight", "[3]");
    REQUIRE(block);
    if (!reference) reference = block->at("hash");
    CHECK(block->at("hash") == *reference);
  }

  const Run status = devnet(scratch, {"status", "--dir", dir.string()});
  INFO("status:\n" << status.output);
  CHECK(status.code == 0);
  CHECK(status.output.find("observer") != std::string::npos);

  const Run down = devnet(scratch, {"down", "--dir", dir.string()});
  down_at_exit.done = true;
  INFO("down:\n" << down.output);
  CHECK(down.code == 0);
  for (const auto& node : nodes) {
    CHECK(down.output.find(node + " (pid " + std::to_string(pids[node]) + ") stopped") !=
          std::string::npos);
    // No alysd of the devnet is left (the pid is gone, or reused by something else).
    const std::string comm = read_file("/proc/" + std::to_string(pids[node]) + "/comm");
    CHECK(comm != "alysd\n");
  }
}
