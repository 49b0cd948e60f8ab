// The chain's JSON-RPC surface (docs/chain.md): parameter parsing and result rendering. Boost.JSON
// stays inside chain_rpc.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "alys/domain/block.hpp"
#include "alys/domain/hash.hpp"

namespace alys::chain {

struct StatusView {
  std::uint64_t head_height = 0;
  Hash32 head_hash{};
  std::uint64_t head_slot = 0;
  bool has_finalized = false;
  std::uint64_t finalized_height = 0;
  Hash32 finalized_hash{};
  std::uint64_t current_slot = 0;
  std::optional<std::uint32_t> member_index;  // nullopt: an observer
  bool producing = false;
  std::uint32_t pending_blocks = 0;
};

std::string render_status(const StatusView& status);

// The block with every field, plus its hash; "null" when absent.
std::string render_block(const SignedBlock& block, const Hash32& hash);

// chain_getBlockByHeight: params [height] or {"height": n}; height as a number or a 0x quantity.
// Throws alys::RpcError(-32602, ...) on anything else.
std::uint64_t parse_height_param(std::string_view params_json);
// chain_getBlockByHash: params ["0x..."] or {"hash": "0x..."}; 32 bytes of hex.
Hash32 parse_hash_param(std::string_view params_json);

}  // namespace alys::chain
