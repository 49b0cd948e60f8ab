#include "alys/domain/block.hpp"

#include <algorithm>

#include "alys/domain/keccak.hpp"
#include "alys/domain/sha256.hpp"

namespace alys {

Hash32 block_hash(const Block& block) { return sha256(encode(block)); }

Hash32 approval_message(std::uint64_t chain_id, const Hash32& block_hash) {
  std::array<std::uint8_t, 8 + 32> message{};
  for (std::size_t i = 0; i < 8; ++i) message[i] = static_cast<std::uint8_t>(chain_id >> (8 * i));
  std::copy(block_hash.begin(), block_hash.end(), message.begin() + 8);
  return tagged_hash("alys/approval", message);
}

Hash32 approval_message(std::uint64_t chain_id, const Hash32& block_hash, std::uint32_t round) {
  if (round == 0) return approval_message(chain_id, block_hash);
  std::array<std::uint8_t, 8 + 32 + 4> message{};
  for (std::size_t i = 0; i < 8; ++i) message[i] = static_cast<std::uint8_t>(chain_id >> (8 * i));
  std::copy(block_hash.begin(), block_hash.end(), message.begin() + 8);
  for (std::size_t i = 0; i < 4; ++i) message[40 + i] = static_cast<std::uint8_t>(round >> (8 * i));
  return tagged_hash("alys/approval", message);
}

Hash32 payload_hash(const ExecutionPayload& payload) {
  ExecutionPayload without_hash = payload;
  without_hash.block_hash = Hash32{};
  return keccak256(encode(without_hash));
}

}  // namespace alys
