#include "alys/domain/sha256.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>

#include <stdexcept>
#include <string>

namespace alys {
namespace {

// Throws with libcrypto's reason for the failed `operation`, and leaves its error queue empty.
[[noreturn]] void throw_libcrypto_error(const char* operation) {
  std::string message = std::string("SHA-256: ") + operation + " failed";
  if (const unsigned long code = ERR_get_error(); code != 0) {
    char reason[256];
    ERR_error_string_n(code, reason, sizeof reason);
    message += std::string(": ") + reason;
  }
  ERR_clear_error();
  throw std::runtime_error(message);
}

}  // namespace

void Sha256::FreeMd::operator()(evp_md_st* md) const noexcept { EVP_MD_free(md); }

void Sha256::FreeContext::operator()(evp_md_ctx_st* context) const noexcept {
  EVP_MD_CTX_free(context);
}

// The algorithm is fetched explicitly, once per object: EVP_sha256() would make libcrypto fetch
// it again on every EVP_DigestInit_ex2.
Sha256::Sha256() : md_(EVP_MD_fetch(nullptr, "SHA256", nullptr)), context_(EVP_MD_CTX_new()) {
  if (!md_) throw_libcrypto_error("EVP_MD_fetch");
  if (!context_) throw_libcrypto_error("EVP_MD_CTX_new");
  reset();
}

Sha256::Sha256(const Sha256& other) : context_(EVP_MD_CTX_new()) {
  if (!context_) throw_libcrypto_error("EVP_MD_CTX_new");
  if (EVP_MD_up_ref(other.md_.get()) != 1) throw_libcrypto_error("EVP_MD_up_ref");
  md_.reset(other.md_.get());
  if (EVP_MD_CTX_copy_ex(context_.get(), other.context_.get()) != 1)
    throw_libcrypto_error("EVP_MD_CTX_copy_ex");
}

Sha256& Sha256::operator=(const Sha256& other) {
  if (this != &other) *this = Sha256(other);
  return *this;
}

Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;
Sha256::~Sha256() = default;

Sha256& Sha256::update(ByteView data) {
  if (EVP_DigestUpdate(context_.get(), data.data(), data.size()) != 1)
    throw_libcrypto_error("EVP_DigestUpdate");
  return *this;
}

Hash32 Sha256::finish() {
  Hash32 digest{};
  unsigned int size = 0;
  if (EVP_DigestFinal_ex(context_.get(), digest.data(), &size) != 1 || size != digest.size())
    throw_libcrypto_error("EVP_DigestFinal_ex");
  return digest;
}

Sha256& Sha256::reset() {
  if (EVP_DigestInit_ex2(context_.get(), md_.get(), nullptr) != 1)
    throw_libcrypto_error("EVP_DigestInit_ex2");
  return *this;
}

Hash32 sha256(ByteView data) { return Sha256().update(data).finish(); }

Hash32 sha256d(ByteView data) {
  Sha256 hasher;
  return sha256d(hasher, data);
}

Hash32 sha256d(Sha256& hasher, ByteView data) {
  const Hash32 once = hasher.reset().update(data).finish();
  return hasher.reset().update(once).finish();
}

Hash32 tagged_hash(std::string_view tag, ByteView data) {
  Sha256 hasher;
  const Hash32 tag_hash = hasher.update(tag).finish();
  return hasher.reset().update(tag_hash).update(tag_hash).update(data).finish();
}

}  // namespace alys
