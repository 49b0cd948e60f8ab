// The `chain` role: slot clock, block production and import, approvals, and the chain's RPC.
//
// Everything the actor does with other roles is asynchronous (requests to `engine` and `storage`),
// so work runs as jobs, one at a time: a job is an import, a production, or the start-up. Blocks
// and slot ticks that arrive while a job runs wait in `queued_` and run in arrival order.
//
// The members are defined by concern, one file each: chain_actor.cpp (messages, the job queue,
// status), chain_startup.cpp (resuming from storage or building genesis), block_production.cpp
// (slots and producing), block_import.cpp (checking, executing and committing a block),
// approvals.cpp (this member's approval and those of others), miner_rpc.cpp (createauxblock and
// submitauxblock), pegin_queue.cpp (chain_queuePegIn and the minted set), block_fees.cpp (each
// block's fees, paid out on finalization), chain_swap.cpp (the state handed over on a hot swap,
// chain_state.hpp).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

#include "alys/actor.hpp"
#include "alys/schemas/chain.hpp"
#include "alys/schemas/engine.hpp"
#include "alys/schemas/storage.hpp"
#include "approval_records.hpp"
#include "approval_rounds.hpp"
#include "block_rules.hpp"
#include "chain_rpc.hpp"
#include "chain_spec.hpp"
#include "chain_state.hpp"
#include "fees.hpp"
#include "merged_mining.hpp"
#include "pegins.hpp"

namespace alys::chain {

// The slot timer's message: the slot that starts now.
struct SlotTick {
  static constexpr std::string_view schema_name = "alys.chain.internal.SlotTick/1";
  std::uint64_t slot = 0;
  ALYS_FIELDS(slot)
};

// The chain to itself after a hot swap: its first turn once dispatch resumes, where it asks storage
// for the head. Sent from on_start rather than asking there: no other role is woken while the
// host pauses the chain.
struct HandedOver {
  static constexpr std::string_view schema_name = "alys.chain.internal.HandedOver/1";
  ALYS_FIELDS()
};

// Where the answer to an ImportBlock goes, if anywhere.
struct Answer {
  std::uint64_t correlation_id = 0;  // 0: a plain send, nobody waits
};

// What an import learns of a block's fees (block_fees.cpp): what its transactions paid (once the
// engine executed it) and, for a block carrying an AuxPoW, what it pays out of the fees of the
// range it finalizes. A job completed after a hot swap has neither: the instance that committed
// it recorded them.
struct ImportFees {
  std::optional<Wei> paid_wei;
  std::optional<FeeShares> payout;
};

struct ImportJob {
  SignedBlock block;
  Hash32 hash{};
  Answer answer;
  bool produced_here = false;
  ImportFees fees;
};

struct ProduceJob {
  std::uint64_t slot = 0;
};
using Job = std::variant<ImportJob, ProduceJob>;

inline constexpr std::size_t kMaxEarlyApprovalBlocks = 256;
// Approvals for rounds further ahead of this node's round are dropped: nobody honest is there yet.
inline constexpr std::uint32_t kMaxRoundsAhead = 8;
inline constexpr std::size_t kMaxPendingBlocks = 64;
inline constexpr std::size_t kMaxQueuedJobs = 4096;

// What a commit carries besides the block and the engine's state.
struct CommitExtras {
  bool set_finalized = false;
  std::uint64_t finalized_height = 0;
  Hash32 finalized_hash{};
  std::vector<storage::KeyValue> chain_puts;
};

std::string short_hex(const Hash32& hash);

// The state schema this build writes at most and reads up to (its manifest's); builds for swap
// tests raise it (plugins/chain/CMakeLists.txt).
#ifndef ALYS_CHAIN_STATE_SCHEMA
#define ALYS_CHAIN_STATE_SCHEMA 1
#endif
inline constexpr std::uint32_t kStateSchema = ALYS_CHAIN_STATE_SCHEMA;
// Builds for swap tests append their name to the version text.
#ifndef ALYS_CHAIN_BUILD_SUFFIX
#define ALYS_CHAIN_BUILD_SUFFIX ""
#endif
static_assert(kStateSchema >= 1 && kStateSchema <= kNewestChainStateSchema);

class ChainActor : public Actor {
 public:
  explicit ChainActor(Context context);

  // The host's check of a table before it applies it: the reader on_start uses.
  static void check_config(std::string_view table_json, ConfigProblems& problems) {
    (void)read_chain_config(table_json, problems);
  }

  void on_start() override;
  // Hot swap (chain_swap.cpp): the state in schema min(target, kStateSchema); restore() keeps the
  // decoded state for on_start, which needs the config to resume from it.
  StateSnapshot snapshot(std::uint32_t target_schema_version) override;
  void restore(ByteView bytes, std::uint32_t schema_version) override;

 private:
  // A failure that leaves the chain unable to go on (storage cannot commit, engine and storage
  // disagree): the actor fails and its supervisor restarts it, and the restart resumes from
  // storage.
  [[noreturn]] static void fatal(const std::string& message);
  // An on_error continuation that fails the actor: `what` didn't happen, and why.
  static std::function<void(const Status&)> fatal_unless_answered(std::string what);

  // Consensus traffic never waits behind user RPC in the other roles' mailboxes: requests to
  // engine and storage go at consensus priority (docs/chain.md).
  template <class M>
  RequestHandle ask(Address to, const M& message, std::uint64_t timeout_ms) {
    return request(to, message, timeout_ms, Priority::consensus);
  }

  // --- start-up (chain_startup.cpp) ---
  void load_head();
  void check_engine(std::optional<std::pair<Hash32, Block>> stored_head, bool realigned = false);
  void build_genesis();
  // The chain's own state (difficulty, last approval) and, with merged mining, the hashes of the
  // blocks after the finalized one; then `then`.
  void load_chain_state(std::function<void()> then);
  void load_unfinalized(std::uint64_t from, std::vector<Hash32> hashes, std::function<void()> then);
  void start_running();

  // --- hot swap (chain_swap.cpp) ---
  void resume_from(ChainState state);
  // Jobs run once storage's head is the handed-over one, or the block of the import in flight
  // (handed_in_flight_; committed by the old instance after its snapshot: complete_committed).
  void confirm_head();
  void complete_committed(ImportJob job);
  // This member's approval record in storage, merged into the handed-over one; then `then`.
  void reload_approval_record(std::function<void()> then);
  // The slot that started while no instance had a timer (the old one's tick died with it): its
  // production is queued unless a job has it already.
  void queue_missed_slot(const std::optional<JobState>& in_flight);

  // --- slots and production (block_production.cpp) ---
  void arm_slot_timer();
  std::uint64_t current_slot() const;
  void on_slot();
  // While head + 1 is undecided and blocks are held there: this member's approval at that height
  // and its own proposal there go out again.
  void reannounce();
  void produce(std::uint64_t slot);
  bool production_paused();

  // --- the job queue (chain_actor.cpp) ---
  void enqueue(Job job);
  void next_job();
  void finish_job();
  void build_failed(std::uint64_t slot, const std::string& reason);
  void build_succeeded();

  // --- import (block_import.cpp) ---
  void run_import(ImportJob job);
  void execute(const engine::ExecutePayload& request,
               std::function<void(const engine::PayloadExecuted&)> on_executed,
               std::function<void(const Rejection&)> on_invalid);
  void commit(const SignedBlock& block, const Hash32& hash, const engine::PayloadExecuted& executed,
              CommitExtras extras, std::function<void(const Block&)> on_committed);
  void finalize(const AuxPowHeader& auxpow, const Block& carrier);
  void imported_block(const Block& block, const Hash32& hash, bool produced_here);
  void reject(const ImportJob& job, const Rejection& rejection);
  // An own proposal this member could not approve: never published (counted, logged with why).
  void drop_proposal(const ImportJob& job);
  void hold(ImportJob job);
  // The block of `job` is committed: head, finality, events, the answer; the job is done.
  void complete_import(const std::shared_ptr<ImportJob>& job,
                       const std::optional<AuxPowHeader>& auxpow, const Block& imported);
  CommitExtras chain_state_puts(const std::optional<AuxPowHeader>& auxpow,
                                std::uint64_t block_ms) const;

  // --- approvals and rounds (approvals.cpp) ---
  void approve(const ApproveBlock& message);
  static bool add_unique(std::vector<Approval>& approvals, const Approval& approval);
  // Whether this member may approve `hash` at `height` in its current round: once per
  // (height, round), the same block again after a restart.
  bool may_approve(std::uint64_t height, const Hash32& hash) const;
  // This member's approval of `hash` in the current round is recorded already.
  bool approved_in_round(const Hash32& hash) const;
  // Signs `hash` in the current round: the record goes to storage first, and only once storage
  // confirms is the approval counted, published (unless `publish` is false: a proposal carries it)
  // and handed to `then`. `record` false: the caller guarantees that the approval leaves the node
  // only inside a commit, whose batch carries the record.
  void sign_approval(const Hash32& hash, std::uint64_t height, bool publish,
                     std::function<void(const Approval&)> then, bool record = true);
  // A verified approval of `hash` in `round`; false if this node had it already.
  bool record_approval(const Hash32& hash, std::uint32_t round, const Approval& approval);
  // `hash` passed every check at `height`: its approvals count from now on.
  void mark_held(const Hash32& hash, std::uint64_t height);
  void check_equivocation(const Hash32& hash, std::uint32_t round, const Approval& approval);
  // The round-r approvers of each held block at head + 1.
  RoundTally tally(std::uint32_t round) const;
  // The round with `threshold` approvals of `hash`, if any.
  std::optional<std::uint32_t> certified_round(const Hash32& hash) const;
  // A held block with a certificate is imported; a dead round moves this node to the next one,
  // where a member approves the rule's choice.
  void advance_rounds();
  // After an import: approvals at decided heights go, the next height starts in round 0.
  void forget_decided();

  // --- miner RPC, Namecoin's createauxblock / submitauxblock (miner_rpc.cpp) ---
  std::string create_aux_block(std::string_view params_json);
  std::string submit_aux_block(std::string_view params_json);
  // An AuxPoW another node queued: checked as submitauxblock's would be, queued if it finalizes
  // more than the one queued here, refused silently (counted) otherwise.
  void offer_aux_pow(const OfferAuxPow& offer);
  // Every AuxPoW queued here goes out once, so that it reaches the next author wherever it was
  // submitted.
  void announce_queued_auxpow();

  // --- peg-ins (pegin_queue.cpp) ---
  // chain_queuePegIn: checked, queued, written to storage; answered once storage confirms.
  void queue_pegin(std::string_view params_json, RpcResponder responder);
  // The minted set and the queue, from the chain's keys in storage (start-up, after a hot swap).
  void load_pegins(const std::vector<storage::KeyValue>& entries);
  // The first kMaxPegInsPerBlock queued peg-ins: what the next block of this member mints.
  std::vector<PegIn> pegins_for_block() const;
  // The chain keys a block minting `pegins` writes in its batch.
  void add_pegin_puts(const std::vector<PegIn>& pegins, CommitExtras& extras) const;
  // `block` is committed: its peg-ins are minted, whoever queued them.
  void pegins_minted(const Block& block);

  // --- fees (block_fees.cpp) ---
  // The mints of a block naming `pegins` and carrying `auxpow`: the peg-ins' first, then the fees
  // of the AuxPoW's range (fee_mints); `paid` gets those fees' shares. What the author builds
  // with and every member re-executes with.
  std::vector<Mint> block_mints(const std::vector<PegIn>& pegins,
                                const std::optional<AuxPowHeader>& auxpow,
                                std::optional<FeeShares>* paid = nullptr) const;
  // The fee record a commit of `job` writes (merged mining only): the ledger after it.
  void add_fee_puts(const ImportJob& job, const std::optional<AuxPowHeader>& auxpow,
                    CommitExtras& extras) const;
  // `job` is committed: its range's fees are paid (metrics, log) and its own are recorded.
  void fees_committed(const ImportJob& job, const std::optional<AuxPowHeader>& auxpow);
  // The ledger from the chain's keys (start-up, after a hot swap); none recorded: from the head.
  void load_fees(const std::vector<storage::KeyValue>& entries);
  // createauxblock's coinbasevalue: the miner's share, in gwei, of the fees of every block the
  // work covers (the unfinalized ones up to the head).
  Wei miner_share_now() const;

  // --- state and status (chain_actor.cpp) ---
  void set_head(const Hash32& hash, const Block& block);
  std::uint64_t finalized_height() const { return finalized_ ? finalized_->first : 0; }
  StatusView status() const;
  ChainStatus chain_status() const;
  ChainSpecInfo spec_info() const;
  // The genesis hash, once storage has the genesis block (GetSpec is ready from then on).
  void learn_genesis_hash();
  // chain_getBlockByHeight / chain_getBlockByHash: the query to storage, its answer to the call.
  // Tracked in block_queries_ until answered, so a hot swap hands the unanswered ones over.
  void answer_block_query(BlockQuery query);

  template <class M>
  void reply(const Answer& answer, const M& message) {
    if (answer.correlation_id != 0) (void)context().reply(answer.correlation_id, message);
  }

  ChainConfig config_;
  std::optional<SecretKey> key_;
  std::optional<std::uint32_t> my_index_;
  Address storage_ = 0;
  Address engine_ = 0;
  HeadView head_;
  std::optional<Hash32> genesis_hash_;
  std::optional<std::pair<std::uint64_t, Hash32>> finalized_;
  bool running_ = false;
  bool busy_ = false;
  std::deque<Job> queued_;
  std::map<Hash32, ImportJob> pending_;
  // Every verified approval this node has, held block or not; an unheld block's height is what its
  // approvals state.
  std::map<Hash32, HeardApprovals> approvals_;
  std::uint32_t round_ = 0;  // this node's round at head + 1
  std::uint64_t last_approved_height_ = 0;
  Hash32 last_approved_hash_{};
  std::uint32_t last_approved_round_ = 0;
  bool signing_ = false;  // an approval record is being written (sign_approval)
  // (height, round, member) of the equivocations kept as evidence: each is written once.
  std::set<std::tuple<std::uint64_t, std::uint32_t, std::uint32_t>> equivocators_;
  std::optional<MergedMining> mining_;  // with [chain.auxpow]
  Hash32 anchor_hash_{};  // the last finalized block, or genesis: the work's previousblockhash
  bool paused_ = false;
  // The last reason the engine gave for building nothing; empty after a build (build_failed).
  std::string last_build_failure_;
  std::uint64_t slot_timer_ = 0;
  // The job that runs (at most one of the two): a snapshot hands it over to be completed.
  std::optional<ProduceJob> producing_;
  std::shared_ptr<ImportJob> importing_;
  // Hot swap: the state restore() read, until on_start resumes from it; the previous instance's
  // slot timer, whose ticks still in the mailbox count; hand-offs (state schema 2).
  std::optional<ChainState> restored_;
  bool confirming_head_ = false;  // HandedOver sent, not handled yet
  // Handed over, storage's approval record not read yet: this member signs nothing meanwhile.
  bool record_unconfirmed_ = false;
  // The job in flight handed over, until storage's head says how to complete it; a snapshot
  // taken meanwhile hands it on.
  std::optional<JobState> handed_in_flight_;
  std::uint64_t previous_slot_timer_ = 0;
  std::uint64_t handoffs_ = 0;
  std::map<std::uint64_t, BlockQuery> block_queries_;  // by the storage request's number
  // Peg-ins minted by the blocks up to the head, and those queued here to mint (in queue order).
  // Both live in storage (docs/chain.md, "Peg-ins") and are read from it at start and after a hot
  // swap, so the state hand-off does not carry them.
  std::set<PegInId> minted_pegins_;
  std::vector<PegIn> queued_pegins_;
  bool pegins_loaded_ = false;
  // The fees of the blocks after the finalized one (merged mining only), from the chain key
  // kFeesKey, which every block's batch rewrites: read from storage at start and after a hot swap.
  FeeLedger fees_;
  std::uint64_t next_block_query_ = 1;
};

}  // namespace alys::chain
