// Approvals: this member signs at most one block per height, and only one that passed every check;
// the approvals of other members arrive one by one (ApproveBlock) and complete held blocks.
#include "chain_actor.hpp"

namespace alys::chain {

// A member approves at most one block per height: with a majority threshold, that is what keeps
// two blocks at one height from both being imported anywhere (docs/chain.md, fork choice).
bool ChainActor::add_own_approval(ImportJob& job) {
  if (!key_ || !my_index_) return false;
  const Block& block = job.block.block;
  if (block.height <= last_approved_height_ && last_approved_hash_ != job.hash) return false;
  for (const Approval& approval : job.block.approvals)
    if (approval.member_index == *my_index_) return false;
  Approval own{*my_index_, key_->schnorr_sign(approval_message(config_.spec.chain_id, job.hash))};
  job.block.approvals.push_back(own);
  last_approved_height_ = block.height;
  last_approved_hash_ = job.hash;
  if (!job.produced_here)
    (void)context().publish(kApprovalTopic, ApproveBlock{job.hash, own, 0, block.height});
  return true;
}

// One approval is checked on its own: a bad, foreign or repeated one is dropped without harming
// the block it names. Approvals for a block not held yet (still queued, or not arrived) wait.
void ChainActor::approve(const ApproveBlock& message) {
  const Approval& approval = message.approval;
  if (approval.member_index >= config_.spec.members.size() ||
      !schnorr_verify(config_.spec.members[approval.member_index],
                      approval_message(config_.spec.chain_id, message.block_hash),
                      approval.signature)) {
    context().counter_add("chain_approvals_invalid_total");
    return;
  }
  auto found = pending_.find(message.block_hash);
  if (found == pending_.end()) {
    if (early_approvals_.size() >= kMaxEarlyApprovalBlocks &&
        !early_approvals_.contains(message.block_hash)) {
      context().counter_add("chain_approvals_dropped_total");
      return;
    }
    add_unique(early_approvals_[message.block_hash], approval);
    return;
  }
  if (!add_unique(found->second.block.approvals, approval)) return;
  ImportJob job = std::move(found->second);
  pending_.erase(found);
  enqueue(std::move(job));
}

bool ChainActor::add_unique(std::vector<Approval>& approvals, const Approval& approval) {
  for (const Approval& existing : approvals)
    if (existing.member_index == approval.member_index) return false;
  approvals.push_back(approval);
  return true;
}

}  // namespace alys::chain
