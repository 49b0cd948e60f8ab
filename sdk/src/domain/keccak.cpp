#include "alys/domain/keccak.hpp"

#include <array>
#include <cstddef>

namespace alys {
namespace {

// Keccak-f[1600] (FIPS 202 section 3) on 25 lanes; lane (x, y) is state[x + 5 * y].
using KeccakState = std::array<std::uint64_t, 25>;

constexpr std::uint64_t kRoundConstants[24] = {
    0x0000000000000001, 0x0000000000008082, 0x800000000000808a, 0x8000000080008000,
    0x000000000000808b, 0x0000000080000001, 0x8000000080008081, 0x8000000000008009,
    0x000000000000008a, 0x0000000000000088, 0x0000000080008009, 0x000000008000000a,
    0x000000008000808b, 0x800000000000008b, 0x8000000000008089, 0x8000000000008003,
    0x8000000000008002, 0x8000000000000080, 0x000000000000800a, 0x800000008000000a,
    0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008};

// Rho offsets and the pi permutation, walked along the single cycle that pi forms over the 24
// lanes other than (0, 0).
constexpr int kRhoOffsets[24] = {1,  3,  6,  10, 15, 21, 28, 36, 45, 55, 2,  14,
                                 27, 41, 56, 8,  25, 43, 62, 18, 39, 61, 20, 44};
constexpr int kPiLanes[24] = {10, 7,  11, 17, 18, 3, 5,  16, 8,  21, 24, 4,
                              15, 23, 19, 13, 12, 2, 20, 14, 22, 9,  6,  1};

constexpr std::uint64_t rotate_left(std::uint64_t x, int n) { return x << n | x >> (64 - n); }

void keccak_f1600(KeccakState& a) {
  for (std::uint64_t round_constant : kRoundConstants) {
    // theta
    std::uint64_t column[5];
    for (int x = 0; x < 5; ++x) column[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];
    for (int x = 0; x < 5; ++x) {
      std::uint64_t d = column[(x + 4) % 5] ^ rotate_left(column[(x + 1) % 5], 1);
      for (int y = 0; y < 25; y += 5) a[static_cast<std::size_t>(x + y)] ^= d;
    }
    // rho and pi
    std::uint64_t carried = a[1];
    for (int i = 0; i < 24; ++i) {
      auto lane = static_cast<std::size_t>(kPiLanes[i]);
      std::uint64_t next = a[lane];
      a[lane] = rotate_left(carried, kRhoOffsets[i]);
      carried = next;
    }
    // chi
    for (std::size_t y = 0; y < 25; y += 5) {
      std::uint64_t row[5];
      for (std::size_t x = 0; x < 5; ++x) row[x] = a[y + x];
      for (std::size_t x = 0; x < 5; ++x)
        a[y + x] = row[x] ^ (~row[(x + 1) % 5] & row[(x + 2) % 5]);
    }
    // iota
    a[0] ^= round_constant;
  }
}

// Lanes are little-endian: byte i of the rate goes to lane i / 8 at bit 8 * (i % 8).
void absorb_byte(KeccakState& state, std::size_t position, std::uint8_t byte) {
  state[position / 8] ^= static_cast<std::uint64_t>(byte) << (8 * (position % 8));
}

}  // namespace

Hash32 keccak256(ByteView data) {
  constexpr std::size_t kRate = 136;  // (1600 - 2 * 256) / 8 bytes
  KeccakState state{};
  std::size_t position = 0;
  for (std::uint8_t byte : data) {
    absorb_byte(state, position, byte);
    if (++position == kRate) {
      keccak_f1600(state);
      position = 0;
    }
  }
  // Keccak's pad10*1 with the domain byte 0x01 (SHA3-256 would use 0x06).
  absorb_byte(state, position, 0x01);
  absorb_byte(state, kRate - 1, 0x80);
  keccak_f1600(state);
  Hash32 digest{};
  for (std::size_t i = 0; i < digest.size(); ++i)
    digest[i] = static_cast<std::uint8_t>(state[i / 8] >> (8 * (i % 8)));
  return digest;
}

}  // namespace alys
