// The consensus messages for heights above the head: proposals, approvals, and the AuxPoW offers
// not yet finalized. Kept until the head (or the finalized height, for AuxPoW) passes them and
// replayed to every peer that connects, so that a member that reconnects, or a network plugin
// restarted or swapped in, loses no approval of the height being decided.
//
// Bounded: heights at most `max_heights` above the head, `kMaxProposalsPerHeight` proposals and
// `kMaxApprovalsPerHeight` approvals per height, one approval per (height, member, round) — the
// signature does not cover the stated height, so a peer restating old approvals cannot crowd out
// the real ones beyond one slot per member and round — and `kMaxAuxPow` offers; what does not fit
// is not kept (it is still handled and relayed, just not replayed).
//
// Not thread-safe: the network actor's thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <vector>

#include "alys/codec.hpp"
#include "alys/schemas/chain.hpp"

namespace alys::network {

// The kept messages as a schema (the gossip snapshot carries it).
struct RecentConsensusState {
  std::vector<chain::ImportBlock> proposals;
  std::vector<chain::ApproveBlock> approvals;
  std::vector<chain::OfferAuxPow> auxpow;
  ALYS_FIELDS(proposals, approvals, auxpow)
};

class RecentConsensus {
 public:
  static constexpr std::size_t kMaxProposalsPerHeight = 16;
  static constexpr std::size_t kMaxApprovalsPerHeight = 512;
  static constexpr std::size_t kMaxAuxPow = 4;

  explicit RecentConsensus(std::size_t max_heights);

  // Each returns true when the message is now kept (false: a copy is kept already, or its height
  // is at or below the head, or too far above it, or its height is full).
  bool add_proposal(const chain::ImportBlock& proposal, const Hash32& hash);
  bool add_approval(const chain::ApproveBlock& approval);
  bool add_auxpow(const chain::OfferAuxPow& offer);

  // Forgets proposals and approvals at or below `head_height`.
  void head_moved(std::uint64_t head_height);
  // Forgets AuxPoW offers whose range ends at or below `finalized_height`.
  void finalized(std::uint64_t finalized_height);

  // The proposals, then the approvals, kept for one height (the stall replay: head + 1).
  void replay_height(std::uint64_t height,
                     const std::function<void(const chain::ImportBlock&)>& proposal,
                     const std::function<void(const chain::ApproveBlock&)>& approval) const;

  // Proposals first (a receiver holds the block before its approvals), then approvals, in height
  // order, then the AuxPoW offers.
  void replay(const std::function<void(const chain::ImportBlock&)>& proposal,
              const std::function<void(const chain::ApproveBlock&)>& approval,
              const std::function<void(const chain::OfferAuxPow&)>& auxpow) const;

  std::size_t size() const;
  std::uint64_t head_height() const { return head_height_; }

  RecentConsensusState state() const;
  // Replaces what is kept with `state` (bounds applied as if each message were added again).
  void load(const RecentConsensusState& state);

 private:
  struct Height {
    std::vector<std::pair<Hash32, chain::ImportBlock>> proposals;
    std::vector<chain::ApproveBlock> approvals;
  };
  Height* slot_for(std::uint64_t height);

  std::size_t max_heights_;
  std::uint64_t head_height_ = 0;
  std::map<std::uint64_t, Height> heights_;
  std::vector<chain::OfferAuxPow> auxpow_;
};

}  // namespace alys::network
