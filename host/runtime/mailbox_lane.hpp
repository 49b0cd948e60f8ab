// MailboxLane — one priority lane of a mailbox: a multi-producer, single-consumer FIFO.
//
// The common path is a lock-free ring of fixed size (Vyukov's bounded queue: a producer claims a
// slot with one compare-and-swap on the tail, the consumer owns the head). What does not fit the
// ring goes to an overflow list under a mutex; while that list is non-empty every push goes there
// too, and the consumer takes it only once the ring is empty, so the messages of one producer
// leave in the order it pushed them. A small front stack, consumer-owned, takes messages put back
// at the head (a hot-swap rollback).
//
// Threads: push() from any thread. try_pop(), push_front(), has_ready() and clear() from one
// consumer at a time; whoever hands the consumer role on makes the hand-off a happens-before
// edge (ActorCell does, through its scheduling flag or its mutex). size() from any thread
// (exact when nothing is in flight).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>

#include "host/runtime/envelope.hpp"

namespace alys::host {

class MailboxLane {
 public:
  // `ring_slots` is rounded up to a power of two. The ring's pages are mapped lazily: a slot costs
  // memory only once the ring has cycled through it.
  explicit MailboxLane(std::size_t ring_slots);
  ~MailboxLane();
  MailboxLane(const MailboxLane&) = delete;
  MailboxLane& operator=(const MailboxLane&) = delete;

  // Any thread. Never fails: a full ring spills to the overflow list. Ends with a seq_cst
  // barrier after the message became visible, so the caller's next seq_cst load (a look at the
  // consumer's flags) cannot be ordered before it.
  void push(Envelope&& envelope);

  // Consumer. Moves the oldest ready message into `out`; false if there is none. A message whose
  // producer claimed its ring slot but has not finished writing it is not ready yet (its producer
  // schedules the consumer once it has).
  bool try_pop(Envelope& out);
  // Consumer. Puts `envelope` ahead of everything queued.
  void push_front(Envelope&& envelope);
  // Consumer (a peek, safe from any thread): whether try_pop would find a message now.
  bool has_ready() const;
  // Consumer. Discards every ready message; returns how many.
  std::size_t clear();

  // Messages queued, including those still being written.
  std::size_t size() const;
  std::size_t ring_slots() const { return mask_ + 1; }

 private:
  struct Slot;
  bool try_push_ring(Envelope& envelope);
  bool try_pop_ring(Envelope& out);
  bool ring_head_ready() const;

  Slot* slots_ = nullptr;
  std::size_t mapped_bytes_ = 0;
  std::uint64_t mask_ = 0;
  unsigned shift_ = 0;  // log2(ring slots): ticket >> shift_ is the ticket's lap of the ring

  alignas(64) std::atomic<std::uint64_t> tail_{0};  // next ticket a producer claims

  alignas(64) std::atomic<std::uint64_t> head_{0};  // next ticket the consumer takes; its writes
  std::deque<Envelope> front_;                      // consumer only
  std::atomic<std::size_t> front_size_{0};          // front_.size(), readable from any thread

  alignas(64) std::atomic<bool> overflowing_{false};  // overflow_ is non-empty (set under mutex_)
  std::atomic<std::size_t> overflow_size_{0};
  mutable std::mutex overflow_mutex_;
  std::deque<Envelope> overflow_;
};

}  // namespace alys::host
