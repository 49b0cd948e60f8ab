// Fees (docs/mining.md, "Fees"): every block's payload pays its fees to the burn address (tips
// there, the base fee burned by EIP-1559); a block carrying an AuxPoW re-mints the fees of the
// blocks it finalizes, 80% to the AuxPoW's fee recipient and the rest to the federation, in whole
// gwei. Pure logic: the chain actor records each block's fees with the block and derives the mints.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <optional>
#include <string_view>
#include <vector>

#include "alys/codec.hpp"
#include "alys/domain/block.hpp"
#include "alys/domain/hash.hpp"
#include "alys/domain/wei.hpp"

namespace alys::chain {

// 0x000000000000000000000000000000000000dEaD: the fee recipient of every block's payload (Alys's).
// Nobody holds its key, so the tips paid there are out of circulation like the base fee.
inline constexpr EthAddress kFeeBurnAddress = {0, 0, 0, 0, 0, 0, 0, 0, 0,    0,
                                               0, 0, 0, 0, 0, 0, 0, 0, 0xde, 0xad};

inline constexpr Wei kWeiPerGwei = 1'000'000'000;

// What a finalization pays out of `total_wei` fees: the miner floor(total x 8 / 10 / 10^9) gwei,
// the federation floor(total / 10^9) gwei minus the miner's; the sub-gwei rest stays burned.
struct FeeShares {
  Wei total_wei = 0;
  Wei miner_gwei = 0;
  Wei federation_gwei = 0;
  Wei burned_wei() const { return total_wei - (miner_gwei + federation_gwei) * kWeiPerGwei; }
};
FeeShares fee_shares(Wei total_wei);

// The mints of `shares` (after a block's peg-in mints): the miner's first, then the federation's;
// a zero amount is not minted.
std::vector<Mint> fee_mints(const FeeShares& shares, const EthAddress& miner,
                            const EthAddress& federation);

// The chain key holding FeeRecord, written in every block's batch on a chain with merged mining.
inline constexpr std::string_view kFeesKey = "fees";

// The fees of the blocks after the finalized one: heights first_height, first_height + 1, ...
// (big-endian wei, as engine::PayloadExecuted.fees_wei). One record rewritten with each block
// rather than a key per block: the chain's key space is read whole at start, and
// max_blocks_without_pow bounds how many blocks are unfinalized.
struct FeeRecord {
  std::uint64_t first_height = 1;
  std::vector<std::array<std::uint8_t, 32>> fees_wei;
  ALYS_FIELDS(first_height, fees_wei)
};

// The fees of the unfinalized blocks, by height. Heights below first_height() that are not
// finalized have no record (blocks imported while the chain ran without merged mining, or before
// this version) and count as zero, the same on every member.
class FeeLedger {
 public:
  // No record: the blocks up to `head_height` count as zero.
  void reset(std::uint64_t head_height);
  void load(const FeeRecord& record);
  FeeRecord record() const;

  std::uint64_t first_height() const { return first_height_; }
  // The height whose fees come next: the head's + 1 once the ledger is current.
  std::uint64_t next_height() const { return first_height_ + fees_.size(); }

  // The block at `height` paid `fees_wei`. A height already recorded is ignored (a block completed
  // after a hot swap was recorded by the instance that committed it); REQUIRES height <=
  // next_height().
  void add(std::uint64_t height, Wei fees_wei);
  // The blocks up to `height` are finalized: their fees are paid and forgotten.
  void finalized(std::uint64_t height);
  // The fees of heights start..end; nullopt when some height above the ledger is asked for.
  std::optional<Wei> total(std::uint64_t start, std::uint64_t end) const;

 private:
  std::uint64_t first_height_ = 1;
  std::deque<Wei> fees_;
};

}  // namespace alys::chain
