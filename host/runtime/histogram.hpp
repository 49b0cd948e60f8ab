// Histograms for the host's own latency metrics, written on hot paths (every handled message):
// fixed bucket bounds, lock-free counters.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <vector>

namespace alys::host {

// A histogram at one moment, as the exposition needs it.
struct HistogramSnapshot {
  std::vector<double> bounds;         // upper bounds, ascending; +Inf is implicit
  std::vector<std::uint64_t> counts;  // per bucket (not cumulative); size bounds.size() + 1
  std::uint64_t count = 0;
  double sum = 0;  // in the unit of the bounds
};

// Seconds, from 1 µs to 1 s: message handling and swap pauses both live in that range.
inline constexpr std::array<double, 16> kLatencyBoundsSeconds{
    1e-6, 5e-6,   1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4,
    1e-3, 2.5e-3, 5e-3, 1e-2,   5e-2, 1e-1, 5e-1,   1};

class LatencyHistogram {
 public:
  // Thread-safe, wait-free.
  void observe_ns(std::uint64_t nanoseconds) {
    double seconds = static_cast<double>(nanoseconds) * 1e-9;
    std::size_t bucket = 0;
    while (bucket < kLatencyBoundsSeconds.size() && seconds > kLatencyBoundsSeconds[bucket])
      ++bucket;
    counts_[bucket].fetch_add(1, std::memory_order_relaxed);
    sum_ns_.fetch_add(nanoseconds, std::memory_order_relaxed);
  }

  HistogramSnapshot snapshot() const {
    HistogramSnapshot out;
    out.bounds.assign(kLatencyBoundsSeconds.begin(), kLatencyBoundsSeconds.end());
    for (const auto& count : counts_) {
      out.counts.push_back(count.load(std::memory_order_relaxed));
      out.count += out.counts.back();
    }
    out.sum = static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) * 1e-9;
    return out;
  }

 private:
  std::array<std::atomic<std::uint64_t>, kLatencyBoundsSeconds.size() + 1> counts_{};
  std::atomic<std::uint64_t> sum_ns_{0};
};

}  // namespace alys::host
