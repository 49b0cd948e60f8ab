#include "host/runtime/mailbox_lane.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <bit>
#include <new>
#include <utility>

namespace alys::host {

// A slot's turn says whose it is. For the ticket t = lap * slots + index it is 2 * lap while the
// slot is free for t, and 2 * lap + 1 once t is written and not yet taken. A zero-filled page is
// thus a run of slots free for lap 0, so the ring needs no initialising pass over its memory.
// Slot is an aggregate of plain bytes, so the zeroed pages hold valid slots without construction;
// the turn is accessed through std::atomic_ref.
struct alignas(64) MailboxLane::Slot {
  alignas(std::atomic_ref<std::uint64_t>::required_alignment) std::uint64_t turn_word;
  alignas(Envelope) unsigned char storage[sizeof(Envelope)];

  std::atomic_ref<std::uint64_t> turn() { return std::atomic_ref<std::uint64_t>(turn_word); }
  Envelope* envelope() { return std::launder(reinterpret_cast<Envelope*>(storage)); }
};

MailboxLane::MailboxLane(std::size_t ring_slots) {
  std::size_t slots = std::bit_ceil(std::max<std::size_t>(ring_slots, 2));
  mask_ = slots - 1;
  shift_ = static_cast<unsigned>(std::countr_zero(slots));
  mapped_bytes_ = slots * sizeof(Slot);
  void* pages =
      mmap(nullptr, mapped_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (pages == MAP_FAILED) throw std::bad_alloc();
  // Anonymous pages read as zero: every turn starts at 0.
  slots_ = static_cast<Slot*>(pages);
}

MailboxLane::~MailboxLane() {
  std::uint64_t head = head_.load(std::memory_order_relaxed);
  std::uint64_t tail = tail_.load(std::memory_order_relaxed);
  for (std::uint64_t ticket = head; ticket < tail; ++ticket) {
    Slot& slot = slots_[ticket & mask_];
    if (slot.turn().load(std::memory_order_acquire) == 2 * (ticket >> shift_) + 1)
      slot.envelope()->~Envelope();
  }
  munmap(slots_, mapped_bytes_);
}

bool MailboxLane::try_push_ring(Envelope& envelope) {
  std::uint64_t ticket = tail_.load(std::memory_order_relaxed);
  for (;;) {
    Slot& slot = slots_[ticket & mask_];
    std::uint64_t free_turn = 2 * (ticket >> shift_);
    std::uint64_t turn = slot.turn().load(std::memory_order_acquire);
    if (turn == free_turn) {
      if (tail_.compare_exchange_weak(ticket, ticket + 1, std::memory_order_relaxed)) {
        new (slot.storage) Envelope(std::move(envelope));
        // A seq_cst read-modify-write, not a release store: it is also the full barrier push()
        // promises, at no extra cost on x86 (one locked instruction either way).
        slot.turn().exchange(free_turn + 1, std::memory_order_seq_cst);
        return true;
      }
    } else if (turn < free_turn) {
      return false;  // the previous lap's message is still there: the ring is full
    } else {
      ticket = tail_.load(std::memory_order_relaxed);  // another producer took this ticket
    }
  }
}

void MailboxLane::push(Envelope&& envelope) {
  if (!overflowing_.load(std::memory_order_acquire) && try_push_ring(envelope)) return;
  {
    std::lock_guard lock(overflow_mutex_);
    // Once one message spilled, the ones after it follow it into the list until the consumer
    // has emptied the list: a producer's later message never overtakes its earlier one.
    if (!overflowing_.load(std::memory_order_relaxed) && try_push_ring(envelope)) return;
    overflow_.push_back(std::move(envelope));
    overflow_size_.store(overflow_.size(), std::memory_order_release);
    overflowing_.store(true, std::memory_order_release);
  }
  std::atomic_thread_fence(std::memory_order_seq_cst);  // the barrier push() promises
}

bool MailboxLane::ring_head_ready() const {
  std::uint64_t head = head_.load(std::memory_order_relaxed);
  return slots_[head & mask_].turn().load(std::memory_order_acquire) == 2 * (head >> shift_) + 1;
}

bool MailboxLane::try_pop_ring(Envelope& out) {
  std::uint64_t head = head_.load(std::memory_order_relaxed);
  Slot& slot = slots_[head & mask_];
  std::uint64_t full_turn = 2 * (head >> shift_) + 1;
  if (slot.turn().load(std::memory_order_acquire) != full_turn) return false;
  Envelope* envelope = slot.envelope();
  out = std::move(*envelope);
  envelope->~Envelope();
  slot.turn().store(full_turn + 1, std::memory_order_release);  // free for the next lap
  head_.store(head + 1, std::memory_order_relaxed);
  return true;
}

bool MailboxLane::try_pop(Envelope& out) {
  if (!front_.empty()) {
    out = std::move(front_.front());
    front_.pop_front();
    front_size_.store(front_.size(), std::memory_order_relaxed);
    return true;
  }
  if (try_pop_ring(out)) return true;
  if (overflow_size_.load(std::memory_order_acquire) == 0) return false;
  // The list holds messages pushed after everything in the ring: it waits until the ring is
  // empty, including slots claimed but still being written.
  if (tail_.load(std::memory_order_acquire) != head_.load(std::memory_order_relaxed)) return false;
  std::lock_guard lock(overflow_mutex_);
  if (overflow_.empty()) return false;
  out = std::move(overflow_.front());
  overflow_.pop_front();
  overflow_size_.store(overflow_.size(), std::memory_order_release);
  if (overflow_.empty()) overflowing_.store(false, std::memory_order_release);
  return true;
}

void MailboxLane::push_front(Envelope&& envelope) {
  front_.push_front(std::move(envelope));
  front_size_.store(front_.size(), std::memory_order_relaxed);
}

bool MailboxLane::has_ready() const {
  if (front_size_.load(std::memory_order_relaxed) > 0 || ring_head_ready()) return true;
  return overflow_size_.load(std::memory_order_acquire) > 0 &&
         tail_.load(std::memory_order_acquire) == head_.load(std::memory_order_relaxed);
}

std::size_t MailboxLane::clear() {
  std::size_t discarded = 0;
  Envelope envelope;
  while (try_pop(envelope)) ++discarded;
  return discarded;
}

std::size_t MailboxLane::size() const {
  std::uint64_t head = head_.load(std::memory_order_relaxed);
  std::uint64_t tail = tail_.load(std::memory_order_relaxed);
  return front_size_.load(std::memory_order_relaxed) +
         overflow_size_.load(std::memory_order_relaxed) +
         static_cast<std::size_t>(tail > head ? tail - head : 0);
}

}  // namespace alys::host
