// SHA-256 (FIPS 180-4), Bitcoin's double SHA-256, and BIP340 tagged hashes.
// Implemented in the SDK's domain library (AlysSDK::domain); libsecp256k1 exposes no plain SHA-256.
#pragma once

#include <cstdint>
#include <string_view>

#include "alys/codec.hpp"
#include "alys/domain/hash.hpp"

namespace alys {

class Sha256 {
 public:
  Sha256();
  Sha256& update(ByteView data);
  Sha256& update(std::string_view text) {
    return update(ByteView(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
  }
  // Finishes the digest; the object must not be updated afterwards.
  Hash32 finish();

 private:
  void compress(const std::uint8_t* block);
  std::uint32_t state_[8];
  std::uint8_t buffer_[64];
  std::uint64_t length_ = 0;  // bytes hashed so far
};

Hash32 sha256(ByteView data);
// SHA256(SHA256(data)): Bitcoin's block and transaction hashes.
Hash32 sha256d(ByteView data);
// BIP340: SHA256(SHA256(tag) || SHA256(tag) || data).
Hash32 tagged_hash(std::string_view tag, ByteView data);

}  // namespace alys
