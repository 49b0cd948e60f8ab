// A token bucket: `rate` tokens per second, holding at most one second's worth. Used per peer
// for messages and for bytes (docs/network.md, "Rate limits"). Not thread-safe: one connection's
// I/O strand owns it.
#pragma once

#include <algorithm>
#include <cstdint>

namespace alys::network {

class TokenBucket {
 public:
  // REQUIRES rate >= 1. Starts full.
  TokenBucket(std::uint64_t rate, std::uint64_t now_ms)
      : rate_(rate), tokens_(static_cast<double>(rate)), last_ms_(now_ms) {}

  // Takes `amount` tokens; false (taking nothing) when the bucket holds fewer.
  bool take(std::uint64_t amount, std::uint64_t now_ms) {
    if (now_ms > last_ms_) {
      tokens_ = std::min<double>(
          static_cast<double>(rate_),
          tokens_ + static_cast<double>(now_ms - last_ms_) * static_cast<double>(rate_) / 1000.0);
      last_ms_ = now_ms;
    }
    if (tokens_ < static_cast<double>(amount)) return false;
    tokens_ -= static_cast<double>(amount);
    return true;
  }

 private:
  std::uint64_t rate_;
  double tokens_;
  std::uint64_t last_ms_;
};

}  // namespace alys::network
