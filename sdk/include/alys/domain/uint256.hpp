// 256-bit unsigned integers for proof-of-work targets and difficulty retargeting, with the
// semantics of Bitcoin Core's arith_uint256: arithmetic wraps modulo 2^256, shifts of 256 bits or
// more give zero, and a hash compares as the little-endian number of its bytes.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "alys/domain/hash.hpp"

namespace alys {

class U256 {
 public:
  U256() = default;
  explicit U256(std::uint64_t value);

  // The number whose little-endian bytes are `bytes`: how Bitcoin compares a hash (in its internal
  // byte order, as SHA256d output it) with a target.
  static U256 from_le(const Hash32& bytes);
  // Exactly 64 hex digits (either case, no prefix), most significant first; throws
  // std::invalid_argument otherwise.
  static U256 from_be_hex(std::string_view hex64);

  Hash32 to_le() const;
  std::string to_be_hex() const;  // 64 lowercase hex digits

  // The position of the highest set bit + 1; 0 for zero.
  unsigned bits() const;
  bool is_zero() const;
  // The low 64 bits.
  std::uint64_t low64() const;

  // All wrap modulo 2^256 like arith_uint256.
  U256& operator+=(const U256& other);
  U256& operator-=(const U256& other);
  U256& operator*=(std::uint64_t factor);
  U256& operator*=(const U256& factor);
  // Truncating division; throws std::domain_error on division by zero.
  U256& operator/=(std::uint64_t divisor);
  U256& operator/=(const U256& divisor);
  U256& operator<<=(unsigned shift);
  U256& operator>>=(unsigned shift);

  friend U256 operator+(U256 a, const U256& b) { return a += b; }
  friend U256 operator-(U256 a, const U256& b) { return a -= b; }
  friend U256 operator*(U256 a, std::uint64_t b) { return a *= b; }
  friend U256 operator/(U256 a, std::uint64_t b) { return a /= b; }
  friend U256 operator<<(U256 a, unsigned shift) { return a <<= shift; }
  friend U256 operator>>(U256 a, unsigned shift) { return a >>= shift; }

  friend std::strong_ordering operator<=>(const U256& a, const U256& b);
  friend bool operator==(const U256& a, const U256& b) = default;

 private:
  static constexpr int kLimbs = 8;
  std::array<std::uint32_t, kLimbs> limbs_{};  // least significant first
};

}  // namespace alys
