// When to dial a peer again after a failed dial or a lost connection: exponential from `min_ms`
// to `max_ms`, each delay drawn uniformly from [delay/2, delay] so that nodes restarted together
// do not dial each other in lock step. Not thread-safe.
#pragma once

#include <algorithm>
#include <cstdint>
#include <random>

namespace alys::network {

class DialBackoff {
 public:
  DialBackoff(std::uint64_t min_ms, std::uint64_t max_ms, std::uint64_t seed)
      : min_ms_(min_ms), max_ms_(std::max(min_ms, max_ms)), next_ms_(min_ms), random_(seed) {}

  // The delay before the next attempt; each call doubles the one after it, up to max_ms.
  std::uint64_t next_delay() {
    const std::uint64_t ceiling = next_ms_;
    next_ms_ = std::min(max_ms_, next_ms_ * 2);
    std::uniform_int_distribution<std::uint64_t> spread(ceiling / 2, ceiling);
    return std::max<std::uint64_t>(1, spread(random_));
  }
  // A connection that completed its handshake: the next loss starts from min_ms again.
  void reset() { next_ms_ = min_ms_; }

 private:
  std::uint64_t min_ms_;
  std::uint64_t max_ms_;
  std::uint64_t next_ms_;
  std::mt19937_64 random_;
};

}  // namespace alys::network
