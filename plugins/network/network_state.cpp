#include "network_state.hpp"

#include <iterator>

#include "alys/crc32c.hpp"
#include "wire/messages.hpp"

namespace alys::network {

void keep_frames_worth_handing_on(std::map<XOnlyPublicKey, std::vector<OutboundFrame>>& unsent) {
  for (auto it = unsent.begin(); it != unsent.end();) {
    std::erase_if(it->second, [](const OutboundFrame& frame) {
      if (frame.plaintext.size() < wire::kFrameHeaderSize) return true;
      switch (static_cast<wire::MessageType>(frame.plaintext[1])) {
        case wire::MessageType::proposal:
        case wire::MessageType::approval:
        case wire::MessageType::auxpow:
        case wire::MessageType::transaction:
          return false;
        default:
          return true;
      }
    });
    it = it->second.empty() ? unsent.erase(it) : std::next(it);
  }
}

StateSnapshot encode_network_state(const NetworkState& state, std::uint32_t target_schema) {
  if (target_schema == 0) throw Error(ALYS_ERR_SCHEMA, "no network state schema 0");
  NetworkStateV1 v1;
  for (const auto& [key, peer] : state.peers)
    v1.peers.push_back({key, peer.score, peer.banned_until_ms, peer.offences});
  for (const auto& [ip, until] : state.ip_bans) v1.ip_bans.push_back({ip, until});
  v1.offence_counts.assign(state.offence_counts.begin(), state.offence_counts.end());
  v1.gossip = state.gossip;
  for (const auto& [key, frames] : state.unsent) {
    UnsentFrames entry;
    entry.key = key;
    for (const OutboundFrame& frame : frames) {
      entry.frames.push_back(frame.plaintext);
      entry.consensus.push_back(frame.consensus ? 1 : 0);
    }
    v1.unsent.push_back(std::move(entry));
  }
  StateSnapshot snapshot;
  snapshot.schema_version = kNetworkStateSchema;
  snapshot.bytes = encode(v1);
  const std::uint32_t crc = crc32c(snapshot.bytes);
  for (int i = 0; i < 4; ++i) snapshot.bytes.push_back(static_cast<std::uint8_t>(crc >> (8 * i)));
  return snapshot;
}

NetworkState decode_network_state(ByteView bytes, std::uint32_t schema) {
  if (schema != kNetworkStateSchema)
    throw Error(ALYS_ERR_SCHEMA, "network state schema " + std::to_string(schema) +
                                     " is not one this build reads (1)");
  if (bytes.size() < 4) throw Error(ALYS_ERR_INVALID, "network state: truncated");
  const ByteView body = bytes.first(bytes.size() - 4);
  std::uint32_t stored = 0;
  for (int i = 0; i < 4; ++i) stored |= std::uint32_t{bytes[body.size() + i]} << (8 * i);
  if (crc32c(body) != stored)
    throw Error(ALYS_ERR_INVALID, "network state: checksum mismatch: truncated or corrupt");
  NetworkStateV1 v1;
  try {
    v1 = decode_strict<NetworkStateV1>(body);
  } catch (const DecodeError& error) {
    throw Error(ALYS_ERR_INVALID, std::string("network state: ") + error.what());
  }
  NetworkState state;
  for (const auto& entry : v1.peers)
    state.peers[entry.key] = {entry.score, entry.banned_until_ms, entry.offences};
  for (const auto& entry : v1.ip_bans) state.ip_bans[entry.ip] = entry.until_ms;
  for (std::size_t i = 0; i < v1.offence_counts.size() && i < kOffenceCount; ++i)
    state.offence_counts[i] = v1.offence_counts[i];
  state.gossip = std::move(v1.gossip);
  for (auto& entry : v1.unsent) {
    if (entry.consensus.size() != entry.frames.size())
      throw Error(ALYS_ERR_INVALID, "network state: a queue's flags do not match its frames");
    auto& frames = state.unsent[entry.key];
    for (std::size_t i = 0; i < entry.frames.size(); ++i)
      frames.push_back({std::move(entry.frames[i]), entry.consensus[i] != 0});
  }
  return state;
}

}  // namespace alys::network
