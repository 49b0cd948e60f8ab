#include "host/runtime/request_table.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <set>
#include <thread>
#include <utility>
#include <vector>

using alys::host::RequestTable;
using alys::host::TimerService;

namespace {

constexpr alys_address kRequester = 1;
constexpr alys_address kTarget = 2;
constexpr std::uint64_t kTimeoutMs = 100;

// A table on a virtual clock that records every timeout it hands out.
struct Fixture {
  TimerService timers{TimerService::Options{true, 1'000'000}};
  std::vector<std::pair<std::uint64_t, RequestTable::Settled>> timed_out;
  RequestTable table{timers, [this](std::uint64_t correlation_id, RequestTable::Settled settled) {
                       timed_out.emplace_back(correlation_id, std::move(settled));
                     }};

  std::uint64_t add_request(std::uint64_t timeout_ms = kTimeoutMs) {
    std::uint64_t id = table.next_correlation();
    table.add(id, RequestTable::Pending{kRequester, kTarget, ALYS_PRIORITY_NORMAL}, timeout_ms);
    return id;
  }
};

}  // namespace

TEST_CASE("a reply before the deadline settles the request; the deadline then passes silently",
          "[request_table]") {
  Fixture fixture;
  std::uint64_t id = fixture.add_request();
  fixture.timers.advance(kTimeoutMs - 1);

  auto settled = fixture.table.take_reply(id, kTarget);
  REQUIRE(settled.ok());
  CHECK(settled->request.requester == kRequester);
  CHECK(settled->request.target == kTarget);
  CHECK(settled->request.priority == ALYS_PRIORITY_NORMAL);
  CHECK_FALSE(settled->waiter);
  CHECK(fixture.table.pending() == 0);

  fixture.timers.advance(kTimeoutMs);
  CHECK(fixture.timed_out.empty());
  CHECK(fixture.table.counters().replies == 1);
  CHECK(fixture.table.counters().timeouts == 0);
  CHECK(fixture.table.counters().late_replies == 0);
}

TEST_CASE("a reply after the deadline is refused and counted late", "[request_table]") {
  Fixture fixture;
  std::uint64_t id = fixture.add_request();
  fixture.timers.advance(kTimeoutMs);

  REQUIRE(fixture.timed_out.size() == 1);
  CHECK(fixture.timed_out[0].first == id);
  CHECK(fixture.timed_out[0].second.request.requester == kRequester);
  CHECK(fixture.table.counters().timeouts == 1);

  auto late = fixture.table.take_reply(id, kTarget);
  REQUIRE_FALSE(late.ok());
  CHECK(late.status().code() == ALYS_ERR_TIMEOUT);
  CHECK(fixture.table.counters().late_replies == 1);
  CHECK(fixture.table.counters().replies == 0);
}

TEST_CASE("only the addressee's reply settles a request", "[request_table]") {
  Fixture fixture;
  std::uint64_t id = fixture.add_request();
  auto intruder = fixture.table.take_reply(id, kTarget + 1);
  REQUIRE_FALSE(intruder.ok());
  CHECK(intruder.status().code() == ALYS_ERR_INVALID);
  CHECK(fixture.table.pending() == 1);
  CHECK(fixture.table.take_reply(id, kTarget).ok());
}

TEST_CASE("deadlines time out in order, each once, with a later deadline re-armed",
          "[request_table]") {
  Fixture fixture;
  std::uint64_t slow = fixture.add_request(300);
  std::uint64_t fast = fixture.add_request(100);
  std::uint64_t middle = fixture.add_request(200);
  fixture.timers.advance(150);
  REQUIRE(fixture.timed_out.size() == 1);
  CHECK(fixture.timed_out[0].first == fast);
  fixture.timers.advance(1000);
  REQUIRE(fixture.timed_out.size() == 3);
  CHECK(fixture.timed_out[1].first == middle);
  CHECK(fixture.timed_out[2].first == slow);
  CHECK(fixture.table.pending() == 0);
}

TEST_CASE("a withdrawn request neither times out nor accepts a reply", "[request_table]") {
  Fixture fixture;
  std::uint64_t id = fixture.add_request();
  fixture.table.withdraw(id);
  fixture.timers.advance(kTimeoutMs * 2);
  CHECK(fixture.timed_out.empty());
  CHECK(fixture.table.take_reply(id, kTarget).status().code() == ALYS_ERR_TIMEOUT);
}

TEST_CASE("an external request hands its waiter to the reply or to the timeout",
          "[request_table]") {
  Fixture fixture;
  int answered = 0;
  auto waiter = [&answered](alys::Result<std::vector<std::uint8_t>>) { ++answered; };
  std::uint64_t replied = fixture.table.next_correlation();
  fixture.table.add_external(replied, RequestTable::Pending{0, kTarget, ALYS_PRIORITY_HIGH},
                             kTimeoutMs, waiter);
  std::uint64_t unanswered = fixture.table.next_correlation();
  fixture.table.add_external(unanswered, RequestTable::Pending{0, kTarget, ALYS_PRIORITY_HIGH},
                             kTimeoutMs, waiter);

  auto settled = fixture.table.take_reply(replied, kTarget);
  REQUIRE(settled.ok());
  REQUIRE(settled->waiter);
  settled->waiter(std::vector<std::uint8_t>{});
  CHECK(answered == 1);

  fixture.timers.advance(kTimeoutMs);
  REQUIRE(fixture.timed_out.size() == 1);
  CHECK(fixture.timed_out[0].first == unanswered);
  REQUIRE(fixture.timed_out[0].second.waiter);
}

TEST_CASE("correlation ids are never 0 and never repeat", "[request_table]") {
  Fixture fixture;
  std::set<std::uint64_t> seen;
  for (int i = 0; i < 10'000; ++i) {
    std::uint64_t id = fixture.table.next_correlation();
    CHECK(id != 0);
    CHECK(seen.insert(id).second);
  }
}

TEST_CASE("replies racing deadlines on the timer thread: each request settles exactly once",
          "[request_table][concurrency]") {
  // Real clock: the deadline timer fires on the timer thread while four threads add requests with
  // deadlines of 0-2 ms and reply to them at once. Whichever comes first settles the request; the
  // other is refused (a late reply) or finds nothing (a passed deadline).
  TimerService timers{TimerService::Options{}};
  std::atomic<std::uint64_t> timeouts_seen{0};
  std::mutex seen_mutex;
  std::set<std::uint64_t> settled_ids;
  bool settled_twice = false;
  auto settle = [&](std::uint64_t id) {
    std::lock_guard lock(seen_mutex);
    if (!settled_ids.insert(id).second) settled_twice = true;
  };
  RequestTable table{timers, [&](std::uint64_t id, RequestTable::Settled) {
                       timeouts_seen.fetch_add(1);
                       settle(id);
                     }};
  constexpr int kThreads = 4;
  constexpr int kPerThread = 2000;
  std::atomic<std::uint64_t> replies_taken{0};
  std::atomic<std::uint64_t> replies_late{0};
  std::atomic<std::uint64_t> other_refusals{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::uint64_t id = table.next_correlation();
        table.add(id, RequestTable::Pending{kRequester, kTarget, ALYS_PRIORITY_NORMAL},
                  static_cast<std::uint64_t>((t + i) % 3));
        auto reply = table.take_reply(id, kTarget);
        if (reply.ok()) {
          replies_taken.fetch_add(1);
          settle(id);
        } else if (reply.status().code() == ALYS_ERR_TIMEOUT) {
          replies_late.fetch_add(1);
        } else {
          other_refusals.fetch_add(1);  // counted here: Catch2's assertions are not thread-safe
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  // Every request was answered or timed out by the time its reply was taken: nothing is left.
  CHECK(table.pending() == 0);
  timers.stop();

  constexpr std::uint64_t kTotal = kThreads * kPerThread;
  CHECK(other_refusals == 0);
  CHECK_FALSE(settled_twice);
  CHECK(settled_ids.size() == kTotal);
  CHECK(replies_taken + timeouts_seen == kTotal);
  CHECK(replies_late == timeouts_seen);
  CHECK(table.counters().replies == replies_taken);
  CHECK(table.counters().timeouts == timeouts_seen);
  CHECK(table.counters().late_replies == replies_late);
}
