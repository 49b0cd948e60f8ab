// Difficulty retargeting from chain-spec parameters: Bitcoin's CalculateNextWorkRequired with the
// interval, spacing, adjustment bound and pow limit as parameters. docs/auxpow.md works two
// examples through step by step.
#pragma once

#include <cstdint>

#include "alys/domain/uint256.hpp"

namespace alys {

struct RetargetParams {
  std::uint64_t interval_blocks = 0;   // blocks between retargets (Bitcoin: 2016)
  std::uint64_t target_spacing_s = 0;  // wanted seconds per block (Bitcoin: 600)
  std::uint32_t max_adjustment = 0;    // the factor one retarget may move the target by (4)
  U256 pow_limit;                      // the easiest target allowed
};

// The bits of the next period. timespan = interval_blocks * target_spacing_s; actual =
// last_time_s - first_time_s clamped to [timespan / max_adjustment, timespan * max_adjustment]
// (integer division); new target = old target * actual / timespan (exact, truncated), capped at
// pow_limit; returned as compact bits (encode_compact).
//
// REQUIRES: first_time_s is the time of the period's first block and last_time_s of its last
// (Bitcoin measures interval - 1 block intervals: its first block is the one interval - 1 blocks
// before the last). A new target that would not fit 256 bits is capped at pow_limit like any
// other (Core's arith_uint256 would wrap; with Bitcoin's parameters it never gets there).
// Throws std::invalid_argument for a zero interval, spacing, adjustment or pow limit, a timespan
// shorter than max_adjustment seconds (the lower clamp would be 0) or times max_adjustment past
// 2^63 - 1, or last_bits that decode negative or overflowing.
std::uint32_t next_bits(const RetargetParams& params, std::uint32_t last_bits,
                        std::int64_t first_time_s, std::int64_t last_time_s);

}  // namespace alys
