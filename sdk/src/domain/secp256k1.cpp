#include "alys/domain/secp256k1.hpp"

#include <secp256k1.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_recovery.h>
#include <secp256k1_schnorrsig.h>
#include <sys/random.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include "alys/domain/keccak.hpp"

namespace alys {
namespace {

// The context for operations on secret keys. Created and randomized once, then only used through
// const pointers: libsecp256k1 documents a context as safe to share between threads as long as
// nothing mutates it (randomization is the only mutation, and it happens before publication).
class SigningContext {
 public:
  SigningContext() : context_(secp256k1_context_create(SECP256K1_CONTEXT_NONE)) {
    if (context_ == nullptr) throw std::runtime_error("secp256k1: cannot create a context");
    auto seed = random_bytes32();
    if (!secp256k1_context_randomize(context_, seed.data())) {
      secp256k1_context_destroy(context_);
      throw std::runtime_error("secp256k1: cannot randomize the context");
    }
  }
  ~SigningContext() { secp256k1_context_destroy(context_); }
  SigningContext(const SigningContext&) = delete;
  SigningContext& operator=(const SigningContext&) = delete;

  const secp256k1_context* get() const { return context_; }
  operator const secp256k1_context*() const { return context_; }

 private:
  secp256k1_context* context_;
};

// A fresh randomized context per signing call, rather than a static one: this library is linked
// into plugins that must unload, and a static's destructor would run inside dlclose. Signing is
// rare (approvals, tests) and a context costs tens of microseconds.
SigningContext signing_context() { return SigningContext(); }

// Public-key operations need no secrets and no randomization: the library's static context.
// libsecp256k1 asks for its self test before the static context is first used.
const secp256k1_context* verification_context() {
  static const bool self_tested = [] {
    secp256k1_selftest();
    return true;
  }();
  (void)self_tested;
  return secp256k1_context_static;
}

secp256k1_keypair make_keypair(const std::array<std::uint8_t, 32>& secret) {
  secp256k1_keypair keypair;
  // from_bytes admitted only valid keys, so this cannot fail for a SecretKey.
  if (!secp256k1_keypair_create(signing_context(), &keypair, secret.data()))
    throw std::logic_error("secp256k1: invalid secret key");
  return keypair;
}

SchnorrSignature sign_bip340(const secp256k1_keypair& keypair, ByteView message,
                             const std::array<std::uint8_t, 32>& aux_rand) {
  secp256k1_schnorrsig_extraparams params = SECP256K1_SCHNORRSIG_EXTRAPARAMS_INIT;
  params.ndata = const_cast<std::uint8_t*>(aux_rand.data());  // read only, despite the type
  SchnorrSignature signature{};
  if (!secp256k1_schnorrsig_sign_custom(signing_context(), signature.data(), message.data(),
                                        message.size(), &keypair, &params))
    throw std::runtime_error("secp256k1: BIP340 signing failed");
  return signature;
}

// n / 2, big-endian: the largest s EIP-2 admits.
constexpr std::array<std::uint8_t, 32> kHalfOrder = {
    0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4, 0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0};

}  // namespace

std::optional<SecretKey> SecretKey::from_bytes(const std::array<std::uint8_t, 32>& bytes) {
  if (!secp256k1_ec_seckey_verify(verification_context(), bytes.data())) return std::nullopt;
  return SecretKey(bytes);
}

SecretKey SecretKey::generate() {
  for (;;) {
    // A uniformly random 32-byte string is an invalid key with probability about 2^-128.
    if (auto key = from_bytes(random_bytes32())) return *key;
  }
}

XOnlyPublicKey SecretKey::xonly_public_key() const {
  secp256k1_keypair keypair = make_keypair(bytes_);
  secp256k1_xonly_pubkey xonly;
  XOnlyPublicKey out{};
  if (!secp256k1_keypair_xonly_pub(verification_context(), &xonly, nullptr, &keypair) ||
      !secp256k1_xonly_pubkey_serialize(verification_context(), out.data(), &xonly))
    throw std::logic_error("secp256k1: x-only public key");
  return out;
}

UncompressedKey SecretKey::uncompressed_public_key() const {
  secp256k1_pubkey pubkey;
  if (!secp256k1_ec_pubkey_create(signing_context(), &pubkey, bytes_.data()))
    throw std::logic_error("secp256k1: invalid secret key");
  std::uint8_t serialized[65];
  std::size_t size = sizeof serialized;
  if (!secp256k1_ec_pubkey_serialize(verification_context(), serialized, &size, &pubkey,
                                     SECP256K1_EC_UNCOMPRESSED))
    throw std::logic_error("secp256k1: public key serialization");
  UncompressedKey out{};
  std::memcpy(out.data(), serialized + 1, out.size());
  return out;
}

SchnorrSignature SecretKey::schnorr_sign(const Hash32& message) const {
  return schnorr_sign(message, random_bytes32());
}

SchnorrSignature SecretKey::schnorr_sign(const Hash32& message,
                                         const std::array<std::uint8_t, 32>& aux_rand) const {
  return sign_bip340(make_keypair(bytes_), message, aux_rand);
}

SchnorrSignature SecretKey::schnorr_sign(ByteView message,
                                         const std::array<std::uint8_t, 32>& aux_rand) const {
  return sign_bip340(make_keypair(bytes_), message, aux_rand);
}

RecoverableSignature SecretKey::ecdsa_sign(const Hash32& digest) const {
  secp256k1_ecdsa_recoverable_signature signature;
  // The default nonce function is RFC 6979; the library always returns the low-s form.
  if (!secp256k1_ecdsa_sign_recoverable(signing_context(), &signature, digest.data(), bytes_.data(),
                                        nullptr, nullptr))
    throw std::runtime_error("secp256k1: ECDSA signing failed");
  std::uint8_t compact[64];
  RecoverableSignature out;
  secp256k1_ecdsa_recoverable_signature_serialize_compact(verification_context(), compact,
                                                          &out.recovery_id, &signature);
  // Ids 2 and 3 (r overflowed the order) occur with probability about 2^-127; Ethereum's v
  // cannot carry them.
  if (out.recovery_id > 1) throw std::runtime_error("secp256k1: unrepresentable recovery id");
  std::memcpy(out.r.data(), compact, 32);
  std::memcpy(out.s.data(), compact + 32, 32);
  return out;
}

bool schnorr_verify(const XOnlyPublicKey& key, ByteView message,
                    const SchnorrSignature& signature) {
  secp256k1_xonly_pubkey pubkey;
  if (!secp256k1_xonly_pubkey_parse(verification_context(), &pubkey, key.data())) return false;
  return secp256k1_schnorrsig_verify(verification_context(), signature.data(), message.data(),
                                     message.size(), &pubkey) == 1;
}

bool ecdsa_is_low_s(const std::array<std::uint8_t, 32>& s) {
  bool zero = true;
  for (std::uint8_t b : s)
    if (b != 0) zero = false;
  // Big-endian byte arrays of equal length compare like the numbers they hold.
  return !zero && s <= kHalfOrder;
}

std::optional<UncompressedKey> ecdsa_recover(const Hash32& digest,
                                             const RecoverableSignature& signature) {
  // The library treats an id outside 0..3 as a caller bug and aborts: refuse it here.
  if (signature.recovery_id < 0 || signature.recovery_id > 3) return std::nullopt;
  std::uint8_t compact[64];
  std::memcpy(compact, signature.r.data(), 32);
  std::memcpy(compact + 32, signature.s.data(), 32);
  secp256k1_ecdsa_recoverable_signature parsed;
  if (!secp256k1_ecdsa_recoverable_signature_parse_compact(verification_context(), &parsed, compact,
                                                           signature.recovery_id))
    return std::nullopt;
  secp256k1_pubkey pubkey;
  if (!secp256k1_ecdsa_recover(verification_context(), &pubkey, &parsed, digest.data()))
    return std::nullopt;
  std::uint8_t serialized[65];
  std::size_t size = sizeof serialized;
  if (!secp256k1_ec_pubkey_serialize(verification_context(), serialized, &size, &pubkey,
                                     SECP256K1_EC_UNCOMPRESSED))
    return std::nullopt;
  UncompressedKey out{};
  std::memcpy(out.data(), serialized + 1, out.size());
  return out;
}

EthAddress eth_address(const UncompressedKey& key) {
  Hash32 digest = keccak256(key);
  EthAddress out{};
  std::memcpy(out.data(), digest.data() + 12, out.size());
  return out;
}

std::array<std::uint8_t, 32> random_bytes32() {
  std::array<std::uint8_t, 32> out{};
  std::size_t filled = 0;
  while (filled < out.size()) {
    ssize_t got = getrandom(out.data() + filled, out.size() - filled, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "getrandom");
    }
    filled += static_cast<std::size_t>(got);
  }
  return out;
}

}  // namespace alys
