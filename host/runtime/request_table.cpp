#include "host/runtime/request_table.hpp"

#include <utility>

namespace alys::host {

RequestTable::RequestTable(TimerService& timers, TimeoutHandler on_timeout)
    : timers_(timers), on_timeout_(std::move(on_timeout)) {}

void RequestTable::add(std::uint64_t correlation_id, Pending request, std::uint64_t timeout_ms) {
  std::lock_guard lock(mutex_);
  add_locked(correlation_id, request, timeout_ms);
}

void RequestTable::add_external(std::uint64_t correlation_id, Pending request,
                                std::uint64_t timeout_ms, ExternalWaiter waiter) {
  std::lock_guard lock(mutex_);
  external_waiters_[correlation_id] = std::move(waiter);
  add_locked(correlation_id, request, timeout_ms);
}

void RequestTable::add_locked(std::uint64_t correlation_id, Pending request,
                              std::uint64_t timeout_ms) {
  std::uint64_t now = timers_.monotonic_ms();
  std::uint64_t due = now + timeout_ms;
  pending_.emplace(correlation_id, request);
  auto is_live = [this](std::uint64_t id) { return pending_.count(id) > 0; };
  deadlines_.compact_if_stale(pending_.size(), is_live);
  deadlines_.push(due, correlation_id);
  arm_deadline_timer_locked(due, now);
}

void RequestTable::withdraw(std::uint64_t correlation_id) {
  std::lock_guard lock(mutex_);
  pending_.erase(correlation_id);
  external_waiters_.erase(correlation_id);
}

Result<RequestTable::Settled> RequestTable::take_reply(std::uint64_t correlation_id,
                                                       alys_address replier) {
  std::unique_lock lock(mutex_);
  auto found = pending_.find(correlation_id);
  if (found == pending_.end()) {
    lock.unlock();
    counters_.late_replies.fetch_add(1, std::memory_order_relaxed);
    return Status(ALYS_ERR_TIMEOUT);
  }
  if (found->second.target != replier) return Status(ALYS_ERR_INVALID);  // only the addressee
  Settled settled = take_locked(found);  // its deadline entry goes stale: skipped, or compacted
  lock.unlock();
  counters_.replies.fetch_add(1, std::memory_order_relaxed);
  return settled;
}

RequestTable::Settled RequestTable::take_locked(
    std::unordered_map<std::uint64_t, Pending>::iterator found) {
  Settled settled{found->second, {}};
  if (settled.request.requester == 0) {
    if (auto waiter = external_waiters_.find(found->first); waiter != external_waiters_.end()) {
      settled.waiter = std::move(waiter->second);
      external_waiters_.erase(waiter);
    }
  }
  pending_.erase(found);
  return settled;
}

std::size_t RequestTable::pending() const {
  std::lock_guard lock(mutex_);
  return pending_.size();
}

void RequestTable::arm_deadline_timer_locked(std::uint64_t due_ms, std::uint64_t now_ms) {
  if (deadline_timer_ != 0 && deadline_timer_due_ms_ <= due_ms) return;  // fires early enough
  if (deadline_timer_ != 0) timers_.cancel(deadline_timer_);
  deadline_timer_due_ms_ = due_ms;
  deadline_timer_ = timers_.start(due_ms > now_ms ? due_ms - now_ms : 0, 0,
                                  [this](std::uint64_t fired) { on_deadline_timer(fired); });
}

void RequestTable::on_deadline_timer(std::uint64_t fired) {
  std::vector<std::uint64_t> expired;
  std::vector<std::pair<std::uint64_t, Settled>> timed_out;
  {
    std::lock_guard lock(mutex_);
    std::uint64_t now = timers_.monotonic_ms();
    // A timer replaced while it was already firing may still fire once: harmless, it finds what
    // is due like the armed one would.
    if (fired == deadline_timer_) deadline_timer_ = 0;
    deadlines_.pop_due(
        now, [this](std::uint64_t id) { return pending_.count(id) > 0; }, expired);
    if (auto next = deadlines_.earliest()) arm_deadline_timer_locked(*next, now);
    timed_out.reserve(expired.size());
    for (std::uint64_t correlation_id : expired)
      timed_out.emplace_back(correlation_id, take_locked(pending_.find(correlation_id)));
  }
  counters_.timeouts.fetch_add(timed_out.size(), std::memory_order_relaxed);
  for (auto& [correlation_id, settled] : timed_out) on_timeout_(correlation_id, std::move(settled));
}

}  // namespace alys::host
