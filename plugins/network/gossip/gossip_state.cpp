#include "gossip_state.hpp"

#include <algorithm>

#include "alys/domain/sha256.hpp"

namespace alys::network {

namespace {
constexpr std::size_t kSchemaBytes = 4;
constexpr std::size_t kChecksumBytes = 32;
}  // namespace

Bytes encode_gossip_state(const GossipStateV1& state) {
  Bytes out;
  for (std::size_t i = 0; i < kSchemaBytes; ++i)
    out.push_back(static_cast<std::uint8_t>(kGossipStateSchema >> (8 * i)));
  const Bytes body = encode(state);
  out.insert(out.end(), body.begin(), body.end());
  const Hash32 checksum = sha256(out);
  out.insert(out.end(), checksum.begin(), checksum.end());
  return out;
}

Result<GossipStateV1> decode_gossip_state(ByteView bytes) {
  if (bytes.size() < kSchemaBytes + kChecksumBytes)
    return Status::Invalid("gossip state of " + std::to_string(bytes.size()) +
                           " bytes is shorter than its schema number and checksum");
  const ByteView covered = bytes.first(bytes.size() - kChecksumBytes);
  const Hash32 checksum = sha256(covered);
  if (!std::equal(checksum.begin(), checksum.end(), bytes.end() - kChecksumBytes))
    return Status::Invalid("gossip state checksum does not match: truncated or corrupt");
  std::uint32_t schema = 0;
  for (std::size_t i = 0; i < kSchemaBytes; ++i)
    schema |= static_cast<std::uint32_t>(bytes[i]) << (8 * i);
  if (schema != kGossipStateSchema)
    return Status(ALYS_ERR_SCHEMA, "gossip state schema " + std::to_string(schema) +
                                       " is not the schema this build reads (" +
                                       std::to_string(kGossipStateSchema) + ")");
  try {
    return decode_strict<GossipStateV1>(covered.subspan(kSchemaBytes));
  } catch (const DecodeError& error) {
    return Status::Invalid(std::string("gossip state does not decode: ") + error.what());
  }
}

}  // namespace alys::network
