// ActorCell's health probes with a real plugin (tests/plugins/outage.cpp): an actor that answers
// ALYS_DEGRADED is not restarted, its reason is recorded and logged once per change, and an OK
// probe, a restart or a swap clears it.
#include "host/runtime/actor_cell.hpp"

#include <spdlog/sinks/ostream_sink.h>

#include <catch2/catch.hpp>

#include <atomic>
#include <sstream>
#include <thread>

#include "host/runtime/runtime.hpp"
#include "outage_messages.hpp"
#include "probe.hpp"

using namespace alys;
using namespace alys::host;
using alys::testing::actor;
using alys::testing::load_test_plugin;
using alys::testing::Probe;

namespace {

constexpr std::uint64_t kProbeEveryMs = 1000;

SupervisorConfig root(std::vector<std::string> children) {
  SupervisorConfig config;
  config.name = "root";
  config.strategy = Strategy::one_for_one;
  config.children = std::move(children);
  config.max_restarts = 5;
  config.period_ms = 10'000;
  config.backoff_initial_ms = 0;
  config.backoff_max_ms = 0;
  return config;
}

std::size_t occurrences(const std::string& text, const std::string& needle) {
  std::size_t count = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
    ++count;
  return count;
}

// A deterministic node: a probe, and `plugin` as role "outage" probed every kProbeEveryMs; the
// runtime's log lines at info and above are kept in `log`.
struct Node {
  std::ostringstream log;
  Probe probe;
  std::unique_ptr<Runtime> runtime;

  explicit Node(const std::string& plugin = "outage") {
    RuntimeOptions options = alys::testing::deterministic_options();
    options.logger = std::make_shared<spdlog::logger>(
        "actor-health", std::make_shared<spdlog::sinks::ostream_sink_st>(log));
    options.logger->set_level(spdlog::level::info);
    runtime = std::make_unique<Runtime>(options);
    runtime->add_actor(actor("probe", probe.library));
    ActorSpec spec = actor("outage", load_test_plugin(plugin));
    spec.health_interval_ms = kProbeEveryMs;
    runtime->add_actor(std::move(spec));
    runtime->set_supervisors({root({"probe", "outage"})});
    REQUIRE(runtime->start().ok());
  }
  ~Node() {
    runtime->shutdown();
    runtime->wait();
  }

  void set_outage(const std::string& reason) {
    REQUIRE(probe.context().send(probe.context().resolve("outage"), test::SetOutage{reason}).ok());
    runtime->run_until_idle();
  }
  void next_probe() { runtime->advance(kProbeEveryMs); }
  ActorCell& cell() { return *runtime->cell("outage"); }
  std::uint64_t restarts() { return cell().counters().restarts.load(); }
  std::uint64_t starts() {
    auto sample = runtime->metrics().find("outage", "starts");
    return sample ? sample->counter : 0;
  }
};

}  // namespace

TEST_CASE("a degraded probe: no restart, reason recorded, cleared by OK", "[actor_cell][health]") {
  Node node;
  node.set_outage("execution client unreachable at 127.0.0.1:8551");
  CHECK_FALSE(node.cell().degraded());  // not until a probe asks
  node.next_probe();
  CHECK(node.cell().degraded());
  CHECK(node.cell().degraded_reason() == "execution client unreachable at 127.0.0.1:8551");
  CHECK(node.cell().state() == ActorState::running);
  CHECK(node.cell().last_error().empty());
  CHECK(node.cell().counters().failures.load() == 0);

  // Probes go on answering degraded: still no restart, and no second log line for one reason.
  for (int i = 0; i < 5; ++i) node.next_probe();
  CHECK(node.restarts() == 0);
  CHECK(node.starts() == 1);
  CHECK(occurrences(node.log.str(),
                    "[outage] degraded: execution client unreachable at 127.0.0.1:8551") == 1);
  CHECK(occurrences(node.log.str(), "[warning]") == 1);

  // Another reason is logged once more.
  node.set_outage("execution client answers SYNCING");
  node.next_probe();
  node.next_probe();
  CHECK(node.cell().degraded_reason() == "execution client answers SYNCING");
  CHECK(occurrences(node.log.str(), "[outage] degraded: ") == 2);

  // Back: the next probe clears it, logged once at info.
  node.set_outage("");
  CHECK(node.cell().degraded());
  node.next_probe();
  node.next_probe();
  CHECK_FALSE(node.cell().degraded());
  CHECK(node.cell().degraded_reason().empty());
  CHECK(occurrences(node.log.str(),
                    "[info] [outage] no longer degraded (was: execution client answers SYNCING)") ==
        1);
  CHECK(node.restarts() == 0);
  CHECK(node.starts() == 1);
}

TEST_CASE("a restart or a swap clears the degraded state", "[actor_cell][health]") {
  Node node;
  node.set_outage("down");
  node.next_probe();
  REQUIRE(node.cell().degraded());

  std::optional<Status> restarted;
  node.runtime->restart_actor("outage", [&](Status status) { restarted = status; });
  node.runtime->run_until_idle();
  REQUIRE(restarted);
  REQUIRE(restarted->ok());
  CHECK_FALSE(node.cell().degraded());  // before any probe of the new instance
  CHECK(occurrences(node.log.str(),
                    "[outage] no longer degraded: its instance stopped (was: down)") == 1);
  node.next_probe();
  CHECK_FALSE(node.cell().degraded());  // the fresh instance knows of no outage

  node.set_outage("down again");
  node.next_probe();
  REQUIRE(node.cell().degraded_reason() == "down again");
  SwapOutcome swapped = node.runtime->swap_and_wait("outage", testing::test_plugin("outage"));
  REQUIRE(swapped.ok);
  CHECK_FALSE(node.cell().degraded());
  CHECK(node.cell().state() == ActorState::running);
}

TEST_CASE("a plugin of ABI 1.1 answering 2 fails its probe: 2 meant nothing then",
          "[actor_cell][health]") {
  Node node("outage_abi_1_1");
  REQUIRE(node.cell().library()->manifest().abi_minor == 1);
  node.set_outage("down");
  node.next_probe();
  CHECK_FALSE(node.cell().degraded());
  CHECK(node.restarts() == 1);
  CHECK(node.cell().last_error() == "health check failed: down");
}

TEST_CASE("degraded state read while probes and outages change it on worker threads",
          "[actor_cell][health][concurrency]") {
  Runtime runtime(alys::testing::threaded_options(2));
  Probe probe;
  runtime.add_actor(actor("probe", probe.library));
  ActorSpec spec = actor("outage", load_test_plugin("outage"));
  spec.health_interval_ms = 1;
  runtime.add_actor(std::move(spec));
  REQUIRE(runtime.start().ok());
  ActorCell& cell = *runtime.cell("outage");

  // The admin server's side: reads what /health shows, as often as it can.
  std::atomic<bool> done{false};
  std::atomic<std::uint64_t> reads{0}, seen_degraded{0}, torn{0};
  std::thread reader([&] {
    while (!done.load()) {
      std::string reason = cell.degraded_reason();
      if (!reason.empty()) seen_degraded.fetch_add(1);
      if (!reason.empty() && reason != "reason a" && reason != "reason b") torn.fetch_add(1);
      (void)cell.degraded();
      (void)cell.state();
      reads.fetch_add(1);
    }
  });
  Address target = probe.context().resolve("outage");
  for (int round = 0; round < 200; ++round) {
    const char* reason = round % 3 == 0 ? "" : (round % 3 == 1 ? "reason a" : "reason b");
    REQUIRE(probe.context().send(target, test::SetOutage{reason}).ok());
    std::this_thread::sleep_for(std::chrono::microseconds(500));
    if (round % 50 == 49) {  // restarts clear it from the control thread meanwhile
      std::atomic<bool> restarted{false};
      runtime.restart_actor("outage", [&](const Status&) { restarted.store(true); });
      while (!restarted.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  done.store(true);
  reader.join();
  CHECK(reads.load() > 0);
  CHECK(seen_degraded.load() > 0);
  CHECK(torn.load() == 0);
  CHECK(cell.counters().failures.load() == 0);
  CHECK(cell.counters().restarts.load() == 4);  // only the requested ones
  runtime.shutdown();
  runtime.wait();
}
