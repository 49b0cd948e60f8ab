// A bounded mailbox with four priority lanes, safe for many senders and one consumer.
//
// Ordering: messages of one priority from one sender leave in the order they were pushed; a higher
// priority always leaves first, so a consensus message never waits behind a background backlog.
//
// Bound: a reservation counter holds the number of queued messages; a bounded push reserves one
// unit before it touches a lane and fails (or, under `drop-oldest`, makes room) when none is left.
// Sending takes no lock, except on a full `drop-oldest` mailbox: dropping the oldest message is a
// consumer's act, so there every consumer operation and every drop hold consumer_mutex_.
//
// Threads: push() and push_unbounded() from any thread; pop(), try_pop(), push_front_unbounded(),
// has_ready() and clear() from one consumer at a time (see MailboxLane). size() from any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>

#include "host/config/config.hpp"
#include "host/runtime/envelope.hpp"
#include "host/runtime/mailbox_lane.hpp"

namespace alys::host {

class Mailbox {
 public:
  explicit Mailbox(MailboxConfig config);

  enum class Push { accepted, rejected, accepted_dropped_oldest, dropped_incoming };

  // Any thread. An accepted push ends with a seq_cst barrier (see MailboxLane::push).
  // When full: `reject` refuses the message; `drop-oldest` drops the oldest message of the lowest
  // non-empty priority — the incoming one itself if its priority is lower than everything queued.
  // `dropped` receives the message that was dropped, if any.
  Push push(Envelope&& envelope, std::optional<Envelope>& dropped);
  // Accepts whatever the fill level. For what the actor itself caused and must not lose: replies
  // and timeouts of its own requests (bounded by its outstanding requests) and health probes
  // (at most one queued).
  void push_unbounded(Envelope&& envelope);

  // Consumer. Puts `envelope` at the front of its priority lane, whatever the fill level (trial
  // rollback).
  void push_front_unbounded(Envelope&& envelope);

  // Consumer. The highest-priority ready message; false if none is ready (a message still being
  // written by its sender is not).
  bool try_pop(Envelope& out);
  // Consumer. As try_pop, but the message keeps its unit of the bound until release_deferred():
  // the reservation counter is shared with every sender, and writing it once per batch instead
  // of once per message keeps its cache line from bouncing between sender and consumer.
  bool try_pop_deferred(Envelope& out);
  void release_deferred();
  // Consumer, single-threaded use: highest priority first. REQUIRES: !empty() and no push in
  // flight.
  Envelope pop();
  // Whether try_pop would find a message now.
  bool has_ready() const;

  bool empty() const { return size() == 0; }
  // Messages queued, including those still being written by their senders.
  std::size_t size() const { return queued_.load(std::memory_order_acquire); }
  std::size_t size(std::uint32_t priority) const {
    return priority < kLanes ? lanes_[priority]->size() : 0;
  }
  const MailboxConfig& config() const { return config_; }

  // Consumer. Removes everything ready (shutdown); returns how many messages were discarded.
  std::size_t clear();

 private:
  static constexpr std::size_t kLanes = ALYS_PRIORITY_CONSENSUS + 1;
  bool try_reserve();
  bool try_pop_lanes(Envelope& out);
  bool try_pop_locked(Envelope& out);
  Push drop_for(Envelope&& envelope, std::optional<Envelope>& dropped);
  std::unique_lock<std::mutex> consumer_lock() const;

  MailboxConfig config_;
  std::array<std::unique_ptr<MailboxLane>, kLanes> lanes_;
  std::size_t deferred_ = 0;  // consumer only: popped, reservation not yet released
  // Written by every sender: a cache line of its own.
  alignas(64) std::atomic<std::size_t> queued_{0};
  alignas(64) mutable std::mutex consumer_mutex_;  // drop-oldest only
};

}  // namespace alys::host
