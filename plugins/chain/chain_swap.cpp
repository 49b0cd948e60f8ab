// Hot swap: the state one instance of the chain hands the next (docs/chain.md, "Hot swap").
//
// Everything (head, finality, approvals, held blocks, queued jobs, merged-mining work) comes from
// the snapshot, and the chain goes on without reading its blocks or state from storage. It asks
// storage one thing before it runs a job: the head. The requests of the job in flight died with
// the old instance (their continuations were its closures) while their replies reach the new one,
// which has no use for them; so the new instance completes that job itself. If storage's head is
// that job's block, the old instance's commit landed after the snapshot: only what follows a
// commit is done. Otherwise the job runs again from the start. A head that is neither the
// handed-over one nor that block means the state is older than storage: the chain starts from
// storage as after a restart.
#include <algorithm>
#include <string_view>
#include <tuple>
#include <utility>
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
  return ImportJob{state.block, state.hash, Answer{state.correlation_id}, state.produced_here, {}};
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
  state.last_approved_round = last_approved_round_;
  state.round = round_;
  state.anchor_hash = anchor_hash_;
  state.paused = paused_;
  // An instance still confirming the head has armed no timer: its predecessor's ticks count.
  state.slot_timer = slot_timer_ != 0 ? slot_timer_ : previous_slot_timer_;
  if (importing_)
    state.in_flight.push_back(import_state(*importing_));
  else if (producing_)
    state.in_flight.push_back(job_state(*producing_));
  else if (handed_in_flight_)
    state.in_flight.push_back(*handed_in_flight_);
  for (const Job& job : queued_) state.queued.push_back(job_state(job));
  for (const auto& [hash, held] : pending_) state.pending.push_back(import_state(held));
  for (const auto& [hash, heard] : approvals_)
    for (const auto& [round, list] : heard.by_round)
      state.approvals.push_back(HeardApprovalsState{hash, heard.height, heard.held, round, list});
  if (mining_) {
    state.has_mining = true;
    state.mining = mining_->save();
  }
  for (const auto& [number, query] : block_queries_) state.block_queries.push_back(query);
  state.spec_digest = spec_digest(config_.spec);
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
  if (state.spec_digest != spec_digest(config_.spec))
    throw Error(ALYS_ERR_INVALID,
                "the handed-over chain state was built under another chain spec (chain_id, "
                "members, threshold, slots, genesis or [chain.auxpow] differ): a change of the "
                "chain's rules needs a restart of the node, not a reload");
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
  // Block queries the old instance had sent to storage: their answers died with its
  // continuations, so they are asked again for the callers still waiting.
  for (const BlockQuery& query : state.block_queries) answer_block_query(query);
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
  last_approved_round_ = state.last_approved_round;
  round_ = state.round;
  anchor_hash_ = state.anchor_hash;
  paused_ = state.paused;
  for (const JobState& held : state.pending) {
    pending_.emplace(held.hash, import_job(held));
    // What a held block carries counts as approvals heard (a state from a build without rounds
    // has nothing else).
    HeardApprovals& heard = approvals_[held.hash];
    heard.held = true;
    heard.height = held.block.block.height;
    for (const Approval& approval : held.block.approvals)
      add_unique(heard.by_round[held.block.round], approval);
  }
  // A state from a build without rounds: its early approvals are round-0 ones for the next height.
  for (EarlyApprovals& early : state.early_approvals) {
    HeardApprovals& heard = approvals_[early.block_hash];
    heard.height = head_.height + 1;
    heard.by_round[0] = std::move(early.approvals);
  }
  for (HeardApprovalsState& heard : state.approvals) {
    HeardApprovals& into = approvals_[heard.block_hash];
    into.height = heard.height;
    into.held = heard.held;
    into.by_round[heard.round] = std::move(heard.approvals);
  }
  if (mining_) mining_->load(state.mining);
  previous_slot_timer_ = state.slot_timer;
  record_unconfirmed_ = true;
  // Status answers from the handed-over head at once; jobs wait until storage confirms it.
  running_ = true;
  busy_ = true;
  context().log(LogLevel::info,
                "state handed over at height " + std::to_string(head_.height) + " " +
                    short_hex(head_.hash) + ": " + std::to_string(queued_.size()) + " queued, " +
                    std::to_string(pending_.size()) + " held for approvals" +
                    (state.in_flight.empty() ? std::string() : ", one job to complete"));
  if (!state.in_flight.empty()) handed_in_flight_ = std::move(state.in_flight.front());
  confirming_head_ = true;
  if (!context().send(context().resolve("chain"), HandedOver{}, Priority::high).ok()) {
    confirming_head_ = false;
    confirm_head();
  }
}

void ChainActor::confirm_head() {
  ask(storage_, storage::GetHead{}, config_.node.storage_timeout_ms)
      .then(
          [this](const storage::Head& head) {
            if (!head.error.empty()) fatal("storage cannot read the head: " + head.error);
            const std::optional<JobState> in_flight =
                std::exchange(handed_in_flight_, std::nullopt);
            const bool committed = in_flight && in_flight->kind == JobKind::import &&
                                   head.has_head && head.hash == in_flight->hash;
            if (!committed && (!head.has_head || head.hash != head_.hash)) {
              // Storage is ahead of the state: a swap rolled back after its trial hands the old
              // version the state taken at the swap, and the new version committed since.
              context().log(LogLevel::warn, "the handed-over head " + short_hex(head_.hash) +
                                                " is not storage's " + short_hex(head.hash) +
                                                ": resuming from storage");
              if (in_flight) queued_.push_front(job_of(*in_flight));
              running_ = false;
              paused_ = false;
              record_unconfirmed_ = false;  // the start-up reads storage's record itself
              return load_head();
            }
            reload_approval_record([this, in_flight, committed] {
              arm_slot_timer();
              learn_genesis_hash();
              advance_rounds();
              queue_missed_slot(in_flight);
              if (committed) return complete_committed(import_job(*in_flight));
              if (in_flight) queued_.push_front(job_of(*in_flight));
              finish_job();
            });
          },
          fatal_unless_answered("storage did not answer GetHead after a hot swap"));
}

// The handed-over record may be older than storage's: a swap rolled back after its trial gives the
// old version the state taken at the swap, while the new version may have recorded (and sent) an
// approval since. The newer (height, round) wins; nothing is signed before it is known.
void ChainActor::reload_approval_record(std::function<void()> then) {
  ask(storage_, storage::GetChainState{}, config_.node.storage_timeout_ms)
      .then(
          [this, then](const storage::ChainState& state) {
            if (!state.error.empty()) fatal("storage cannot read the chain state: " + state.error);
            // Peg-ins and fees are not in the handed-over state: storage has them, written with
            // each block and each queue call (docs/chain.md, "Peg-ins"; docs/mining.md, "Fees").
            load_pegins(state.entries);
            load_fees(state.entries);
            for (const storage::KeyValue& entry : state.entries) {
              const std::string_view key = key_text(entry.key);
              if (key != kApprovedKey) continue;
              const auto stored = decode<ApprovedAt>(entry.value);
              if (std::tie(stored.height, stored.round) <=
                  std::tie(last_approved_height_, last_approved_round_))
                continue;
              context().log(LogLevel::warn,
                            "storage records an approval newer than the handed-over state's: " +
                                short_hex(stored.hash) + " at height " +
                                std::to_string(stored.height) + " in round " +
                                std::to_string(stored.round));
              last_approved_height_ = stored.height;
              last_approved_hash_ = stored.hash;
              last_approved_round_ = stored.round;
              if (stored.height == head_.height + 1 && stored.round > round_) round_ = stored.round;
            }
            record_unconfirmed_ = false;
            then();
          },
          fatal_unless_answered("storage did not answer GetChainState after a hot swap"));
}

void ChainActor::queue_missed_slot(const std::optional<JobState>& in_flight) {
  const std::uint64_t slot = config_.spec.slot_at(context().now_ms());
  // In its second half a slot's production is late; the next tick is near (current_slot()).
  if (slot != current_slot() || slot <= head_.slot || !my_index_ ||
      config_.spec.author_of(slot) != *my_index_)
    return;
  if (in_flight && (in_flight->kind == JobKind::produce
                        ? in_flight->slot == slot
                        : in_flight->produced_here && in_flight->block.block.slot == slot))
    return;
  for (const Job& job : queued_) {
    if (const auto* produce = std::get_if<ProduceJob>(&job); produce && produce->slot == slot)
      return;
    if (const auto* import = std::get_if<ImportJob>(&job);
        import && import->produced_here && import->block.block.slot == slot)
      return;
  }
  queued_.push_back(ProduceJob{slot});
}

// Committed by the old instance after its snapshot: the engine has not been told yet, and nothing
// after the commit happened (it all runs in the commit's continuation).
void ChainActor::complete_committed(ImportJob job) {
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
  complete_import(committed, auxpow, committed->block.block);
}

}  // namespace alys::chain
