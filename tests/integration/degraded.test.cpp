// An actor that runs but cannot do its work (its health probe answers ALYS_DEGRADED), in a real
// alysd: /health, node_status, /metrics, alys-ctl and the log say so with the reason, the node is
// not healthy, nothing is restarted, and all of it clears when the actor recovers. The outage test
// plugin (tests/plugins/outage.cpp) is told of an outage by its admin method outage_set.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <boost/json.hpp>
#include <csignal>
#include <string>
#include <thread>

#include "child_process.hpp"
#include "loopback_http.hpp"

using alys::testing::ChildProcess;
using alys::testing::free_loopback_port;
using alys::testing::http_request;
using alys::testing::HttpReply;
using alys::testing::run_to_exit;
using alys::testing::TempDir;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

const std::string kAlysd = ALYS_BINARY_DIR "/bin/alysd";
const std::string kCtl = ALYS_BINARY_DIR "/bin/alys-ctl";
const std::string kToken = "degraded-test-token";
const std::string kReason = "execution client unreachable at 127.0.0.1:8551";

class Node {
 public:
  Node() : dir_("alysd-degraded"), port_(free_loopback_port()) {
    std::filesystem::path token = dir_.write("token", kToken + "\n");
    ::chmod(token.c_str(), 0600);
    config_ =
        dir_.write("node.toml",
                   "[host]\nworkers = 2\ndata_dir = \"" + (dir_.path() / "data").string() +
                       "\"\nplugin_dir = \"" ALYS_TEST_PLUGIN_DIR
                       "\"\nadmin_listen = "
                       "\"127.0.0.1:" +
                       std::to_string(port_) + "\"\nadmin_token_file = \"" + token.string() +
                       "\"\n\n[plugins.outage]\nfile = \"alys_test_outage.so\"\n"
                       "health_interval_ms = 50\n\n[plugins.echo]\nfile = \"alys_test_echo.so\"\n");
    process_.emplace(std::vector<std::string>{kAlysd, "--config", config_.string()},
                     dir_.path() / "alysd.log");
    REQUIRE(process_->wait_for_output("node running"));
  }

  // GET `target`: status and body.
  HttpReply get(const std::string& target) {
    auto reply = http_request("127.0.0.1", port_, "GET", target);
    REQUIRE(reply);
    return *reply;
  }

  json::object rpc(const std::string& method, const std::string& params) {
    auto reply = http_request(
        "127.0.0.1", port_, "POST", "/",
        R"({"jsonrpc":"2.0","id":1,"method":")" + method + R"(","params":)" + params + "}",
        {"Authorization: Bearer " + kToken});
    REQUIRE(reply);
    INFO(reply->body);
    REQUIRE(reply->status == 200);
    json::object answer = json::parse(reply->body).as_object();
    REQUIRE(answer.contains("result"));
    return answer;
  }

  // Polls /health until its "state" is `state`; the last answer.
  HttpReply health_until(const std::string& state) {
    HttpReply reply;
    for (auto deadline = std::chrono::steady_clock::now() + 10s;
         std::chrono::steady_clock::now() < deadline; std::this_thread::sleep_for(20ms)) {
      reply = get("/health");
      if (json::parse(reply.body).as_object().at("state").as_string() == state) break;
    }
    return reply;
  }

  alys::testing::Finished ctl(const std::string& command) {
    return run_to_exit({kCtl, "--config", config_.string(), command},
                       dir_.path() / ("ctl-" + command + ".log"), 30s);
  }

  ChildProcess& process() { return *process_; }

 private:
  TempDir dir_;
  std::uint16_t port_;
  std::filesystem::path config_;
  std::optional<ChildProcess> process_;
};

const json::object& actor_row(const json::value& body, const std::string& role) {
  for (const auto& row : body.as_object().at("actors").as_array())
    if (row.as_object().at("role").as_string() == role) return row.as_object();
  FAIL("no actor " << role << " in " << json::serialize(body));
  throw std::logic_error("unreachable");
}

std::size_t occurrences(const std::string& text, const std::string& needle) {
  std::size_t count = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
    ++count;
  return count;
}

bool has(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("degraded: /health, status, metrics and alys-ctl show it; nothing restarts",
          "[integration][degraded]") {
  Node node;
  HttpReply healthy = node.get("/health");
  INFO(healthy.body);
  REQUIRE(healthy.status == 200);

  node.rpc("outage_set", R"({"reason":")" + kReason + R"("})");
  HttpReply degraded = node.health_until("degraded");
  INFO(degraded.body);
  const json::value body = json::parse(degraded.body);
  CHECK(degraded.status == 503);
  CHECK(body.at("state").as_string() == "degraded");
  CHECK(body.at("healthy").as_bool() == false);
  const json::object& outage = actor_row(body, "outage");
  CHECK(outage.at("state").as_string() == "degraded");
  CHECK(outage.at("degraded_reason").as_string() == kReason);
  CHECK(outage.at("restarts").as_int64() == 0);
  CHECK(outage.at("last_error").as_string() == "");
  const json::object& echo = actor_row(body, "echo");
  CHECK(echo.at("state").as_string() == "running");
  CHECK(echo.at("degraded_reason").as_string() == "");

  // Probes keep answering degraded every 50 ms: still one log line, no restart.
  std::this_thread::sleep_for(500ms);
  const json::object status = node.rpc("node_status", "{}");
  const json::value& result = status.at("result");
  CHECK(result.at("state").as_string() == "degraded");
  CHECK(actor_row(result, "outage").at("restarts").as_int64() == 0);
  CHECK(actor_row(result, "outage").at("degraded_reason").as_string() == kReason);
  HttpReply metrics = node.get("/metrics");
  CHECK(has(metrics.body, "\nalys_actor_degraded{role=\"outage\"} 1\n"));
  CHECK(has(metrics.body, "\nalys_actor_degraded{role=\"echo\"} 0\n"));
  CHECK(has(metrics.body, "\nalys_actor_up{role=\"outage\",state=\"running\"} 1\n"));
  CHECK(has(metrics.body, "\nalys_actor_restarts_total{role=\"outage\"} 0\n"));
  CHECK(occurrences(node.process().output(), "[outage] degraded: " + kReason) == 1);

  auto ctl_health = node.ctl("health");
  INFO(ctl_health.output);
  CHECK(ctl_health.code == 1);  // not healthy
  CHECK(has(ctl_health.output, "node degraded, NOT healthy"));
  CHECK(has(ctl_health.output, kReason));
  auto ctl_status = node.ctl("status");
  INFO(ctl_status.output);
  CHECK(ctl_status.code == 0);
  CHECK(has(ctl_status.output, ": degraded"));
  CHECK(has(ctl_status.output, kReason));

  // Back: healthy again, still never restarted.
  node.rpc("outage_set", R"({"reason":""})");
  HttpReply recovered = node.health_until("running");
  INFO(recovered.body);
  CHECK(recovered.status == 200);
  const json::value after = json::parse(recovered.body);
  CHECK(after.at("healthy").as_bool() == true);
  CHECK(actor_row(after, "outage").at("state").as_string() == "running");
  CHECK(actor_row(after, "outage").at("degraded_reason").as_string() == "");
  CHECK(actor_row(after, "outage").at("restarts").as_int64() == 0);
  CHECK(has(node.get("/metrics").body, "\nalys_actor_degraded{role=\"outage\"} 0\n"));
  CHECK(occurrences(node.process().output(),
                    "[outage] no longer degraded (was: " + kReason + ")") == 1);
  CHECK(node.ctl("health").code == 0);

  REQUIRE(node.process().signal(SIGTERM));
  CHECK(node.process().wait_exit(30s) == 0);
}
