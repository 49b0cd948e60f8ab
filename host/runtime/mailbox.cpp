#include "host/runtime/mailbox.hpp"

#include <algorithm>

namespace alys::host {
namespace {

// A lane's ring covers the whole capacity up to this many slots (about 1.8 MB of address space,
// backed only as it is used); beyond, a backlog spills to the lane's locked overflow list.
constexpr std::size_t kMaxRingSlots = 16384;
// Room for unbounded messages (replies, timeouts) even in a tiny mailbox.
constexpr std::size_t kMinRingSlots = 64;

std::uint32_t clamped(std::uint32_t priority) {
  return std::min<std::uint32_t>(priority, ALYS_PRIORITY_CONSENSUS);
}

}  // namespace

Mailbox::Mailbox(MailboxConfig config) : config_(config) {
  std::size_t ring = std::clamp(config_.capacity, kMinRingSlots, kMaxRingSlots);
  for (auto& lane : lanes_) lane = std::make_unique<MailboxLane>(ring);
}

std::unique_lock<std::mutex> Mailbox::consumer_lock() const {
  if (config_.overflow != OverflowPolicy::drop_oldest) return {};
  return std::unique_lock(consumer_mutex_);
}

bool Mailbox::try_reserve() {
  // A compare-and-swap, not add-then-undo: the count never shows more than the capacity (the
  // depth metric reads it), and a full mailbox is refused without writing its cache line.
  std::size_t queued = queued_.load(std::memory_order_relaxed);
  do {
    if (queued >= config_.capacity) return false;
  } while (!queued_.compare_exchange_weak(queued, queued + 1, std::memory_order_acq_rel,
                                          std::memory_order_relaxed));
  return true;
}

Mailbox::Push Mailbox::push(Envelope&& envelope, std::optional<Envelope>& dropped) {
  envelope.priority = clamped(envelope.priority);
  if (try_reserve()) {
    lanes_[envelope.priority]->push(std::move(envelope));
    return Push::accepted;
  }
  if (config_.overflow == OverflowPolicy::reject) return Push::rejected;
  return drop_for(std::move(envelope), dropped);
}

Mailbox::Push Mailbox::drop_for(Envelope&& envelope, std::optional<Envelope>& dropped) {
  std::lock_guard lock(consumer_mutex_);
  if (try_reserve()) {  // the consumer made room meanwhile
    lanes_[envelope.priority]->push(std::move(envelope));
    return Push::accepted;
  }
  // The oldest message of the lowest non-empty lane at or below the incoming priority makes way;
  // its reservation passes to the incoming message.
  for (std::uint32_t lane = 0; lane <= envelope.priority; ++lane) {
    Envelope oldest;
    if (!lanes_[lane]->try_pop(oldest)) continue;
    dropped.emplace(std::move(oldest));
    lanes_[envelope.priority]->push(std::move(envelope));
    return Push::accepted_dropped_oldest;
  }
  dropped.emplace(std::move(envelope));
  return Push::dropped_incoming;
}

void Mailbox::push_unbounded(Envelope&& envelope) {
  envelope.priority = clamped(envelope.priority);
  queued_.fetch_add(1, std::memory_order_acq_rel);
  lanes_[envelope.priority]->push(std::move(envelope));
}

void Mailbox::push_front_unbounded(Envelope&& envelope) {
  envelope.priority = clamped(envelope.priority);
  auto lock = consumer_lock();
  queued_.fetch_add(1, std::memory_order_acq_rel);
  lanes_[envelope.priority]->push_front(std::move(envelope));
}

bool Mailbox::try_pop_lanes(Envelope& out) {
  for (std::size_t lane = kLanes; lane-- > 0;)
    if (lanes_[lane]->try_pop(out)) return true;
  return false;
}

bool Mailbox::try_pop_locked(Envelope& out) {
  if (!try_pop_lanes(out)) return false;
  queued_.fetch_sub(1, std::memory_order_acq_rel);
  return true;
}

bool Mailbox::try_pop_deferred(Envelope& out) {
  auto lock = consumer_lock();
  if (!try_pop_lanes(out)) return false;
  ++deferred_;
  return true;
}

void Mailbox::release_deferred() {
  if (deferred_ == 0) return;
  queued_.fetch_sub(deferred_, std::memory_order_acq_rel);
  deferred_ = 0;
}

bool Mailbox::try_pop(Envelope& out) {
  auto lock = consumer_lock();
  return try_pop_locked(out);
}

Envelope Mailbox::pop() {
  Envelope out;
  try_pop(out);
  return out;
}

bool Mailbox::has_ready() const {
  return std::any_of(lanes_.begin(), lanes_.end(),
                     [](const auto& lane) { return lane->has_ready(); });
}

std::size_t Mailbox::clear() {
  auto lock = consumer_lock();
  std::size_t discarded = 0;
  for (Envelope out; try_pop_locked(out);) ++discarded;
  return discarded;
}

}  // namespace alys::host
