// Slots and block production: the slot clock, and, in this member's slots, a block built by the
// engine on the head, carrying a queued AuxPoW when there is one and the queued peg-ins, and
// imported like any other.
#include <algorithm>

#include "chain_actor.hpp"

namespace alys::chain {

// One periodic timer from the next slot start: a tick lost to a full mailbox costs one slot, not
// the clock (a self-re-arming one-shot would stop for good). Each tick reads the slot from the
// clock rather than trusting the message.
void ChainActor::arm_slot_timer() {
  const std::uint64_t now = context().now_ms();
  const std::uint64_t next = config_.spec.slot_at(now) + 1;
  slot_timer_ = context().start_timer(config_.spec.slot_start_ms(next) - now, config_.spec.slot_ms,
                                      SlotTick{next});
}

// The slot whose start is nearest to now: the timer runs on the monotonic clock and the slot on
// wall time, so a tick may arrive a few milliseconds before its boundary (slot_at(now) would name
// the previous slot and the tick would be lost).
std::uint64_t ChainActor::current_slot() const {
  return config_.spec.slot_at(context().now_ms() + config_.spec.slot_ms / 2);
}

void ChainActor::on_slot() {
  const std::uint64_t slot = current_slot();
  context().gauge_set("chain_slot", static_cast<double>(slot));
  reannounce();
  if (!my_index_ || config_.spec.author_of(slot) != *my_index_) return;
  enqueue(ProduceJob{slot});
}

// A height that stays undecided may be missing what this member sent for it: published before the
// network role was up, or lost on the way. Peers drop what they have seen already.
void ChainActor::reannounce() {
  if (!running_ || !my_index_ || signing_ || record_unconfirmed_) return;
  const std::uint64_t height = head_.height + 1;
  const bool holds = std::any_of(pending_.begin(), pending_.end(), [&](const auto& entry) {
    return entry.second.block.block.height == height;
  });
  if (!holds) return;
  if (last_approved_height_ == height)
    if (auto heard = approvals_.find(last_approved_hash_); heard != approvals_.end())
      if (auto in_round = heard->second.by_round.find(last_approved_round_);
          in_round != heard->second.by_round.end())
        for (const Approval& approval : in_round->second)
          if (approval.member_index == *my_index_) {
            context().counter_add("chain_reannounced_total");
            (void)context().publish(kApprovalTopic, ApproveBlock{last_approved_hash_, approval,
                                                                 last_approved_round_, height});
          }
  for (const auto& [hash, held] : pending_)
    if (held.block.block.height == height && held.block.block.author_index == *my_index_) {
      context().counter_add("chain_reannounced_total");
      (void)context().publish(kBlockProposedTopic, ImportBlock{held.block});
    }
}

void ChainActor::produce(std::uint64_t slot) {
  // The slot may have passed while earlier jobs ran, or a block for it may exist already. A member
  // that approved at this height in its round could not add its own approval to a proposal, and
  // a proposal needs its author's round-0 approval.
  const std::uint64_t now_slot = current_slot();
  const bool approved_here =
      last_approved_height_ > head_.height + 1 ||
      (last_approved_height_ == head_.height + 1 && last_approved_round_ >= round_);
  if (slot != now_slot || slot <= head_.slot || round_ != 0 || approved_here) {
    context().counter_add("chain_slots_skipped_total");
    return finish_job();
  }
  std::optional<AuxPowHeader> auxpow;
  if (mining_) {
    if (config_.node.dev_mine && !mining_->queued_header(head_.height + 1))
      mining_->mine_locally(config_.node.dev_mine_max_attempts, config_.node.fee_recipient);
    auxpow = mining_->queued_header(head_.height + 1);
    if (!auxpow && production_paused()) return finish_job();
  }
  // The queued peg-ins mint first in the payload, then the fees of the range the AuxPoW finalizes;
  // the block names both, so that every member re-executes with the same mints. The payload's own
  // fees go to the burn address, to be minted when a later AuxPoW finalizes this block.
  std::vector<PegIn> pegins = pegins_for_block();
  engine::BuildPayload request{head_.payload_hash, config_.spec.slot_start_ms(slot),
                               kFeeBurnAddress, block_mints(pegins, auxpow),
                               config_.node.max_transactions_per_block};
  // An engine that builds nothing in time (or cannot be asked) costs this slot only.
  ask(engine_, request, config_.node.engine_timeout_ms)
      .then(
          [this, slot, auxpow, pegins](const engine::PayloadBuilt& built) {
            if (!built.error.empty()) {
              build_failed(slot, "the engine built no payload: " + built.error);
              return finish_job();
            }
            build_succeeded();
            SignedBlock proposal;
            Block& block = proposal.block;
            block.height = head_.height + 1;
            block.parent_hash = head_.hash;
            block.slot = slot;
            block.timestamp_ms = config_.spec.slot_start_ms(slot);
            block.author_index = *my_index_;
            block.payload = built.payload;
            block.pegins = pegins;
            if (auxpow) block.auxpow = {*auxpow};
            const Hash32 hash = block_hash(block);
            run_import(ImportJob{std::move(proposal), hash, Answer{}, true, {}});
          },
          [this, slot](const Status& error) {
            build_failed(slot, "the engine did not build: " + error.to_string());
            finish_job();
          });
}

// An engine that cannot build (its execution client is down, say) fails every slot until it
// recovers: the first failure, and each new reason, is an error line; repeats are counted and
// logged at debug, and the first build after them says that production resumed.
void ChainActor::build_failed(std::uint64_t slot, const std::string& reason) {
  context().counter_add("chain_production_failures_total");
  const std::string line = "slot " + std::to_string(slot) + ": " + reason;
  if (reason == last_build_failure_) return context().log(LogLevel::debug, line);
  last_build_failure_ = reason;
  context().log(LogLevel::error, line + " (block production paused until the engine builds; " +
                                     "repeats are logged at debug)");
}

void ChainActor::build_succeeded() {
  if (last_build_failure_.empty()) return;
  last_build_failure_.clear();
  context().log(LogLevel::info, "the engine builds payloads again: block production resumed");
}

// Another block would leave more than max_blocks_without_pow blocks after the finalized one: the
// chain waits for an AuxPoW (docs/chain.md, "Merged mining").
bool ChainActor::production_paused() {
  const std::uint64_t unfinalized_after = head_.height + 1 - finalized_height();
  const std::uint64_t limit = config_.spec.pow->max_blocks_without_pow;
  if (unfinalized_after <= limit) return false;
  context().counter_add("chain_slots_paused_total");
  if (!paused_) {
    paused_ = true;
    context().gauge_set("chain_production_paused", 1);
    context().log(LogLevel::warn,
                  "production paused: " + std::to_string(head_.height - finalized_height()) +
                      " blocks after the finalized block " + std::to_string(finalized_height()) +
                      " (max_blocks_without_pow " + std::to_string(limit) +
                      "); waiting for an AuxPoW (createauxblock / submitauxblock)");
  }
  return true;
}

}  // namespace alys::chain
