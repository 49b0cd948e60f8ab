// A new role table for a running actor, in the deterministic in-process host with the real test
// plugin picky (its start refuses a limit above 100; it declines every config change): a table the
// restart refuses is rolled back, however often, instead of restart-looping into the supervisor's
// limit. And the SIGHUP check that comes before anything is applied (check_reload).
#include <catch2/catch.hpp>

#include <spdlog/sinks/ostream_sink.h>

#include <algorithm>
#include <sstream>

#include "host/loading/node_assembly.hpp"
#include "host/runtime/runtime.hpp"
#include "probe.hpp"
#include "temp_dir.hpp"
#include "test_messages.hpp"

using namespace alys;
using namespace alys::host;
using alys::testing::actor;
using alys::testing::load_test_plugin;
using alys::testing::Probe;
using alys::testing::TempDir;

namespace {

std::shared_ptr<const RoleTable> table(const std::string& toml) {
  auto parsed = parse_role_table(toml);
  REQUIRE(parsed.ok());
  return *parsed;
}

// The limit the running picky instance started with.
std::uint64_t limit_of(Probe& probe, Runtime& runtime) {
  std::uint64_t asked =
      probe.context().request(probe.context().resolve("picky"), test::GetCount{}, 1000);
  runtime.run_until_idle();
  auto reply = probe.inbox->find_correlation(asked);
  REQUIRE(reply);
  return reply->as<test::CountState>().total;
}

struct PickyNode {
  explicit PickyNode(const std::string& plugin) {
    RuntimeOptions options = alys::testing::deterministic_options();
    options.logger = std::make_shared<spdlog::logger>(
        "config-update", std::make_shared<spdlog::sinks::ostream_sink_st>(log));
    runtime = std::make_unique<Runtime>(options);
    runtime->add_actor(actor("probe", probe.library));
    ActorSpec spec = actor("picky", load_test_plugin(plugin));
    spec.role_table = table("limit = 20\n");
    runtime->add_actor(std::move(spec));
    REQUIRE(runtime->start().ok());
  }
  ~PickyNode() {
    runtime->shutdown();
    runtime->wait();
  }
  void offer(const std::string& toml) {
    REQUIRE(runtime->update_role_table("picky", table(toml)).ok());
    runtime->run_until_idle();
  }

  std::ostringstream log;
  Probe probe;
  std::unique_ptr<Runtime> runtime;
};

}  // namespace

TEST_CASE("a table the restart refuses rolls back to the table the actor ran with",
          "[config_update]") {
  PickyNode node("picky");
  ActorCell& picky = *node.runtime->cell("picky");
  CHECK(limit_of(node.probe, *node.runtime) == 20);

  node.offer("limit = 500\n");
  CHECK(picky.state() == ActorState::running);
  CHECK(limit_of(node.probe, *node.runtime) == 20);
  CHECK(picky.role_table()->to_json() == table("limit = 20\n")->to_json());
  CHECK(node.log.str().find("[reload] role 'picky' cannot start with its new config table "
                            "(start failed: picky.limit: must be from 0 to 100, got 500); "
                            "rolling back to the table it ran with") != std::string::npos);
  CHECK(node.log.str().find("runs with its previous config table again") != std::string::npos);

  // Far more often than the root's intensity (5 restarts in 10 s): nothing escalates.
  for (int attempt = 0; attempt < 8; ++attempt) node.offer("limit = 500\n");
  CHECK(picky.state() == ActorState::running);
  CHECK_FALSE(node.runtime->stopped());
  CHECK(node.runtime->exit_code() == kExitOk);
  CHECK(limit_of(node.probe, *node.runtime) == 20);

  // A table the start takes is applied by the restart, and becomes the one to roll back to.
  node.offer("limit = 50\n");
  CHECK(limit_of(node.probe, *node.runtime) == 50);
  node.offer("limit = 101\n");
  CHECK(limit_of(node.probe, *node.runtime) == 50);
}

TEST_CASE("two tables offered before the actor answers roll back to the one it ran with",
          "[config_update]") {
  PickyNode node("picky");
  REQUIRE(node.runtime->update_role_table("picky", table("limit = 30\n")).ok());
  REQUIRE(node.runtime->update_role_table("picky", table("limit = 900\n")).ok());
  node.runtime->run_until_idle();
  CHECK(node.runtime->cell("picky")->state() == ActorState::running);
  CHECK(limit_of(node.probe, *node.runtime) == 20);
}

TEST_CASE("check_reload checks changed tables with the plugin that will serve them",
          "[config_update]") {
  TempDir dir("alys-check-reload");
  PickyNode node("picky_checked");
  auto next = [&dir](const std::string& plugin, const std::string& picky_table) {
    ConfigLoadResult loaded = load_config_text(R"([host]
data_dir = "data"
plugin_dir = ")" + std::string(ALYS_TEST_PLUGIN_DIR) +
                                                   R"("

[plugins.probe]
file = "alys_test_echo.so"

[plugins.picky]
file = "alys_test_)" + plugin + R"(.so"

[picky]
)" + picky_table,
                                               dir.path() / "node.toml");
    REQUIRE(loaded.config);
    return *loaded.config;
  };
  const std::filesystem::path copies = dir.path() / "copies";

  // The running plugin checks a changed table: a problem points at its key.
  TableCheckReport bad =
      check_reload(next("picky_checked", "limit = 500\n"), *node.runtime, copies);
  REQUIRE(bad.errors.size() == 1);
  CHECK(bad.errors[0].to_string() ==
        (dir.path() / "node.toml").string() + ":12:1: picky.limit: must be from 0 to 100, got 500");
  CHECK(check_reload(next("picky_checked", "limit = 60\n"), *node.runtime, copies).errors.empty());
  // The same table as the running one is not checked again; nothing was applied by checking.
  CHECK(check_reload(next("picky_checked", "limit = 20\n"), *node.runtime, copies).errors.empty());
  CHECK(limit_of(node.probe, *node.runtime) == 20);

  // A new plugin file: the new plugin checks, here one without a check of its own.
  TableCheckReport swapped = check_reload(next("picky", "limit = 500\n"), *node.runtime, copies);
  CHECK(swapped.errors.empty());
  // (The probe is linked into this test, so its configured file counts as a new one too.)
  auto picky = std::find_if(swapped.warnings.begin(), swapped.warnings.end(),
                            [](const ConfigError& e) { return e.key == "plugins.picky.file"; });
  REQUIRE(picky != swapped.warnings.end());
  CHECK(picky->message == "the [picky] table is not checked: this plugin does not check its table");
}

namespace {

// A counter role (swappable; it declines every config change) in the deterministic host.
struct CounterNode {
  explicit CounterNode(std::uint64_t swap_trial_ms = 0) {
    RuntimeOptions options = alys::testing::deterministic_options();
    options.swap_trial_ms = swap_trial_ms;
    options.scratch_dir = scratch.path();
    options.logger = std::make_shared<spdlog::logger>(
        "config-update", std::make_shared<spdlog::sinks::ostream_sink_st>(log));
    runtime = std::make_unique<Runtime>(options);
    runtime->add_actor(actor("probe", probe.library));
    ActorSpec spec = actor("counter", load_test_plugin("counter"));
    spec.role_table = table("setting = 1\n");
    runtime->add_actor(std::move(spec));
    REQUIRE(runtime->start().ok());
  }
  ~CounterNode() {
    runtime->shutdown();
    runtime->wait();
  }
  test::CountState count() {
    std::uint64_t asked =
        probe.context().request(probe.context().resolve("counter"), test::GetCount{}, 1000);
    runtime->run_until_idle();
    auto reply = probe.inbox->find_correlation(asked);
    REQUIRE(reply);
    return reply->as<test::CountState>();
  }
  void send_counts(std::uint64_t n) {
    for (std::uint64_t sequence = 1; sequence <= n; ++sequence)
      REQUIRE(
          probe.context().send(probe.context().resolve("counter"), test::Count{7, sequence}).ok());
    runtime->run_until_idle();
  }

  TempDir scratch{"alys-config-update"};
  std::ostringstream log;
  Probe probe;
  std::unique_ptr<Runtime> runtime;
};

}  // namespace

TEST_CASE("a swappable actor that declines its new table keeps its state across the restart",
          "[config_update]") {
  CounterNode node;
  node.send_counts(25);
  REQUIRE(node.count().total == 25);

  REQUIRE(node.runtime->update_role_table("counter", table("setting = 2\n")).ok());
  node.runtime->run_until_idle();
  INFO(node.log.str());
  CHECK(node.log.str().find("[reload] role 'counter' restarted with its new config table (state "
                            "handed over)") != std::string::npos);
  CHECK(node.runtime->cell("counter")->counters().restarts.load() == 1);
  CHECK(node.runtime->cell("counter")->role_table()->to_json() ==
        table("setting = 2\n")->to_json());
  const test::CountState after = node.count();
  CHECK(after.total == 25);  // fresh state would count 0
  CHECK(after.restores == 1);
}

TEST_CASE("a table declined during a swap's trial is not applied, and a later offer applies it",
          "[config_update]") {
  CounterNode node(/*swap_trial_ms=*/500);
  node.send_counts(10);
  bool settled = false;
  node.runtime->swap("counter", alys::testing::test_plugin("counter_v2"),
                     [&settled](const SwapOutcome& outcome) { settled = outcome.ok; });
  node.runtime->run_until_idle();
  REQUIRE_FALSE(settled);  // on trial

  REQUIRE(node.runtime->update_role_table("counter", table("setting = 2\n")).ok());
  node.runtime->run_until_idle();
  INFO(node.log.str());
  CHECK(node.log.str().find("its new config table was not applied: the role declined it during a "
                            "swap's trial period") != std::string::npos);
  CHECK(node.runtime->cell("counter")->role_table()->to_json() ==
        table("setting = 1\n")->to_json());
  CHECK(node.runtime->cell("counter")->state() == ActorState::running);

  node.runtime->advance(600);
  node.runtime->run_until_idle();
  REQUIRE(settled);
  REQUIRE(node.runtime->update_role_table("counter", table("setting = 2\n")).ok());
  node.runtime->run_until_idle();
  CHECK(node.runtime->cell("counter")->role_table()->to_json() ==
        table("setting = 2\n")->to_json());
  CHECK(node.count().total == 10);
}

TEST_CASE("two tables offered back to back cost one restart: the stale notice is dropped",
          "[config_update]") {
  CounterNode node;
  node.send_counts(5);
  REQUIRE(node.runtime->update_role_table("counter", table("setting = 2\n")).ok());
  REQUIRE(node.runtime->update_role_table("counter", table("setting = 3\n")).ok());
  node.runtime->run_until_idle();
  INFO(node.log.str());
  CHECK(node.runtime->cell("counter")->counters().restarts.load() == 1);
  CHECK(node.runtime->cell("counter")->role_table()->to_json() ==
        table("setting = 3\n")->to_json());
  CHECK(node.count().total == 5);
}
