// The gossip engine's hand-off state (hot swap): versioned bytes with a checksum.
//
// Layout: u32 schema (little-endian) | codec encoding of GossipStateV1 | SHA-256 of everything
// before it. Decoded strictly: bytes that are not exactly one state of a known schema, or whose
// checksum does not match, are refused whole.
#pragma once

#include <cstdint>

#include "alys/codec.hpp"
#include "alys/domain/hash.hpp"
#include "alys/status.hpp"
#include "recent_consensus.hpp"

namespace alys::network {

inline constexpr std::uint32_t kGossipStateSchema = 1;

struct GossipStateV1 {
  std::uint64_t chain_id = 0;  // a state of another chain is refused
  Hash32 genesis_hash{};
  std::uint64_t head_height = 0;
  bool has_finalized = false;
  std::uint64_t finalized_height = 0;
  std::uint64_t blocks_synced_total = 0;
  std::uint64_t relayed_total = 0;
  std::uint64_t duplicates_total = 0;
  RecentConsensusState recent;
  ALYS_FIELDS(chain_id, genesis_hash, head_height, has_finalized, finalized_height,
              blocks_synced_total, relayed_total, duplicates_total, recent)
};

Bytes encode_gossip_state(const GossipStateV1& state);
// ALYS_ERR_SCHEMA for an unknown schema number, ALYS_ERR_INVALID for anything else wrong.
Result<GossipStateV1> decode_gossip_state(ByteView bytes);

}  // namespace alys::network
