#include "alys/domain/compact.hpp"

namespace alys {

CompactTarget decode_compact(std::uint32_t bits) {
  unsigned size = bits >> 24;
  std::uint32_t mantissa = bits & 0x007fffff;
  CompactTarget out;
  if (size <= 3) {
    // As Core, the flags below look at the mantissa after this shift.
    mantissa >>= 8 * (3 - size);
    out.target = U256(mantissa);
  } else {
    out.target = U256(mantissa) << 8 * (size - 3);
  }
  out.negative = mantissa != 0 && (bits & 0x00800000) != 0;
  out.overflow = mantissa != 0 &&
                 (size > 34 || (mantissa > 0xff && size > 33) || (mantissa > 0xffff && size > 32));
  return out;
}

std::uint32_t encode_compact(const U256& target) { return encode_compact(target, false); }

std::uint32_t encode_compact(const U256& target, bool negative) {
  unsigned size = (target.bits() + 7) / 8;
  std::uint32_t compact = 0;
  if (size <= 3)
    compact = static_cast<std::uint32_t>(target.low64() << 8 * (3 - size));
  else
    compact = static_cast<std::uint32_t>((target >> 8 * (size - 3)).low64());
  // The mantissa is signed: a set top bit would read as negative, so move to the next size.
  if (compact & 0x00800000) {
    compact >>= 8;
    ++size;
  }
  compact |= size << 24;
  if (negative && (compact & 0x007fffff) != 0) compact |= 0x00800000;
  return compact;
}

bool hash_meets_bits(const Hash32& hash_internal_order, std::uint32_t bits) {
  CompactTarget decoded = decode_compact(bits);
  if (decoded.negative || decoded.overflow || decoded.target.is_zero()) return false;
  return U256::from_le(hash_internal_order) <= decoded.target;
}

}  // namespace alys
