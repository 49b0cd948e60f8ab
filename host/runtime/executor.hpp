// Runs ready actors: a pool of worker threads, one dedicated thread, or — with zero threads — the
// caller, on demand (the deterministic test fixture).
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace alys::host {

class Runnable {
 public:
  virtual ~Runnable() = default;
  // Runs one batch. Called by one thread at a time per Runnable (the scheduler guarantees it by
  // scheduling a Runnable at most once until its batch ends).
  virtual void run_batch() = 0;
};

class Executor {
 public:
  // threads == 0: nothing runs until run_pending() is called.
  Executor(std::string name, unsigned threads);
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Queue a runnable; `urgent` ones (holding consensus messages) go to the front. Thread-safe.
  // Called from one of this executor's workers, the first runnable scheduled during a batch is
  // handed to that worker and runs right after the batch (no wake-up of another thread).
  void schedule(Runnable* runnable, bool urgent);

  // Moves an already queued runnable to the front (a consensus message arrived for it); no-op if
  // it is not queued. Thread-safe.
  void promote(Runnable* runnable);

  // Manual mode: run queued batches on the calling thread until none is queued. Returns how many
  // batches ran.
  std::size_t run_pending();
  // Manual mode: run the first queued batch, if any.
  bool run_one();

  // Joins the threads once their current batch ends; queued batches are abandoned (the runtime
  // stops every actor before it stops its executors). Idempotent.
  void stop();

 private:
  void work();

  std::string name_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Runnable*> queue_;
  bool stopping_ = false;
  std::atomic<bool> stop_requested_{false};  // stopping_, readable without the lock
  std::vector<std::thread> threads_;
};

}  // namespace alys::host
