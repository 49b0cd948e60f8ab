// What the fuzz targets and their seed generator (seeds.cpp) share: the chain they pretend to be,
// its member keys and the fixed record key, so that seeds are real encodings the targets accept.
#pragma once

#include <array>
#include <cstdint>
#include <cstdlib>
#include <numeric>

#include "alys/domain/hash.hpp"
#include "alys/domain/secp256k1.hpp"
#include "alys/domain/sha256.hpp"
#include "wire/handshake.hpp"

// An invariant the code under test promised: breaking it is a finding, like a crash.
#define ALYS_FUZZ_REQUIRE(condition) \
  do {                               \
    if (!(condition)) std::abort();  \
  } while (false)

namespace alys::fuzz {

inline constexpr std::uint64_t kChainId = 263634;

inline Hash32 genesis_hash() {
  return sha256(ByteView(reinterpret_cast<const std::uint8_t*>("alys fuzz genesis"), 17));
}

inline SecretKey member_key(std::uint8_t seed) {
  std::array<std::uint8_t, 32> bytes{};
  bytes.fill(seed);
  return *SecretKey::from_bytes(bytes);
}

inline network::wire::SymmetricKey record_key() {
  network::wire::SymmetricKey key{};
  std::iota(key.begin(), key.end(), std::uint8_t{0});
  return key;
}

// Any key may connect: the fuzzer should reach the signature check, not stop at the key list.
inline network::wire::HandshakeConfig handshake_config(std::uint8_t seed) {
  return network::wire::HandshakeConfig{member_key(seed), kChainId, genesis_hash(),
                                        [](const XOnlyPublicKey&) { return true; }};
}

}  // namespace alys::fuzz
