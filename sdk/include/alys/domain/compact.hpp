// Bitcoin's "compact" target encoding (a header's nBits), exactly as arith_uint256::SetCompact and
// GetCompact: the top byte is a size in bytes, bit 23 a sign, the low 23 bits the mantissa;
// target = mantissa * 256^(size - 3).
#pragma once

#include <cstdint>

#include "alys/domain/hash.hpp"
#include "alys/domain/uint256.hpp"

namespace alys {

struct CompactTarget {
  U256 target;
  bool negative = false;  // the sign bit was set on a non-zero mantissa
  bool overflow = false;  // the value does not fit 256 bits; `target` is then meaningless
};

CompactTarget decode_compact(std::uint32_t bits);
// The shortest encoding of `target`, never with the sign bit (GetCompact(0x80) == 0x02008000).
std::uint32_t encode_compact(const U256& target);
// GetCompact(fNegative): sets the sign bit when `negative` and the mantissa is not zero. Only the
// compact test vectors' round trips need the sign; a proof-of-work target is never negative.
std::uint32_t encode_compact(const U256& target, bool negative);

// True when `bits` decode to a usable target (not negative, no overflow, not zero) and the hash,
// read as a little-endian number, is at most that target (Bitcoin's CheckProofOfWork without the
// pow-limit check).
bool hash_meets_bits(const Hash32& hash_internal_order, std::uint32_t bits);

}  // namespace alys
