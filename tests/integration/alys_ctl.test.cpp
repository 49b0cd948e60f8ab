// alys-ctl end to end against a real alysd: every command, human and --json output, hot reloads
// that succeed and that fail at each stage (the old version keeps serving), the token, a node that
// is not running, shutdown, and usage errors, each with its documented exit code.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "child_process.hpp"
#include "loopback_http.hpp"

using alys::testing::ChildProcess;
using alys::testing::TempDir;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

const std::string kAlysd = ALYS_BINARY_DIR "/bin/alysd";
const std::string kCtl = ALYS_BINARY_DIR "/bin/alys-ctl";
const std::string kPlugins = ALYS_TEST_PLUGIN_DIR;

// Changes the working directory of this process for its lifetime (children inherit it).
class WorkingDirectory {
 public:
  explicit WorkingDirectory(const fs::path& dir) : previous_(fs::current_path()) {
    fs::create_directories(dir);
    fs::current_path(dir);
  }
  ~WorkingDirectory() { fs::current_path(previous_); }
  WorkingDirectory(const WorkingDirectory&) = delete;
  WorkingDirectory& operator=(const WorkingDirectory&) = delete;

 private:
  fs::path previous_;
};

struct CtlRun {
  int code = -1;
  std::string output;  // stdout and stderr together
};

// alys-ctl run with no node behind it (usage, help): each run logs to its own file in `dir`.
struct OfflineCtl {
  const TempDir& dir;
  int runs = 0;

  CtlRun operator()(std::vector<std::string> args) {
    args.insert(args.begin(), kCtl);
    ChildProcess run(args, dir.path() / ("ctl-" + std::to_string(++runs) + ".log"));
    auto code = run.wait_exit(20s);
    REQUIRE(code);
    UNSCOPED_INFO("output: " << run.output());
    return CtlRun{*code, run.output()};
  }
};

bool contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

// The words of the line of a table whose first column is `first`; empty when no such line.
std::vector<std::string> table_row(const std::string& table, const std::string& first) {
  std::istringstream lines(table);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::vector<std::string> row;
    for (std::string word; words >> word;) row.push_back(word);
    if (!row.empty() && row.front() == first) return row;
  }
  return {};
}

// One alysd with a token file, a counter role and an echo role, its admin API on a free
// loopback port, and alys-ctl runs against it.
class TestNode {
 public:
  explicit TestNode(const std::string& name, const std::string& extra_config = "",
                    const fs::path& node_cwd = {})
      : dir_(name),
        port_(alys::testing::free_loopback_port()),
        address_("127.0.0.1:" + std::to_string(port_)) {
    token_file_ = dir_.write("token", "the-right-token\n");
    fs::permissions(token_file_, fs::perms::owner_read | fs::perms::owner_write,
                    fs::perm_options::replace);
    wrong_token_file_ = dir_.write("wrong-token", "a-wrong-token\n");
    config_ = dir_.write("node.toml", "[host]\nworkers = 2\ndata_dir = \"" +
                                          (dir_.path() / "data").string() + "\"\nplugin_dir = \"" +
                                          kPlugins + "\"\nlog_level = \"info\"\nadmin_listen = \"" +
                                          address_ + "\"\nadmin_token_file = \"" +
                                          token_file_.string() + "\"\nswap_trial_ms = 200\n" + R"(
[plugins.counter]
file = "alys_test_counter.so"

[plugins.echo]
file = "alys_test_echo.so"
)" + extra_config);
    std::unique_ptr<WorkingDirectory> cwd;
    if (!node_cwd.empty()) cwd = std::make_unique<WorkingDirectory>(node_cwd);
    node_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{kAlysd, "--config", config_.string(), "--admin-listen", address_},
        dir_.path() / "alysd.log");
    if (!node_->wait_for_output("node running")) FAIL("alysd did not start:\n" << node_->output());
  }

  const TempDir& dir() const { return dir_; }
  const std::string& address() const { return address_; }
  std::string config() const { return config_.string(); }
  std::string wrong_token_file() const { return wrong_token_file_.string(); }
  ChildProcess& process() { return *node_; }

  // alys-ctl with exactly these arguments.
  CtlRun ctl_raw(std::vector<std::string> args) {
    args.insert(args.begin(), kCtl);
    ChildProcess run(args, dir_.path() / ("ctl-" + std::to_string(++runs_) + ".log"));
    auto code = run.wait_exit(60s);
    REQUIRE(code);
    CtlRun result{*code, run.output()};
    UNSCOPED_INFO("alys-ctl " << join(args) << "\n  exit " << result.code << ", output:\n"
                              << result.output);
    return result;
  }

  // alys-ctl --config node.toml ARGS: address and token from the config.
  CtlRun ctl(std::vector<std::string> args) {
    args.insert(args.begin(), {"--config", config()});
    return ctl_raw(std::move(args));
  }

  // The version of the plugin serving `role`, from `alys-ctl status`.
  std::string serving_version(const std::string& role) {
    CtlRun status = ctl({"status"});
    REQUIRE(status.code == 0);
    auto row = table_row(status.output, role);
    // ROLE STATE RESTARTS MAILBOX PLUGIN VERSION LAST-ERROR
    REQUIRE(row.size() >= 6);
    return row[5];
  }

  std::string log() const { return node_->output(); }

 private:
  static std::string join(const std::vector<std::string>& args) {
    std::string text;
    for (std::size_t i = 1; i < args.size(); ++i) text += (i > 1 ? " " : "") + args[i];
    return text;
  }

  TempDir dir_;
  std::uint16_t port_;
  std::string address_;
  fs::path token_file_;
  fs::path wrong_token_file_;
  fs::path config_;
  std::unique_ptr<ChildProcess> node_;
  int runs_ = 0;
};

std::string plugin(const std::string& file) { return kPlugins + "/" + file; }

}  // namespace

TEST_CASE("alys-ctl status, plugins, health and metrics, human and --json", "[integration]") {
  TestNode node("alys-ctl-read");

  SECTION("status") {
    CtlRun human = node.ctl({"status"});
    CHECK(human.code == 0);
    CHECK(contains(human.output, "running"));
    CHECK(contains(human.output, "ROLE"));
    auto row = table_row(human.output, "counter");
    REQUIRE(row.size() >= 6);
    CHECK(row[1] == "running");
    CHECK(row[4] == "alys-test-counter");
    CHECK(row[5] == "1.0.0");
    CHECK(table_row(human.output, "echo").size() >= 6);

    CtlRun json = node.ctl({"--json", "status"});
    CHECK(json.code == 0);
    CHECK(contains(json.output, R"("state":"running")"));
    CHECK(contains(json.output, R"("role":"counter")"));
    CHECK(contains(json.output, R"("plugin_version":"1.0.0")"));
    CHECK(contains(json.output, R"("uptime_seconds":)"));
  }

  SECTION("plugins") {
    CtlRun human = node.ctl({"plugins"});
    CHECK(human.code == 0);
    auto row = table_row(human.output, "counter");
    REQUIRE(row.size() >= 9);
    CHECK(row[1] == "alys-test-counter");
    CHECK(row[2] == "1.0.0");
    CHECK(row[3] == "1.2");  // the ABI the counter was built against
    CHECK(row[4] == "1");
    CHECK(row[5] == "yes");
    CHECK(contains(human.output, plugin("alys_test_echo.so")));

    CtlRun json = node.ctl({"plugins", "--json"});
    CHECK(json.code == 0);
    CHECK(json.output.front() == '[');
    CHECK(contains(json.output, R"("name":"alys-test-counter")"));
    CHECK(contains(json.output, R"("state_schema_version":1)"));
    CHECK(contains(json.output, R"("swappable":true)"));
  }

  SECTION("health") {
    CtlRun human = node.ctl({"health"});
    CHECK(human.code == 0);
    CHECK(contains(human.output, "healthy"));
    CHECK_FALSE(contains(human.output, "NOT healthy"));
    CHECK(table_row(human.output, "echo").size() >= 4);

    CtlRun json = node.ctl({"--json", "health"});
    CHECK(json.code == 0);
    CHECK(contains(json.output, R"("healthy":true)"));
  }

  SECTION("metrics") {
    CtlRun metrics = node.ctl({"metrics"});
    CHECK(metrics.code == 0);
    CHECK(contains(metrics.output, "alys_actor_messages_handled_total"));
    CHECK(contains(metrics.output, "# TYPE"));
  }

  SECTION("read-only commands need no token") {
    CtlRun status = node.ctl_raw({"--admin", node.address(), "status"});
    CHECK(status.code == 0);
    CtlRun health = node.ctl_raw({"--admin", node.address(), "health", "--json"});
    CHECK(health.code == 0);
  }
}

TEST_CASE("alys-ctl health exits 1 while an actor is down", "[integration]") {
  // The worker crashes 20 ms after its start and waits a minute for its restart: failed till then.
  TestNode node("alys-ctl-unhealthy", R"(
[plugins.worker]
file = "alys_test_faulty.so"

[worker]
crash_after_ms = 20

[supervision]
max_restarts = 100
period_ms = 60000
backoff_initial_ms = 60000
backoff_max_ms = 60000
children = ["counter", "echo", "worker"]
)");
  CtlRun health;
  for (int attempt = 0; attempt < 100; ++attempt) {
    health = node.ctl({"health"});
    if (health.code != 0) break;
    std::this_thread::sleep_for(50ms);
  }
  CHECK(health.code == 1);
  CHECK(contains(health.output, "NOT healthy"));
  CHECK(table_row(health.output, "worker").size() >= 4);

  CtlRun json = node.ctl({"health", "--json"});
  CHECK(json.code == 1);
  CHECK(contains(json.output, R"("healthy":false)"));
}

TEST_CASE("alys-ctl reload hot-swaps a plugin, human and --json", "[integration]") {
  TestNode node("alys-ctl-reload");

  SECTION("human") {
    CtlRun reload = node.ctl({"reload", "counter", plugin("alys_test_counter_v2.so")});
    CHECK(reload.code == 0);
    CHECK(contains(reload.output, "reloaded counter 1.0.0 -> 2.0.0 (state handed over, paused "));
    CHECK(contains(reload.output, " us)"));
  }
  SECTION("json") {
    CtlRun reload = node.ctl({"--json", "reload", "counter", plugin("alys_test_counter_v2.so")});
    CHECK(reload.code == 0);
    CHECK(contains(reload.output, R"("role":"counter")"));
    CHECK(contains(reload.output, R"("mode":"state")"));
    CHECK(contains(reload.output, R"("from_version":"1.0.0")"));
    CHECK(contains(reload.output, R"("to_version":"2.0.0")"));
    CHECK(contains(reload.output, R"("state_schema_from":1)"));
    CHECK(contains(reload.output, R"("state_schema_to":2)"));
    CHECK(contains(reload.output, R"("pause_us":)"));
  }
  CHECK(node.serving_version("counter") == "2.0.0");
  CtlRun plugins = node.ctl({"plugins"});
  auto row = table_row(plugins.output, "counter");
  REQUIRE(row.size() >= 9);
  CHECK(row[2] == "2.0.0");
  CHECK(row[4] == "2");
  CHECK(row[8] == plugin("alys_test_counter_v2.so"));
}

TEST_CASE("alys-ctl reload sends FILE made absolute against its own working directory",
          "[integration]") {
  TempDir place("alys-ctl-cwd");
  // alysd runs three levels deeper than alys-ctl: the relative path resolves only from the latter.
  fs::path node_cwd = place.path() / "node" / "a" / "b";
  fs::path ctl_cwd = place.path() / "ctl";
  TestNode node("alys-ctl-relative", "", node_cwd);
  fs::create_directories(ctl_cwd);
  std::string relative = fs::relative(plugin("alys_test_counter_v2.so"), ctl_cwd).string();
  REQUIRE_FALSE(fs::exists(node_cwd / relative));

  WorkingDirectory cwd(ctl_cwd);
  CtlRun reload = node.ctl({"reload", "counter", relative});
  CHECK(reload.code == 0);
  CHECK(contains(reload.output, "reloaded counter 1.0.0 -> 2.0.0"));
}

TEST_CASE("alys-ctl reload that fails names the stage and the old version keeps serving",
          "[integration]") {
  TestNode node("alys-ctl-reload-fail");

  SECTION("an incompatible ABI is refused at the gate") {
    CtlRun reload = node.ctl({"reload", "counter", plugin("alys_test_abi_future.so")});
    CHECK(reload.code == 1);
    CHECK(contains(reload.output, "reload of counter failed at stage gate: "));
    CHECK(contains(reload.output, "old version 1.0.0 still serving"));
    CHECK(node.serving_version("counter") == "1.0.0");
  }

  SECTION("a plugin whose restore fails is rolled back") {
    CtlRun reload = node.ctl({"reload", "counter", plugin("alys_test_counter_bad_restore.so")});
    CHECK(reload.code == 1);
    CHECK(contains(reload.output, "reload of counter failed at stage restore: "));
    CHECK(contains(reload.output, "old version 1.0.0 still serving"));
    CHECK(node.serving_version("counter") == "1.0.0");

    CtlRun json =
        node.ctl({"--json", "reload", "counter", plugin("alys_test_counter_bad_restore.so")});
    CHECK(json.code == 1);
    CHECK(contains(json.output, R"("code":-32000)"));
    CHECK(contains(json.output, R"("stage":"restore")"));
    CHECK(contains(json.output, R"("rolled_back":true)"));
    CHECK(node.serving_version("counter") == "1.0.0");
  }

  SECTION("a plugin that crashes in its trial period is rolled back") {
    CtlRun reload = node.ctl({"reload", "counter", plugin("alys_test_counter_crashy.so")});
    CHECK(reload.code == 1);
    CHECK(contains(reload.output, "reload of counter failed at stage trial: "));
    CHECK(contains(reload.output, "old version 1.0.0 still serving"));
    CHECK(node.serving_version("counter") == "1.0.0");
    // Still able to take a good version afterwards.
    CtlRun good = node.ctl({"reload", "counter", plugin("alys_test_counter_v2.so")});
    CHECK(good.code == 0);
    CHECK(node.serving_version("counter") == "2.0.0");
  }

  SECTION("an unknown role is an error") {
    CtlRun reload = node.ctl({"reload", "nosuch", plugin("alys_test_counter_v2.so")});
    CHECK(reload.code == 1);
    CHECK(contains(reload.output, "nosuch"));
  }
}

TEST_CASE("alys-ctl restart restarts an actor, human and --json", "[integration]") {
  TestNode node("alys-ctl-restart");

  CtlRun human = node.ctl({"restart", "counter"});
  CHECK(human.code == 0);
  CHECK(contains(human.output, "restarted counter"));

  CtlRun json = node.ctl({"restart", "--json", "echo"});
  CHECK(json.code == 0);
  CHECK(contains(json.output, R"("role":"echo")"));
  CHECK(contains(json.output, R"("restarted":true)"));

  CtlRun unknown = node.ctl({"restart", "nosuch"});
  CHECK(unknown.code == 1);
  CHECK(contains(unknown.output, "restart of nosuch failed"));

  auto row = table_row(node.ctl({"status"}).output, "counter");
  REQUIRE(row.size() >= 6);
  CHECK(row[1] == "running");
}

TEST_CASE("alys-ctl exits 4 when the node refuses the token", "[integration]") {
  TestNode node("alys-ctl-auth");

  SECTION("a wrong token") {
    CtlRun restart = node.ctl({"--token-file", node.wrong_token_file(), "restart", "counter"});
    CHECK(restart.code == 4);
    CHECK(contains(restart.output,
                   "unauthorized: the node refused the token (check --token-file / "
                   "admin_token_file)"));
    CtlRun reload =
        node.ctl_raw({"--admin", node.address(), "--token-file", node.wrong_token_file(), "reload",
                      "counter", plugin("alys_test_counter_v2.so")});
    CHECK(reload.code == 4);
    CHECK(contains(reload.output, "unauthorized"));
    CHECK(node.serving_version("counter") == "1.0.0");  // nothing changed
  }

  SECTION("no token") {
    CtlRun shutdown = node.ctl_raw({"--admin", node.address(), "shutdown"});
    CHECK(shutdown.code == 4);
    CHECK(contains(shutdown.output, "unauthorized"));
    CtlRun reload = node.ctl_raw(
        {"--admin", node.address(), "reload", "counter", plugin("alys_test_counter_v2.so")});
    CHECK(reload.code == 4);
    CHECK(node.process().running());
    CHECK(node.serving_version("counter") == "1.0.0");
  }
}

TEST_CASE("alys-ctl shutdown stops the node; afterwards the node is not reachable",
          "[integration]") {
  bool as_json = GENERATE(false, true);
  TestNode node("alys-ctl-shutdown");

  CtlRun shutdown = as_json ? node.ctl({"--json", "shutdown"}) : node.ctl({"shutdown"});
  CHECK(shutdown.code == 0);
  if (as_json)
    CHECK(contains(shutdown.output, R"("shutting_down":true)"));
  else
    CHECK(contains(shutdown.output, "shutting down"));
  auto code = node.process().wait_exit(20s);
  REQUIRE(code);
  CHECK(*code == 0);

  CtlRun status = node.ctl_raw({"--admin", node.address(), "status"});
  CHECK(status.code == 3);
  CHECK(contains(status.output, "cannot reach alysd at " + node.address() +
                                    ": connection refused \u2014 is the node running?"));
  CtlRun health = node.ctl({"health"});
  CHECK(health.code == 3);
  CtlRun metrics = node.ctl({"metrics"});
  CHECK(metrics.code == 3);
  CtlRun reload = node.ctl({"reload", "counter", plugin("alys_test_counter_v2.so")});
  CHECK(reload.code == 3);
}

TEST_CASE("alys-ctl usage errors exit 2, --help exits 0", "[integration]") {
  TempDir dir("alys-ctl-usage");
  OfflineCtl ctl{dir};

  CtlRun help = ctl({"--help"});
  CHECK(help.code == 0);
  CHECK(contains(help.output, "exit codes"));
  CHECK(contains(help.output, "reload ROLE FILE"));

  CHECK(ctl({}).code == 2);
  CHECK(ctl({"frobnicate"}).code == 2);
  CHECK(ctl({"reload", "counter"}).code == 2);
  CHECK(ctl({"restart"}).code == 2);
  CHECK(ctl({"status", "extra"}).code == 2);
  CHECK(ctl({"--bogus", "status"}).code == 2);
  CHECK(ctl({"--admin", "no-port", "status"}).code == 2);
  CHECK(ctl({"--admin", "::1:8645", "status"}).code == 2);
  CHECK(ctl({"--timeout-ms", "soon", "status"}).code == 2);
  CHECK(ctl({"--token-file", (dir.path() / "missing").string(), "restart", "counter"}).code == 2);
  CHECK(ctl({"--config", (dir.path() / "missing.toml").string(), "status"}).code == 2);
  CtlRun usage = ctl({"status", "--admin"});
  CHECK(usage.code == 2);
  CHECK(contains(usage.output, "--admin needs a value"));

  // Each usage error names what is wrong.
  CtlRun bogus = ctl({"--bogus", "status"});
  CHECK(contains(bogus.output, "alys-ctl: unknown option '--bogus'"));
  CtlRun unknown = ctl({"frobnicate"});
  CHECK(contains(unknown.output, "alys-ctl: unknown command 'frobnicate'"));
  CtlRun missing = ctl({"reload", "counter"});
  CHECK(contains(missing.output, "alys-ctl: reload needs ROLE FILE"));
  CtlRun v6 = ctl({"--admin", "::1:8645", "status"});
  CHECK(contains(v6.output, "alys-ctl: --admin: expected \"HOST:PORT\""));
  CHECK(contains(v6.output, "an IPv6 host goes in brackets"));
  CtlRun port_zero = ctl({"--admin", "127.0.0.1:0", "status"});
  CHECK(port_zero.code == 2);
  CHECK(contains(port_zero.output, "port must be 1..65535"));
  const std::string token_file = (dir.path() / "missing").string();
  CtlRun no_token = ctl({"--token-file", token_file, "restart", "counter"});
  CHECK(contains(no_token.output,
                 "alys-ctl: --token-file: cannot read token file " + token_file + ": "));
  const fs::path empty = dir.write("empty-token", "");
  CtlRun empty_token = ctl({"--token-file", empty.string(), "restart", "counter"});
  CHECK(empty_token.code == 2);
  CHECK(contains(empty_token.output, "token file " + empty.string() + " is empty"));
}

TEST_CASE("alys-ctl --help per command", "[integration]") {
  TempDir dir("alys-ctl-help");
  OfflineCtl ctl{dir};
  CtlRun all = ctl({"--help"});
  CHECK(all.code == 0);
  for (const char* text :
       {"status", "plugins", "health", "metrics", "reload ROLE FILE", "restart ROLE", "shutdown",
        "call METHOD [JSON]", "verify-auxpow", "--config FILE", "--admin HOST:PORT",
        "--token-file FILE", "--json", "--timeout-ms N", "exit codes:"})
    CHECK(contains(all.output, text));

  CtlRun restart = ctl({"restart", "--help"});
  CHECK(restart.code == 0);
  CHECK(contains(restart.output, "usage:\n  alys-ctl [OPTIONS] restart ROLE\n"));
  CHECK(contains(restart.output, "Needs the node's token."));
  CHECK(contains(restart.output, "--admin HOST:PORT"));
  CHECK_FALSE(contains(restart.output, "reload ROLE FILE"));

  CtlRun status = ctl({"--help", "status"});
  CHECK(status.code == 0);
  CHECK(contains(status.output, "alys-ctl [OPTIONS] status\n"));
  CHECK_FALSE(contains(status.output, "Needs the node's token."));

  CtlRun verify = ctl({"verify-auxpow", "--help"});
  CHECK(verify.code == 0);
  CHECK(contains(verify.output, "--chain-id N"));
  CHECK(contains(verify.output, "--no-strict-chain-id"));
}

TEST_CASE("alys-ctl call reaches the admin methods plugins register", "[integration]") {
  TestNode node("alys-ctl-call");
  CtlRun get = node.ctl({"call", "counter_get"});
  CHECK(get.code == 0);
  CHECK(contains(get.output, R"("build":"counter-1.0.0")"));
  CtlRun with_params = node.ctl({"call", "counter_get", R"({"ignored":true})"});
  CHECK(with_params.code == 0);
  // counter_reset is registered as mutating: the config's token opens it, none refuses it.
  CHECK(node.ctl({"call", "counter_reset"}).code == 0);
  CHECK(node.ctl_raw({"--admin", node.address(), "call", "counter_reset"}).code == 4);
  CtlRun unknown = node.ctl({"call", "no_such_method"});
  CHECK(unknown.code == 1);
  CHECK(contains(unknown.output, "unknown method"));
  CHECK(node.ctl({"call", "counter_get", "not json"}).code == 2);
  CHECK(node.ctl({"call"}).code == 2);
}
