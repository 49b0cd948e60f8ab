#include "network_config.hpp"

#include <catch2/catch.hpp>

using alys::ConfigProblems;
using alys::network::read_network_config;

namespace {

const std::string kKey(64, 'a');

bool has_problem(const ConfigProblems& problems, const std::string& key) {
  for (const auto& problem : problems.list())
    if (problem.key == key) return true;
  return false;
}

}  // namespace

TEST_CASE("network config: defaults, and a relative key file under config_dir", "[network]") {
  ConfigProblems problems;
  auto config = read_network_config(
      R"({"key_file": "node.key", "host": {"config_dir": "/etc/alys"}})", problems);
  CHECK(problems.empty());
  CHECK(config.key_file == "/etc/alys/node.key");
  CHECK(config.listen.to_string() == "127.0.0.1:30333");
  CHECK(config.io_threads == 1);
  CHECK(config.max_peers == 64);
  CHECK(config.handshake_timeout_ms == 5000);
  CHECK(config.idle_timeout_ms == 20000);
  CHECK(ping_interval_ms(config) == 5000);
  CHECK(config.dial_backoff_min_ms == 200);
  CHECK(config.dial_backoff_max_ms == 10000);
  CHECK(config.max_messages_per_second == 2000);
  CHECK(config.max_bytes_per_second == 64u << 20);
  CHECK(config.ban_seconds == 600);
  CHECK(config.sync_batch_blocks == 256);
  CHECK_FALSE(config.fault_injection);
}

TEST_CASE("network config: peers, listen on any port, IPv6", "[network]") {
  ConfigProblems problems;
  auto config = read_network_config(
      R"({"key_file": "/k", "listen": "[::1]:0", "fault_injection": true,
          "peers": [{"public_key": ")" +
          kKey + R"(", "address": "127.0.0.1:4000"}, {"public_key": ")" + std::string(64, 'b') +
          R"("}]})",
      problems);
  INFO(problems.describe("network"));
  CHECK(problems.empty());
  CHECK(config.listen.host == "::1");
  CHECK(config.listen.port == 0);
  REQUIRE(config.peers.size() == 2);
  REQUIRE(config.peers[0].address);
  CHECK(config.peers[0].address->to_string() == "127.0.0.1:4000");
  CHECK_FALSE(config.peers[1].address);
  CHECK(config.fault_injection);
}

TEST_CASE("network config: every problem at once, by key", "[network]") {
  ConfigProblems problems;
  read_network_config(
      R"({"listen": "nowhere", "io_threads": 0, "colour": 1, "dial_backoff_min_ms": 500,
          "dial_backoff_max_ms": 100, "max_peers": "many",
          "peers": [{"public_key": "xyz"}, {"address": "a:1"}, {"public_key": ")" +
          kKey + R"(", "port": 1}, {"public_key": ")" + kKey + R"(", "address": "h:0"}]})",
      problems);
  INFO(problems.describe("network"));
  CHECK(has_problem(problems, "key_file"));
  CHECK(has_problem(problems, "listen"));
  CHECK(has_problem(problems, "io_threads"));
  CHECK(has_problem(problems, "colour"));
  CHECK(has_problem(problems, "dial_backoff_max_ms"));
  CHECK(has_problem(problems, "max_peers"));
  CHECK(has_problem(problems, "peers[0].public_key"));
  CHECK(has_problem(problems, "peers[1].public_key"));
  CHECK(has_problem(problems, "peers[2].port"));
  CHECK(has_problem(problems, "peers[3].address"));     // port 0 cannot be dialled
  CHECK(has_problem(problems, "peers[3].public_key"));  // listed twice
}
