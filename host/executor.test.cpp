#include "host/executor.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

using alys::host::Executor;
using alys::host::Runnable;

namespace {

struct CountingRunnable : Runnable {
  std::atomic<int> runs{0};
  void run_batch() override { runs.fetch_add(1); }
};

}  // namespace

TEST_CASE("manual mode: queued work is waiting until it runs", "[executor]") {
  Executor executor("test", 0);
  CHECK_FALSE(executor.threaded());
  CountingRunnable a;
  CountingRunnable b;
  CHECK_FALSE(executor.has_waiting_work());
  executor.schedule(&a, false);
  executor.schedule(&b, false);
  CHECK(executor.has_waiting_work());
  CHECK(executor.run_one());
  CHECK(executor.has_waiting_work());
  CHECK(executor.run_pending() == 1);
  CHECK_FALSE(executor.has_waiting_work());
  CHECK(a.runs == 1);
  CHECK(b.runs == 1);
}

TEST_CASE("a worker sees the runnable its batch handed to it as waiting work",
          "[executor][concurrency]") {
  Executor executor("test", 1);
  CHECK(executor.threaded());
  CountingRunnable handed;
  struct Handing : Runnable {
    Executor* executor = nullptr;
    Runnable* next = nullptr;
    std::atomic<int> before{-1};
    std::atomic<int> after{-1};
    void run_batch() override {
      before = executor->has_waiting_work() ? 1 : 0;
      executor->schedule(next, false);  // handed to this worker, runs after this batch
      after = executor->has_waiting_work() ? 1 : 0;
    }
  } handing;
  handing.executor = &executor;
  handing.next = &handed;
  executor.schedule(&handing, false);
  for (int i = 0; i < 1000 && handed.runs == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  executor.stop();
  CHECK(handing.before == 0);
  CHECK(handing.after == 1);
  CHECK(handed.runs == 1);
}
