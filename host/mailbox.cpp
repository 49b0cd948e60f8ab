#include "host/mailbox.hpp"

#include <algorithm>

namespace alys::host {

Mailbox::Push Mailbox::push(Envelope&& envelope, std::optional<Envelope>& dropped) {
  envelope.priority = std::min<std::uint32_t>(envelope.priority, ALYS_PRIORITY_CONSENSUS);
  if (size_ < config_.capacity) {
    lanes_[envelope.priority].push_back(std::move(envelope));
    ++size_;
    return Push::accepted;
  }
  if (config_.overflow == OverflowPolicy::reject) return Push::rejected;

  for (std::uint32_t lane = 0; lane < kLanes; ++lane) {
    if (lane == envelope.priority || !lanes_[lane].empty()) {
      if (lanes_[lane].empty() || lane > envelope.priority) break;
      dropped.emplace(std::move(lanes_[lane].front()));
      lanes_[lane].pop_front();
      lanes_[envelope.priority].push_back(std::move(envelope));
      return Push::accepted_dropped_oldest;
    }
  }
  dropped.emplace(std::move(envelope));
  return Push::dropped_incoming;
}

void Mailbox::push_unbounded(Envelope&& envelope) {
  envelope.priority = std::min<std::uint32_t>(envelope.priority, ALYS_PRIORITY_CONSENSUS);
  lanes_[envelope.priority].push_back(std::move(envelope));
  ++size_;
}

void Mailbox::push_front_unbounded(Envelope&& envelope) {
  envelope.priority = std::min<std::uint32_t>(envelope.priority, ALYS_PRIORITY_CONSENSUS);
  lanes_[envelope.priority].push_front(std::move(envelope));
  ++size_;
}

Envelope Mailbox::pop() {
  for (std::size_t lane = kLanes; lane-- > 0;) {
    if (!lanes_[lane].empty()) {
      Envelope envelope = std::move(lanes_[lane].front());
      lanes_[lane].pop_front();
      --size_;
      return envelope;
    }
  }
  return {};
}

std::size_t Mailbox::clear() {
  std::size_t discarded = size_;
  for (auto& lane : lanes_) lane.clear();
  size_ = 0;
  return discarded;
}

}  // namespace alys::host
