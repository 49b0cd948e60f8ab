// DegradedState — whether an actor runs but cannot do its work (its health probe answered
// ALYS_DEGRADED, ABI 1.2), and why. Not a failure: the supervisor never sees it; /health and
// /metrics show it until a probe answers ALYS_OK or the instance is stopped (restart, swap).
//
// Threads: mark() and clear() from the thread that runs the actor's probe or stops its instance
// (never two at once: the cell's batch and its control thread exclude each other); reason() and
// degraded() from any thread (the admin server). One small mutex of its own, taken by nothing
// else, so it orders with no other lock.
#pragma once

#include <mutex>
#include <string>

namespace alys::host {

// What one mark() or clear() changed: what the log says about it.
enum class DegradedChange {
  none,             // same state and reason as before
  became_degraded,  // was healthy
  reason_changed,   // was degraded for another reason
  recovered         // was degraded, is not any more
};

class DegradedState {
 public:
  // Records that the actor is degraded for `reason` (REQUIRES non-empty).
  DegradedChange mark(std::string reason);
  // Records that the actor is not degraded; `was_reason_out` (may be null) gets the old reason.
  DegradedChange clear(std::string* was_reason_out = nullptr);
  // Why the actor is degraded; empty when it is not.
  std::string reason() const;
  bool degraded() const;

 private:
  mutable std::mutex mutex_;
  std::string reason_;  // empty: not degraded
};

}  // namespace alys::host
