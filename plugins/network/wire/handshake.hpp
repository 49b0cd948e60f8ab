// The authenticated key exchange that opens every peer connection, as a byte-driven state machine
// (no sockets, no threads: the network actor moves the bytes; tests and the fuzzer feed them).
//
// Both sides send at once, in either role:
//   Hello (kHelloSize = 105 bytes, fixed layout):
//     u8 protocol version (kHandshakeVersion) | u64 LE chain id | 32-byte genesis hash |
//     32-byte BIP340 x-only static key (the node key) | 32-byte X25519 ephemeral public key
// and, once the peer's Hello has arrived and passed the checks below:
//   Auth (kAuthSize = 64 bytes): the BIP340 signature by the node key over
//     tagged_hash("alys/handshake/auth", transcript_hash || role byte)
//   where transcript_hash = SHA-256("alys/handshake/v1" || initiator Hello || responder Hello) and
//   the role byte is the signer's role (0 initiator, 1 responder), so a signature cannot be
//   reflected back to its author.
//
// The transcript covers both ephemeral keys, so a Hello and Auth replayed from an earlier session
// fail: the victim's fresh ephemeral makes a different transcript (bad_signature). The chain id and
// genesis hash in the Hello bind the session to one chain: a member key of another chain is refused
// before any signature is checked.
//
// Session keys: HKDF-SHA256 (RFC 5869) with IKM = the X25519 shared secret, salt = transcript_hash,
// info = "alys/handshake/keys", 64 bytes: the first 32 encrypt initiator -> responder, the last 32
// responder -> initiator.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "alys/codec.hpp"
#include "alys/domain/hash.hpp"
#include "alys/domain/secp256k1.hpp"

namespace alys::network::wire {

inline constexpr std::uint8_t kHandshakeVersion = 1;
inline constexpr std::size_t kHelloSize = 1 + 8 + 32 + 32 + 32;
inline constexpr std::size_t kAuthSize = 64;

enum class HandshakeRole : std::uint8_t { initiator = 0, responder = 1 };

// Why a handshake was refused. to_string() yields stable metric label values.
enum class HandshakeFailure : std::uint8_t {
  none,
  malformed,        // the peer's ephemeral key gives no usable shared secret
  wrong_version,    // Hello's protocol version is not kHandshakeVersion
  wrong_chain,      // Hello's chain id is not ours
  wrong_genesis,    // Hello's genesis hash is not ours
  unknown_key,      // `allowed` refused the peer's static key
  self_connection,  // the peer's static key is our own
  bad_signature,    // Auth does not verify under the peer's static key for this transcript
};
std::string_view to_string(HandshakeFailure failure);

struct HandshakeConfig {
  SecretKey node_key;
  std::uint64_t chain_id = 0;
  Hash32 genesis_hash{};
  // Whether a peer's static key may connect (the listed members and observers). Called once, from
  // the thread that calls receive(). Must be set.
  std::function<bool(const XOnlyPublicKey&)> allowed;
};

using SymmetricKey = std::array<std::uint8_t, 32>;

struct SessionKeys {
  SymmetricKey send_key{};     // seals what this side sends (secure_channel.hpp's Sealer)
  SymmetricKey receive_key{};  // opens what the peer sends (Opener)
  XOnlyPublicKey peer{};       // the peer's static key, proven by its Auth
};

// One side of one handshake. Not thread-safe: one thread drives it (the connection's strand).
// Never throws out of receive()/take_*(); the constructor throws std::runtime_error only when
// libcrypto cannot make an X25519 key (no randomness, no default provider).
class Handshake {
 public:
  enum class State { in_progress, done, failed };

  // Generates the ephemeral key and queues this side's Hello.
  Handshake(HandshakeConfig config, HandshakeRole role);
  ~Handshake();
  Handshake(Handshake&&) noexcept;
  Handshake& operator=(Handshake&&) noexcept;
  Handshake(const Handshake&) = delete;
  Handshake& operator=(const Handshake&) = delete;

  // The bytes to write to the peer now (Hello at first, then Auth); empty when there are none.
  // Output stays available after done (the peer still needs our Auth) and is dropped on failure.
  Bytes take_output();

  // Consumes the peer's bytes, split anywhere. Bytes past the peer's Auth are kept for
  // take_leftover(), unread. Once done or failed, further bytes are only buffered (done) or
  // ignored (failed) and the state does not change.
  State receive(ByteView bytes);

  State state() const;
  HandshakeRole role() const;
  // HandshakeFailure::none unless failed.
  HandshakeFailure failure() const;
  // What was wrong, for the log ("chain id 7, expected 5"); empty unless failed.
  const std::string& failure_message() const;
  // REQUIRES state() == State::done.
  const SessionKeys& keys() const;
  // The bytes received after the peer's Auth: the first records of the secure channel.
  Bytes take_leftover();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace alys::network::wire
