#include "host/runtime/timer_service.hpp"

#include <pthread.h>

#include <chrono>

namespace alys::host {

namespace {
constexpr std::uint64_t kMaxSleepMs = 50;
}  // namespace

TimerService::TimerService(Options options)
    : options_(options), virtual_now_ms_(options.virtual_start_ms) {
  if (!options_.virtual_clock) {
    thread_ = std::thread([this] { run_thread(); });
    pthread_setname_np(thread_.native_handle(), "alys-timers");
  }
}

TimerService::~TimerService() { stop(); }

std::uint64_t TimerService::now_ms() const {
  if (options_.virtual_clock) {
    std::lock_guard lock(mutex_);
    return virtual_now_ms_;
  }
  using namespace std::chrono;
  return static_cast<std::uint64_t>(
      duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

std::uint64_t TimerService::monotonic_ms() const {
  if (options_.virtual_clock) return now_ms();
  using namespace std::chrono;
  return static_cast<std::uint64_t>(
      duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count());
}

std::uint64_t TimerService::start(std::uint64_t delay_ms, std::uint64_t period_ms, Fire fire) {
  std::uint64_t now = monotonic_ms();
  std::lock_guard lock(mutex_);
  std::uint64_t id = next_id_++;
  Key key{now + delay_ms, next_sequence_++};
  queue_.emplace(key, Timer{id, period_ms, std::make_shared<Fire>(std::move(fire))});
  index_.emplace(id, key);
  if (key.first < wake_at_ms_) changed_.notify_one();
  return id;
}

bool TimerService::cancel(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  auto found = index_.find(id);
  if (found == index_.end()) return false;
  queue_.erase(found->second);
  index_.erase(found);
  return true;
}

std::optional<std::pair<TimerService::Key, TimerService::Timer>> TimerService::pop_due(
    std::uint64_t now) {
  std::lock_guard lock(mutex_);
  if (queue_.empty() || queue_.begin()->first.first > now) return std::nullopt;
  auto node = queue_.extract(queue_.begin());
  if (node.mapped().period_ms == 0) index_.erase(node.mapped().id);
  if (options_.virtual_clock) virtual_now_ms_ = node.key().first;
  return std::make_pair(node.key(), std::move(node.mapped()));
}

void TimerService::rearm(const Key& fired, Timer timer) {
  std::lock_guard lock(mutex_);
  auto found = index_.find(timer.id);
  if (found == index_.end() || found->second != fired) return;  // cancelled while firing
  Key next{fired.first + timer.period_ms, next_sequence_++};
  found->second = next;
  queue_.emplace(next, std::move(timer));
}

void TimerService::advance(std::uint64_t ms, const std::function<void()>& after_each) {
  std::uint64_t target;
  {
    std::lock_guard lock(mutex_);
    target = virtual_now_ms_ + ms;
  }
  while (auto due = pop_due(target)) {
    auto& [key, timer] = *due;
    std::shared_ptr<Fire> fire = timer.fire;
    std::uint64_t fired_id = timer.id;
    if (timer.period_ms > 0) rearm(key, std::move(timer));
    (*fire)(fired_id);
    if (after_each) after_each();
  }
  std::lock_guard lock(mutex_);
  virtual_now_ms_ = target;
}

std::optional<std::uint64_t> TimerService::next_due() const {
  std::lock_guard lock(mutex_);
  if (queue_.empty()) return std::nullopt;
  return queue_.begin()->first.first;
}

void TimerService::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
    queue_.clear();
    index_.clear();
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void TimerService::run_thread() {
  // Real clock only (monotonic_ms takes no lock then). The decision to sleep is made under the
  // same lock hold that read the queue head, so a timer started meanwhile always wakes us.
  std::unique_lock lock(mutex_);
  for (;;) {
    if (stopping_) return;
    std::uint64_t now = monotonic_ms();
    if (queue_.empty()) {
      // Tick rather than sleep for good: the next request deadline then needs no wake-up.
      wake_at_ms_ = now + kMaxSleepMs;
      changed_.wait_for(lock, std::chrono::milliseconds(kMaxSleepMs));
      continue;
    }
    std::uint64_t due = queue_.begin()->first.first;
    if (due > now) {
      // Look again at least every kMaxSleepMs, so far-off timers need no wake-up (see start()).
      std::uint64_t sleep = std::min<std::uint64_t>(due - now, kMaxSleepMs);
      wake_at_ms_ = now + sleep;
      changed_.wait_for(lock, std::chrono::milliseconds(sleep));
      continue;
    }
    wake_at_ms_ = 0;  // firing: every start() meanwhile is looked at before sleeping again
    lock.unlock();
    while (auto fired = pop_due(monotonic_ms())) {
      auto& [key, timer] = *fired;
      std::shared_ptr<Fire> fire = timer.fire;
      std::uint64_t fired_id = timer.id;
      if (timer.period_ms > 0) rearm(key, std::move(timer));
      (*fire)(fired_id);
    }
    lock.lock();
  }
}

}  // namespace alys::host
