#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <fstream>
#include <set>
#include <thread>

#include "host/runtime/runtime.hpp"
#include "probe.hpp"
#include "temp_dir.hpp"
#include "test_messages.hpp"

using namespace alys;
using namespace alys::host;
using alys::testing::actor;
using alys::testing::load_test_plugin;
using alys::testing::Probe;
using alys::testing::test_plugin;

namespace {

RuntimeOptions swap_options(std::uint64_t trial_ms, const testing::TempDir& scratch) {
  RuntimeOptions options = testing::threaded_options(2);
  options.swap_trial_ms = trial_ms;
  options.scratch_dir = scratch.path();
  return options;
}

test::CountState query(Probe& probe, const std::string& role) {
  std::uint64_t correlation = probe.context().request(
      probe.context().resolve(role), test::GetCount{}, 60'000, Priority::consensus);
  REQUIRE(probe.inbox->wait_until([&](const auto& items) {
    for (const auto& item : items)
      if (item.correlation_id == correlation) return true;
    return false;
  }));
  return probe.inbox->find_correlation(correlation)->as<test::CountState>();
}

// Waits until `role` has counted `expected` messages (or a deadline passes).
test::CountState wait_for_total(Probe& probe, const std::string& role, std::uint64_t expected) {
  test::CountState state;
  for (int attempt = 0; attempt < 1200; ++attempt) {
    state = query(probe, role);
    if (state.total >= expected) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return state;
}

// Sends Count messages 1..n from sender `id`, retrying while the mailbox is full.
void send_counts(Probe& probe, Address to, std::uint32_t id, std::uint64_t from,
                 std::uint64_t to_inclusive, std::atomic<std::uint64_t>* sent = nullptr) {
  for (std::uint64_t sequence = from; sequence <= to_inclusive; ++sequence) {
    while (!probe.context().send(to, test::Count{id, sequence}).ok()) std::this_thread::yield();
    if (sent) sent->store(sequence, std::memory_order_relaxed);
  }
}

std::set<std::string> mapped_copies(const std::string& needle) {
  std::set<std::string> files;
  std::ifstream maps("/proc/self/maps");
  for (std::string line; std::getline(maps, line);) {
    auto slash = line.find('/');
    if (slash != std::string::npos && line.find(needle) != std::string::npos)
      files.insert(line.substr(slash));
  }
  return files;
}

double rss_mb() {
  std::ifstream statm("/proc/self/statm");
  long pages_total = 0, pages_resident = 0;
  statm >> pages_total >> pages_resident;
  return static_cast<double>(pages_resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / 1e6;
}

}  // namespace

TEST_CASE("swap under load: 1,000,000 messages, 20 swaps between v1 and v2, each counted once",
          "[hot_swap][concurrency]") {
  testing::TempDir scratch("alys-swap-load");
  Runtime runtime(swap_options(0, scratch));
  Probe probe;
  runtime.add_actor(actor("probe", probe.library));
  runtime.add_actor(actor("counter", load_test_plugin("counter"),
                          MailboxConfig{4096, OverflowPolicy::reject, 64}));
  REQUIRE(runtime.start().ok());
  Address counter = probe.context().resolve("counter");

  constexpr std::uint64_t kMessages = 1'000'000;
  constexpr int kSwaps = 20;
  std::atomic<std::uint64_t> sent{0};
  std::thread sender([&] { send_counts(probe, counter, 7, 1, kMessages, &sent); });

  std::vector<SwapOutcome> outcomes;
  for (int swap = 0; swap < kSwaps; ++swap) {
    // Spread the swaps over the whole run, each while the sender is pushing.
    while (sent.load() < (swap + 1) * (kMessages / (kSwaps + 2))) std::this_thread::yield();
    std::string build = swap % 2 == 0 ? "counter_v2" : "counter";
    outcomes.push_back(runtime.swap_and_wait("counter", test_plugin(build)));
  }
  sender.join();

  for (const auto& outcome : outcomes) {
    INFO(outcome.stage << ": " << outcome.message);
    CHECK(outcome.ok);
    CHECK(outcome.mode == "state");
  }
  CHECK(outcomes.front().state_schema_from == 1);  // v1 -> v2 migrates schema 1
  CHECK(outcomes.front().state_schema_to == 2);
  CHECK(outcomes[1].state_schema_from == 1);  // v2 hands state back to v1 in schema 1

  test::CountState state = wait_for_total(probe, "counter", kMessages);
  CHECK(state.total == kMessages);
  CHECK(state.order_violations == 0);
  CHECK(state.build == "counter-1.0.0");  // 20 swaps: back on v1
  CHECK(runtime.dead_letters().total() == 0);
  CHECK(runtime.swap_counts()["counter"].swapped == kSwaps);
  CHECK(runtime.unload_failures() == 0);
  runtime.shutdown();
  runtime.wait();
}

TEST_CASE(
    "rollback: a refused, a failing and a crashing build each leave the old version serving "
    "and lose nothing",
    "[hot_swap][concurrency]") {
  testing::TempDir scratch("alys-swap-rollback");
  Runtime runtime(swap_options(300, scratch));
  Probe probe;
  runtime.add_actor(actor("probe", probe.library));
  runtime.add_actor(actor("counter", load_test_plugin("counter"),
                          MailboxConfig{4096, OverflowPolicy::reject, 64}));
  REQUIRE(runtime.start().ok());
  Address counter = probe.context().resolve("counter");

  struct Case {
    const char* build;
    const char* stage;
    bool rolled_back;
  };
  std::uint64_t next = 1;
  for (Case bad : {Case{"abi_future", "gate", false}, Case{"counter_bad_restore", "restore", true},
                   Case{"counter_crashy", "trial", true}}) {
    INFO("swap to " << bad.build);
    send_counts(probe, counter, 1, next, next + 999);  // before the swap
    next += 1000;
    std::atomic<bool> swapping{true};
    std::uint64_t first_during = next;
    std::atomic<std::uint64_t> last_during{next - 1};
    std::thread during([&] {
      // Keep sending while the swap (and its trial) runs.
      std::uint64_t sequence = first_during;
      while (swapping.load()) {
        while (!probe.context().send(counter, test::Count{1, sequence}).ok())
          std::this_thread::yield();
        last_during = sequence++;
        if (sequence % 64 == 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
    });
    SwapOutcome outcome = runtime.swap_and_wait("counter", test_plugin(bad.build));
    swapping = false;
    during.join();
    next = last_during + 1;

    CHECK_FALSE(outcome.ok);
    CHECK(outcome.stage == bad.stage);
    CHECK(outcome.rolled_back == bad.rolled_back);
    CHECK(runtime.cell("counter")->library()->manifest().version == std::string("1.0.0"));
    test::CountState state = wait_for_total(probe, "counter", next - 1);
    CHECK(state.total == next - 1);  // nothing lost
    CHECK(state.order_violations == 0);
    CHECK(state.build == "counter-1.0.0");
  }
  // The crashing build's crash message is the only dead letter.
  auto letters = runtime.dead_letters().recent();
  REQUIRE(letters.size() == 1);
  CHECK(letters[0].reason.find("crashed during its trial period") != std::string::npos);
  CHECK(runtime.swap_counts()["counter"].rolled_back == 2);
  runtime.shutdown();
  runtime.wait();
}

TEST_CASE("a plugin that is not swappable is swapped by restart, and the outcome says so",
          "[hot_swap]") {
  testing::TempDir scratch("alys-swap-restart");
  Runtime runtime(swap_options(0, scratch));
  Probe probe;
  runtime.add_actor(actor("probe", probe.library));
  runtime.add_actor(actor("echo", load_test_plugin("echo")));
  REQUIRE(runtime.start().ok());
  SwapOutcome outcome = runtime.swap_and_wait("echo", test_plugin("echo"));
  CHECK(outcome.ok);
  CHECK(outcome.mode == "restart");
  CHECK(runtime.swap_counts()["echo"].restarted == 1);
  std::uint64_t correlation =
      probe.context().request(probe.context().resolve("echo"), test::Echo{"after"}, 5000);
  REQUIRE(probe.inbox->wait_until([&](const auto& items) { return !items.empty(); }));
  CHECK(probe.inbox->find_correlation(correlation)->as<test::Echo>().text == "after");
}

TEST_CASE("a swap to a plugin serving another role or to a missing file changes nothing",
          "[hot_swap]") {
  testing::TempDir scratch("alys-swap-bad");
  Runtime runtime(swap_options(0, scratch));
  runtime.add_actor(actor("counter", load_test_plugin("counter")));
  REQUIRE(runtime.start().ok());
  SwapOutcome missing = runtime.swap_and_wait("counter", "/nonexistent/plugin.so");
  CHECK_FALSE(missing.ok);
  CHECK(missing.stage == "gate");
  SwapOutcome unknown = runtime.swap_and_wait("nobody", test_plugin("counter_v2"));
  CHECK_FALSE(unknown.ok);
  CHECK(unknown.stage == "role");
  CHECK(runtime.cell("counter")->library()->manifest().version == std::string("1.0.0"));
}

TEST_CASE("after 100 swaps at most 2 copies are mapped and RSS grew by less than 10 MB",
          "[hot_swap]") {
  testing::TempDir scratch("alys-swap-unload");
  Runtime runtime(swap_options(0, scratch));
  runtime.add_actor(actor("counter", load_test_plugin("counter")));
  REQUIRE(runtime.start().ok());
  // Warm up once so allocator and loader caches are in place before measuring.
  REQUIRE(runtime.swap_and_wait("counter", test_plugin("counter_v2")).ok);
  REQUIRE(runtime.swap_and_wait("counter", test_plugin("counter")).ok);
  double before = rss_mb();
  for (int swap = 0; swap < 100; ++swap) {
    SwapOutcome outcome =
        runtime.swap_and_wait("counter", test_plugin(swap % 2 == 0 ? "counter_v2" : "counter"));
    REQUIRE(outcome.ok);
  }
  double growth = rss_mb() - before;
  std::set<std::string> copies = mapped_copies(scratch.path().string());
  INFO("mapped: " << copies.size() << ", RSS growth " << growth << " MB");
  CHECK(copies.size() <= 2);
#if defined(__SANITIZE_ADDRESS__)
  // ASan keeps freed memory in quarantine on purpose: RSS says nothing about leaks there (and
  // LeakSanitizer checks those at exit). The bound is checked by the other builds.
  WARN("ASan build: RSS growth " << growth << " MB not checked");
#else
  CHECK(growth < 10.0);
#endif
  CHECK(runtime.unload_failures() == 0);
}

TEST_CASE("a changed role table reaches the actor as a config message; declining restarts it",
          "[hot_swap]") {
  struct Table : RoleTable {
    Lookup get_int(const std::string&, std::int64_t&) const override { return Lookup::not_found; }
    Lookup get_double(const std::string&, double&) const override { return Lookup::not_found; }
    Lookup get_bool(const std::string&, bool&) const override { return Lookup::not_found; }
    Lookup get_string(const std::string&, std::string&) const override { return Lookup::not_found; }
    std::string to_json() const override { return "{\"limit\":5}"; }
  };
  Runtime runtime(testing::deterministic_options());
  runtime.add_actor(actor("accepts", load_test_plugin("faulty")));
  runtime.add_actor(actor("declines", load_test_plugin("counter")));
  REQUIRE(runtime.start().ok());
  REQUIRE(runtime.update_role_table("accepts", std::make_shared<Table>()).ok());
  REQUIRE(runtime.update_role_table("declines", std::make_shared<Table>()).ok());
  runtime.run_until_idle();
  auto changes = runtime.metrics().find("accepts", "config_changes");
  REQUIRE(changes);
  CHECK(changes->counter == 1);
  CHECK(runtime.cell("accepts")->counters().restarts.load() == 0);
  CHECK(runtime.cell("declines")->counters().restarts.load() == 1);
  CHECK(runtime.cell("declines")->role_table()->to_json() == "{\"limit\":5}");
}

TEST_CASE("a plugin can have the roles requiring it paused during its swap",
          "[hot_swap][concurrency]") {
  testing::TempDir scratch("alys-swap-dependents");
  Runtime runtime(swap_options(0, scratch));
  Probe probe;
  runtime.add_actor(actor("probe", probe.library));
  runtime.add_actor(actor("counter", load_test_plugin("counter")));
  ActorSpec dependent = actor("dependent", load_test_plugin("echo"));
  dependent.requires_roles = {"counter"};
  runtime.add_actor(dependent);
  ActorSpec bystander = actor("bystander", load_test_plugin("echo"));
  runtime.add_actor(bystander);
  REQUIRE(runtime.start().ok());

  // counter_pausing takes 300 ms to start and asks for its dependents to pause meanwhile.
  SwapOutcome outcome;  // checked after join: Catch assertions are not thread-safe
  std::thread swapper(
      [&] { outcome = runtime.swap_and_wait("counter", test_plugin("counter_pausing")); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // inside the new start
  auto sent = std::chrono::steady_clock::now();
  std::uint64_t to_dependent =
      probe.context().request(probe.context().resolve("dependent"), test::Echo{"d"}, 10'000);
  std::uint64_t to_bystander =
      probe.context().request(probe.context().resolve("bystander"), test::Echo{"b"}, 10'000);
  REQUIRE(probe.inbox->wait_until([&](const auto& items) { return items.size() == 2; }));
  swapper.join();
  CHECK(outcome.ok);
  auto items = probe.inbox->items();
  CHECK(items[0].correlation_id == to_bystander);  // not paused: answered at once
  CHECK(items[1].correlation_id == to_dependent);  // paused until the swap was done
  CHECK(std::chrono::steady_clock::now() - sent >= std::chrono::milliseconds(150));
}
