// Approvals and rounds (docs/chain.md, "Fork choice and liveness"): this member signs at most one
// block per (height, round), records that in storage before anyone sees the signature, and moves
// to the next round when the approvals it holds show that no block can be certified in this one.
// The approvals of other members arrive one by one (ApproveBlock); every verified one is kept by
// block and round until its height is decided.
#include <algorithm>

#include "chain_actor.hpp"

namespace alys::chain {
bool ChainActor::may_approve(std::uint64_t height, const Hash32& hash) const {
  if (!key_ || !my_index_) return false;
  if (last_approved_height_ != height) return last_approved_height_ < height;
  if (last_approved_round_ != round_) return last_approved_round_ < round_;
  return last_approved_hash_ == hash;
}

bool ChainActor::approved_in_round(const Hash32& hash) const {
  if (!my_index_) return false;
  auto heard = approvals_.find(hash);
  if (heard == approvals_.end()) return false;
  auto in_round = heard->second.by_round.find(round_);
  return in_round != heard->second.by_round.end() &&
         std::any_of(in_round->second.begin(), in_round->second.end(),
                     [&](const Approval& a) { return a.member_index == *my_index_; });
}

void ChainActor::sign_approval(const Hash32& hash, std::uint64_t height, bool publish,
                               std::function<void(const Approval&)> then, bool record) {
  const std::uint32_t round = round_;
  // Taken at once: nothing else is signed at (height, round) while storage writes the record.
  signing_ = true;
  last_approved_height_ = height;
  last_approved_hash_ = hash;
  last_approved_round_ = round;
  auto signed_now = [this, hash, height, round, publish, then] {
    signing_ = false;
    const Approval own{*my_index_,
                       key_->schnorr_sign(approval_message(config_.spec.chain_id, hash, round))};
    record_approval(hash, round, own);
    context().counter_add("chain_approvals_given_total");
    if (publish) (void)context().publish(kApprovalTopic, ApproveBlock{hash, own, round, height});
    then(own);
  };
  if (!record) return signed_now();
  storage::PutChainState approval_record;
  approval_record.puts.push_back(
      {key_bytes(kApprovedKey), encode(ApprovedAt{height, hash, round})});
  ask(storage_, approval_record, config_.node.storage_timeout_ms)
      .then(
          [height, signed_now](const storage::Committed& committed) {
            if (!committed.error.empty())
              fatal("storage could not record the approval at height " + std::to_string(height) +
                    ": " + committed.error);
            signed_now();
          },
          fatal_unless_answered("storage did not confirm the approval record at height " +
                                std::to_string(height)));
}

// One approval is checked on its own: a bad, foreign or repeated one is dropped without harming
// the block it names. Approvals of a block not held yet wait, within bounds.
void ChainActor::approve(const ApproveBlock& message) {
  const Approval& approval = message.approval;
  if (approval.member_index >= config_.spec.members.size() ||
      !schnorr_verify(config_.spec.members[approval.member_index],
                      approval_message(config_.spec.chain_id, message.block_hash, message.round),
                      approval.signature)) {
    context().counter_add("chain_approvals_invalid_total");
    return;
  }
  if (message.round > round_ + kMaxRoundsAhead) {
    context().counter_add("chain_approvals_dropped_total");
    return;
  }
  auto known = approvals_.find(message.block_hash);
  if (known == approvals_.end() || !known->second.held) {
    // The stated height is unproven until the block arrives; one at a decided height is useless
    // whether it is true or not.
    if (message.height <= head_.height) {
      context().counter_add("chain_approvals_stale_total");
      return;
    }
    std::size_t from_member = 0;
    for (const auto& [hash, heard] : approvals_)
      if (!heard.held)
        for (const auto& [round, list] : heard.by_round)
          from_member += static_cast<std::size_t>(std::count_if(
              list.begin(), list.end(),
              [&](const Approval& a) { return a.member_index == approval.member_index; }));
    if (from_member >= kMaxEarlyApprovalsPerMember ||
        (known == approvals_.end() && approvals_.size() >= kMaxEarlyApprovalBlocks)) {
      context().counter_add("chain_approvals_dropped_total");
      return;
    }
    HeardApprovals& heard = approvals_[message.block_hash];
    if (heard.by_round.empty()) heard.height = message.height;
    add_unique(heard.by_round[message.round], approval);
    return;
  }
  if (record_approval(message.block_hash, message.round, approval)) advance_rounds();
}

bool ChainActor::add_unique(std::vector<Approval>& approvals, const Approval& approval) {
  for (const Approval& existing : approvals)
    if (existing.member_index == approval.member_index) return false;
  approvals.push_back(approval);
  return true;
}

bool ChainActor::record_approval(const Hash32& hash, std::uint32_t round,
                                 const Approval& approval) {
  HeardApprovals& heard = approvals_[hash];
  if (!add_unique(heard.by_round[round], approval)) return false;
  if (heard.held) check_equivocation(hash, round, approval);
  return true;
}

void ChainActor::mark_held(const Hash32& hash, std::uint64_t height) {
  HeardApprovals& heard = approvals_[hash];
  if (heard.held) return;
  heard.held = true;
  heard.height = height;
  for (const auto& [round, list] : heard.by_round)
    for (const Approval& approval : list) check_equivocation(hash, round, approval);
}

// Only approvals of held blocks are compared: the blocks prove that both are at one height.
void ChainActor::check_equivocation(const Hash32& hash, std::uint32_t round,
                                    const Approval& approval) {
  const HeardApprovals& heard = approvals_.at(hash);
  for (const auto& [other_hash, other] : approvals_) {
    if (other_hash == hash || !other.held || other.height != heard.height) continue;
    auto in_round = other.by_round.find(round);
    if (in_round == other.by_round.end()) continue;
    for (const Approval& earlier : in_round->second) {
      if (earlier.member_index != approval.member_index) continue;
      if (!equivocators_.emplace(heard.height, round, approval.member_index).second) return;
      const std::string key = evidence_key(heard.height, round, approval.member_index);
      context().counter_add("chain_equivocations_total");
      context().log(LogLevel::warn,
                    "member " + std::to_string(approval.member_index) + " approved two blocks at " +
                        "height " + std::to_string(heard.height) + " in round " +
                        std::to_string(round) + ": " + short_hex(other_hash) + " and " +
                        short_hex(hash) + " (evidence kept as " + key + ")");
      storage::PutChainState evidence;
      evidence.puts.push_back(
          {key_bytes(key),
           encode(Equivocation{heard.height, round, approval.member_index, other_hash,
                               earlier.signature, hash, approval.signature})});
      ask(storage_, evidence, config_.node.storage_timeout_ms)
          .then(
              [this, key](const storage::Committed& committed) {
                if (!committed.error.empty())
                  context().log(LogLevel::error,
                                "storage did not keep " + key + ": " + committed.error);
              },
              [this, key](const Status& error) {
                context().log(LogLevel::error,
                              "storage did not keep " + key + ": " + error.to_string());
              });
      return;
    }
  }
}

RoundTally ChainActor::tally(std::uint32_t round) const {
  RoundTally result;
  for (const auto& [hash, heard] : approvals_) {
    if (!heard.held || heard.height != head_.height + 1) continue;
    auto& approvers = result[hash];
    if (auto in_round = heard.by_round.find(round); in_round != heard.by_round.end())
      for (const Approval& approval : in_round->second) approvers.insert(approval.member_index);
  }
  return result;
}

std::optional<std::uint32_t> ChainActor::certified_round(const Hash32& hash) const {
  auto heard = approvals_.find(hash);
  if (heard == approvals_.end()) return std::nullopt;
  for (const auto& [round, list] : heard->second.by_round)
    if (list.size() >= config_.spec.threshold) return round;
  return std::nullopt;
}

void ChainActor::advance_rounds() {
  if (!running_) return;
  for (auto held = pending_.begin(); held != pending_.end(); ++held) {
    if (held->second.block.block.height != head_.height + 1) continue;
    if (auto round = certified_round(held->first)) {
      ImportJob job = std::move(held->second);
      pending_.erase(held);
      job.block.round = *round;
      job.block.approvals = approvals_.at(job.hash).by_round.at(*round);
      return enqueue(std::move(job));
    }
  }
  const std::uint64_t height = head_.height + 1;
  const auto members = static_cast<std::uint32_t>(config_.spec.members.size());
  while (round_dead(tally(round_), members, config_.spec.threshold)) {
    ++round_;
    context().counter_add("chain_rounds_total");
    context().gauge_set("chain_round", static_cast<double>(round_));
    context().log(LogLevel::info,
                  "height " + std::to_string(height) + ": round " + std::to_string(round_ - 1) +
                      " cannot certify a block; now in round " + std::to_string(round_));
  }
  // What this member owes its round is decided from the state, not from the moment the round
  // moved: a signature still being recorded, a restart or a swap in between lose nothing.
  if (!my_index_ || signing_ || record_unconfirmed_) return;
  auto again = [this](const Approval&) { advance_rounds(); };
  if (last_approved_height_ == height && last_approved_round_ == round_) {
    // The record survived but the signature did not: the same block, signed again.
    auto approved = approvals_.find(last_approved_hash_);
    if (approved == approvals_.end() || !approved->second.held) return;
    if (auto mine = approved->second.by_round.find(round_);
        mine != approved->second.by_round.end() &&
        std::any_of(mine->second.begin(), mine->second.end(),
                    [&](const Approval& a) { return a.member_index == *my_index_; }))
      return;
    return sign_approval(last_approved_hash_, height, true, again);
  }
  // Round 0's approval is given on import, to the first valid block.
  if (round_ == 0) return;
  const auto choice = next_round_choice(tally(round_ - 1));
  if (choice && may_approve(height, *choice)) {
    context().log(LogLevel::info, "height " + std::to_string(height) + ": approving " +
                                      short_hex(*choice) + " in round " + std::to_string(round_));
    sign_approval(*choice, height, true, again);
  }
}

void ChainActor::forget_decided() {
  std::erase_if(approvals_, [&](const auto& entry) { return entry.second.height <= head_.height; });
  round_ = 0;
  context().gauge_set("chain_round", 0);
}

}  // namespace alys::chain
