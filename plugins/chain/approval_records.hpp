// What the chain keeps in its own storage key space besides the difficulty: its last approval and
// the evidence of equivocations. Pure data (tests read them back from storage).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "alys/codec.hpp"
#include "alys/domain/hash.hpp"
#include "alys/domain/secp256k1.hpp"

namespace alys::chain {

// The chain's own keys in storage (CommitBlock.chain_puts), written with every block.
inline constexpr std::string_view kPowKey = "pow";
inline constexpr std::string_view kApprovedKey = "approved";

// A chain key as storage takes it, and a stored key as text.
inline Bytes key_bytes(std::string_view key) { return Bytes(key.begin(), key.end()); }
inline std::string_view key_text(const Bytes& key) {
  return {reinterpret_cast<const char*>(key.data()), key.size()};
}

// The last (height, round) this member approved a block in, and which block: written (and synced)
// before the approval is sent, so that a restarted member never approves a second block in it.
struct ApprovedAt {
  std::uint64_t height = 0;
  Hash32 hash{};
  std::uint32_t round = 0;
  ALYS_FIELDS(height, hash, round)
};

// Two approvals by one member in one (height, round) for different held blocks, both signed: kept
// in storage under "evidence/HEIGHT/ROUND/MEMBER". Two proposals by one author for one slot are
// this too (each carries its author's round-0 approval).
struct Equivocation {
  std::uint64_t height = 0;
  std::uint32_t round = 0;
  std::uint32_t member = 0;
  Hash32 first_hash{};
  SchnorrSignature first_signature{};
  Hash32 second_hash{};
  SchnorrSignature second_signature{};
  ALYS_FIELDS(height, round, member, first_hash, first_signature, second_hash, second_signature)
};

// Approvals of blocks not held yet that the chain keeps per member: an honest member has at most
// a few heights open (the one being decided, and the next while its block travels).
inline constexpr std::size_t kMaxEarlyApprovalsPerMember = 8;

inline std::string evidence_key(std::uint64_t height, std::uint32_t round, std::uint32_t member) {
  return "evidence/" + std::to_string(height) + "/" + std::to_string(round) + "/" +
         std::to_string(member);
}

}  // namespace alys::chain
