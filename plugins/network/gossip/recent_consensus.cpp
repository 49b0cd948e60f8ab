#include "recent_consensus.hpp"

#include <algorithm>

#include "alys/domain/block.hpp"

namespace alys::network {

RecentConsensus::RecentConsensus(std::size_t max_heights) : max_heights_(max_heights) {}

RecentConsensus::Height* RecentConsensus::slot_for(std::uint64_t height) {
  // An approval states its height itself (only its hash and round are signed): the bound keeps a
  // member's approval with an absurd height from sitting here forever.
  if (height <= head_height_ || height - head_height_ > max_heights_) return nullptr;
  return &heights_[height];
}

bool RecentConsensus::add_proposal(const chain::ImportBlock& proposal, const Hash32& hash) {
  Height* height = slot_for(proposal.block.block.height);
  if (!height || height->proposals.size() >= kMaxProposalsPerHeight) return false;
  for (const auto& [kept_hash, kept] : height->proposals)
    if (kept_hash == hash) return false;
  height->proposals.emplace_back(hash, proposal);
  return true;
}

bool RecentConsensus::add_approval(const chain::ApproveBlock& approval) {
  Height* height = slot_for(approval.height);
  if (!height || height->approvals.size() >= kMaxApprovalsPerHeight) return false;
  // One per member and round: a second one is a copy, or an equivocation the chain judges.
  for (const chain::ApproveBlock& kept : height->approvals)
    if (kept.approval.member_index == approval.approval.member_index &&
        kept.round == approval.round)
      return false;
  height->approvals.push_back(approval);
  return true;
}

bool RecentConsensus::add_auxpow(const chain::OfferAuxPow& offer) {
  const Bytes encoded = encode(offer.header);
  for (const chain::OfferAuxPow& kept : auxpow_)
    if (encode(kept.header) == encoded) return false;
  // A newer offer supersedes the oldest: the chain embeds the latest it accepted.
  if (auxpow_.size() >= kMaxAuxPow) auxpow_.erase(auxpow_.begin());
  auxpow_.push_back(offer);
  return true;
}

void RecentConsensus::head_moved(std::uint64_t head_height) {
  head_height_ = head_height;
  heights_.erase(heights_.begin(), heights_.upper_bound(head_height));
}

void RecentConsensus::finalized(std::uint64_t finalized_height) {
  std::erase_if(auxpow_, [&](const chain::OfferAuxPow& offer) {
    return offer.header.range_end <= finalized_height;
  });
}

void RecentConsensus::replay(const std::function<void(const chain::ImportBlock&)>& proposal,
                             const std::function<void(const chain::ApproveBlock&)>& approval,
                             const std::function<void(const chain::OfferAuxPow&)>& auxpow) const {
  for (const auto& [_, height] : heights_)
    for (const auto& [hash, kept] : height.proposals) proposal(kept);
  for (const auto& [_, height] : heights_)
    for (const chain::ApproveBlock& kept : height.approvals) approval(kept);
  for (const chain::OfferAuxPow& kept : auxpow_) auxpow(kept);
}

void RecentConsensus::replay_height(
    std::uint64_t height, const std::function<void(const chain::ImportBlock&)>& proposal,
    const std::function<void(const chain::ApproveBlock&)>& approval) const {
  auto found = heights_.find(height);
  if (found == heights_.end()) return;
  for (const auto& [hash, kept] : found->second.proposals) proposal(kept);
  for (const chain::ApproveBlock& kept : found->second.approvals) approval(kept);
}

std::size_t RecentConsensus::size() const {
  std::size_t count = auxpow_.size();
  for (const auto& [_, height] : heights_)
    count += height.proposals.size() + height.approvals.size();
  return count;
}

RecentConsensusState RecentConsensus::state() const {
  RecentConsensusState state;
  replay([&](const chain::ImportBlock& p) { state.proposals.push_back(p); },
         [&](const chain::ApproveBlock& a) { state.approvals.push_back(a); },
         [&](const chain::OfferAuxPow& o) { state.auxpow.push_back(o); });
  return state;
}

void RecentConsensus::load(const RecentConsensusState& state) {
  heights_.clear();
  auxpow_.clear();
  for (const chain::ImportBlock& proposal : state.proposals)
    add_proposal(proposal, block_hash(proposal.block.block));
  for (const chain::ApproveBlock& approval : state.approvals) add_approval(approval);
  for (const chain::OfferAuxPow& offer : state.auxpow) add_auxpow(offer);
}

}  // namespace alys::network
