#include "host/runtime/executor.hpp"

#include <pthread.h>

#include <algorithm>

namespace alys::host {
namespace {

// The executor this thread is a worker of, and the runnable it hands itself: when a batch
// schedules another actor, that actor runs next on the same thread instead of waking another
// worker (a futex wake-up per message hop otherwise bounds request/response).
struct WorkerSlot {
  Executor* executor = nullptr;
  Runnable* next = nullptr;
};
thread_local WorkerSlot tls_worker;
constexpr int kMaxHandoffs = 64;

}  // namespace

Executor::Executor(std::string name, unsigned threads) : name_(std::move(name)) {
  for (unsigned i = 0; i < threads; ++i) {
    threads_.emplace_back([this] { work(); });
    std::string thread_name = (name_ + std::to_string(i)).substr(0, 15);
    pthread_setname_np(threads_.back().native_handle(), thread_name.c_str());
  }
}

Executor::~Executor() { stop(); }

void Executor::schedule(Runnable* runnable, bool urgent) {
  if (tls_worker.executor == this && tls_worker.next == nullptr) {
    tls_worker.next = runnable;
    return;
  }
  {
    std::lock_guard lock(mutex_);
    if (urgent)
      queue_.push_front(runnable);
    else
      queue_.push_back(runnable);
  }
  ready_.notify_one();
}

std::size_t Executor::run_pending() {
  std::size_t batches = 0;
  for (;;) {
    Runnable* next = nullptr;
    {
      std::lock_guard lock(mutex_);
      if (queue_.empty()) return batches;
      next = queue_.front();
      queue_.pop_front();
    }
    next->run_batch();
    ++batches;
  }
}

void Executor::promote(Runnable* runnable) {
  std::lock_guard lock(mutex_);
  auto found = std::find(queue_.begin(), queue_.end(), runnable);
  if (found == queue_.end() || found == queue_.begin()) return;
  queue_.erase(found);
  queue_.push_front(runnable);
}

bool Executor::run_one() {
  Runnable* next = nullptr;
  {
    std::lock_guard lock(mutex_);
    if (queue_.empty()) return false;
    next = queue_.front();
    queue_.pop_front();
  }
  next->run_batch();
  return true;
}

void Executor::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
    stop_requested_.store(true, std::memory_order_release);
  }
  ready_.notify_all();
  for (auto& thread : threads_) thread.join();
  threads_.clear();
}

void Executor::work() {
  tls_worker.executor = this;
  for (;;) {
    Runnable* next = nullptr;
    {
      std::unique_lock lock(mutex_);
      ready_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      next = queue_.front();
      queue_.pop_front();
    }
    next->run_batch();
    // Run what the batch handed this thread. Two actors answering each other would keep a worker
    // here for ever: after kMaxHandoffs in a row the next one goes through the queue, so actors
    // waiting there get their turn.
    for (int handoffs = 0; Runnable* handed = tls_worker.next; ++handoffs) {
      tls_worker.next = nullptr;
      if (stop_requested_.load(std::memory_order_acquire)) return;
      if (handoffs == kMaxHandoffs) {
        tls_worker.executor = nullptr;  // schedule() below must queue, not hand off
        schedule(handed, false);
        tls_worker.executor = this;
        break;
      }
      handed->run_batch();
    }
  }
}

}  // namespace alys::host
