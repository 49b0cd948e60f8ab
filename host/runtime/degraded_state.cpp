#include "host/runtime/degraded_state.hpp"

#include <utility>

namespace alys::host {

DegradedChange DegradedState::mark(std::string reason) {
  std::lock_guard lock(mutex_);
  if (reason == reason_) return DegradedChange::none;
  DegradedChange change =
      reason_.empty() ? DegradedChange::became_degraded : DegradedChange::reason_changed;
  reason_ = std::move(reason);
  return change;
}

DegradedChange DegradedState::clear(std::string* was_reason_out) {
  std::lock_guard lock(mutex_);
  if (reason_.empty()) return DegradedChange::none;
  if (was_reason_out != nullptr) *was_reason_out = reason_;
  reason_.clear();
  return DegradedChange::recovered;
}

std::string DegradedState::reason() const {
  std::lock_guard lock(mutex_);
  return reason_;
}

bool DegradedState::degraded() const {
  std::lock_guard lock(mutex_);
  return !reason_.empty();
}

}  // namespace alys::host
