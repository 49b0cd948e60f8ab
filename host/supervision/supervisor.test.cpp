#include "host/supervision/supervisor.hpp"

#include <catch2/catch.hpp>

#include "host/runtime/runtime.hpp"
#include "probe.hpp"
#include "test_messages.hpp"

using namespace alys;
using namespace alys::host;
using alys::testing::actor;
using alys::testing::load_test_plugin;
using alys::testing::Probe;

namespace {

// A role table from TOML text, as a node's config would give it.
std::shared_ptr<const RoleTable> table(const std::string& toml) {
  auto parsed = parse_role_table(toml);
  INFO(parsed.status().to_string());
  REQUIRE(parsed.ok());
  return *parsed;
}

SupervisorConfig group(std::string name, Strategy strategy, std::vector<std::string> children,
                       std::uint32_t max_restarts = 5) {
  SupervisorConfig config;
  config.name = std::move(name);
  config.strategy = strategy;
  config.children = std::move(children);
  config.max_restarts = max_restarts;
  config.period_ms = 10'000;
  config.backoff_initial_ms = 0;
  config.backoff_max_ms = 0;
  return config;
}

// A deterministic node: a probe plus faulty actors named `roles`, in that start order.
struct Node {
  Runtime runtime{testing::deterministic_options()};
  Probe probe;

  explicit Node(const std::vector<std::string>& roles, RestartType restart = RestartType::permanent,
                std::shared_ptr<const RoleTable> table = {}) {
    runtime.add_actor(actor("probe", probe.library));
    std::string previous;
    for (const auto& role : roles) {
      ActorSpec spec = actor(role, load_test_plugin("faulty"), {}, restart);
      if (!previous.empty()) spec.requires_roles = {previous};
      spec.role_table = table;
      runtime.add_actor(std::move(spec));
      previous = role;
    }
    // Immediate restarts unless a test sets its own tree (backoff has its own test).
    std::vector<std::string> children{"probe"};
    children.insert(children.end(), roles.begin(), roles.end());
    runtime.set_supervisors({group("root", Strategy::one_for_one, children)});
  }

  template <class M>
  void send(const std::string& role, const M& message) {
    REQUIRE(probe.context().send(probe.context().resolve(role), message).ok());
  }

  std::uint64_t metric(const std::string& role, const std::string& name) {
    auto sample = runtime.metrics().find(role, name);
    return sample ? sample->counter : 0;
  }

  std::uint64_t restarts(const std::string& role) {
    return runtime.cell(role)->counters().restarts.load();
  }
};

}  // namespace

TEST_CASE("one_for_one: faulty is restarted; the poison is dead-lettered; the rest is handled",
          "[supervisor]") {
  Node node({"faulty"});
  node.runtime.set_supervisors({group("root", Strategy::one_for_one, {"probe", "faulty"})});
  REQUIRE(node.runtime.start().ok());

  for (std::uint64_t i = 0; i < 5; ++i) node.send("faulty", test::Work{i});
  node.send("faulty", test::Poison{"bad input"});
  for (std::uint64_t i = 5; i < 10; ++i) node.send("faulty", test::Work{i});
  node.runtime.run_until_idle();

  CHECK(node.metric("faulty", "work_handled") == 10);
  CHECK(node.metric("faulty", "starts") == 2);
  CHECK(node.restarts("faulty") == 1);
  CHECK(node.runtime.cell("faulty")->state() == ActorState::running);
  CHECK(node.runtime.cell("faulty")->last_error().find("poisoned: bad input") != std::string::npos);
  auto letters = node.runtime.dead_letters().recent();
  REQUIRE(letters.size() == 1);
  CHECK(letters[0].type_id == type_id_of<test::Poison>());
  CHECK(letters[0].reason.find("handler failed: poisoned: bad input") != std::string::npos);
}

TEST_CASE("one_for_all restarts every sibling", "[supervisor]") {
  Node node({"a", "b", "c"});
  node.runtime.set_supervisors({group("root", Strategy::one_for_one, {"probe", "workers"}),
                                group("workers", Strategy::one_for_all, {"a", "b", "c"})});
  REQUIRE(node.runtime.start().ok());
  node.send("b", test::Poison{"b"});
  node.runtime.run_until_idle();
  CHECK(node.restarts("a") == 1);
  CHECK(node.restarts("b") == 1);
  CHECK(node.restarts("c") == 1);
  CHECK(node.runtime.supervisor_restarts("workers") == 1);
  CHECK(node.runtime.cell("probe")->counters().restarts.load() == 0);
}

TEST_CASE("rest_for_one restarts the failed child and those started after it", "[supervisor]") {
  Node node({"a", "b", "c"});
  node.runtime.set_supervisors({group("root", Strategy::one_for_one, {"probe", "workers"}),
                                group("workers", Strategy::rest_for_one, {"a", "b", "c"})});
  REQUIRE(node.runtime.start().ok());
  node.send("b", test::Poison{"b"});
  node.runtime.run_until_idle();
  CHECK(node.restarts("a") == 0);
  CHECK(node.restarts("b") == 1);
  CHECK(node.restarts("c") == 1);
  for (const char* role : {"a", "b", "c"})
    CHECK(node.runtime.cell(role)->state() == ActorState::running);
}

TEST_CASE("restart types", "[supervisor]") {
  SECTION("permanent: restarted after a failure and after a normal exit") {
    Node node({"worker"}, RestartType::permanent);
    REQUIRE(node.runtime.start().ok());
    node.send("worker", test::Finish{});
    node.runtime.run_until_idle();
    CHECK(node.restarts("worker") == 1);
    node.send("worker", test::Poison{"x"});
    node.runtime.run_until_idle();
    CHECK(node.restarts("worker") == 2);
    CHECK(node.runtime.cell("worker")->state() == ActorState::running);
  }
  SECTION("transient: restarted after a failure, not after a normal exit") {
    Node node({"worker"}, RestartType::transient);
    REQUIRE(node.runtime.start().ok());
    node.send("worker", test::Poison{"x"});
    node.runtime.run_until_idle();
    CHECK(node.restarts("worker") == 1);
    node.send("worker", test::Finish{});
    node.runtime.run_until_idle();
    CHECK(node.restarts("worker") == 1);
    CHECK(node.runtime.cell("worker")->state() == ActorState::exited);
    Status late = node.probe.context().send(node.probe.context().resolve("worker"), test::Work{1});
    CHECK(late.code() == ALYS_ERR_STOPPED);
  }
  SECTION("temporary: never restarted; later messages are dead-lettered") {
    Node node({"worker"}, RestartType::temporary);
    REQUIRE(node.runtime.start().ok());
    node.send("worker", test::Poison{"x"});
    node.send("worker", test::Work{1});  // queued behind the poison
    node.runtime.run_until_idle();
    CHECK(node.restarts("worker") == 0);
    CHECK(node.runtime.cell("worker")->state() == ActorState::exited);
    auto letters = node.runtime.dead_letters().recent();
    REQUIRE(letters.size() == 2);
    CHECK(letters[0].type_id == type_id_of<test::Poison>());
    CHECK(letters[1].type_id == type_id_of<test::Work>());
  }
}

TEST_CASE("exceeding the intensity escalates to the parent group", "[supervisor]") {
  Node node({"worker"});
  node.runtime.set_supervisors({group("root", Strategy::one_for_one, {"probe", "inner"}, 5),
                                group("inner", Strategy::one_for_one, {"worker"}, 2)});
  REQUIRE(node.runtime.start().ok());
  for (int i = 0; i < 2; ++i) {
    node.send("worker", test::Poison{"again"});
    node.runtime.run_until_idle();
  }
  CHECK(node.runtime.supervisor_restarts("inner") == 2);
  CHECK(node.runtime.supervisor_restarts("root") == 0);

  node.send("worker", test::Poison{"third"});  // a third restart within the period: too many
  node.runtime.run_until_idle();
  CHECK(node.runtime.supervisor_restarts("inner") == 2);
  CHECK(node.runtime.supervisor_restarts("root") == 1);  // root restarted the whole group
  CHECK(node.runtime.cell("worker")->state() == ActorState::running);
  CHECK(node.restarts("worker") == 3);
  CHECK_FALSE(node.runtime.stopped());
}

TEST_CASE("the root giving up shuts the node down with a non-zero exit code", "[supervisor]") {
  Node node({"worker"});
  node.runtime.set_supervisors({group("root", Strategy::one_for_one, {"probe", "worker"}, 1)});
  REQUIRE(node.runtime.start().ok());
  node.send("worker", test::Poison{"1"});
  node.runtime.run_until_idle();
  CHECK_FALSE(node.runtime.stopped());
  node.send("worker", test::Poison{"2"});
  node.runtime.run_until_idle();
  CHECK(node.runtime.stopped());
  CHECK(node.runtime.wait() == kExitSupervisorGaveUp);
  CHECK(node.runtime.cell("probe")->state() == ActorState::stopped);
}

TEST_CASE("restarts back off exponentially on the clock", "[supervisor]") {
  Node node({"worker"});
  SupervisorConfig root = group("root", Strategy::one_for_one, {"probe", "worker"}, 5);
  root.backoff_initial_ms = 100;
  root.backoff_max_ms = 300;
  node.runtime.set_supervisors({root});
  REQUIRE(node.runtime.start().ok());

  std::uint64_t expected_delays[] = {100, 200, 300};
  for (std::uint64_t delay : expected_delays) {
    node.send("worker", test::Poison{"x"});
    node.runtime.run_until_idle();
    CHECK(node.runtime.cell("worker")->state() == ActorState::failed);
    node.runtime.advance(delay - 1);
    CHECK(node.runtime.cell("worker")->state() == ActorState::failed);
    node.runtime.advance(1);
    CHECK(node.runtime.cell("worker")->state() == ActorState::running);
  }
  CHECK(node.restarts("worker") == 3);
}

TEST_CASE("messages queued during backoff are handled after the restart", "[supervisor]") {
  Node node({"worker"});
  SupervisorConfig root = group("root", Strategy::one_for_one, {"probe", "worker"}, 5);
  root.backoff_initial_ms = 50;
  root.backoff_max_ms = 50;
  node.runtime.set_supervisors({root});
  REQUIRE(node.runtime.start().ok());
  node.send("worker", test::Poison{"x"});
  node.runtime.run_until_idle();
  for (std::uint64_t i = 0; i < 7; ++i) node.send("worker", test::Work{i});
  CHECK(node.runtime.cell("worker")->mailbox_depth() == 7);
  node.runtime.advance(50);
  CHECK(node.metric("worker", "work_handled") == 7);
}

TEST_CASE("a fatal report from a plugin's own thread counts as a failure", "[supervisor]") {
  Node node({"worker"});
  REQUIRE(node.runtime.start().ok());
  node.send("worker", test::FailFromThread{});
  node.runtime.run_until_idle();
  // The report comes from another thread: wait for it to land, then let the supervisor act.
  for (int i = 0; i < 500 && node.restarts("worker") == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    node.runtime.run_until_idle();
  }
  CHECK(node.restarts("worker") == 1);
  CHECK(node.runtime.cell("worker")->last_error().find("worker thread lost its connection") !=
        std::string::npos);
}

TEST_CASE("a failed health check counts as a failure", "[supervisor]") {
  Runtime runtime(testing::deterministic_options());
  runtime.set_supervisors({group("root", Strategy::one_for_one, {"worker"})});
  ActorSpec spec = actor("worker", load_test_plugin("faulty"));
  spec.health_interval_ms = 1000;
  spec.role_table = table("fail_health = true");
  runtime.add_actor(spec);
  REQUIRE(runtime.start().ok());
  runtime.advance(999);
  CHECK(runtime.cell("worker")->counters().restarts.load() == 0);
  runtime.advance(1);
  CHECK(runtime.cell("worker")->counters().restarts.load() == 1);
  CHECK(runtime.cell("worker")->last_error().find("configured to be unhealthy") !=
        std::string::npos);
}

TEST_CASE("a plugin whose start fails is stopped cleanly, named, and the others stop in reverse",
          "[supervisor]") {
  Runtime runtime(testing::deterministic_options());
  runtime.add_actor(actor("storage", load_test_plugin("echo")));
  ActorSpec bad = actor("engine", load_test_plugin("faulty"));
  bad.requires_roles = {"storage"};
  bad.role_table = table("fail_on_start = true");
  runtime.add_actor(bad);
  ActorSpec later = actor("chain", load_test_plugin("echo"));
  later.requires_roles = {"engine"};
  runtime.add_actor(later);

  alys::Status started = runtime.start();
  REQUIRE_FALSE(started.ok());
  CHECK(started.message().find("'engine'") != std::string::npos);
  CHECK(started.message().find("configured to fail on start") != std::string::npos);
  CHECK(runtime.cell("storage")->state() == ActorState::stopped);
  CHECK(runtime.cell("engine")->state() == ActorState::stopped);
  CHECK(runtime.cell("chain")->state() == ActorState::not_started);
  CHECK(runtime.wait() == kExitStartFailed);
}
