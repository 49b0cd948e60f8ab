// Block import: a block is checked (header, approvals, AuxPoW header), re-executed by the engine,
// approved by this member, and, with `threshold` approvals, committed to storage with the engine's
// state changes in one batch; then the engine moves its head and the chain announces the block. A
// valid block short of approvals waits (hold); one that breaks a rule is rejected with its code.
#include <algorithm>
#include <memory>

#include "alys/schemas/chain_events.hpp"
#include "chain_actor.hpp"

namespace alys::chain {

// Header, approvals and AuxPoW rules first (cheap), then the engine re-executes the payload; only
// a block that passed everything gets this member's approval, and with `threshold` approvals it is
// committed. A valid block short of approvals waits (hold).
void ChainActor::run_import(ImportJob job) {
  const Block& block = job.block.block;
  if (auto rejection = check_header(config_.spec, head_, block, job.hash, context().now_ms()))
    return reject(job, *rejection);
  if (auto rejection = check_pegins(block.pegins, minted_pegins_)) return reject(job, *rejection);
  const std::uint32_t round = job.block.round;
  ApprovalTally tally = check_approvals(config_.spec, job.hash, job.block.approvals, round);
  if (tally.rejection) return reject(job, *tally.rejection);
  if (round == 0) {
    // Only the slot's author proposes: a block from anyone else is not worth a member's approval.
    if (!job.produced_here &&
        std::none_of(job.block.approvals.begin(), job.block.approvals.end(),
                     [&](const Approval& a) { return a.member_index == block.author_index; }))
      return reject(job, Rejection{"missing_author_approval",
                                   "the block carries no approval of its author, member " +
                                       std::to_string(block.author_index)});
  } else if (tally.valid < config_.spec.threshold) {
    // A later round's approvals are members re-choosing a held block: only a whole certificate
    // shows that the block was held, author-approved, by them.
    return reject(job, Rejection{"incomplete_certificate",
                                 std::to_string(tally.valid) + " approvals from round " +
                                     std::to_string(round) + ", " +
                                     std::to_string(config_.spec.threshold) + " needed"});
  }
  std::optional<AuxPowHeader> auxpow;
  if (!block.auxpow.empty()) {
    auxpow = block.auxpow.front();
    if (auto reason = mining_->check_header(*auxpow, block.height))
      return reject(job, Rejection{"bad_auxpow", *reason});
  } else if (mining_ &&
             block.height - finalized_height() > config_.spec.pow->max_blocks_without_pow) {
    return reject(job,
                  Rejection{"missing_required_pow",
                            "height " + std::to_string(block.height) + " is " +
                                std::to_string(block.height - finalized_height()) +
                                " blocks after the finalized block " +
                                std::to_string(finalized_height()) + " (max_blocks_without_pow " +
                                std::to_string(config_.spec.pow->max_blocks_without_pow) +
                                ") and carries no AuxPoW"});
  }
  auto shared = std::make_shared<ImportJob>(std::move(job));
  // Exactly the block's mints, its peg-ins' and the fees of the range its AuxPoW finalizes: a
  // payload built without them (or with others) has another state root and fails execution.
  std::vector<Mint> mints = block_mints(shared->block.block.pegins, auxpow, &shared->fees.payout);
  // From here on the job waits for the engine and storage: a hot swap hands it over as it stands.
  producing_.reset();
  importing_ = shared;
  execute(
      engine::ExecutePayload{shared->block.block.payload, std::move(mints), false},
      [this, shared, auxpow, round](const engine::PayloadExecuted& executed) {
        shared->fees.paid_wei = wei_from_be(executed.fees_wei);
        if (!shared->fees.paid_wei)
          return reject(*shared,
                        Rejection{"payload_invalid", "the engine reports fees beyond 2^128 wei"});
        // Checked and re-executed: the block is held, and every approval of it counts.
        for (const Approval& approval : shared->block.approvals)
          record_approval(shared->hash, round, approval);
        mark_held(shared->hash, shared->block.block.height);
        auto conclude = [this, shared, auxpow, executed] {
          const auto certified = certified_round(shared->hash);
          if (!certified) return hold(std::move(*shared));
          shared->block.round = *certified;
          shared->block.approvals = approvals_.at(shared->hash).by_round.at(*certified);
          CommitExtras extras = chain_state_puts(auxpow, shared->block.block.timestamp_ms);
          add_pegin_puts(shared->block.block.pegins, extras);
          add_fee_puts(*shared, auxpow, extras);
          if (auxpow) {
            extras.set_finalized = true;
            extras.finalized_height = auxpow->range_end;
            extras.finalized_hash = *mining_->hash_at(auxpow->range_end);
          }
          commit(shared->block, shared->hash, executed, std::move(extras),
                 [this, shared, auxpow](const Block& imported) {
                   complete_import(shared, auxpow, imported);
                 });
        };
        // A complete certificate needs nothing from this member (a syncing node would otherwise
        // sign, record and broadcast an approval for every block it catches up on). Checked before
        // the drop below: a held own proposal comes back here certified, in a later round too.
        if (certified_round(shared->hash)) return conclude();
        // A block this member approved already comes back whenever a peer replays its stalled
        // height: the approval it holds is the one it would give (no second record, no re-send).
        if (approved_in_round(shared->hash)) return conclude();
        // In round 0 a member approves the first valid block; in later rounds only the rule's
        // choice (advance_rounds).
        if (round_ != 0 || signing_ || !may_approve(shared->block.block.height, shared->hash)) {
          // An own proposal without its author approval is no proposal: peers would score this
          // node for it (the round moved, or a signature was taken, while it was built).
          if (shared->produced_here) return drop_proposal(*shared);
          return conclude();
        }
        // An own proposal that this approval certifies goes out only as the committed block,
        // whose batch carries the approval record: no separate write (a single-member chain's
        // every block).
        const auto& round_zero = approvals_.at(shared->hash).by_round[0];
        const bool certifies_own =
            shared->produced_here && round_zero.size() + 1 >= config_.spec.threshold;
        sign_approval(
            shared->hash, shared->block.block.height, !shared->produced_here,
            [shared, conclude](const Approval& own) {
              if (shared->block.round == 0) add_unique(shared->block.approvals, own);
              conclude();
            },
            !certifies_own);
      },
      [this, shared](const Rejection& rejection) { reject(*shared, rejection); });
}

void ChainActor::complete_import(const std::shared_ptr<ImportJob>& job,
                                 const std::optional<AuxPowHeader>& auxpow, const Block& imported) {
  set_head(job->hash, imported);
  pegins_minted(imported);
  fees_committed(*job, auxpow);
  if (auxpow) finalize(*auxpow, imported);
  if (mining_) mining_->block_added(imported.height, job->hash);
  imported_block(imported, job->hash, job->produced_here);
  reply(job->answer, ImportResult{true, false, "", "", job->hash, imported.height});
  finish_job();
}

// The engine re-executes `request`; `on_invalid` gets its refusal, or says that it did not answer
// in time. An engine that cannot be asked at all (its mailbox refused the request) is fatal, as
// for every request of the chain: the block is neither valid nor invalid then.
void ChainActor::execute(const engine::ExecutePayload& request,
                         std::function<void(const engine::PayloadExecuted&)> on_executed,
                         std::function<void(const Rejection&)> on_invalid) {
  ask(engine_, request, config_.node.engine_timeout_ms)
      .then(
          [on_executed, on_invalid](const engine::PayloadExecuted& executed) {
            if (!executed.error.empty() && executed.unavailable)
              return on_invalid(engine_unanswered(executed.error));
            if (!executed.error.empty())
              return on_invalid(Rejection{"payload_invalid", executed.error});
            on_executed(executed);
          },
          [on_invalid](const Status& error) {
            if (error.code() != ALYS_ERR_TIMEOUT)
              fatal("the engine cannot be asked to execute a payload: " + error.to_string());
            on_invalid(engine_unanswered(error.to_string()));
          });
}

// Commits block, indexes, head, the engine's state and the chain's own state in one storage batch,
// then tells the engine to move its head.
void ChainActor::commit(const SignedBlock& block, const Hash32& hash,
                        const engine::PayloadExecuted& executed, CommitExtras extras,
                        std::function<void(const Block&)> on_committed) {
  storage::CommitBlock request;
  request.hash = hash;
  request.height = block.block.height;
  request.block = encode(block);
  request.engine_puts = executed.state_puts;
  request.engine_deletes = executed.state_deletes;
  request.set_finalized = extras.set_finalized;
  request.finalized_height = extras.finalized_height;
  request.finalized_hash = extras.finalized_hash;
  request.chain_puts = std::move(extras.chain_puts);
  const std::uint64_t height = block.block.height;
  const Hash32 payload = block.block.payload.block_hash;
  const Block committed_block = block.block;
  ask(storage_, request, config_.node.storage_timeout_ms)
      .then(
          [this, height, payload, committed_block,
           on_committed](const storage::Committed& committed) {
            if (!committed.error.empty())
              fatal("storage could not commit block " + std::to_string(height) + ": " +
                    committed.error);
            // Lost, the engine's head would stay behind the chain's: fail, and let the restart
            // re-align the engine with storage (check_engine).
            if (!context().send(engine_, engine::CommitPayload{payload}, Priority::consensus).ok())
              fatal("the engine's mailbox refused CommitPayload for block " +
                    std::to_string(height));
            on_committed(committed_block);
          },
          // Whether the batch landed is unknown: restart and read the truth from storage.
          fatal_unless_answered("storage did not confirm block " + std::to_string(height)));
}

// The chain keys written with a block: the difficulty state after it, and the last approval.
CommitExtras ChainActor::chain_state_puts(const std::optional<AuxPowHeader>& auxpow,
                                          std::uint64_t block_ms) const {
  CommitExtras extras;
  if (mining_) {
    PowState state = mining_->state();
    if (auxpow) state = advance(*config_.spec.pow, state, block_ms);
    extras.chain_puts.push_back({key_bytes(kPowKey), encode(state)});
  }
  extras.chain_puts.push_back(
      {key_bytes(kApprovedKey),
       encode(ApprovedAt{last_approved_height_, last_approved_hash_, last_approved_round_})});
  return extras;
}

// A block carrying `auxpow` was committed: its range is final.
void ChainActor::finalize(const AuxPowHeader& auxpow, const Block& carrier) {
  const Hash32 finalized_hash = *mining_->hash_at(auxpow.range_end);
  finalized_ = std::make_pair(auxpow.range_end, finalized_hash);
  anchor_hash_ = finalized_hash;
  mining_->finalized(auxpow, carrier.timestamp_ms);
  (void)context().send(engine_, engine::SetFinalized{auxpow.range_end}, Priority::high);
  (void)context().publish(kFinalizedTopic,
                          Finalized{auxpow.range_start, auxpow.range_end, finalized_hash,
                                    carrier.height, auxpow.height, auxpow.bits});
  context().counter_add("chain_finalizations_total");
  context().gauge_set("chain_finalized_height", static_cast<double>(auxpow.range_end));
  const std::uint32_t bits = mining_->state().bits;
  context().log(
      LogLevel::info,
      "finalized blocks " + std::to_string(auxpow.range_start) + ".." +
          std::to_string(auxpow.range_end) + " by AuxPoW #" + std::to_string(auxpow.height) +
          " in block " + std::to_string(carrier.height) + "; next bits " +
          to_hex(std::array<std::uint8_t, 4>{
              static_cast<std::uint8_t>(bits >> 24), static_cast<std::uint8_t>(bits >> 16),
              static_cast<std::uint8_t>(bits >> 8), static_cast<std::uint8_t>(bits)}));
  if (paused_) {
    paused_ = false;
    context().gauge_set("chain_production_paused", 0);
    context().log(LogLevel::info, "production resumes: blocks up to " +
                                      std::to_string(auxpow.range_end) + " are finalized");
  }
}

void ChainActor::imported_block(const Block& block, const Hash32& hash, bool produced_here) {
  const std::uint64_t since_slot_start =
      context().now_ms() - std::min(context().now_ms(), block.timestamp_ms);
  context().counter_add("chain_blocks_imported_total");
  context().gauge_set("chain_head_height", static_cast<double>(block.height));
  context().histogram_observe("chain_import_delay_seconds",
                              static_cast<double>(since_slot_start) / 1000.0);
  context().log(LogLevel::info, std::string(produced_here ? "produced" : "imported") + " block " +
                                    std::to_string(block.height) + " " + short_hex(hash) +
                                    " txs=" + std::to_string(block.payload.transactions.size()) +
                                    " slot=" + std::to_string(block.slot) + " +" +
                                    std::to_string(since_slot_start) + " ms after slot start");
  BlockImported event{
      block.height,       hash,
      block.parent_hash,  block.slot,
      block.timestamp_ms, static_cast<std::uint32_t>(block.payload.transactions.size())};
  (void)context().publish(kBlockImportedTopic, event);
  // Proposals at or below the new head can never be imported now, nor can their approvals count.
  std::erase_if(pending_,
                [&](const auto& entry) { return entry.second.block.block.height <= block.height; });
  forget_decided();
}

void ChainActor::drop_proposal(const ImportJob& job) {
  context().counter_add("chain_proposals_dropped_total");
  const std::string reason = round_ != 0 ? "the height moved to round " + std::to_string(round_)
                             : signing_  ? "an approval was being recorded"
                                         : "this member approved another block at this height";
  context().log(LogLevel::info, "dropped own proposal " + std::to_string(job.block.block.height) +
                                    " " + short_hex(job.hash) + " for slot " +
                                    std::to_string(job.block.block.slot) + ": " + reason +
                                    " while it was built, so it cannot carry its author approval");
  finish_job();
}

void ChainActor::reject(const ImportJob& job, const Rejection& rejection) {
  context().counter_add("chain_blocks_rejected_total");
  // Every peer relays a proposal once: a block that is the head already, or at a decided height,
  // is the normal fate of gossip.
  const bool routine = rejection.code == "already_imported" || rejection.code == "stale_height";
  context().log(routine ? LogLevel::debug : LogLevel::warn,
                "rejected block " + std::to_string(job.block.block.height) + " " +
                    short_hex(job.hash) + ": " + rejection.code + ": " + rejection.message);
  reply(job.answer, ImportResult{false, false, rejection.code, rejection.message, job.hash,
                                 job.block.block.height});
  finish_job();
}

// A valid block that lacks approvals waits for ApproveBlock messages. When kMaxPendingBlocks are
// held, the one of the oldest slot goes: a newer proposal is the likelier one to be certified,
// and a hash-ordered choice would let a proposer pick which competitor survives.
void ChainActor::hold(ImportJob job) {
  const auto certified_count = [&] {
    std::size_t most = 0;
    for (const auto& [round, list] : approvals_.at(job.hash).by_round)
      most = std::max(most, list.size());
    return most;
  };
  const std::string message = std::to_string(certified_count()) + " of " +
                              std::to_string(config_.spec.threshold) +
                              " approvals in one round; waiting for more";
  reply(job.answer,
        ImportResult{false, true, "too_few_approvals", message, job.hash, job.block.block.height});
  if (job.produced_here) {
    context().log(LogLevel::info, "proposed block " + std::to_string(job.block.block.height) + " " +
                                      short_hex(job.hash) + ": " + message);
    (void)context().publish(kBlockProposedTopic, ImportBlock{job.block});
  }
  job.answer = {};
  if (!pending_.contains(job.hash) && pending_.size() >= kMaxPendingBlocks) {
    auto oldest =
        std::min_element(pending_.begin(), pending_.end(), [](const auto& a, const auto& b) {
          return a.second.block.block.slot < b.second.block.block.slot;
        });
    context().counter_add("chain_pending_evicted_total");
    approvals_.erase(oldest->first);
    pending_.erase(oldest);
  }
  const Hash32 hash = job.hash;
  pending_[hash] = std::move(job);
  advance_rounds();
  finish_job();
}

}  // namespace alys::chain
