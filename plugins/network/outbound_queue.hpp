// The frames waiting to be written to one peer. Bounded by count and by bytes; when a frame does
// not fit, the oldest non-consensus frame goes first (a transaction or a status can be sent
// again, a proposal or an approval is what keeps the chain live), then, if only consensus frames
// are left, the oldest of those. Every frame dropped is counted.
//
// Not thread-safe: the connection guards it with its mutex (the actor pushes, the I/O side pops).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

#include "alys/codec.hpp"

namespace alys::network {

struct OutboundFrame {
  Bytes plaintext;  // one encoded message, sealed by the connection when it is written
  bool consensus = false;
};

class OutboundQueue {
 public:
  // REQUIRES max_frames >= 1.
  OutboundQueue(std::size_t max_frames, std::size_t max_bytes)
      : max_frames_(max_frames), max_bytes_(max_bytes) {}

  // Always queues `frame` (a frame larger than max_bytes alone still goes, as the only one).
  void push(OutboundFrame frame);
  bool empty() const { return frames_.empty(); }
  std::size_t size() const { return frames_.size(); }
  std::size_t bytes() const { return bytes_; }
  // REQUIRES !empty().
  OutboundFrame pop();
  // Every frame, oldest first, emptying the queue (a swap hands them to the next instance).
  std::vector<OutboundFrame> drain();

  std::uint64_t dropped() const { return dropped_; }
  std::uint64_t dropped_consensus() const { return dropped_consensus_; }

 private:
  void drop_one();

  std::size_t max_frames_;
  std::size_t max_bytes_;
  std::deque<OutboundFrame> frames_;
  std::size_t bytes_ = 0;
  std::uint64_t dropped_ = 0;
  std::uint64_t dropped_consensus_ = 0;
};

}  // namespace alys::network
