// Messages of the runtime benchmarks (tests/bench). A u64 payload, as in the CAF baseline.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "alys/codec.hpp"

namespace alys::bench {

inline constexpr std::string_view kDoneTopic = "bench.done";

struct Value {
  static constexpr std::string_view schema_name = "alys.bench.Value/1";
  std::uint64_t value = 0;
  ALYS_FIELDS(value)
};

// Starts a run: `count` messages (or round trips) to `target`.
struct Go {
  static constexpr std::string_view schema_name = "alys.bench.Go/1";
  std::uint64_t count = 0;
  std::string target;
  ALYS_FIELDS(count, target)
};

// Makes bench_pong fail (restart benchmark).
struct Crash {
  static constexpr std::string_view schema_name = "alys.bench.Crash/1";
  ALYS_FIELDS()
};

// Published on kDoneTopic when a run ends.
struct Done {
  static constexpr std::string_view schema_name = "alys.bench.Done/1";
  std::string who;
  std::uint64_t count = 0;
  std::uint64_t p50_ns = 0;  // ping: round-trip latency percentiles
  std::uint64_t p99_ns = 0;
  std::uint64_t full_retries = 0;  // source: sends refused by a full mailbox
  ALYS_FIELDS(who, count, p50_ns, p99_ns, full_retries)
};

}  // namespace alys::bench
