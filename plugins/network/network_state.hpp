// What the network role hands to its successor on a hot swap (docs/network.md, "Hot swap"):
// scores and bans, the offence counts, the gossip engine's own bytes (recent consensus messages,
// sync counters), and the frames queued but not yet written, by peer key. Connections do not go
// along: the old instance closes its sockets, the new one dials again, and the gossip engine
// replays recent consensus messages to every peer that connects.
//
// Schema 1: the codec encoding of NetworkStateV1, then the CRC32C of those bytes (4 bytes, LE).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "alys/actor.hpp"
#include "outbound_queue.hpp"
#include "peer_book.hpp"

namespace alys::network {

inline constexpr std::uint32_t kNetworkStateSchema = 1;

struct PeerRecordEntry {
  XOnlyPublicKey key{};
  std::int32_t score = 0;
  std::uint64_t banned_until_ms = 0;
  std::uint64_t offences = 0;
  ALYS_FIELDS(key, score, banned_until_ms, offences)
};

struct IpBanEntry {
  std::string ip;
  std::uint64_t until_ms = 0;
  ALYS_FIELDS(ip, until_ms)
};

struct UnsentFrames {
  XOnlyPublicKey key{};
  std::vector<Bytes> frames;
  std::vector<std::uint8_t> consensus;  // one flag per frame
  ALYS_FIELDS(key, frames, consensus)
};

struct NetworkStateV1 {
  std::vector<PeerRecordEntry> peers;
  std::vector<IpBanEntry> ip_bans;
  std::vector<std::uint64_t> offence_counts;  // by Offence
  Bytes gossip;                               // GossipEngine::snapshot(); empty before the spec
  std::vector<UnsentFrames> unsent;
  ALYS_FIELDS(peers, ip_bans, offence_counts, gossip, unsent)
};

struct NetworkState {
  std::map<XOnlyPublicKey, PeerRecord> peers;
  std::map<std::string, std::uint64_t> ip_bans;
  std::array<std::uint64_t, kOffenceCount> offence_counts{};
  Bytes gossip;
  std::map<XOnlyPublicKey, std::vector<OutboundFrame>> unsent;
};

// Keeps of the frames a stopping transport left unsent only those worth writing after a swap:
// proposals, approvals, AuxPoW and transactions. A Status or a Blocks answer is stale by then
// (the next instance sends a fresh status and the peer asks again), and Blocks can be 16 MiB each.
void keep_frames_worth_handing_on(std::map<XOnlyPublicKey, std::vector<OutboundFrame>>& unsent);

// Throws Error(ALYS_ERR_SCHEMA) when `target_schema` is 0.
StateSnapshot encode_network_state(const NetworkState& state, std::uint32_t target_schema);
// Throws Error: ALYS_ERR_SCHEMA for another schema; ALYS_ERR_INVALID for a checksum mismatch or
// bytes that are not one whole state.
NetworkState decode_network_state(ByteView bytes, std::uint32_t schema);

}  // namespace alys::network
