// Every way a peer can prove itself wrong, what each costs, and the stable names the metrics and
// network_peers use. The table is docs/network.md's "Scoring" table; change both together.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "gossip/node_port.hpp"

namespace alys::network {

enum class Offence : std::uint8_t {
  garbage,              // bytes that are no frame, or a frame that does not strict-decode
  oversize,             // a frame longer than its type's cap
  bad_handshake,        // any handshake failure but the three below
  wrong_chain,          // a handshake bound to another chain id or genesis hash
  unknown_key,          // a key neither a spec member nor in [network] peers
  authentication,       // a record that fails the AEAD: tampered, replayed or reordered
  rate_limit,           // more messages or bytes per second than the limits
  invalid_signature,    // gossip: an approval whose signature does not verify
  non_member_approval,  // gossip: an approval by no member
  invalid_block,        // gossip: a block the chain rejected for a rule it broke
  bad_range,            // sync: a Blocks answer out of place
  unrequested_blocks,   // sync: a Blocks answer to nothing asked
  malformed_payload,    // sync: a block inside Blocks that does not decode
};

inline constexpr std::size_t kOffenceCount = 13;

struct OffencePolicy {
  std::string_view name;  // metric label `reason`
  std::int32_t penalty;   // subtracted from the score (a peer starts at 0, is banned at -100)
  bool disconnect;        // close the connection at once
  bool ban;               // ban the key (and the address, before a handshake) for ban_seconds
};

inline constexpr std::int32_t kBanScore = -100;

inline constexpr OffencePolicy kOffencePolicies[kOffenceCount] = {
    {"garbage", 100, true, true},
    {"oversize", 100, true, true},
    {"bad_handshake", 100, true, true},
    {"wrong_chain", 100, true, true},
    // Not proof of malice (a peer removed from the spec, a config lagging behind): refused and
    // counted, never banned, so that adding it to the config lets it in at once.
    {"unknown_key", 0, true, false},
    {"authentication", 100, true, true},
    // A node catching up can burst; it is cut off, and banned only when it keeps at it.
    {"rate_limit", 40, true, false},
    {"invalid_signature", 100, true, true},
    {"non_member_approval", 100, true, true},
    {"invalid_block", 100, true, true},
    // Sync answers can be out of place after a timeout moved the range to another peer.
    {"bad_range", 20, false, false},
    {"unrequested_blocks", 10, false, false},
    {"malformed_payload", 100, true, true},
};

constexpr const OffencePolicy& policy_of(Offence offence) {
  return kOffencePolicies[static_cast<std::size_t>(offence)];
}

// The gossip engine's reasons, in this table.
constexpr Offence offence_of(Misbehaviour reason) {
  switch (reason) {
    case Misbehaviour::invalid_signature:
      return Offence::invalid_signature;
    case Misbehaviour::non_member_approval:
      return Offence::non_member_approval;
    case Misbehaviour::invalid_block:
      return Offence::invalid_block;
    case Misbehaviour::bad_range:
      return Offence::bad_range;
    case Misbehaviour::unrequested_blocks:
      return Offence::unrequested_blocks;
    case Misbehaviour::malformed_payload:
      return Offence::malformed_payload;
  }
  return Offence::garbage;
}

}  // namespace alys::network
