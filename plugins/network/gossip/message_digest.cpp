#include "message_digest.hpp"

#include "alys/codec.hpp"
#include "alys/domain/sha256.hpp"

namespace alys::network {

namespace {

// Digests are SHA-256 over a kind byte and the message's identity, so that two kinds of message
// can never share a digest.
Hash32 digest_of(std::uint8_t kind, ByteView identity) {
  Bytes bytes;
  bytes.reserve(1 + identity.size());
  bytes.push_back(kind);
  bytes.insert(bytes.end(), identity.begin(), identity.end());
  return sha256(bytes);
}

void append_le32(Bytes& out, std::uint32_t value) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
}

}  // namespace

// The stated height is part of an approval's identity although unsigned: a copy with a false
// height must not shadow the true one.
Hash32 approval_digest(const chain::ApproveBlock& approval) {
  Bytes identity(approval.block_hash.begin(), approval.block_hash.end());
  append_le32(identity, approval.approval.member_index);
  append_le32(identity, approval.round);
  for (int i = 0; i < 8; ++i)
    identity.push_back(static_cast<std::uint8_t>(approval.height >> (8 * i)));
  return digest_of('a', identity);
}
Hash32 proposal_digest(const Hash32& block_hash) { return digest_of('p', block_hash); }
Hash32 auxpow_digest(const chain::OfferAuxPow& offer) { return digest_of('x', encode(offer)); }
Hash32 transaction_digest(const Hash32& transaction_hash) {
  return digest_of('t', transaction_hash);
}

}  // namespace alys::network
