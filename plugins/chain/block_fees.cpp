// Fees (docs/mining.md, "Fees"): each block's fees, as the engine reports them, recorded in the
// block's batch; a block carrying an AuxPoW mints the fees of the range it finalizes, 80% to the
// AuxPoW's fee recipient and the rest to the federation. Every member derives the same mints from
// its own records, so a block built with other mints fails its re-execution (payload_invalid).
#include "chain_actor.hpp"

namespace alys::chain {

std::vector<Mint> ChainActor::block_mints(const std::vector<PegIn>& pegins,
                                          const std::optional<AuxPowHeader>& auxpow,
                                          std::optional<FeeShares>* paid) const {
  std::vector<Mint> mints = mints_of(pegins);
  if (!auxpow) return mints;
  // The header passed MergedMining::check_header (or is this node's queued one, which did): its
  // range starts after the finalized block and ends below the head + 1, where the ledger is
  // current. A range no record covers is a broken ledger, not a bad block.
  const std::optional<Wei> total = fees_.total(auxpow->range_start, auxpow->range_end);
  if (!total)
    fatal("the fees of blocks " + std::to_string(auxpow->range_start) + ".." +
          std::to_string(auxpow->range_end) + " are not recorded here (recorded up to " +
          std::to_string(fees_.next_height()) + ")");
  const FeeShares shares = fee_shares(*total);
  for (const Mint& mint :
       fee_mints(shares, auxpow->fee_recipient, config_.spec.federation_fee_recipient))
    mints.push_back(mint);
  if (paid) *paid = shares;
  return mints;
}

void ChainActor::add_fee_puts(const ImportJob& job, const std::optional<AuxPowHeader>& auxpow,
                              CommitExtras& extras) const {
  if (!mining_ || !job.fees.paid_wei) return;
  FeeLedger after = fees_;
  if (auxpow) after.finalized(auxpow->range_end);
  after.add(job.block.block.height, *job.fees.paid_wei);
  extras.chain_puts.push_back({key_bytes(kFeesKey), encode(after.record())});
}

void ChainActor::fees_committed(const ImportJob& job, const std::optional<AuxPowHeader>& auxpow) {
  if (!mining_) return;
  if (auxpow) {
    fees_.finalized(auxpow->range_end);
    if (job.fees.payout && job.fees.payout->total_wei != 0) {
      const FeeShares& paid = *job.fees.payout;
      // Counters take 64 bits: 2^64 gwei is about 18 million BTC, more than there is.
      context().counter_add("chain_fees_paid_miner_gwei_total",
                            static_cast<std::uint64_t>(paid.miner_gwei));
      context().counter_add("chain_fees_paid_federation_gwei_total",
                            static_cast<std::uint64_t>(paid.federation_gwei));
      context().log(LogLevel::info,
                    "block " + std::to_string(job.block.block.height) +
                        " pays the fees of blocks " + std::to_string(auxpow->range_start) + ".." +
                        std::to_string(auxpow->range_end) + ", " + wei_to_decimal(paid.total_wei) +
                        " wei: " + wei_to_decimal(paid.miner_gwei) + " gwei to the miner " +
                        to_0x_hex(auxpow->fee_recipient) + ", " +
                        wei_to_decimal(paid.federation_gwei) + " gwei to the federation " +
                        to_0x_hex(config_.spec.federation_fee_recipient) + ", " +
                        wei_to_decimal(paid.burned_wei()) + " wei stay burned");
    }
  }
  if (job.fees.paid_wei) fees_.add(job.block.block.height, *job.fees.paid_wei);
}

void ChainActor::load_fees(const std::vector<storage::KeyValue>& entries) {
  fees_.reset(head_.height);
  for (const storage::KeyValue& entry : entries)
    if (key_text(entry.key) == kFeesKey) fees_.load(decode<FeeRecord>(entry.value));
}

Wei ChainActor::miner_share_now() const {
  if (!mining_ || head_.height < mining_->first_unfinalized_height()) return 0;
  const std::optional<Wei> total = fees_.total(mining_->first_unfinalized_height(), head_.height);
  return total ? fee_shares(*total).miner_gwei : 0;
}

}  // namespace alys::chain
