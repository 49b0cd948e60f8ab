#include "alys/domain/retarget.hpp"

#include <limits>
#include <stdexcept>

#include "alys/domain/compact.hpp"

namespace alys {

std::uint32_t next_bits(const RetargetParams& params, std::uint32_t last_bits,
                        std::int64_t first_time_s, std::int64_t last_time_s) {
  if (params.interval_blocks == 0 || params.target_spacing_s == 0 || params.max_adjustment == 0)
    throw std::invalid_argument("retarget interval, spacing and max adjustment must be positive");
  if (params.pow_limit.is_zero()) throw std::invalid_argument("retarget pow limit is zero");
  constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (params.interval_blocks > kMax / params.target_spacing_s ||
      params.interval_blocks * params.target_spacing_s > kMax / params.max_adjustment)
    throw std::invalid_argument("retarget timespan times max adjustment exceeds 2^63 - 1");
  // A shorter timespan would let one retarget clamp the target to zero.
  if (params.interval_blocks * params.target_spacing_s < params.max_adjustment)
    throw std::invalid_argument("retarget timespan is shorter than max adjustment seconds");
  CompactTarget last = decode_compact(last_bits);
  if (last.negative || last.overflow)
    throw std::invalid_argument("last bits decode to a negative or overflowing target");

  const std::int64_t timespan =
      static_cast<std::int64_t>(params.interval_blocks * params.target_spacing_s);
  const std::int64_t shortest = timespan / params.max_adjustment;
  const std::int64_t longest = timespan * params.max_adjustment;
  std::int64_t actual = 0;
  if (__builtin_sub_overflow(last_time_s, first_time_s, &actual))
    actual = last_time_s > first_time_s ? longest : shortest;
  if (actual < shortest) actual = shortest;
  if (actual > longest) actual = longest;

  // old * actual / timespan without wrapping: with old = q * timespan + r,
  // floor(old * actual / timespan) = q * actual + floor(r * actual / timespan), r < timespan.
  const auto span = static_cast<std::uint64_t>(timespan);
  const auto factor = static_cast<std::uint64_t>(actual);
  U256 quotient = last.target / span;
  U256 remainder = last.target - quotient * span;
  U256 high = quotient * factor;
  bool overflow = factor != 0 && high / factor != quotient;
  U256 next = high + (remainder * factor) / span;
  if (next < high) overflow = true;
  if (overflow || next > params.pow_limit) next = params.pow_limit;
  return encode_compact(next);
}

}  // namespace alys
