#include "host/runtime/timer_service.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <utility>
#include <vector>

using alys::host::TimerService;

namespace {

constexpr std::uint64_t kStart = 1'000'000;

TimerService::Options virtual_clock(std::uint64_t start = kStart) {
  TimerService::Options options;
  options.virtual_clock = true;
  options.virtual_start_ms = start;
  return options;
}

TimerService::Options real_clock() {
  TimerService::Options options;
  options.virtual_clock = false;
  return options;
}

// One firing as a test sees it: which timer (by the test's own label), and the clock at that time.
struct Firing {
  std::string label;
  std::uint64_t at_ms;
  bool operator==(const Firing&) const = default;
};

// Waits (polling) until `done()` holds or the generous deadline passes; returns done().
template <class Done>
bool wait_until(Done done, std::chrono::milliseconds deadline = std::chrono::seconds(5)) {
  auto until = std::chrono::steady_clock::now() + deadline;
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return done();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

}  // namespace

namespace Catch {
template <>
struct StringMaker<Firing> {
  static std::string convert(const Firing& firing) {
    return "{" + firing.label + " @" + std::to_string(firing.at_ms) + "}";
  }
};
}  // namespace Catch

TEST_CASE("the virtual clock starts where told and only moves on advance", "[timer_service]") {
  TimerService timers(virtual_clock(42));
  CHECK(timers.is_virtual());
  CHECK(timers.now_ms() == 42);
  CHECK(timers.now_ms() == 42);
  timers.advance(0);
  CHECK(timers.now_ms() == 42);
  timers.advance(1000);
  CHECK(timers.now_ms() == 1042);
  CHECK_FALSE(timers.next_due().has_value());
}

TEST_CASE("the default virtual start is a fixed point", "[timer_service]") {
  TimerService::Options options;
  options.virtual_clock = true;
  TimerService a(options);
  TimerService b(options);
  CHECK(a.now_ms() == b.now_ms());
  CHECK(a.now_ms() == 1'700'000'000'000);
}

TEST_CASE("advance fires due timers in time order with the clock at each due time",
          "[timer_service]") {
  TimerService timers(virtual_clock());
  std::vector<Firing> fired;
  auto record = [&](std::string label) {
    return [&fired, &timers, label](std::uint64_t) { fired.push_back({label, timers.now_ms()}); };
  };
  timers.start(30, 0, record("c"));
  timers.start(10, 0, record("a"));
  timers.start(20, 0, record("b"));
  timers.start(100, 0, record("late"));
  CHECK(timers.next_due() == kStart + 10);

  timers.advance(5);
  CHECK(fired.empty());
  CHECK(timers.now_ms() == kStart + 5);

  timers.advance(45);
  CHECK(fired == std::vector<Firing>{{"a", kStart + 10}, {"b", kStart + 20}, {"c", kStart + 30}});
  CHECK(timers.now_ms() == kStart + 50);  // the target, not the last due time
  CHECK(timers.next_due() == kStart + 100);

  // A timer due exactly at the target fires.
  timers.advance(50);
  CHECK(fired.size() == 4);
  CHECK(fired.back() == Firing{"late", kStart + 100});
  CHECK_FALSE(timers.next_due().has_value());
}

TEST_CASE("the fire callback gets its timer's id", "[timer_service]") {
  TimerService timers(virtual_clock());
  std::vector<std::uint64_t> ids;
  auto record = [&ids](std::uint64_t id) { ids.push_back(id); };
  std::uint64_t first = timers.start(2, 0, record);
  std::uint64_t second = timers.start(1, 0, record);
  CHECK(first != second);
  CHECK(first != 0);
  CHECK(second != 0);
  timers.advance(2);
  CHECK(ids == std::vector<std::uint64_t>{second, first});
}

TEST_CASE("timers due at the same time fire in start order", "[timer_service]") {
  TimerService timers(virtual_clock());
  std::vector<std::string> fired;
  for (std::string label : {"1", "2", "3", "4", "5"})
    timers.start(10, 0, [&fired, label](std::uint64_t) { fired.push_back(label); });
  // Started later with a shorter delay, due at the same time as the others: still last.
  timers.advance(3);
  timers.start(7, 0, [&fired](std::uint64_t) { fired.push_back("6"); });
  timers.advance(7);
  CHECK(fired == std::vector<std::string>{"1", "2", "3", "4", "5", "6"});
}

TEST_CASE("a zero-delay timer fires on the next advance, even advance(0)", "[timer_service]") {
  TimerService timers(virtual_clock());
  int fired = 0;
  timers.start(0, 0, [&](std::uint64_t) { ++fired; });
  CHECK(timers.next_due() == kStart);
  CHECK(fired == 0);  // start never fires synchronously
  timers.advance(0);
  CHECK(fired == 1);
  timers.advance(100);
  CHECK(fired == 1);
}

TEST_CASE("a periodic timer re-arms exactly one period later", "[timer_service]") {
  TimerService timers(virtual_clock());
  std::vector<std::uint64_t> at;
  timers.start(5, 10, [&](std::uint64_t) { at.push_back(timers.now_ms()); });
  CHECK(timers.next_due() == kStart + 5);

  timers.advance(4);
  CHECK(at.empty());
  timers.advance(1);
  CHECK(at == std::vector<std::uint64_t>{kStart + 5});
  CHECK(timers.next_due() == kStart + 15);

  // One long advance fires every period in between, each at its own time.
  timers.advance(40);
  CHECK(at ==
        std::vector<std::uint64_t>{kStart + 5, kStart + 15, kStart + 25, kStart + 35, kStart + 45});
  CHECK(timers.next_due() == kStart + 55);

  // Advancing in odd steps does not drift.
  for (int i = 0; i < 7; ++i) timers.advance(3);  // to kStart + 66
  CHECK(at.back() == kStart + 65);
  CHECK(at.size() == 7);
}

TEST_CASE("periodic timers interleave with one-shots in time order", "[timer_service]") {
  TimerService timers(virtual_clock());
  std::vector<Firing> fired;
  auto record = [&](std::string label) {
    return [&fired, &timers, label](std::uint64_t) { fired.push_back({label, timers.now_ms()}); };
  };
  timers.start(10, 10, record("p"));
  timers.start(15, 0, record("once"));
  timers.start(7, 20, record("q"));
  timers.advance(30);
  CHECK(fired == std::vector<Firing>{{"q", kStart + 7},
                                     {"p", kStart + 10},
                                     {"once", kStart + 15},
                                     {"p", kStart + 20},
                                     {"q", kStart + 27},
                                     {"p", kStart + 30}});
}

TEST_CASE("cancel stops a timer before it fires", "[timer_service]") {
  TimerService timers(virtual_clock());
  int a = 0;
  int b = 0;
  std::uint64_t id_a = timers.start(10, 0, [&](std::uint64_t) { ++a; });
  timers.start(20, 0, [&](std::uint64_t) { ++b; });
  CHECK(timers.cancel(id_a));
  CHECK(timers.next_due() == kStart + 20);
  CHECK_FALSE(timers.cancel(id_a));  // already cancelled
  timers.advance(100);
  CHECK(a == 0);
  CHECK(b == 1);
}

TEST_CASE("cancel of an unknown or finished timer returns false", "[timer_service]") {
  TimerService timers(virtual_clock());
  CHECK_FALSE(timers.cancel(0));
  CHECK_FALSE(timers.cancel(12345));
  std::uint64_t id = timers.start(1, 0, [](std::uint64_t) {});
  timers.advance(1);
  CHECK_FALSE(timers.cancel(id));  // a one-shot that fired is done
}

TEST_CASE("cancel stops a periodic timer between firings", "[timer_service]") {
  TimerService timers(virtual_clock());
  int fired = 0;
  std::uint64_t id = timers.start(10, 10, [&](std::uint64_t) { ++fired; });
  timers.advance(25);
  CHECK(fired == 2);
  CHECK(timers.cancel(id));
  CHECK_FALSE(timers.next_due().has_value());
  timers.advance(100);
  CHECK(fired == 2);
  CHECK_FALSE(timers.cancel(id));
}

TEST_CASE("a periodic timer can cancel itself from its own fire callback", "[timer_service]") {
  TimerService timers(virtual_clock());
  std::vector<std::uint64_t> at;
  bool cancelled = false;
  timers.start(10, 10, [&](std::uint64_t id) {
    at.push_back(timers.now_ms());
    if (at.size() == 3) cancelled = timers.cancel(id);
  });
  timers.advance(1000);
  CHECK(cancelled);
  CHECK(at == std::vector<std::uint64_t>{kStart + 10, kStart + 20, kStart + 30});
  CHECK_FALSE(timers.next_due().has_value());
}

TEST_CASE("a fire callback can cancel another timer that is due in the same advance",
          "[timer_service]") {
  TimerService timers(virtual_clock());
  std::vector<std::string> fired;
  std::uint64_t victim = 0;
  timers.start(10, 0, [&](std::uint64_t) {
    fired.push_back("killer");
    CHECK(timers.cancel(victim));
  });
  victim = timers.start(20, 0, [&](std::uint64_t) { fired.push_back("victim"); });
  timers.start(30, 0, [&](std::uint64_t) { fired.push_back("bystander"); });
  timers.advance(50);
  CHECK(fired == std::vector<std::string>{"killer", "bystander"});
}

TEST_CASE("a fire callback can start timers, which fire in the same advance when due",
          "[timer_service]") {
  TimerService timers(virtual_clock());
  std::vector<Firing> fired;
  timers.start(10, 0, [&](std::uint64_t) {
    fired.push_back({"outer", timers.now_ms()});
    // Relative to the clock at the firing (kStart + 10), not to where the advance started.
    timers.start(5, 0, [&](std::uint64_t) { fired.push_back({"inner", timers.now_ms()}); });
    timers.start(100, 0, [&](std::uint64_t) { fired.push_back({"later", timers.now_ms()}); });
  });
  timers.start(12, 0, [&](std::uint64_t) { fired.push_back({"other", timers.now_ms()}); });
  timers.advance(20);
  CHECK(fired == std::vector<Firing>{
                     {"outer", kStart + 10}, {"other", kStart + 12}, {"inner", kStart + 15}});
  CHECK(timers.next_due() == kStart + 110);
  timers.advance(90);
  CHECK(fired.back() == Firing{"later", kStart + 110});
}

TEST_CASE("a chain of zero-delay timers started from callbacks all fire", "[timer_service]") {
  TimerService timers(virtual_clock());
  int fired = 0;
  std::function<void(std::uint64_t)> again = [&](std::uint64_t) {
    if (++fired < 5) timers.start(0, 0, again);
  };
  timers.start(1, 0, again);
  timers.advance(1);
  CHECK(fired == 5);
  CHECK(timers.now_ms() == kStart + 1);
}

TEST_CASE("after_each runs after each firing", "[timer_service]") {
  TimerService timers(virtual_clock());
  std::vector<std::string> events;
  timers.start(10, 0, [&](std::uint64_t) { events.push_back("fire a"); });
  timers.start(20, 10, [&](std::uint64_t) { events.push_back("fire p"); });
  int calls = 0;
  timers.advance(30, [&] {
    ++calls;
    events.push_back("after @" + std::to_string(timers.now_ms() - kStart));
  });
  CHECK(calls == 3);
  CHECK(events == std::vector<std::string>{"fire a", "after @10", "fire p", "after @20", "fire p",
                                           "after @30"});

  // No firing, no call.
  calls = 0;
  timers.advance(5, [&] { ++calls; });
  CHECK(calls == 0);
}

TEST_CASE("after_each can start timers that the same advance then fires", "[timer_service]") {
  TimerService timers(virtual_clock());
  std::vector<std::uint64_t> at;
  timers.start(10, 0, [&](std::uint64_t) { at.push_back(timers.now_ms()); });
  bool started = false;
  timers.advance(30, [&] {
    if (started) return;
    started = true;
    timers.start(5, 0, [&](std::uint64_t) { at.push_back(timers.now_ms()); });
  });
  CHECK(at == std::vector<std::uint64_t>{kStart + 10, kStart + 15});
}

TEST_CASE("next_due follows starts, firings and cancels", "[timer_service]") {
  TimerService timers(virtual_clock());
  CHECK_FALSE(timers.next_due().has_value());
  std::uint64_t a = timers.start(50, 0, [](std::uint64_t) {});
  CHECK(timers.next_due() == kStart + 50);
  std::uint64_t b = timers.start(20, 0, [](std::uint64_t) {});
  CHECK(timers.next_due() == kStart + 20);
  timers.advance(20);
  CHECK(timers.next_due() == kStart + 50);
  CHECK_FALSE(timers.cancel(b));
  CHECK(timers.cancel(a));
  CHECK_FALSE(timers.next_due().has_value());
}

TEST_CASE("stop on a virtual clock drops pending timers and is idempotent", "[timer_service]") {
  TimerService timers(virtual_clock());
  int fired = 0;
  timers.start(10, 0, [&](std::uint64_t) { ++fired; });
  timers.stop();
  timers.stop();
  CHECK_FALSE(timers.next_due().has_value());
  timers.advance(100);
  CHECK(fired == 0);
}

TEST_CASE("real clock: now_ms is unix milliseconds", "[timer_service][concurrency]") {
  TimerService timers(real_clock());
  CHECK_FALSE(timers.is_virtual());
  auto unix_ms = [] {
    using namespace std::chrono;
    return static_cast<std::uint64_t>(
        duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
  };
  std::uint64_t before = unix_ms();
  std::uint64_t now = timers.now_ms();
  std::uint64_t after = unix_ms();
  CHECK(now >= before);
  CHECK(now <= after);
}

TEST_CASE("real clock: a 20 ms one-shot fires once, not early", "[timer_service][concurrency]") {
  TimerService timers(real_clock());
  std::atomic<int> fired{0};
  std::atomic<std::uint64_t> fired_id{0};
  std::atomic<std::thread::id> fired_on{};
  // Timers run on the monotonic clock; the wall clock may step, so measure on the former.
  std::uint64_t started_at = timers.monotonic_ms();
  std::atomic<std::uint64_t> fired_at{0};
  std::uint64_t id = timers.start(20, 0, [&](std::uint64_t timer_id) {
    fired_at = timers.monotonic_ms();
    fired_id = timer_id;
    fired_on = std::this_thread::get_id();
    ++fired;
  });
  REQUIRE(wait_until([&] { return fired.load() == 1; }));
  CHECK(fired_id.load() == id);
  CHECK(fired_at.load() >= started_at + 20);
  CHECK(fired_on.load() != std::this_thread::get_id());  // on the timer thread
  CHECK_FALSE(timers.cancel(id));
  timers.stop();
  CHECK(fired.load() == 1);
}

TEST_CASE("real clock: a periodic timer keeps firing until cancelled",
          "[timer_service][concurrency]") {
  TimerService timers(real_clock());
  std::atomic<int> fired{0};
  std::uint64_t id = timers.start(1, 2, [&](std::uint64_t) { ++fired; });
  REQUIRE(wait_until([&] { return fired.load() >= 3; }));
  CHECK(timers.cancel(id));
  int after_cancel = fired.load();
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  // A firing already under way when cancel ran may still complete, at most once.
  CHECK(fired.load() <= after_cancel + 1);
}

TEST_CASE("real clock: a later start with an earlier due time wakes the timer thread",
          "[timer_service][concurrency]") {
  TimerService timers(real_clock());
  std::atomic<int> late{0};
  std::atomic<int> early{0};
  timers.start(60'000, 0, [&](std::uint64_t) { ++late; });
  timers.start(10, 0, [&](std::uint64_t) { ++early; });
  REQUIRE(wait_until([&] { return early.load() == 1; }));
  CHECK(late.load() == 0);
}

TEST_CASE("real clock: stop is idempotent, joins, and pending timers never fire",
          "[timer_service][concurrency]") {
  std::atomic<int> fired{0};
  {
    TimerService timers(real_clock());
    timers.start(60'000, 0, [&](std::uint64_t) { ++fired; });
    timers.start(50'000, 1000, [&](std::uint64_t) { ++fired; });
    timers.stop();
    CHECK_FALSE(timers.next_due().has_value());
    timers.stop();
    timers.stop();
  }  // the destructor stops once more
  CHECK(fired.load() == 0);

  // Stop while a callback is running: stop returns only after the callback finished.
  std::atomic<bool> in_callback{false};
  std::atomic<bool> callback_done{false};
  TimerService timers(real_clock());
  timers.start(0, 0, [&](std::uint64_t) {
    in_callback = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    callback_done = true;
  });
  REQUIRE(wait_until([&] { return in_callback.load(); }));
  timers.stop();
  CHECK(callback_done.load());
  timers.stop();
}

TEST_CASE("real clock: start and cancel from other threads are safe",
          "[timer_service][concurrency]") {
  TimerService timers(real_clock());
  std::atomic<int> fired{0};

  SECTION("cancel from another thread before the due time") {
    std::uint64_t id = timers.start(60'000, 0, [&](std::uint64_t) { ++fired; });
    bool cancelled = false;
    std::thread other([&] { cancelled = timers.cancel(id); });
    other.join();
    CHECK(cancelled);
    CHECK_FALSE(timers.next_due().has_value());
  }

  SECTION("many threads start and cancel concurrently with firings") {
    constexpr int kThreads = 4;
    constexpr int kPerThread = 200;
    std::atomic<int> cancelled{0};
    std::atomic<int> short_fired{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&] {
        for (int i = 0; i < kPerThread; ++i) {
          // One that fires soon and one that is cancelled before it could.
          timers.start(0, 0, [&](std::uint64_t) { ++short_fired; });
          std::uint64_t id = timers.start(60'000, 0, [&](std::uint64_t) { ++fired; });
          if (timers.cancel(id)) ++cancelled;
        }
      });
    }
    for (auto& thread : threads) thread.join();
    CHECK(cancelled.load() == kThreads * kPerThread);
    REQUIRE(wait_until([&] { return short_fired.load() == kThreads * kPerThread; }));
    CHECK_FALSE(timers.next_due().has_value());
  }

  timers.stop();
  CHECK(fired.load() == 0);
}
