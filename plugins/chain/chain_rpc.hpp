// The chain's JSON-RPC surface (docs/chain.md): parameter parsing and result rendering. Boost.JSON
// stays inside chain_rpc.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "alys/domain/block.hpp"
#include "alys/domain/hash.hpp"
#include "alys/domain/wei.hpp"

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
  struct Pow {
    std::uint32_t bits = 0;
    std::uint64_t auxpow_height = 0;
    std::uint64_t unfinalized = 0;
    std::uint64_t max_blocks_without_pow = 0;
    bool paused = false;
  };
  std::optional<Pow> pow;  // nullopt: no merged mining on this chain
};

std::string render_status(const StatusView& status);

// The block with every field, plus its hash; "null" when absent.
std::string render_block(const SignedBlock& block, const Hash32& hash);

// createauxblock's answer, Namecoin's fields (docs/chain.md gives the byte order of each).
struct AuxBlockView {
  Hash32 aux_hash{};  // internal order
  std::uint32_t chain_id = 0;
  Hash32 previous{};  // the last finalized block (or genesis)
  std::uint32_t bits = 0;
  std::uint64_t height = 0;  // the block that will carry the AuxPoW
  // coinbasevalue: what the work's fee recipient would be minted now, in gwei (docs/mining.md).
  Wei coinbase_value_gwei = 0;
};
std::string render_aux_block(const AuxBlockView& view);

// The positional string param at `index`: nullopt when the params hold fewer; RpcError(-32602)
// when it is not a string or the params are not an array.
std::optional<std::string> string_param(std::string_view params_json, std::size_t index);

// chain_getBlockByHeight: params [height] or {"height": n}; height as a number or a 0x quantity.
// Throws alys::RpcError(-32602, ...) on anything else.
std::uint64_t parse_height_param(std::string_view params_json);
// chain_getBlockByHash: params ["0x..."] or {"hash": "0x..."}; 32 bytes of hex.
Hash32 parse_hash_param(std::string_view params_json);

// chain_queuePegIn's answer: the peg-in as chain_getBlockByHeight shows it, and the wei it mints.
std::string render_pegin(const PegIn& pegin);

// chain_queuePegIn: params [txid, vout, address, amount_sats] or {"txid", "vout", "address",
// "amount_sats"}; txid as 64 hex digits in display order (as Bitcoin RPC shows it, "0x" optional),
// address as "0x" + 40 hex digits, amount a positive integer. Throws RpcError(-32602, ...) naming
// the field at fault.
PegIn parse_pegin_params(std::string_view params_json);

}  // namespace alys::chain
