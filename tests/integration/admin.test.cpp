// The admin HTTP server of a real alysd: authorization, the address it listens on, malformed
// JSON-RPC, the Prometheus exposition (promtool and a real Prometheus server), and SIGHUP.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <regex>
#include <string>
#include <thread>

#include "child_process.hpp"
#include "loopback_http.hpp"

using alys::testing::ChildProcess;
using alys::testing::free_loopback_port;
using alys::testing::http_request;
using alys::testing::HttpReply;
using alys::testing::TempDir;
using namespace std::chrono_literals;

namespace {

const std::string kAlysd = ALYS_BINARY_DIR "/bin/alysd";
const std::string kPlugins = ALYS_TEST_PLUGIN_DIR;
const std::string kToken = "integration-test-token";

// One alysd with a counter and a faulty worker, its admin API on a free loopback port.
class Node {
 public:
  explicit Node(const std::string& name, const std::string& extra_host = "",
                const std::string& counter_build = "alys_test_counter.so",
                std::string extra_plugins = "")
      : dir_(name), port_(free_loopback_port()), extra_plugins_(std::move(extra_plugins)) {
    std::filesystem::path token = dir_.write("token", kToken + "\n");
    ::chmod(token.c_str(), 0600);
    config_ = dir_.path() / "node.toml";
    write_config(counter_build, "limit = 1", extra_host);
    process_.emplace(std::vector<std::string>{kAlysd, "--config", config_.string()},
                     dir_.path() / "out.log");
    REQUIRE(process_->wait_for_output("node running"));
  }

  void write_config(const std::string& counter_build, const std::string& worker_table,
                    const std::string& extra_host = "") {
    dir_.write("node.toml", "[host]\nworkers = 2\ndata_dir = \"" + (dir_.path() / "data").string() +
                                "\"\nplugin_dir = \"" + kPlugins +
                                "\"\nadmin_listen = \"127.0.0.1:" + std::to_string(port_) +
                                "\"\nadmin_token_file = \"" + (dir_.path() / "token").string() +
                                "\"\nswap_trial_ms = 100\n" + extra_host +
                                "\n[plugins.counter]\nfile = \"" + counter_build +
                                "\"\n\n[plugins.worker]\nfile = \"alys_test_faulty.so\"\n" +
                                extra_plugins_ + "\n[worker]\n" + worker_table + "\n");
  }

  std::optional<HttpReply> rpc(const std::string& body, const std::string& token = "") {
    std::vector<std::string> headers;
    if (!token.empty()) headers.push_back("Authorization: Bearer " + token);
    return http_request("127.0.0.1", port_, "POST", "/", body, headers);
  }
  std::optional<HttpReply> get(const std::string& target) {
    return http_request("127.0.0.1", port_, "GET", target);
  }

  std::uint16_t port() const { return port_; }
  ChildProcess& process() { return *process_; }
  const TempDir& dir() const { return dir_; }

 private:
  TempDir dir_;
  std::uint16_t port_;
  std::filesystem::path config_;
  std::string extra_plugins_;
  std::optional<ChildProcess> process_;
};

std::string call(const std::string& method, const std::string& params = "{}") {
  return R"({"jsonrpc":"2.0","id":7,"method":")" + method + R"(","params":)" + params + "}";
}

bool has(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE(
    "admin: mutating methods without the token, or with a wrong one, get 401 and change "
    "nothing",
    "[integration][admin]") {
  Node node("alysd-admin-auth");
  const std::string v2 = kPlugins + "/alys_test_counter_v2.so";
  const std::vector<std::string> mutating{
      call("plugin_reload", R"({"role":"counter","path":")" + v2 + R"("})"),
      call("actor_restart", R"({"role":"counter"})"), call("node_shutdown"), call("counter_reset")};
  for (const std::string& token : {std::string(), std::string("wrong-token")}) {
    for (const auto& body : mutating) {
      INFO(body << " with token '" << token << "'");
      auto reply = node.rpc(body, token);
      REQUIRE(reply);
      CHECK(reply->status == 401);
      CHECK(has(reply->body, R"("code":-32001)"));
    }
  }
  auto status = node.rpc(call("node_status"));
  REQUIRE(status);
  CHECK(status->status == 200);
  CHECK(has(status->body, R"("plugin_version":"1.0.0")"));  // not reloaded
  CHECK(has(status->body, R"("restarts":0)"));              // not restarted
  CHECK(node.process().running());                          // not shut down
  // Read-only methods need no token, and the right token works.
  auto read = node.rpc(call("counter_get"));
  REQUIRE(read);
  CHECK(has(read->body, R"("build":"counter-1.0.0")"));
  auto reload = node.rpc(mutating[0], kToken);
  REQUIRE(reload);
  CHECK(has(reload->body, R"("to_version":"2.0.0")"));
}

TEST_CASE("admin: the server listens only on the configured address", "[integration][admin]") {
  Node node("alysd-admin-listen");
  REQUIRE(http_request("127.0.0.1", node.port(), "GET", "/health"));
  // 127.0.0.2 is loopback too, but not the configured address.
  CHECK_FALSE(http_request("127.0.0.2", node.port(), "GET", "/health"));
}

TEST_CASE("admin: malformed JSON-RPC requests get their error and the node stays healthy",
          "[integration][admin]") {
  Node node("alysd-admin-malformed", "admin_max_body_bytes = 200000");
  struct Case {
    const char* name;
    std::string body;
    int http_status;
    const char* code;
  };
  std::vector<Case> cases{
      {"bad JSON", R"({"jsonrpc":"2.0","method":)", 200, "-32700"},
      {"batch of non-objects", R"([1,2,3])", 200, "-32600"},
      {"empty batch", R"([])", 200, "-32600"},
      {"batch over 1000 calls",
       "[" +
           [] {
             std::string calls = call("node_status");
             for (int i = 0; i < 1000; ++i) calls += "," + call("node_status");
             return calls;
           }() +
           "]",
       200, "-32600"},
      {"wrong jsonrpc version", R"({"jsonrpc":"1.0","id":1,"method":"node_status"})", 200,
       "-32600"},
      {"missing method", R"({"jsonrpc":"2.0","id":1})", 200, "-32600"},
      {"params not structured", R"({"jsonrpc":"2.0","id":1,"method":"node_status","params":3})",
       200, "-32600"},
      {"unknown method", call("no_such_method"), 200, "-32601"},
      {"wrong param types", call("plugin_reload", R"({"role":5,"path":true})"), 200, "-32602"},
      {"missing params", call("actor_restart"), 200, "-32602"},
      {"oversized body", call("node_status", "{\"pad\":\"" + std::string(300000, 'x') + "\"}"), 413,
       "-32600"},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    // Param errors of mutating methods are reported to authorized callers.
    auto reply = node.rpc(c.body, kToken);
    REQUIRE(reply);
    CHECK(reply->status == c.http_status);
    CHECK(has(reply->body, std::string("\"code\":") + c.code));
    CHECK(has(reply->body, "\"message\":\""));
  }
  auto health = node.get("/health");
  REQUIRE(health);
  CHECK(health->status == 200);
  CHECK(has(health->body, R"("healthy":true)"));
  CHECK(node.process().running());
}

TEST_CASE("admin: a JSON-RPC batch is answered in one array, in order, authorized per call",
          "[integration][admin]") {
  Node node("alysd-admin-batch");
  const std::string batch = "[" + call("node_status") + "," + call("no_such_method") + "," +
                            call("actor_restart", R"({"role":"worker"})") + "]";
  auto reply = node.rpc(batch);
  REQUIRE(reply);
  CHECK(reply->status == 200);
  INFO(reply->body);
  REQUIRE(reply->body.front() == '[');
  const auto status = reply->body.find("\"state\":\"running\"");
  const auto unknown = reply->body.find("\"code\":-32601");
  const auto unauthorized = reply->body.find("\"code\":-32001");
  CHECK(status != std::string::npos);
  CHECK(unknown != std::string::npos);
  CHECK(unauthorized != std::string::npos);
  CHECK(status < unknown);
  CHECK(unknown < unauthorized);
  CHECK(node.process().running());
}

TEST_CASE("admin: /metrics passes promtool and a real Prometheus server scrapes it",
          "[integration][admin][prometheus]") {
  Node node("alysd-admin-prometheus");
  for (int i = 0; i < 5; ++i) REQUIRE(node.rpc(call("counter_get")));  // handled by the counter

  auto metrics = node.get("/metrics");
  REQUIRE(metrics);
  CHECK(metrics->status == 200);
  CHECK(has(metrics->headers, "text/plain; version=0.0.4"));
  std::filesystem::path exposition = node.dir().write("metrics.txt", metrics->body);
  ChildProcess promtool(
      {"/bin/sh", "-c", "/usr/bin/promtool check metrics < " + exposition.string()},
      node.dir().path() / "promtool.log");
  auto checked = promtool.wait_exit(60s);
  REQUIRE(checked);
  INFO(promtool.output());
  CHECK(*checked == 0);
  CHECK(promtool.output().empty());

  std::uint16_t prometheus_port = free_loopback_port();
  std::filesystem::path scrape =
      node.dir().write("prometheus.yml",
                       "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: alysd\n"
                       "    static_configs:\n      - targets: ['127.0.0.1:" +
                           std::to_string(node.port()) + "']\n");
  ChildProcess prometheus({"/usr/bin/prometheus", "--config.file=" + scrape.string(),
                           "--storage.tsdb.path=" + (node.dir().path() / "tsdb").string(),
                           "--web.listen-address=127.0.0.1:" + std::to_string(prometheus_port)},
                          node.dir().path() / "prometheus.log");
  std::string query =
      "/api/v1/query?query=alys_actor_messages_handled_total%7Brole%3D%22counter%22%7D";
  std::string answer;
  for (int attempt = 0; attempt < 120; ++attempt) {
    auto reply = http_request("127.0.0.1", prometheus_port, "GET", query);
    if (reply && reply->status == 200 && has(reply->body, "\"value\"")) {
      answer = reply->body;
      break;
    }
    std::this_thread::sleep_for(500ms);
  }
  INFO("prometheus log:\n" << prometheus.output());
  REQUIRE_FALSE(answer.empty());
  // {"metric":{...,"role":"counter"},"value":[<time>,"<count>"]}
  std::smatch value;
  REQUIRE(std::regex_search(answer, value, std::regex(R"re("value":\[[0-9.]+,"([0-9.]+)"\])re")));
  CHECK(has(answer, R"("role":"counter")"));
  double handled = std::stod(value[1]);
  CHECK(handled >= 5);
  CHECK(handled < 1000);
}

TEST_CASE("admin: SIGHUP swaps a changed plugin file and delivers a changed role table",
          "[integration][admin]") {
  Node node("alysd-admin-sighup");
  node.write_config("alys_test_counter_v2.so", "limit = 2");
  REQUIRE(node.process().signal(SIGHUP));
  std::string status;
  for (int attempt = 0; attempt < 100; ++attempt) {
    auto reply = node.rpc(call("node_status"));
    if (reply && has(reply->body, R"("plugin_version":"2.0.0")")) {
      status = reply->body;
      break;
    }
    std::this_thread::sleep_for(100ms);
  }
  INFO(node.process().output());
  CHECK_FALSE(status.empty());
  // faulty takes new tables without a restart and counts them.
  REQUIRE(node.process().wait_for_output("[reload] 2 change(s) applied"));
  REQUIRE(node.process().wait_for_output("[reload] role 'counter' now runs 2.0.0"));  // trial over
  auto metrics = node.get("/metrics");
  REQUIRE(metrics);
  CHECK(has(metrics->body, R"(alys_plugin_config_changes_total{role="worker"} 1)"));
  CHECK(has(metrics->body, R"(alys_actor_restarts_total{role="worker"} 0)"));
  CHECK(has(metrics->body, R"(alys_swaps_total{role="counter",result="swapped"} 1)"));

  // A broken config is refused as a whole; the node runs on.
  node.write_config("alys_test_counter.so", "limit = 3\n[bogus]\n");
  REQUIRE(node.process().signal(SIGHUP));
  REQUIRE(node.process().wait_for_output("config not applied"));
  CHECK(node.process().running());
}

TEST_CASE("admin: a plugin method that misses its deadline gets -32002; the late answer is dropped",
          "[integration][admin]") {
  Node node("alysd-admin-deadline", "rpc_timeout_ms = 200", "alys_test_counter.so",
            "\n[plugins.slow]\nfile = \"alys_test_slow.so\"\n");
  auto quick = node.rpc(call("slow_sleep", R"({"ms":10})"));
  REQUIRE(quick);
  CHECK(has(quick->body, R"("slept_ms":10)"));
  auto late = node.rpc(call("slow_sleep", R"({"ms":600})"));
  REQUIRE(late);
  CHECK(has(late->body, R"("code":-32002)"));
  std::this_thread::sleep_for(700ms);  // the plugin answers after all: counted, not delivered
  auto metrics = node.get("/metrics");
  REQUIRE(metrics);
  CHECK(has(metrics->body, "alys_late_replies_total 1"));
  CHECK(has(metrics->body, "alys_request_timeouts_total 1"));
  CHECK(node.process().running());
}
