#include "host/executor.hpp"

#include <pthread.h>

#include <algorithm>

namespace alys::host {

Executor::Executor(std::string name, unsigned threads)
    : name_(std::move(name)), thread_count_(threads) {
  for (unsigned i = 0; i < threads; ++i) {
    threads_.emplace_back([this] { work(); });
    std::string thread_name = (name_ + std::to_string(i)).substr(0, 15);
    pthread_setname_np(threads_.back().native_handle(), thread_name.c_str());
  }
}

Executor::~Executor() { stop(); }

void Executor::schedule(Runnable* runnable, bool urgent) {
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
  }
  ready_.notify_all();
  for (auto& thread : threads_) thread.join();
  threads_.clear();
}

void Executor::work() {
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
  }
}

}  // namespace alys::host
