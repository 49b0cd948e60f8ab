#include "fees.hpp"

#include <algorithm>

namespace alys::chain {

FeeShares fee_shares(Wei total_wei) {
  FeeShares shares;
  shares.total_wei = total_wei;
  // Whole gwei: the engine-api backend mints through Engine API withdrawals, which count gwei.
  // total x 8 stays far below 2^128 (every balance fits 2^85 wei).
  shares.miner_gwei = total_wei * 8 / 10 / kWeiPerGwei;
  shares.federation_gwei = total_wei / kWeiPerGwei - shares.miner_gwei;
  return shares;
}

std::vector<Mint> fee_mints(const FeeShares& shares, const EthAddress& miner,
                            const EthAddress& federation) {
  std::vector<Mint> mints;
  if (shares.miner_gwei != 0)
    mints.push_back(Mint{miner, wei_to_be32(shares.miner_gwei * kWeiPerGwei)});
  if (shares.federation_gwei != 0)
    mints.push_back(Mint{federation, wei_to_be32(shares.federation_gwei * kWeiPerGwei)});
  return mints;
}

void FeeLedger::reset(std::uint64_t head_height) {
  first_height_ = head_height + 1;
  fees_.clear();
}

void FeeLedger::load(const FeeRecord& record) {
  first_height_ = record.first_height;
  fees_.clear();
  // Written from a ledger, every value fits 128 bits; a value that does not is no fee of ours.
  for (const auto& fee : record.fees_wei) fees_.push_back(wei_from_be(fee).value_or(0));
}

FeeRecord FeeLedger::record() const {
  FeeRecord record;
  record.first_height = first_height_;
  record.fees_wei.reserve(fees_.size());
  for (Wei fee : fees_) record.fees_wei.push_back(wei_to_be32(fee));
  return record;
}

void FeeLedger::add(std::uint64_t height, Wei fees_wei) {
  if (height < next_height()) return;
  // A gap (REQUIRES says none): the heights in between have no record and count as zero.
  if (height > next_height()) reset(height - 1);
  fees_.push_back(fees_wei);
}

void FeeLedger::finalized(std::uint64_t height) {
  while (!fees_.empty() && first_height_ <= height) {
    fees_.pop_front();
    ++first_height_;
  }
  if (first_height_ <= height) first_height_ = height + 1;
}

std::optional<Wei> FeeLedger::total(std::uint64_t start, std::uint64_t end) const {
  if (end >= next_height()) return std::nullopt;
  Wei sum = 0;
  for (std::uint64_t height = std::max(start, first_height_); height <= end; ++height)
    sum += fees_[height - first_height_];
  return sum;
}

}  // namespace alys::chain
