// secp256k1 keys and signatures through libsecp256k1: BIP340 Schnorr (federation approvals) and
// recoverable ECDSA (Ethereum transactions). Every function is thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "alys/codec.hpp"
#include "alys/domain/hash.hpp"

namespace alys {

using XOnlyPublicKey = std::array<std::uint8_t, 32>;    // BIP340
using SchnorrSignature = std::array<std::uint8_t, 64>;  // BIP340
using UncompressedKey = std::array<std::uint8_t, 64>;   // X || Y, without the 0x04 prefix

struct RecoverableSignature {
  std::array<std::uint8_t, 32> r{};
  std::array<std::uint8_t, 32> s{};
  int recovery_id = 0;  // 0 or 1 (Ethereum's y parity)
};

class SecretKey {
 public:
  // nullopt unless 0 < key < the curve order.
  static std::optional<SecretKey> from_bytes(const std::array<std::uint8_t, 32>& bytes);
  // A fresh key from the operating system's randomness (getrandom).
  static SecretKey generate();

  const std::array<std::uint8_t, 32>& bytes() const { return bytes_; }
  XOnlyPublicKey xonly_public_key() const;
  UncompressedKey uncompressed_public_key() const;

  // BIP340 signature of a 32-byte message; `aux_rand` per BIP340 (fresh randomness by default).
  SchnorrSignature schnorr_sign(const Hash32& message) const;
  SchnorrSignature schnorr_sign(const Hash32& message,
                                const std::array<std::uint8_t, 32>& aux_rand) const;
  // BIP340 signature of a message of any length (BIP340's variable-length form; the BIP340
  // vectors include such messages). For a 32-byte message it equals the overload above.
  SchnorrSignature schnorr_sign(ByteView message,
                                const std::array<std::uint8_t, 32>& aux_rand) const;
  // RFC 6979 deterministic ECDSA over a 32-byte digest; s is always low (EIP-2).
  RecoverableSignature ecdsa_sign(const Hash32& digest) const;

 private:
  explicit SecretKey(const std::array<std::uint8_t, 32>& bytes) : bytes_(bytes) {}
  std::array<std::uint8_t, 32> bytes_;
};

// BIP340 verification of a message of any length (the BIP340 vectors include non-32-byte ones).
bool schnorr_verify(const XOnlyPublicKey& key, ByteView message, const SchnorrSignature& signature);

// True when 0 < s <= n/2 (EIP-2's low-s rule); r is checked by ecdsa_recover.
bool ecdsa_is_low_s(const std::array<std::uint8_t, 32>& s);

// The public key that produced `signature` over `digest`, or nullopt when none does.
std::optional<UncompressedKey> ecdsa_recover(const Hash32& digest,
                                             const RecoverableSignature& signature);

// Ethereum: the last 20 bytes of keccak256(X || Y).
EthAddress eth_address(const UncompressedKey& key);

// 32 bytes from the operating system's randomness (getrandom); throws std::runtime_error if none.
std::array<std::uint8_t, 32> random_bytes32();

}  // namespace alys
