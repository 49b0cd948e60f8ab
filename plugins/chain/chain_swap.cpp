// Hot swap: the state one instance of the chain hands the next (docs/chain.md, "Hot swap").
//
// The requests of the job in flight die with the old instance (their continuations are its
// closures) while their replies reach the new one, which has no use for them. So the new instance
// completes that job itself: a production runs again; an import first asks storage for the head,
// because the old instance's commit may have landed after the snapshot: then the block is
// imported and only what followed the commit is done; otherwise the import runs again from the
// start. Everything else (head, finality, approvals, held blocks, queued jobs, merged-mining work)
// comes from the snapshot, so the chain goes on without reading storage.
#include <algorithm>
#include <variant>

#include "alys_version.hpp"
#include "chain_actor.hpp"

namespace alys::chain {
namespace {

JobState import_state(const ImportJob& job) {
  JobState state;
  state.kind = JobKind::import;
  state.block = job.block;
  state.hash = job.hash;
  state.correlation_id = job.answer.correlation_id;
  state.produced_here = job.produced_here;
  return state;
}

JobState job_state(const Job& job) {
  if (const auto* produce = std::get_if<ProduceJob>(&job)) {
    JobState state;
    state.kind = JobKind::produce;
    state.slot = produce->slot;
    return state;
  }
  return import_state(std::get<ImportJob>(job));
}

ImportJob import_job(const JobState& state) {
  return ImportJob{state.block, state.hash, Answer{state.correlation_id}, state.produced_here};
}

Job job_of(const JobState& state) {
  if (state.kind == JobKind::produce) return ProduceJob{state.slot};
  return import_job(state);
}

}  // namespace

StateSnapshot ChainActor::snapshot(std::uint32_t target_schema_version) {
  const std::uint32_t schema = std::min(target_schema_version, kStateSchema);
  if (schema < 1)
    throw Error(ALYS_ERR_SCHEMA,
                "alys-chain writes state schema 1 at the oldest; the incoming "
                "plugin reads schema " +
                    std::to_string(target_schema_version));
  ChainState state;
  state.running = running_;
  state.head = head_;
  if (finalized_) {
    state.has_finalized = true;
    state.finalized_height = finalized_->first;
    state.finalized_hash = finalized_->second;
  }
  state.last_approved_height = last_approved_height_;
  state.last_approved_hash = last_approved_hash_;
  state.anchor_hash = anchor_hash_;
  state.paused = paused_;
  state.slot_timer = slot_timer_;
  if (importing_)
    state.in_flight.push_back(import_state(*importing_));
  else if (producing_)
    state.in_flight.push_back(job_state(*producing_));
  for (const Job& job : queued_) state.queued.push_back(job_state(job));
  for (const auto& [hash, held] : pending_) state.pending.push_back(import_state(held));
  for (const auto& [hash, approvals] : early_approvals_)
    state.early_approvals.push_back(EarlyApprovals{hash, approvals});
  if (mining_) {
    state.has_mining = true;
    state.mining = mining_->save();
  }
  state.handoffs = handoffs_;
  return {write_chain_state(state, schema), schema};
}

void ChainActor::restore(ByteView bytes, std::uint32_t schema_version) {
#ifdef ALYS_CHAIN_REFUSE_RESTORE
  throw Error(ALYS_ERR_FAILED, "alys-chain " ALYS_NODE_VERSION ALYS_CHAIN_BUILD_SUFFIX
                               ": this build refuses every snapshot (got state schema " +
                                   std::to_string(schema_version) + ", " +
                                   std::to_string(bytes.size()) + " bytes)");
#else
  if (schema_version > kStateSchema)
    throw Error(ALYS_ERR_SCHEMA, "this alys-chain restores chain state schema 1 to " +
                                     std::to_string(kStateSchema) + ", got schema " +
                                     std::to_string(schema_version));
  restored_ = read_chain_state(bytes, schema_version);
#endif
}

void ChainActor::resume_from(ChainState state) {
  if (state.has_mining != mining_.has_value())
    throw Error(ALYS_ERR_INVALID, std::string("the handed-over chain state was written ") +
                                      (state.has_mining ? "with" : "without") +
                                      " merged mining, but this chain " +
                                      (mining_ ? "has" : "has no") + " [chain.auxpow]");
  if constexpr (kStateSchema >= 2) {
    handoffs_ = state.handoffs + 1;
    context().gauge_set("chain_state_handoffs", static_cast<double>(handoffs_));
  }
  for (const JobState& job : state.queued) queued_.push_back(job_of(job));
  if (!state.running) {
    // The old instance was still starting: its start-up (the first job) runs again here.
    context().log(LogLevel::info, "handed over while starting: reading the head from storage");
    busy_ = true;
    return load_head();
  }
  head_ = state.head;
  context().gauge_set("chain_head_height", static_cast<double>(head_.height));
  if (state.has_finalized)
    finalized_ = std::make_pair(state.finalized_height, state.finalized_hash);
  last_approved_height_ = state.last_approved_height;
  last_approved_hash_ = state.last_approved_hash;
  anchor_hash_ = state.anchor_hash;
  paused_ = state.paused;
  for (const JobState& held : state.pending) pending_.emplace(held.hash, import_job(held));
  for (EarlyApprovals& early : state.early_approvals)
    early_approvals_.emplace(early.block_hash, std::move(early.approvals));
  if (mining_) mining_->load(state.mining);
  previous_slot_timer_ = state.slot_timer;
  running_ = true;
  arm_slot_timer();
  context().log(LogLevel::info,
                "state handed over at height " + std::to_string(head_.height) + " " +
                    short_hex(head_.hash) + ": " + std::to_string(queued_.size()) + " queued, " +
                    std::to_string(pending_.size()) + " held for approvals" +
                    (state.in_flight.empty() ? std::string() : ", one job to complete"));
  queue_missed_slot(state);
  if (state.in_flight.empty()) return finish_job();
  const JobState& in_flight = state.in_flight.front();
  if (in_flight.kind == JobKind::produce) {
    queued_.push_front(ProduceJob{in_flight.slot});
    return finish_job();
  }
  busy_ = true;
  resume_import(import_job(in_flight));
}

void ChainActor::queue_missed_slot(const ChainState& state) {
  const std::uint64_t slot = config_.spec.slot_at(context().now_ms());
  // In its second half a slot's production is late; the next tick is near (current_slot()).
  if (slot != current_slot() || slot <= head_.slot || !my_index_ ||
      config_.spec.author_of(slot) != *my_index_)
    return;
  auto claims = [slot](const JobState& job) {
    return job.kind == JobKind::produce ? job.slot == slot
                                        : job.produced_here && job.block.block.slot == slot;
  };
  if (std::any_of(state.in_flight.begin(), state.in_flight.end(), claims) ||
      std::any_of(state.queued.begin(), state.queued.end(), claims))
    return;
  queued_.push_back(ProduceJob{slot});
}

void ChainActor::resume_import(ImportJob job) {
  ask(storage_, storage::GetHead{}, config_.node.storage_timeout_ms)
      .then(
          [this, job = std::move(job)](const storage::Head& head) mutable {
            if (!head.error.empty()) fatal("storage cannot read the head: " + head.error);
            if (head.has_head && head.hash == job.hash) {
              // Committed by the old instance: the engine has not been told yet, and nothing
              // after the commit happened (it all runs in the commit's continuation).
              if (!context()
                       .send(engine_, engine::CommitPayload{job.block.block.payload.block_hash},
                             Priority::consensus)
                       .ok())
                fatal("the engine's mailbox refused CommitPayload for block " +
                      std::to_string(job.block.block.height));
              std::optional<AuxPowHeader> auxpow;
              if (!job.block.block.auxpow.empty()) auxpow = job.block.block.auxpow.front();
              auto committed = std::make_shared<ImportJob>(std::move(job));
              importing_ = committed;
              return complete_import(committed, auxpow, committed->block.block);
            }
            if (!head.has_head || head.hash != head_.hash)
              fatal("storage's head " + short_hex(head.hash) + " is neither the handed-over head " +
                    short_hex(head_.hash) + " nor the block in flight " + short_hex(job.hash));
            queued_.push_front(std::move(job));
            finish_job();
          },
          fatal_unless_answered("storage did not answer GetHead after a hot swap"));
}

}  // namespace alys::chain
