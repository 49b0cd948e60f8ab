// CRC32C (Castagnoli: polynomial 0x1EDC6F41, reflected 0x82F63B78), the checksum of iSCSI, ext4
// and LevelDB. A plugin appends it to a state snapshot so that restore refuses bytes cut short or
// corrupted before it parses them: it is cheap enough for a swap's pause (about 0.1 ms for 2 MB on
// the hardware path), which a cryptographic digest is not; it detects accidents, not forgeries.
//
// On x86_64 a CPU with SSE4.2 computes it with the crc32 instruction, in three interleaved streams
// (the instruction's latency is three times its issue rate); elsewhere, and on CPUs without
// SSE4.2, a table-driven loop (slicing by 8) gives the same value. The choice is made at each call
// from the CPU's feature bits, so the header needs no compiler flag and no global state.
//
// Header-only, thread-safe (pure functions).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "alys/codec.hpp"

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace alys {

namespace crc32c_detail {

inline constexpr std::uint32_t kPolynomial = 0x82F63B78u;  // reflected

// kTables[0] is the byte-at-a-time table; kTables[k][b] is the CRC of byte b followed by k zero
// bytes, so that eight bytes are folded in with eight lookups (slicing by 8).
inline constexpr std::array<std::array<std::uint32_t, 256>, 8> make_tables() {
  std::array<std::array<std::uint32_t, 256>, 8> tables{};
  for (std::uint32_t b = 0; b < 256; ++b) {
    std::uint32_t crc = b;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ ((crc & 1u) ? kPolynomial : 0u);
    tables[0][b] = crc;
  }
  for (std::size_t k = 1; k < 8; ++k)
    for (std::size_t b = 0; b < 256; ++b)
      tables[k][b] = (tables[k - 1][b] >> 8) ^ tables[0][tables[k - 1][b] & 0xffu];
  return tables;
}

inline constexpr std::array<std::array<std::uint32_t, 256>, 8> kTables = make_tables();

// The register (not inverted) after `size` more bytes, by table.
inline std::uint32_t extend_portable(std::uint32_t reg, const std::uint8_t* data,
                                     std::size_t size) {
  for (; size >= 8; data += 8, size -= 8) {
    reg ^= static_cast<std::uint32_t>(data[0]) | static_cast<std::uint32_t>(data[1]) << 8 |
           static_cast<std::uint32_t>(data[2]) << 16 | static_cast<std::uint32_t>(data[3]) << 24;
    reg = kTables[7][reg & 0xffu] ^ kTables[6][(reg >> 8) & 0xffu] ^
          kTables[5][(reg >> 16) & 0xffu] ^ kTables[4][reg >> 24] ^ kTables[3][data[4]] ^
          kTables[2][data[5]] ^ kTables[1][data[6]] ^ kTables[0][data[7]];
  }
  for (; size > 0; ++data, --size) reg = (reg >> 8) ^ kTables[0][(reg ^ *data) & 0xffu];
  return reg;
}

// a(x) * b(x) modulo the polynomial, both in reflected form (bit 31 is x^0).
inline constexpr std::uint32_t multiply_mod(std::uint32_t a, std::uint32_t b) {
  std::uint32_t product = 0;
  for (std::uint32_t bit = 1u << 31; bit != 0; bit >>= 1) {
    if (a & bit) product ^= b;
    b = (b & 1u) ? (b >> 1) ^ kPolynomial : b >> 1;
  }
  return product;
}

// x^(8 * bytes) modulo the polynomial: multiplying a register by it appends `bytes` zero bytes.
inline constexpr std::uint32_t zeros_operator(std::size_t bytes) {
  std::uint32_t result = 1u << 31;  // x^0
  std::uint32_t power = 1u << 23;   // x^8
  for (; bytes != 0; bytes >>= 1) {
    if (bytes & 1u) result = multiply_mod(power, result);
    power = multiply_mod(power, power);
  }
  return result;
}

#if defined(__x86_64__)

// The three streams' block sizes: long blocks for the bulk, short ones for the rest, so that the
// combining (32 shift-and-xor steps per block) stays negligible.
inline constexpr std::size_t kLongBlock = 8192;
inline constexpr std::size_t kShortBlock = 256;
inline constexpr std::uint32_t kLongZeros = zeros_operator(kLongBlock);
inline constexpr std::uint32_t kShortZeros = zeros_operator(kShortBlock);

inline bool hardware_available() {
  // Idempotent; needed when called before libgcc's constructor has run (from another constructor).
  __builtin_cpu_init();
  return __builtin_cpu_supports("sse4.2");
}

inline std::uint64_t load_word(const std::uint8_t* data) {
  std::uint64_t word = 0;
  std::memcpy(&word, data, sizeof word);
  return word;
}

// REQUIRES hardware_available(). Consumes `data` in runs of three blocks of `block` bytes, one
// stream each, while `size` holds a run; advances `data` and `size` past them.
__attribute__((target("sse4.2"))) inline std::uint64_t extend_three_streams(
    std::uint64_t crc0, const std::uint8_t*& data, std::size_t& size, std::size_t block,
    std::uint32_t zeros) {
  while (size >= 3 * block) {
    std::uint64_t crc1 = 0;
    std::uint64_t crc2 = 0;
    for (const std::uint8_t* end = data + block; data < end; data += 8) {
      crc0 = _mm_crc32_u64(crc0, load_word(data));
      crc1 = _mm_crc32_u64(crc1, load_word(data + block));
      crc2 = _mm_crc32_u64(crc2, load_word(data + 2 * block));
    }
    // A register is linear in its bytes: the first stream's is shifted past the second's bytes
    // and the second's register added, then the same for the third.
    crc0 = multiply_mod(zeros, static_cast<std::uint32_t>(crc0)) ^ crc1;
    crc0 = multiply_mod(zeros, static_cast<std::uint32_t>(crc0)) ^ crc2;
    data += 2 * block;
    size -= 3 * block;
  }
  return crc0;
}

// REQUIRES hardware_available(). The register after `size` more bytes, by the crc32 instruction.
__attribute__((target("sse4.2"))) inline std::uint32_t extend_hardware(std::uint32_t reg,
                                                                       const std::uint8_t* data,
                                                                       std::size_t size) {
  std::uint64_t crc = extend_three_streams(reg, data, size, kLongBlock, kLongZeros);
  crc = extend_three_streams(crc, data, size, kShortBlock, kShortZeros);
  for (; size >= 8; data += 8, size -= 8) crc = _mm_crc32_u64(crc, load_word(data));
  auto crc32 = static_cast<std::uint32_t>(crc);
  for (; size > 0; ++data, --size) crc32 = _mm_crc32_u8(crc32, *data);
  return crc32;
}

#endif

}  // namespace crc32c_detail

// The CRC32C of `data`; with `crc` the CRC32C of some bytes A, the CRC32C of A followed by `data`
// (so crc32c(b, crc32c(a)) == crc32c(a + b)). crc32c("123456789") is 0xE3069283.
inline std::uint32_t crc32c(ByteView data, std::uint32_t crc = 0) {
  const std::uint32_t reg = ~crc;
#if defined(__x86_64__)
  if (crc32c_detail::hardware_available())
    return ~crc32c_detail::extend_hardware(reg, data.data(), data.size());
#endif
  return ~crc32c_detail::extend_portable(reg, data.data(), data.size());
}

}  // namespace alys
