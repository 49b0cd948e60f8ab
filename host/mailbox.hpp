// A bounded mailbox with four priority lanes. Not synchronized: its owner (ActorCell) holds the
// lock.
//
// Ordering: messages of one priority leave in the order they arrived; a higher priority always
// leaves first, so a consensus message never waits behind a background backlog.
#pragma once

#include <array>
#include <cstddef>
#include <deque>
#include <optional>

#include "host/config.hpp"
#include "host/envelope.hpp"

namespace alys::host {

class Mailbox {
 public:
  explicit Mailbox(MailboxConfig config) : config_(config) {}

  enum class Push { accepted, rejected, accepted_dropped_oldest, dropped_incoming };

  // When full: `reject` refuses the message; `drop-oldest` drops the oldest message of the lowest
  // non-empty priority — the incoming one itself if its priority is lower than everything queued.
  // `dropped` receives the message that was dropped, if any.
  Push push(Envelope&& envelope, std::optional<Envelope>& dropped);
  // Accepts whatever the fill level. For what the actor itself caused and must not lose: replies
  // and timeouts of its own requests (bounded by its outstanding requests) and health probes
  // (at most one queued).
  void push_unbounded(Envelope&& envelope);

  // Puts `envelope` at the front of its priority lane, whatever the fill level (trial rollback).
  void push_front_unbounded(Envelope&& envelope);

  // Highest priority first. REQUIRES: !empty().
  Envelope pop();

  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }
  std::size_t size(std::uint32_t priority) const {
    return priority < kLanes ? lanes_[priority].size() : 0;
  }
  const MailboxConfig& config() const { return config_; }

  // Removes everything (shutdown); returns how many messages were discarded.
  std::size_t clear();

 private:
  static constexpr std::size_t kLanes = ALYS_PRIORITY_CONSENSUS + 1;
  MailboxConfig config_;
  std::array<std::deque<Envelope>, kLanes> lanes_;
  std::size_t size_ = 0;
};

}  // namespace alys::host
