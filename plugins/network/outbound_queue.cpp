#include "outbound_queue.hpp"

#include <algorithm>
#include <utility>

namespace alys::network {

void OutboundQueue::push(OutboundFrame frame) {
  while (!frames_.empty() &&
         (frames_.size() >= max_frames_ || bytes_ + frame.plaintext.size() > max_bytes_))
    drop_one();
  bytes_ += frame.plaintext.size();
  frames_.push_back(std::move(frame));
}

void OutboundQueue::drop_one() {
  auto victim = std::find_if(frames_.begin(), frames_.end(),
                             [](const OutboundFrame& frame) { return !frame.consensus; });
  if (victim == frames_.end()) {
    victim = frames_.begin();
    ++dropped_consensus_;
  }
  bytes_ -= victim->plaintext.size();
  frames_.erase(victim);
  ++dropped_;
}

OutboundFrame OutboundQueue::pop() {
  OutboundFrame frame = std::move(frames_.front());
  frames_.pop_front();
  bytes_ -= frame.plaintext.size();
  return frame;
}

std::vector<OutboundFrame> OutboundQueue::drain() {
  std::vector<OutboundFrame> out(std::make_move_iterator(frames_.begin()),
                                 std::make_move_iterator(frames_.end()));
  frames_.clear();
  bytes_ = 0;
  return out;
}

}  // namespace alys::network
