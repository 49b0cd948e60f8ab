#include "alys/domain/uint256.hpp"

#include <stdexcept>

namespace alys {

U256::U256(std::uint64_t value) {
  limbs_[0] = static_cast<std::uint32_t>(value);
  limbs_[1] = static_cast<std::uint32_t>(value >> 32);
}

U256 U256::from_le(const Hash32& bytes) {
  U256 out;
  for (int i = 0; i < kLimbs; ++i)
    for (int b = 3; b >= 0; --b) out.limbs_[i] = out.limbs_[i] << 8 | bytes[i * 4 + b];
  return out;
}

U256 U256::from_be_hex(std::string_view hex64) {
  if (hex64.size() != 64)
    throw std::invalid_argument("a 256-bit number needs 64 hex digits, got " +
                                std::to_string(hex64.size()));
  auto bytes = fixed_from_hex<32>(hex64);
  if (!bytes) throw std::invalid_argument("not a 256-bit hex number: '" + std::string(hex64) + "'");
  return from_le(reversed(*bytes));
}

Hash32 U256::to_le() const {
  Hash32 out{};
  for (int i = 0; i < kLimbs; ++i)
    for (int b = 0; b < 4; ++b) out[i * 4 + b] = static_cast<std::uint8_t>(limbs_[i] >> (8 * b));
  return out;
}

std::string U256::to_be_hex() const { return to_hex(reversed(to_le())); }

unsigned U256::bits() const {
  for (int i = kLimbs - 1; i >= 0; --i) {
    if (limbs_[i] == 0) continue;
    unsigned width = 0;
    for (std::uint32_t v = limbs_[i]; v != 0; v >>= 1) ++width;
    return static_cast<unsigned>(i) * 32 + width;
  }
  return 0;
}

bool U256::is_zero() const {
  for (std::uint32_t limb : limbs_)
    if (limb != 0) return false;
  return true;
}

std::uint64_t U256::low64() const {
  return static_cast<std::uint64_t>(limbs_[1]) << 32 | limbs_[0];
}

U256& U256::operator+=(const U256& other) {
  std::uint64_t carry = 0;
  for (int i = 0; i < kLimbs; ++i) {
    std::uint64_t sum = carry + limbs_[i] + other.limbs_[i];
    limbs_[i] = static_cast<std::uint32_t>(sum);
    carry = sum >> 32;
  }
  return *this;
}

U256& U256::operator-=(const U256& other) {
  std::uint64_t borrow = 0;
  for (int i = 0; i < kLimbs; ++i) {
    std::uint64_t subtrahend = static_cast<std::uint64_t>(other.limbs_[i]) + borrow;
    borrow = limbs_[i] < subtrahend ? 1 : 0;
    limbs_[i] =
        static_cast<std::uint32_t>((std::uint64_t{1} << 32) * borrow + limbs_[i] - subtrahend);
  }
  return *this;
}

U256& U256::operator*=(std::uint64_t factor) { return *this *= U256(factor); }

U256& U256::operator*=(const U256& factor) {
  U256 product;
  for (int j = 0; j < kLimbs; ++j) {
    std::uint64_t carry = 0;
    for (int i = 0; i + j < kLimbs; ++i) {
      std::uint64_t n =
          carry + product.limbs_[i + j] + static_cast<std::uint64_t>(limbs_[j]) * factor.limbs_[i];
      product.limbs_[i + j] = static_cast<std::uint32_t>(n);
      carry = n >> 32;
    }
  }
  *this = product;
  return *this;
}

U256& U256::operator/=(std::uint64_t divisor) { return *this /= U256(divisor); }

// Shift-and-subtract long division, as arith_uint256 does it.
U256& U256::operator/=(const U256& divisor) {
  if (divisor.is_zero()) throw std::domain_error("U256 division by zero");
  unsigned numerator_bits = bits();
  unsigned divisor_bits = divisor.bits();
  U256 quotient;
  if (divisor_bits > numerator_bits) {
    *this = quotient;
    return *this;
  }
  U256 remainder = *this;
  U256 shifted = divisor << (numerator_bits - divisor_bits);
  for (int shift = static_cast<int>(numerator_bits - divisor_bits); shift >= 0; --shift) {
    if (remainder >= shifted) {
      remainder -= shifted;
      quotient.limbs_[shift / 32] |= 1u << (shift % 32);
    }
    shifted >>= 1;
  }
  *this = quotient;
  return *this;
}

U256& U256::operator<<=(unsigned shift) {
  U256 out;
  if (shift < 256) {
    unsigned limb_shift = shift / 32, bit_shift = shift % 32;
    for (int i = kLimbs - 1; i >= static_cast<int>(limb_shift); --i) {
      std::uint64_t wide = static_cast<std::uint64_t>(limbs_[i - limb_shift]) << bit_shift;
      out.limbs_[i] |= static_cast<std::uint32_t>(wide);
      if (i + 1 < kLimbs) out.limbs_[i + 1] |= static_cast<std::uint32_t>(wide >> 32);
    }
  }
  *this = out;
  return *this;
}

U256& U256::operator>>=(unsigned shift) {
  U256 out;
  if (shift < 256) {
    unsigned limb_shift = shift / 32, bit_shift = shift % 32;
    for (int i = static_cast<int>(limb_shift); i < kLimbs; ++i) {
      std::uint64_t wide = (static_cast<std::uint64_t>(limbs_[i]) << 32) >> bit_shift;
      out.limbs_[i - limb_shift] |= static_cast<std::uint32_t>(wide >> 32);
      if (i - static_cast<int>(limb_shift) > 0)
        out.limbs_[i - limb_shift - 1] |= static_cast<std::uint32_t>(wide);
    }
  }
  *this = out;
  return *this;
}

std::strong_ordering operator<=>(const U256& a, const U256& b) {
  for (int i = U256::kLimbs - 1; i >= 0; --i)
    if (a.limbs_[i] != b.limbs_[i]) return a.limbs_[i] <=> b.limbs_[i];
  return std::strong_ordering::equal;
}

}  // namespace alys
