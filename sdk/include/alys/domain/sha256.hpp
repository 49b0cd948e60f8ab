// SHA-256 (FIPS 180-4), Bitcoin's double SHA-256, and BIP340 tagged hashes, computed by OpenSSL 3's
// libcrypto (EVP) in the SDK's domain library (AlysSDK::domain); libsecp256k1 exposes no plain
// SHA-256.
//
// Every function throws std::runtime_error when libcrypto cannot provide SHA-256 (an OpenSSL
// configuration without the default provider) or runs out of memory.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "alys/codec.hpp"
#include "alys/domain/hash.hpp"

// OpenSSL's EVP_MD and EVP_MD_CTX (openssl/types.h), declared here so that this header does not
// pull the OpenSSL headers into every user.
struct evp_md_st;
struct evp_md_ctx_st;

namespace alys {

// An incremental SHA-256. The object holds its own fetched algorithm and libcrypto context: hashing
// with it fetches nothing, and reset() starts a new message in the same context, which is how a hot
// loop hashes many messages (sha256d(Sha256&, ...)). A copy continues from the same state.
// Not thread-safe: one object per thread. A moved-from object may only be assigned to or destroyed.
class Sha256 {
 public:
  Sha256();
  Sha256(const Sha256& other);
  Sha256& operator=(const Sha256& other);
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;
  ~Sha256();

  Sha256& update(ByteView data);
  Sha256& update(std::string_view text) {
    return update(ByteView(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
  }
  // Finishes the digest. REQUIRES reset() before the next update().
  Hash32 finish();
  // Starts a new, empty message, reusing the algorithm and the context.
  Sha256& reset();

 private:
  struct FreeMd {
    void operator()(evp_md_st* md) const noexcept;
  };
  struct FreeContext {
    void operator()(evp_md_ctx_st* context) const noexcept;
  };
  std::unique_ptr<evp_md_st, FreeMd> md_;
  std::unique_ptr<evp_md_ctx_st, FreeContext> context_;
};

Hash32 sha256(ByteView data);
// SHA256(SHA256(data)): Bitcoin's block and transaction hashes.
Hash32 sha256d(ByteView data);
// The same in `hasher`'s context (reset first, left finished): no fetch and no new context per
// call, for hot loops such as grinding a parent header's nonce.
Hash32 sha256d(Sha256& hasher, ByteView data);
// BIP340: SHA256(SHA256(tag) || SHA256(tag) || data).
Hash32 tagged_hash(std::string_view tag, ByteView data);

}  // namespace alys
