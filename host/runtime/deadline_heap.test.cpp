#include "host/runtime/deadline_heap.hpp"

#include <catch2/catch.hpp>
#include <cstdint>
#include <set>
#include <vector>

using alys::host::DeadlineHeap;

namespace {

struct LiveSet {
  std::set<std::uint64_t> ids;
  bool operator()(std::uint64_t id) const { return ids.count(id) > 0; }
};

}  // namespace

TEST_CASE("push reports when a deadline becomes the earliest", "[deadline_heap]") {
  DeadlineHeap heap;
  CHECK_FALSE(heap.earliest().has_value());
  CHECK(heap.push(100, 1));        // the first one
  CHECK_FALSE(heap.push(150, 2));  // later: the armed timer stays
  CHECK_FALSE(heap.push(100, 3));  // a tie is not earlier
  CHECK(heap.push(40, 4));         // earlier: re-arm
  CHECK(heap.earliest() == 40);
  CHECK(heap.size() == 4);
}

TEST_CASE("pop_due takes due live entries in deadline order, then id order", "[deadline_heap]") {
  DeadlineHeap heap;
  LiveSet live{{1, 2, 3, 4, 5}};
  heap.push(30, 5);
  heap.push(10, 2);
  heap.push(20, 3);
  heap.push(10, 1);
  heap.push(50, 4);
  std::vector<std::uint64_t> due;
  heap.pop_due(9, live, due);
  CHECK(due.empty());
  heap.pop_due(30, live, due);
  CHECK(due == std::vector<std::uint64_t>{1, 2, 3, 5});
  CHECK(heap.earliest() == 50);
}

TEST_CASE("answered requests are skipped when their deadline comes", "[deadline_heap]") {
  DeadlineHeap heap;
  LiveSet live{{1, 2, 3}};
  heap.push(10, 1);
  heap.push(10, 2);
  heap.push(10, 3);
  live.ids.erase(2);  // answered
  std::vector<std::uint64_t> due;
  heap.pop_due(10, live, due);
  CHECK(due == std::vector<std::uint64_t>{1, 3});
  CHECK(heap.size() == 0);  // the stale entry is gone too
}

TEST_CASE("stale entries are compacted once they outnumber live ones", "[deadline_heap]") {
  DeadlineHeap heap;
  LiveSet live;
  // One request at a time, each answered before the next, as a ping-pong does: without
  // compaction the heap would hold every request ever made until the first deadline.
  for (std::uint64_t id = 1; id <= 10'000; ++id) {
    heap.push(60'000 + id, id);
    live.ids = {id};
    heap.compact_if_stale(live.ids.size(), live);
    CHECK(heap.size() <= 2 * DeadlineHeap::kCompactFloor);
  }
  CHECK(heap.earliest() == 60'000 + 10'000 - (heap.size() - 1));

  // The live entry survives compaction and still fires.
  std::vector<std::uint64_t> due;
  heap.pop_due(1'000'000, live, due);
  CHECK(due == std::vector<std::uint64_t>{10'000});
}

TEST_CASE("compaction keeps every live entry", "[deadline_heap]") {
  DeadlineHeap heap;
  LiveSet live;
  for (std::uint64_t id = 1; id <= 1000; ++id) {
    heap.push(id, id);
    if (id % 10 == 0) live.ids.insert(id);  // 100 live, 900 answered
  }
  heap.compact_if_stale(live.ids.size(), live);
  CHECK(heap.size() == 100);
  std::vector<std::uint64_t> due;
  heap.pop_due(1000, live, due);
  CHECK(due.size() == 100);
  CHECK(due.front() == 10);
  CHECK(due.back() == 1000);
}
