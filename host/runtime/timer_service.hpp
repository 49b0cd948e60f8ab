// Timers on the host clock: the real clock (unix milliseconds, a timer thread), or a virtual clock
// that only moves when a test advances it, firing due timers in time order, deterministically.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

namespace alys::host {

class TimerService {
 public:
  using Fire = std::function<void(std::uint64_t timer_id)>;

  struct Options {
    bool virtual_clock = false;
    std::uint64_t virtual_start_ms = 1'700'000'000'000;  // 2023-11-14, any fixed point will do
  };

  explicit TimerService(Options options);
  ~TimerService();
  TimerService(const TimerService&) = delete;
  TimerService& operator=(const TimerService&) = delete;

  // Unix milliseconds (virtual: the virtual time). For timestamps and slots, not for scheduling.
  std::uint64_t now_ms() const;
  // Timers are scheduled on the steady clock (virtual: the virtual time), so a step of the wall
  // clock (NTP, an operator) moves no deadline, backoff or restart window.
  std::uint64_t monotonic_ms() const;
  bool is_virtual() const { return options_.virtual_clock; }

  // Fires after `delay_ms`, then every `period_ms` if non-zero. `fire` runs on the timer thread
  // (real clock) or inside advance() (virtual), never with an internal lock held. Thread-safe.
  std::uint64_t start(std::uint64_t delay_ms, std::uint64_t period_ms, Fire fire);
  // False if the timer is unknown or already done. A timer firing right now may still fire once.
  bool cancel(std::uint64_t id);

  // Virtual clock only: moves time to `now + ms`, firing every due timer in order (ties in the
  // order the timers were armed; a periodic timer re-arms at each firing) with the clock set to its
  // due time, and calling `after_each` after each firing so a deterministic fixture can drain the
  // work it caused.
  void advance(std::uint64_t ms, const std::function<void()>& after_each = {});
  std::optional<std::uint64_t> next_due() const;

  void stop();  // ends the timer thread; pending timers never fire. Idempotent.

 private:
  struct Timer {
    std::uint64_t id;
    std::uint64_t period_ms;
    std::shared_ptr<Fire> fire;
  };
  using Key = std::pair<std::uint64_t, std::uint64_t>;  // due ms, sequence

  std::optional<std::pair<Key, Timer>> pop_due(std::uint64_t now);
  void rearm(const Key& fired, Timer timer);
  void run_thread();

  Options options_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::map<Key, Timer> queue_;
  std::unordered_map<std::uint64_t, Key> index_;
  std::uint64_t next_id_ = 1;
  std::uint64_t next_sequence_ = 0;
  std::uint64_t virtual_now_ms_;
  bool stopping_ = false;
  // When the timer thread will look at the queue next (monotonic ms). A timer due later needs no
  // wake-up: request deadlines are started per request, and waking the thread for each one cost
  // a context switch per round trip.
  std::uint64_t wake_at_ms_ = 0;
  std::thread thread_;
};

}  // namespace alys::host
