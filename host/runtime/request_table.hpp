// RequestTable — the requests in flight: who asked whom, under which correlation id, until when.
// A request is answered by a reply (take_reply) or, once its deadline passes unanswered, handed to
// the owner's timeout handler. Deadlines live in one DeadlineHeap served by one timer armed for the
// earliest, so a request costs no timer of its own and a reply no cancel.
//
// Threads: every member may be called from any thread (actors' workers, the admin server's thread,
// the timer thread); one mutex guards the table. The timeout handler runs on the timer thread (or
// inside the virtual clock's advance()) with no lock of the table held.
// Lock order: this table's mutex, then the timer service's.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "alys/abi.h"
#include "alys/status.hpp"
#include "host/runtime/deadline_heap.hpp"
#include "host/runtime/timer_service.hpp"

namespace alys::host {

struct RequestCounters {
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> replies{0};
  std::atomic<std::uint64_t> timeouts{0};
  std::atomic<std::uint64_t> late_replies{0};  // discarded: arrived after the deadline
};

// A request from outside the actor system (the admin server) is answered through a callback: the
// reply bytes, or a failure (ALYS_ERR_TIMEOUT, or the delivery error's code).
using ExternalWaiter = std::function<void(Result<std::vector<std::uint8_t>>)>;

class RequestTable {
 public:
  // An actor's request; the requester 0 stands for an external one (it has a waiter).
  struct Pending {
    alys_address requester = 0;
    alys_address target = 0;
    std::uint32_t priority = 0;
  };
  // A request settled: by its reply (take_reply) or by its deadline (the timeout handler). The
  // waiter is set for an external request only.
  struct Settled {
    Pending request;
    ExternalWaiter waiter;
  };
  using TimeoutHandler = std::function<void(std::uint64_t correlation_id, Settled settled)>;

  // `on_timeout` runs once for each request whose deadline passed before its reply.
  RequestTable(TimerService& timers, TimeoutHandler on_timeout);
  // REQUIRES: the timer service no longer fires (stopped) or outlives this table.
  ~RequestTable() = default;
  RequestTable(const RequestTable&) = delete;
  RequestTable& operator=(const RequestTable&) = delete;

  // A fresh correlation id: never 0, never handed out twice by this table.
  std::uint64_t next_correlation() {
    return next_correlation_.fetch_add(1, std::memory_order_relaxed);
  }

  // Records a request and its deadline, `timeout_ms` from now. Record it before delivering it:
  // the reply may come back before the delivery returns.
  void add(std::uint64_t correlation_id, Pending request, std::uint64_t timeout_ms);
  // The same for an external request; `waiter` is called exactly once when it settles (unless it
  // is withdrawn).
  void add_external(std::uint64_t correlation_id, Pending request, std::uint64_t timeout_ms,
                    ExternalWaiter waiter);
  // A request that could not be delivered: forgotten, its deadline passes silently and its waiter
  // (if any) is dropped uncalled.
  void withdraw(std::uint64_t correlation_id);

  // The reply of `replier` to `correlation_id`: the request it settles, ALYS_ERR_TIMEOUT when the
  // request is no longer pending (its deadline passed; counted as a late reply), ALYS_ERR_INVALID
  // when `replier` is not the addressee (the request stays pending). Counts the reply.
  Result<Settled> take_reply(std::uint64_t correlation_id, alys_address replier);

  RequestCounters& counters() { return counters_; }
  const RequestCounters& counters() const { return counters_; }
  // Requests still waiting for a reply or their deadline.
  std::size_t pending() const;

 private:
  void add_locked(std::uint64_t correlation_id, Pending request, std::uint64_t timeout_ms);
  void arm_deadline_timer_locked(std::uint64_t due_ms, std::uint64_t now_ms);
  // The deadline timer fired: settles what is due and arms the timer for the next deadline.
  void on_deadline_timer(std::uint64_t fired);
  // Removes a pending request with its waiter. REQUIRES mutex_ held and the request pending.
  Settled take_locked(std::unordered_map<std::uint64_t, Pending>::iterator found);

  TimerService& timers_;
  TimeoutHandler on_timeout_;
  RequestCounters counters_;
  std::atomic<std::uint64_t> next_correlation_{1};

  mutable std::mutex mutex_;
  std::unordered_map<std::uint64_t, Pending> pending_;
  std::unordered_map<std::uint64_t, ExternalWaiter> external_waiters_;
  // Deadlines of pending_ (and of answered requests, until they come due or are compacted away).
  DeadlineHeap deadlines_;
  std::uint64_t deadline_timer_ = 0;  // 0: none armed
  std::uint64_t deadline_timer_due_ms_ = 0;
};

}  // namespace alys::host
