// The `chain` role: slot clock, block production and import, approvals, and the chain's RPC.
//
// Everything the actor does with other roles is asynchronous (requests to `engine` and `storage`),
// so work runs as jobs, one at a time: a job is an import, a production, or the start-up. Blocks
// and slot ticks that arrive while a job runs wait in `queued_` and run in arrival order.
#include <algorithm>
#include <cinttypes>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <variant>

#include "alys/json_rpc.hpp"
#include "alys/plugin.hpp"
#include "alys/schemas/chain.hpp"
#include "alys/schemas/chain_events.hpp"
#include "alys/schemas/engine.hpp"
#include "alys/schemas/storage.hpp"
#include "alys_version.hpp"
#include "block_rules.hpp"
#include "chain_rpc.hpp"
#include "chain_spec.hpp"
#include "key_file.hpp"

namespace alys::chain {
namespace {

// Its own code, as Bitcoin Core answers a disabled method: a miner tells it from "nothing to
// finalize" (-1) without reading the message.
constexpr const char* kNoMergedMining =
    "merged mining is not configured on this chain ([chain.auxpow])";

// The slot timer's message: the slot that starts now.
struct SlotTick {
  static constexpr std::string_view schema_name = "alys.chain.internal.SlotTick/1";
  std::uint64_t slot = 0;
  ALYS_FIELDS(slot)
};

// Where the answer to an ImportBlock goes, if anywhere.
struct Answer {
  std::uint64_t correlation_id = 0;  // 0: a plain send, nobody waits
};

struct ImportJob {
  SignedBlock block;
  Hash32 hash{};
  Answer answer;
  bool produced_here = false;
};
constexpr std::size_t kMaxEarlyApprovalBlocks = 256;
constexpr std::size_t kMaxPendingBlocks = 64;
constexpr std::size_t kMaxQueuedJobs = 4096;

struct ProduceJob {
  std::uint64_t slot = 0;
};
using Job = std::variant<ImportJob, ProduceJob>;

std::string short_hex(const Hash32& hash) { return to_hex(hash).substr(0, 12); }

// The chain's own keys in storage (CommitBlock.chain_puts), written with every block.
constexpr std::string_view kPowKey = "pow";
constexpr std::string_view kApprovedKey = "approved";

// The last height this member approved a block at, and which block: kept across restarts so that
// a restarted member does not approve a second block at the same height.
struct ApprovedAt {
  std::uint64_t height = 0;
  Hash32 hash{};
  ALYS_FIELDS(height, hash)
};

Bytes key_bytes(std::string_view key) { return Bytes(key.begin(), key.end()); }

// What a commit carries besides the block and the engine's state.
struct CommitExtras {
  bool set_finalized = false;
  std::uint64_t finalized_height = 0;
  Hash32 finalized_hash{};
  std::vector<storage::KeyValue> chain_puts;
};

class ChainActor : public Actor {
 public:
  explicit ChainActor(Context context) : Actor(context) {
    on<ImportBlock>([this](const ImportBlock& message, const Envelope& envelope) {
      Hash32 hash = block_hash(message.block.block);
      if (queued_.size() >= kMaxQueuedJobs) {
        this->context().counter_add("chain_imports_refused_busy_total");
        if (envelope.is_request())
          (void)this->context().reply(
              envelope.correlation_id,
              ImportResult{false, false, "busy", "too many blocks waiting; send it again later",
                           hash, message.block.block.height});
        return;
      }
      enqueue(ImportJob{message.block, hash,
                        Answer{envelope.is_request() ? envelope.correlation_id : 0}, false});
    });
    on<ApproveBlock>([this](const ApproveBlock& message, const Envelope&) { approve(message); });
    on<SlotTick>([this](const SlotTick&, const Envelope& envelope) {
      // A tick of a previous instance's timer (left in the mailbox across a restart) is ignored:
      // this instance has its own.
      if (envelope.kind == ALYS_KIND_TIMER && envelope.topic_id == slot_timer_) on_slot();
    });
    on_timeout([this](std::uint64_t correlation_id) { timed_out(correlation_id); });

    rpc("chain_status", 0, [this](std::string_view) {
      if (!running_) throw RpcError(-32000, "the chain is starting: reading its head from storage");
      return render_status(status());
    });
    rpc("createauxblock", 0, [this](std::string_view params) { return create_aux_block(params); });
    rpc("submitauxblock", 0, [this](std::string_view params) { return submit_aux_block(params); });
    rpc_async("chain_getBlockByHeight", 0, [this](std::string_view params, RpcResponder responder) {
      storage::GetBlockByHeight query{parse_height_param(params)};
      ask<storage::BlockFound>(
          storage_, query, config_.node.storage_timeout_ms,
          [responder](const storage::BlockFound& found) { answer_block(responder, found); },
          [responder](const std::string& error) { responder.fail(0, error); });
    });
    rpc_async("chain_getBlockByHash", 0, [this](std::string_view params, RpcResponder responder) {
      storage::GetBlockByHash query{parse_hash_param(params)};
      ask<storage::BlockFound>(
          storage_, query, config_.node.storage_timeout_ms,
          [responder](const storage::BlockFound& found) { answer_block(responder, found); },
          [responder](const std::string& error) { responder.fail(0, error); });
    });
  }

  void on_start() override {
    config_ = parse_chain_config(context().config_json());
    if (!config_.node.key_file.empty()) {
      std::filesystem::path file = config_.node.key_file;
      if (file.is_relative()) {
        auto config_dir = context().config_string("host.config_dir");
        if (!config_dir)
          throw Error(ALYS_ERR_INVALID, "chain.key_file is relative (" + file.string() +
                                            ") and the host gives no config directory");
        file = std::filesystem::path(*config_dir) / file;
      }
      key_ = load_key_file(file);
      my_index_ = config_.spec.member_index(key_->xonly_public_key());
      if (!my_index_)
        throw Error(ALYS_ERR_INVALID, "the key in " + file.string() + " (public key " +
                                          to_hex(key_->xonly_public_key()) +
                                          ") is not one of chain.members");
    }
    storage_ = context().resolve("storage");
    engine_ = context().resolve("engine");
    if (config_.spec.pow) mining_.emplace(*config_.spec.pow);
    context().log(LogLevel::info,
                  "chain " + std::to_string(config_.spec.chain_id) + ": " +
                      std::to_string(config_.spec.members.size()) + " member(s), threshold " +
                      std::to_string(config_.spec.threshold) + ", slot " +
                      std::to_string(config_.spec.slot_ms) + " ms, " +
                      (my_index_ ? "this node is member " + std::to_string(*my_index_)
                                 : std::string("this node is an observer (no key_file)")));
    busy_ = true;  // the start-up is the first job
    load_head();
  }

 private:
  // --- asking other roles ---------------------------------------------------------------------

  struct Waiting {
    std::function<void(ByteView)> on_reply;
    std::function<void(const std::string&)> on_failure;
  };

  template <class Reply, class Request, class OnReply, class OnFailure>
  void ask(Address to, const Request& request, std::uint64_t timeout_ms, OnReply on_reply,
           OnFailure on_failure) {
    // Consensus traffic never waits behind user RPC in the other roles' mailboxes (DESIGN.md).
    std::uint64_t correlation = context().request(to, request, timeout_ms, Priority::consensus);
    waiting_[correlation] = Waiting{[on_reply = std::move(on_reply)](ByteView bytes) mutable {
                                      on_reply(decode<Reply>(bytes));
                                    },
                                    std::move(on_failure)};
  }

  std::int32_t on_unhandled(const Envelope& envelope) override {
    if (envelope.kind != ALYS_KIND_REPLY) return ALYS_ERR_UNHANDLED;
    auto found = waiting_.find(envelope.correlation_id);
    if (found == waiting_.end()) return ALYS_OK;  // an answer to a request given up on
    Waiting waiting = std::move(found->second);
    waiting_.erase(found);
    waiting.on_reply(envelope.payload);
    return ALYS_OK;
  }

  void timed_out(std::uint64_t correlation_id) {
    auto found = waiting_.find(correlation_id);
    if (found == waiting_.end()) return;
    Waiting waiting = std::move(found->second);
    waiting_.erase(found);
    waiting.on_failure("no answer in time");
  }

  // A failure that leaves the chain unable to go on (storage cannot commit, engine and storage
  // disagree): the actor fails and its supervisor restarts it, and the restart resumes from
  // storage.
  [[noreturn]] static void fatal(const std::string& message) {
    throw Error(ALYS_ERR_FAILED, message);
  }

  // --- start-up -------------------------------------------------------------------------------

  void load_head() {
    ask<storage::Head>(
        storage_, storage::GetHead{}, config_.node.storage_timeout_ms,
        [this](const storage::Head& head) {
          if (!head.error.empty()) fatal("storage cannot read the head: " + head.error);
          if (!head.has_head) return check_engine(std::nullopt);
          finalized_ = head.has_finalized ? std::optional<std::pair<std::uint64_t, Hash32>>(
                                                {head.finalized_height, head.finalized_hash})
                                          : std::nullopt;
          ask<storage::BlockFound>(
              storage_, storage::GetBlockByHash{head.hash}, config_.node.storage_timeout_ms,
              [this, head](const storage::BlockFound& found) {
                if (!found.error.empty() || !found.found)
                  fatal("storage names head " + to_hex(head.hash) +
                        " but cannot read it: " + found.error);
                SignedBlock block = decode<SignedBlock>(found.block.block);
                check_engine(std::make_pair(head.hash, block.block));
              },
              [](const std::string& error) { fatal("storage: " + error); });
        },
        [](const std::string& error) { fatal("storage did not answer GetHead: " + error); });
  }

  void check_engine(std::optional<std::pair<Hash32, Block>> stored_head, bool realigned = false) {
    ask<engine::Info>(
        engine_, engine::GetInfo{}, config_.node.engine_timeout_ms,
        [this, stored_head, realigned](const engine::Info& info) {
          if (!info.error.empty()) fatal("engine: " + info.error);
          if (info.chain_id != config_.spec.chain_id)
            fatal("chain.chain_id is " + std::to_string(config_.spec.chain_id) +
                  " but the engine's chain_id is " + std::to_string(info.chain_id));
          if (!stored_head) {
            if (info.has_head)
              fatal("the engine has state but storage holds no chain: they belong together");
            return build_genesis();
          }
          const Block& block = stored_head->second;
          if (!info.has_head || info.head_payload_hash != block.payload.block_hash) {
            // A chain restarted alone after its commit landed but before CommitPayload reached
            // the engine: an unknown CommitPayload makes the engine reload from storage, and the
            // engine answers GetInfo only once it has.
            if (!realigned) {
              context().log(LogLevel::warn, "the engine is not at the stored head " +
                                                short_hex(block.payload.block_hash) +
                                                ": asking it to reload from storage");
              if (!context()
                       .send(engine_, engine::CommitPayload{block.payload.block_hash},
                             Priority::consensus)
                       .ok())
                fatal("the engine's mailbox refused CommitPayload");
              return check_engine(stored_head, true);
            }
            fatal("the engine's head payload (" + short_hex(info.head_payload_hash) +
                  ") is not the chain head's (" + short_hex(block.payload.block_hash) + ")");
          }
          set_head(stored_head->first, block);
          load_chain_state([this, height = block.height, hash = stored_head->first] {
            context().log(LogLevel::info, "resumed at height " + std::to_string(height) + " " +
                                              short_hex(hash) + ", finalized " +
                                              std::to_string(finalized_height()));
            start_running();
          });
        },
        [](const std::string& error) { fatal("engine did not answer GetInfo: " + error); });
  }

  void build_genesis() {
    const ChainSpec& spec = config_.spec;
    ask<engine::PayloadBuilt>(
        engine_, engine::BuildGenesis{spec.genesis_timestamp_ms, spec.genesis_alloc},
        config_.node.engine_timeout_ms,
        [this](const engine::PayloadBuilt& built) {
          if (!built.error.empty())
            fatal("engine cannot build the genesis payload: " + built.error);
          SignedBlock genesis;
          genesis.block.height = 0;
          genesis.block.slot = config_.spec.slot_at(config_.spec.genesis_timestamp_ms);
          genesis.block.timestamp_ms = config_.spec.genesis_timestamp_ms;
          genesis.block.payload = built.payload;
          const Hash32 hash = block_hash(genesis.block);
          const engine::ExecutePayload execute_request{genesis.block.payload,
                                                       config_.spec.genesis_alloc, true};
          if (mining_)
            mining_->set_state(
                PowState{config_.spec.pow->initial_bits, 0, config_.spec.genesis_timestamp_ms});
          execute(
              execute_request,
              [this, genesis, hash](const engine::PayloadExecuted& executed) {
                commit(genesis, hash, executed, chain_state_puts(std::nullopt, 0),
                       [this, hash](const Block& block) {
                         context().log(LogLevel::info, "genesis " + to_hex(hash));
                         anchor_hash_ = hash;
                         set_head(hash, block);
                         start_running();
                       });
              },
              [](const std::string& error) {
                fatal("the engine refused the genesis payload: " + error);
              });
        },
        [](const std::string& error) { fatal("engine did not answer BuildGenesis: " + error); });
  }

  // The chain's own state (difficulty, last approval) and, with merged mining, the hashes of the
  // blocks after the finalized one; then `then`.
  void load_chain_state(std::function<void()> then) {
    ask<storage::ChainState>(
        storage_, storage::GetChainState{}, config_.node.storage_timeout_ms,
        [this, then](const storage::ChainState& state) {
          if (!state.error.empty()) fatal("storage cannot read the chain state: " + state.error);
          for (const storage::KeyValue& entry : state.entries) {
            const std::string_view key(reinterpret_cast<const char*>(entry.key.data()),
                                       entry.key.size());
            if (key == kApprovedKey) {
              ApprovedAt approved = decode<ApprovedAt>(entry.value);
              last_approved_height_ = approved.height;
              last_approved_hash_ = approved.hash;
            } else if (key == kPowKey && mining_) {
              mining_->set_state(decode<PowState>(entry.value));
            }
          }
          if (!mining_) return then();
          if (mining_->state().bits == 0)  // a chain that ran without [chain.auxpow] before
            mining_->set_state(
                PowState{config_.spec.pow->initial_bits, 0, config_.spec.genesis_timestamp_ms});
          if (finalized_)
            (void)context().send(engine_, engine::SetFinalized{finalized_->first}, Priority::high);
          load_unfinalized(finalized_height(), {}, then);
        },
        [](const std::string& error) { fatal("storage did not answer GetChainState: " + error); });
  }

  void load_unfinalized(std::uint64_t from, std::vector<Hash32> hashes,
                        std::function<void()> then) {
    // hashes[0] is the finalized block (or genesis): the anchor the next work builds on.
    if (from > head_.height) {
      anchor_hash_ = hashes.front();
      hashes.erase(hashes.begin());
      mining_->set_unfinalized(finalized_height() + 1, std::move(hashes));
      return then();
    }
    ask<storage::BlockRange>(
        storage_, storage::GetBlockRange{from, 512, 8 << 20}, config_.node.storage_timeout_ms,
        [this, from, hashes, then](const storage::BlockRange& range) mutable {
          if (!range.error.empty() || range.blocks.empty())
            fatal("storage cannot read blocks from " + std::to_string(from) + ": " + range.error);
          for (const storage::StoredBlock& block : range.blocks) hashes.push_back(block.hash);
          load_unfinalized(from + range.blocks.size(), std::move(hashes), then);
        },
        [](const std::string& error) { fatal("storage did not answer GetBlockRange: " + error); });
  }

  std::uint64_t finalized_height() const { return finalized_ ? finalized_->first : 0; }

  // The chain keys written with a block: the difficulty state after it, and the last approval.
  CommitExtras chain_state_puts(const std::optional<AuxPowHeader>& auxpow,
                                std::uint64_t block_ms) const {
    CommitExtras extras;
    if (mining_) {
      PowState state = mining_->state();
      if (auxpow) state = advance(*config_.spec.pow, state, block_ms);
      extras.chain_puts.push_back({key_bytes(kPowKey), encode(state)});
    }
    extras.chain_puts.push_back(
        {key_bytes(kApprovedKey), encode(ApprovedAt{last_approved_height_, last_approved_hash_})});
    return extras;
  }

  void start_running() {
    running_ = true;
    arm_slot_timer();
    finish_job();
  }

  // --- slots and production -------------------------------------------------------------------

  // One periodic timer from the next slot start: a tick lost to a full mailbox costs one slot, not
  // the clock (a self-re-arming one-shot would stop for good). Each tick reads the slot from the
  // clock rather than trusting the message.
  void arm_slot_timer() {
    const std::uint64_t now = context().now_ms();
    const std::uint64_t next = config_.spec.slot_at(now) + 1;
    slot_timer_ = context().start_timer(config_.spec.slot_start_ms(next) - now,
                                        config_.spec.slot_ms, SlotTick{next});
  }

  // The slot whose start is nearest to now: the timer runs on the monotonic clock and the slot on
  // wall time, so a tick may arrive a few milliseconds before its boundary (slot_at(now) would
  // name the previous slot and the tick would be lost).
  std::uint64_t current_slot() const {
    return config_.spec.slot_at(context().now_ms() + config_.spec.slot_ms / 2);
  }

  void on_slot() {
    const std::uint64_t slot = current_slot();
    context().gauge_set("chain_slot", static_cast<double>(slot));
    if (!my_index_ || config_.spec.author_of(slot) != *my_index_) return;
    enqueue(ProduceJob{slot});
  }

  void produce(std::uint64_t slot) {
    // The slot may have passed while earlier jobs ran, or a block for it may exist already.
    const std::uint64_t now_slot = current_slot();
    if (slot != now_slot || slot <= head_.slot || last_approved_height_ > head_.height) {
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
    engine::BuildPayload request{head_.payload_hash,
                                 config_.spec.slot_start_ms(slot),
                                 config_.node.fee_recipient,
                                 {},
                                 config_.node.max_transactions_per_block};
    ask<engine::PayloadBuilt>(
        engine_, request, config_.node.engine_timeout_ms,
        [this, slot, auxpow](const engine::PayloadBuilt& built) {
          if (!built.error.empty()) {
            context().log(LogLevel::error, "slot " + std::to_string(slot) +
                                               ": the engine built no payload: " + built.error);
            context().counter_add("chain_production_failures_total");
            return finish_job();
          }
          SignedBlock proposal;
          Block& block = proposal.block;
          block.height = head_.height + 1;
          block.parent_hash = head_.hash;
          block.slot = slot;
          block.timestamp_ms = config_.spec.slot_start_ms(slot);
          block.author_index = *my_index_;
          block.payload = built.payload;
          if (auxpow) block.auxpow = {*auxpow};
          const Hash32 hash = block_hash(block);
          run_import(ImportJob{std::move(proposal), hash, Answer{}, true});
        },
        [this, slot](const std::string& error) {
          context().log(LogLevel::error,
                        "slot " + std::to_string(slot) + ": the engine did not build: " + error);
          context().counter_add("chain_production_failures_total");
          finish_job();
        });
  }

  // Another block would leave more than max_blocks_without_pow blocks after the finalized one:
  // the chain waits for an AuxPoW (docs/chain.md, "Merged mining").
  bool production_paused() {
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

  // --- import ---------------------------------------------------------------------------------

  void enqueue(Job job) {
    queued_.push_back(std::move(job));
    if (!busy_) next_job();
  }

  void next_job() {
    if (queued_.empty()) return;
    busy_ = true;
    Job job = std::move(queued_.front());
    queued_.pop_front();
    if (auto* produce_job = std::get_if<ProduceJob>(&job)) return produce(produce_job->slot);
    run_import(std::move(std::get<ImportJob>(job)));
  }

  void finish_job() {
    busy_ = false;
    next_job();
  }

  // Header, approvals and AuxPoW rules first (cheap), then the engine re-executes the payload;
  // only a block that passed everything gets this member's approval, and with `threshold`
  // approvals it is committed. A valid block short of approvals waits (hold).
  void run_import(ImportJob job) {
    const Block& block = job.block.block;
    if (auto rejection = check_header(config_.spec, head_, block, job.hash, context().now_ms()))
      return reject(job, *rejection);
    if (auto early = early_approvals_.find(job.hash); early != early_approvals_.end()) {
      for (const Approval& approval : early->second) add_unique(job.block.approvals, approval);
      early_approvals_.erase(early);
    }
    ApprovalTally tally = check_approvals(config_.spec, job.hash, job.block.approvals);
    if (tally.rejection) return reject(job, *tally.rejection);
    // Only the slot's author proposes: a block from anyone else is not worth a member's approval.
    if (!job.produced_here &&
        std::none_of(job.block.approvals.begin(), job.block.approvals.end(),
                     [&](const Approval& a) { return a.member_index == block.author_index; }))
      return reject(job, Rejection{"missing_author_approval",
                                   "the block carries no approval of its author, member " +
                                       std::to_string(block.author_index)});
    std::optional<AuxPowHeader> auxpow;
    if (!block.auxpow.empty()) {
      auxpow = block.auxpow.front();
      if (auto reason = mining_->check_header(*auxpow, block.height))
        return reject(job, Rejection{"bad_auxpow", *reason});
    }
    auto shared = std::make_shared<ImportJob>(std::move(job));
    execute(
        engine::ExecutePayload{shared->block.block.payload, {}, false},
        [this, shared, auxpow, valid = tally.valid](const engine::PayloadExecuted& executed) {
          std::uint32_t approvals = valid;
          if (approvals < config_.spec.threshold && add_own_approval(*shared)) ++approvals;
          if (approvals < config_.spec.threshold) return hold(std::move(*shared), approvals);
          CommitExtras extras = chain_state_puts(auxpow, shared->block.block.timestamp_ms);
          if (auxpow) {
            extras.set_finalized = true;
            extras.finalized_height = auxpow->range_end;
            extras.finalized_hash = *mining_->hash_at(auxpow->range_end);
          }
          commit(shared->block, shared->hash, executed, std::move(extras),
                 [this, shared, auxpow](const Block& imported) {
                   set_head(shared->hash, imported);
                   if (auxpow) finalize(*auxpow, imported);
                   if (mining_) mining_->block_added(imported.height, shared->hash);
                   imported_block(imported, shared->hash, shared->produced_here);
                   reply(shared->answer,
                         ImportResult{true, false, "", "", shared->hash, imported.height});
                   finish_job();
                 });
        },
        [this, shared](const std::string& error) {
          reject(*shared, Rejection{"payload_invalid", error});
        });
  }

  // The engine re-executes `request`; `on_invalid` gets its refusal (or a missing answer).
  void execute(const engine::ExecutePayload& request,
               std::function<void(const engine::PayloadExecuted&)> on_executed,
               std::function<void(const std::string&)> on_invalid) {
    ask<engine::PayloadExecuted>(
        engine_, request, config_.node.engine_timeout_ms,
        [on_executed, on_invalid](const engine::PayloadExecuted& executed) {
          if (!executed.error.empty()) return on_invalid(executed.error);
          on_executed(executed);
        },
        [on_invalid](const std::string& error) {
          on_invalid("the engine did not execute the payload: " + error);
        });
  }

  // Commits block, indexes, head, the engine's state and the chain's own state in one storage
  // batch, then tells the engine to move its head.
  void commit(const SignedBlock& block, const Hash32& hash, const engine::PayloadExecuted& executed,
              CommitExtras extras, std::function<void(const Block&)> on_committed) {
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
    ask<storage::Committed>(
        storage_, request, config_.node.storage_timeout_ms,
        [this, height, payload, committed_block,
         on_committed](const storage::Committed& committed) {
          if (!committed.error.empty())
            fatal("storage could not commit block " + std::to_string(height) + ": " +
                  committed.error);
          // Lost, the engine's head would stay behind the chain's: fail, and let the restart
          // re-align the engine with storage (check_engine).
          if (!context().send(engine_, engine::CommitPayload{payload}, Priority::consensus).ok())
            fatal("the engine's mailbox refused CommitPayload for block " + std::to_string(height));
          on_committed(committed_block);
        },
        [height](const std::string& error) {
          // Whether the batch landed is unknown: restart and read the truth from storage.
          fatal("storage did not confirm block " + std::to_string(height) + ": " + error);
        });
  }

  // A block carrying `auxpow` was committed: its range is final.
  void finalize(const AuxPowHeader& auxpow, const Block& carrier) {
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
    context().log(LogLevel::info, "finalized blocks " + std::to_string(auxpow.range_start) + ".." +
                                      std::to_string(auxpow.range_end) + " by AuxPoW #" +
                                      std::to_string(auxpow.height) + " in block " +
                                      std::to_string(carrier.height) + "; next bits " +
                                      to_hex(std::array<std::uint8_t, 4>{
                                          static_cast<std::uint8_t>(mining_->state().bits >> 24),
                                          static_cast<std::uint8_t>(mining_->state().bits >> 16),
                                          static_cast<std::uint8_t>(mining_->state().bits >> 8),
                                          static_cast<std::uint8_t>(mining_->state().bits)}));
    if (paused_) {
      paused_ = false;
      context().gauge_set("chain_production_paused", 0);
      context().log(LogLevel::info, "production resumes: blocks up to " +
                                        std::to_string(auxpow.range_end) + " are finalized");
    }
  }

  void imported_block(const Block& block, const Hash32& hash, bool produced_here) {
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
    // Proposals at or below the new head can never be imported now.
    std::erase_if(pending_, [&](const auto& entry) {
      return entry.second.block.block.height <= block.height;
    });
  }

  void reject(const ImportJob& job, const Rejection& rejection) {
    context().counter_add("chain_blocks_rejected_total");
    context().log(LogLevel::warn, "rejected block " + std::to_string(job.block.block.height) + " " +
                                      short_hex(job.hash) + ": " + rejection.code + ": " +
                                      rejection.message);
    reply(job.answer, ImportResult{false, false, rejection.code, rejection.message, job.hash,
                                   job.block.block.height});
    finish_job();
  }

  // A valid block that lacks approvals waits for ApproveBlock messages.
  void hold(ImportJob job, std::uint32_t valid) {
    const std::string message = std::to_string(valid) + " of " +
                                std::to_string(config_.spec.threshold) +
                                " approvals; waiting for more";
    reply(job.answer, ImportResult{false, true, "too_few_approvals", message, job.hash,
                                   job.block.block.height});
    if (job.produced_here) {
      context().log(LogLevel::info, "proposed block " + std::to_string(job.block.block.height) +
                                        " " + short_hex(job.hash) + ": " + message);
      (void)context().publish("chain.block_proposed", ImportBlock{job.block});
    }
    job.answer = {};
    if (pending_.size() >= kMaxPendingBlocks) pending_.erase(pending_.begin());
    pending_[job.hash] = std::move(job);
    finish_job();
  }

  // A member approves at most one block per height: with a majority threshold, that is what keeps
  // two blocks at one height from both being imported anywhere (docs/chain.md, fork choice).
  bool add_own_approval(ImportJob& job) {
    if (!key_ || !my_index_) return false;
    const Block& block = job.block.block;
    if (block.height <= last_approved_height_ && last_approved_hash_ != job.hash) return false;
    for (const Approval& approval : job.block.approvals)
      if (approval.member_index == *my_index_) return false;
    Approval own{*my_index_, key_->schnorr_sign(approval_message(config_.spec.chain_id, job.hash))};
    job.block.approvals.push_back(own);
    last_approved_height_ = block.height;
    last_approved_hash_ = job.hash;
    if (!job.produced_here) (void)context().publish("chain.approval", ApproveBlock{job.hash, own});
    return true;
  }

  // One approval is checked on its own: a bad, foreign or repeated one is dropped without harming
  // the block it names. Approvals for a block not held yet (still queued, or not arrived) wait.
  void approve(const ApproveBlock& message) {
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

  static bool add_unique(std::vector<Approval>& approvals, const Approval& approval) {
    for (const Approval& existing : approvals)
      if (existing.member_index == approval.member_index) return false;
    approvals.push_back(approval);
    return true;
  }

  template <class M>
  void reply(const Answer& answer, const M& message) {
    if (answer.correlation_id != 0) (void)context().reply(answer.correlation_id, message);
  }

  // --- miner RPC (Namecoin's createauxblock / submitauxblock) ---------------------------------

  std::string create_aux_block(std::string_view params_json) {
    if (!mining_) throw RpcError(json_rpc::kMethodNotFound, kNoMergedMining);
    if (!running_) throw RpcError(-10, "the chain is starting");
    EthAddress recipient = config_.node.fee_recipient;
    if (auto address = string_param(params_json, 0)) {
      auto parsed = fixed_from_hex<20>(*address);
      if (!parsed)
        throw RpcError(-5, "address must be a 20-byte hex address (\"0x\" + 40 hex digits)");
      recipient = *parsed;
    }
    auto created = mining_->create_work(recipient);
    if (auto* error = std::get_if<MiningError>(&created))
      throw RpcError(error->code, error->message);
    const Work& work = std::get<Work>(created);
    return render_aux_block(AuxBlockView{work.aux_hash, config_.spec.pow->chain_id, anchor_hash_,
                                         work.bits, head_.height + 1});
  }

  std::string submit_aux_block(std::string_view params_json) {
    if (!mining_) throw RpcError(json_rpc::kMethodNotFound, kNoMergedMining);
    auto hash = string_param(params_json, 0);
    auto auxpow = string_param(params_json, 1);
    if (!hash || !auxpow) throw RpcError(-32602, "expected params [hash, auxpow hex]");
    if (auto error = mining_->submit(*hash, *auxpow)) {
      context().counter_add("chain_auxpow_rejected_total");
      context().log(LogLevel::warn, "submitauxblock refused: " + error->message);
      throw RpcError(error->code, error->message);
    }
    context().counter_add("chain_auxpow_accepted_total");
    context().log(LogLevel::info, "AuxPoW accepted; it finalizes blocks from " +
                                      std::to_string(mining_->first_unfinalized_height()) +
                                      " in the next block this node produces");
    return "true";
  }

  // --- state ----------------------------------------------------------------------------------

  void set_head(const Hash32& hash, const Block& block) {
    head_.height = block.height;
    head_.hash = hash;
    head_.slot = block.slot;
    head_.payload_hash = block.payload.block_hash;
    head_.payload_timestamp_s = block.payload.timestamp_s;
    context().gauge_set("chain_head_height", static_cast<double>(block.height));
  }

  StatusView status() const {
    StatusView view;
    view.head_height = head_.height;
    view.head_hash = head_.hash;
    view.head_slot = head_.slot;
    if (finalized_) {
      view.has_finalized = true;
      view.finalized_height = finalized_->first;
      view.finalized_hash = finalized_->second;
    }
    view.current_slot = config_.spec.slot_ms ? config_.spec.slot_at(context().now_ms()) : 0;
    view.member_index = my_index_;
    view.producing = running_ && my_index_.has_value();
    view.pending_blocks = static_cast<std::uint32_t>(pending_.size());
    if (mining_)
      view.pow = StatusView::Pow{mining_->state().bits, mining_->state().auxpow_height,
                                 head_.height - finalized_height(),
                                 config_.spec.pow->max_blocks_without_pow, paused_};
    return view;
  }

  static void answer_block(const RpcResponder& responder, const storage::BlockFound& found) {
    if (!found.error.empty()) return responder.fail(0, "storage: " + found.error);
    if (!found.found) return responder.answer("null");
    responder.answer(render_block(decode<SignedBlock>(found.block.block), found.block.hash));
  }

  ChainConfig config_;
  std::optional<SecretKey> key_;
  std::optional<std::uint32_t> my_index_;
  Address storage_ = 0;
  Address engine_ = 0;
  HeadView head_;
  std::optional<std::pair<std::uint64_t, Hash32>> finalized_;
  bool running_ = false;
  bool busy_ = false;
  std::deque<Job> queued_;
  std::unordered_map<std::uint64_t, Waiting> waiting_;
  std::map<Hash32, ImportJob> pending_;
  std::map<Hash32, std::vector<Approval>> early_approvals_;  // valid approvals of unheld blocks
  std::uint64_t last_approved_height_ = 0;
  Hash32 last_approved_hash_{};
  std::optional<MergedMining> mining_;  // with [chain.auxpow]
  Hash32 anchor_hash_{};  // the last finalized block, or genesis: the work's previousblockhash
  bool paused_ = false;
  std::uint64_t slot_timer_ = 0;
};

}  // namespace
}  // namespace alys::chain

ALYS_PLUGIN(alys::chain::ChainActor, (alys::PluginInfo{.role = "chain",
                                                       .name = "alys-chain",
                                                       .version = ALYS_NODE_VERSION,
                                                       .requires_roles = {"storage", "engine"}}));
