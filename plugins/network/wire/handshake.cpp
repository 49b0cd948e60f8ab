#include "wire/handshake.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <utility>

#include "alys/domain/sha256.hpp"

namespace alys::network::wire {
namespace {

constexpr std::string_view kTranscriptTag = "alys/handshake/v1";
constexpr std::string_view kAuthTag = "alys/handshake/auth";
constexpr std::string_view kKeysInfo = "alys/handshake/keys";

struct FreePkey {
  void operator()(EVP_PKEY* key) const noexcept { EVP_PKEY_free(key); }
};
struct FreePkeyContext {
  void operator()(EVP_PKEY_CTX* context) const noexcept { EVP_PKEY_CTX_free(context); }
};
struct FreeKdf {
  void operator()(EVP_KDF* kdf) const noexcept { EVP_KDF_free(kdf); }
};
struct FreeKdfContext {
  void operator()(EVP_KDF_CTX* context) const noexcept { EVP_KDF_CTX_free(context); }
};
using Pkey = std::unique_ptr<EVP_PKEY, FreePkey>;
using PkeyContext = std::unique_ptr<EVP_PKEY_CTX, FreePkeyContext>;
using Kdf = std::unique_ptr<EVP_KDF, FreeKdf>;
using KdfContext = std::unique_ptr<EVP_KDF_CTX, FreeKdfContext>;

// A secret that is wiped when it goes out of scope.
template <std::size_t N>
struct Secret {
  std::array<std::uint8_t, N> bytes{};
  Secret() = default;
  Secret(const Secret&) = delete;
  Secret& operator=(const Secret&) = delete;
  ~Secret() { OPENSSL_cleanse(bytes.data(), bytes.size()); }
};

Pkey generate_x25519() {
  PkeyContext context(EVP_PKEY_CTX_new_from_name(nullptr, "X25519", nullptr));
  EVP_PKEY* raw = nullptr;
  if (!context || EVP_PKEY_keygen_init(context.get()) != 1 ||
      EVP_PKEY_keygen(context.get(), &raw) != 1)
    throw std::runtime_error("X25519 key generation failed");
  return Pkey(raw);
}

// The X25519 shared secret, or nullopt when the peer's key is a low-order point (OpenSSL refuses
// an all-zero result, which would make the session keys public).
bool x25519_shared_secret(EVP_PKEY* ours, const std::uint8_t* peer_public, Secret<32>& out) {
  Pkey peer(EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, peer_public, 32));
  if (!peer) return false;
  PkeyContext context(EVP_PKEY_CTX_new(ours, nullptr));
  std::size_t length = out.bytes.size();
  return context && EVP_PKEY_derive_init(context.get()) == 1 &&
         EVP_PKEY_derive_set_peer(context.get(), peer.get()) == 1 &&
         EVP_PKEY_derive(context.get(), out.bytes.data(), &length) == 1 && length == 32;
}

bool hkdf_sha256(const Secret<32>& ikm, const Hash32& salt, Secret<64>& out) {
  Kdf kdf(EVP_KDF_fetch(nullptr, "HKDF", nullptr));
  if (!kdf) return false;
  KdfContext context(EVP_KDF_CTX_new(kdf.get()));
  if (!context) return false;
  char digest[] = "SHA256";
  std::array<char, kKeysInfo.size()> info{};
  std::copy(kKeysInfo.begin(), kKeysInfo.end(), info.begin());
  Hash32 salt_copy = salt;
  std::array<std::uint8_t, 32> key = ikm.bytes;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, key.data(), key.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, salt_copy.data(), salt_copy.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info.data(), info.size()),
      OSSL_PARAM_construct_end()};
  bool ok = EVP_KDF_derive(context.get(), out.bytes.data(), out.bytes.size(), params) == 1;
  OPENSSL_cleanse(key.data(), key.size());
  return ok;
}

// What a side signs: the transcript and the signer's role.
Hash32 auth_message(const Hash32& transcript, HandshakeRole signer) {
  std::array<std::uint8_t, 33> data{};
  std::copy(transcript.begin(), transcript.end(), data.begin());
  data[32] = static_cast<std::uint8_t>(signer);
  return tagged_hash(kAuthTag, data);
}

HandshakeRole other(HandshakeRole role) {
  return role == HandshakeRole::initiator ? HandshakeRole::responder : HandshakeRole::initiator;
}

// The Hello fields, at their fixed offsets.
struct Hello {
  static constexpr std::size_t kVersion = 0;
  static constexpr std::size_t kChainId = 1;
  static constexpr std::size_t kGenesis = 9;
  static constexpr std::size_t kStaticKey = 41;
  static constexpr std::size_t kEphemeral = 73;
};
static_assert(Hello::kEphemeral + 32 == kHelloSize);

}  // namespace

std::string_view to_string(HandshakeFailure failure) {
  switch (failure) {
    case HandshakeFailure::none:
      return "none";
    case HandshakeFailure::malformed:
      return "malformed";
    case HandshakeFailure::wrong_version:
      return "wrong_version";
    case HandshakeFailure::wrong_chain:
      return "wrong_chain";
    case HandshakeFailure::wrong_genesis:
      return "wrong_genesis";
    case HandshakeFailure::unknown_key:
      return "unknown_key";
    case HandshakeFailure::self_connection:
      return "self_connection";
    case HandshakeFailure::bad_signature:
      return "bad_signature";
  }
  return "unknown";
}

struct Handshake::Impl {
  HandshakeConfig config;
  HandshakeRole role;
  State state = State::in_progress;
  HandshakeFailure failure = HandshakeFailure::none;
  std::string failure_message;
  Pkey ephemeral;
  std::array<std::uint8_t, kHelloSize> our_hello{};
  bool peer_hello_read = false;
  Hash32 transcript{};
  SessionKeys keys;
  Bytes output;
  Bytes input;  // the peer's bytes not yet consumed; after done, the leftover

  Impl(HandshakeConfig c, HandshakeRole r) : config(std::move(c)), role(r) {}

  State fail(HandshakeFailure reason, std::string message) {
    state = State::failed;
    failure = reason;
    failure_message = std::move(message);
    Bytes().swap(output);
    Bytes().swap(input);
    return state;
  }

  State read_hello() {
    const std::uint8_t* hello = input.data();
    if (hello[Hello::kVersion] != kHandshakeVersion)
      return fail(HandshakeFailure::wrong_version,
                  "protocol version " + std::to_string(hello[Hello::kVersion]) + ", expected " +
                      std::to_string(kHandshakeVersion));
    std::uint64_t chain_id = 0;
    for (std::size_t i = 0; i < 8; ++i)
      chain_id |= static_cast<std::uint64_t>(hello[Hello::kChainId + i]) << (8 * i);
    if (chain_id != config.chain_id)
      return fail(
          HandshakeFailure::wrong_chain,
          "chain id " + std::to_string(chain_id) + ", expected " + std::to_string(config.chain_id));
    Hash32 genesis{};
    std::copy_n(hello + Hello::kGenesis, 32, genesis.begin());
    if (genesis != config.genesis_hash)
      return fail(HandshakeFailure::wrong_genesis,
                  "genesis " + to_hex(genesis) + ", expected " + to_hex(config.genesis_hash));
    std::copy_n(hello + Hello::kStaticKey, 32, keys.peer.begin());
    if (keys.peer == config.node_key.xonly_public_key())
      return fail(HandshakeFailure::self_connection, "the peer has this node's key");
    if (!config.allowed || !config.allowed(keys.peer))
      return fail(HandshakeFailure::unknown_key, "key " + to_hex(keys.peer) + " is not listed");

    Secret<32> shared;
    if (!x25519_shared_secret(ephemeral.get(), hello + Hello::kEphemeral, shared))
      return fail(HandshakeFailure::malformed, "ephemeral key gives no X25519 shared secret");
    ByteView peer_hello(hello, kHelloSize);
    ByteView initiator_hello = role == HandshakeRole::initiator ? ByteView(our_hello) : peer_hello;
    ByteView responder_hello = role == HandshakeRole::initiator ? peer_hello : ByteView(our_hello);
    transcript =
        Sha256().update(kTranscriptTag).update(initiator_hello).update(responder_hello).finish();
    Secret<64> okm;
    if (!hkdf_sha256(shared, transcript, okm))
      return fail(HandshakeFailure::malformed, "HKDF-SHA256 is not available from libcrypto");
    auto first = okm.bytes.begin();
    auto second = okm.bytes.begin() + 32;
    bool initiator = role == HandshakeRole::initiator;
    std::copy_n(initiator ? first : second, 32, keys.send_key.begin());
    std::copy_n(initiator ? second : first, 32, keys.receive_key.begin());

    SchnorrSignature auth = config.node_key.schnorr_sign(auth_message(transcript, role));
    output.insert(output.end(), auth.begin(), auth.end());
    input.erase(input.begin(), input.begin() + kHelloSize);
    peer_hello_read = true;
    return state;
  }

  State read_auth() {
    SchnorrSignature signature{};
    std::copy_n(input.begin(), kAuthSize, signature.begin());
    Hash32 message = auth_message(transcript, other(role));
    if (!schnorr_verify(keys.peer, message, signature))
      return fail(HandshakeFailure::bad_signature,
                  "Auth of " + to_hex(keys.peer) + " does not verify for this session");
    input.erase(input.begin(), input.begin() + kAuthSize);
    state = State::done;
    return state;
  }
};

Handshake::Handshake(HandshakeConfig config, HandshakeRole role)
    : impl_(std::make_unique<Impl>(std::move(config), role)) {
  Impl& s = *impl_;
  s.ephemeral = generate_x25519();
  std::size_t length = 32;
  std::array<std::uint8_t, 32> ephemeral_public{};
  if (EVP_PKEY_get_raw_public_key(s.ephemeral.get(), ephemeral_public.data(), &length) != 1 ||
      length != 32)
    throw std::runtime_error("X25519 public key unavailable");
  auto& hello = s.our_hello;
  hello[Hello::kVersion] = kHandshakeVersion;
  for (std::size_t i = 0; i < 8; ++i)
    hello[Hello::kChainId + i] = static_cast<std::uint8_t>(s.config.chain_id >> (8 * i));
  std::copy(s.config.genesis_hash.begin(), s.config.genesis_hash.end(),
            hello.begin() + Hello::kGenesis);
  XOnlyPublicKey own = s.config.node_key.xonly_public_key();
  std::copy(own.begin(), own.end(), hello.begin() + Hello::kStaticKey);
  std::copy(ephemeral_public.begin(), ephemeral_public.end(), hello.begin() + Hello::kEphemeral);
  s.output.assign(hello.begin(), hello.end());
}

Handshake::~Handshake() {
  if (impl_) {
    OPENSSL_cleanse(impl_->keys.send_key.data(), impl_->keys.send_key.size());
    OPENSSL_cleanse(impl_->keys.receive_key.data(), impl_->keys.receive_key.size());
  }
}
Handshake::Handshake(Handshake&&) noexcept = default;
Handshake& Handshake::operator=(Handshake&&) noexcept = default;

Bytes Handshake::take_output() { return std::exchange(impl_->output, {}); }

Handshake::State Handshake::receive(ByteView bytes) {
  Impl& s = *impl_;
  if (s.state == State::failed) return s.state;
  s.input.insert(s.input.end(), bytes.begin(), bytes.end());
  if (s.state == State::done) return s.state;
  try {
    if (!s.peer_hello_read && s.input.size() >= kHelloSize && s.read_hello() == State::failed)
      return s.state;
    if (s.peer_hello_read && s.input.size() >= kAuthSize) s.read_auth();
  } catch (const std::exception& e) {
    // libcrypto or libsecp256k1 out of memory, or no randomness for the signature.
    return s.fail(HandshakeFailure::malformed, std::string("handshake aborted: ") + e.what());
  }
  return s.state;
}

Handshake::State Handshake::state() const { return impl_->state; }
HandshakeRole Handshake::role() const { return impl_->role; }
HandshakeFailure Handshake::failure() const { return impl_->failure; }
const std::string& Handshake::failure_message() const { return impl_->failure_message; }
const SessionKeys& Handshake::keys() const { return impl_->keys; }
Bytes Handshake::take_leftover() { return std::exchange(impl_->input, {}); }

}  // namespace alys::network::wire
