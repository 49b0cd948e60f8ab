// Peg-ins: which Bitcoin outputs the chain has minted, and the mint each one is. A peg-in is named
// by its Bitcoin output (txid, vout); the chain mints each at most once (docs/chain.md, "Peg-ins").
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "alys/domain/block.hpp"
#include "alys/domain/hash.hpp"
#include "alys/domain/wei.hpp"

namespace alys::chain {

// Alys's limit of peg-ins per block.
inline constexpr std::size_t kMaxPegInsPerBlock = 16;

// (txid in internal byte order, vout).
using PegInId = std::pair<Hash32, std::uint32_t>;
inline PegInId pegin_id(const PegIn& pegin) { return {pegin.bitcoin_txid, pegin.vout}; }

// The chain keys of a peg-in, txid in display order (as Bitcoin RPC shows it): the minted record
// (written only in the batch of the block that mints it; value: the PegIn) and the queue entry
// (value: the PegIn while queued; empty once a block minted it, as storage has no chain deletes).
inline constexpr std::string_view kPegInMintedPrefix = "pegin/";
inline constexpr std::string_view kPegInQueuedPrefix = "pegin_queue/";
inline std::string pegin_key(std::string_view prefix, const PegIn& pegin) {
  return std::string(prefix) + to_hex(reversed(pegin.bitcoin_txid)) + "/" +
         std::to_string(pegin.vout);
}

// What a peg-in mints: sats x 10^10 wei to its address (1 sat = 10 gwei).
inline Mint mint_of(const PegIn& pegin) {
  return Mint{pegin.to, wei_to_be32(static_cast<Wei>(pegin.amount_sats) * kWeiPerSatoshi)};
}
inline std::vector<Mint> mints_of(const std::vector<PegIn>& pegins) {
  std::vector<Mint> mints;
  mints.reserve(pegins.size());
  for (const PegIn& pegin : pegins) mints.push_back(mint_of(pegin));
  return mints;
}

}  // namespace alys::chain
