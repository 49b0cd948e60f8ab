// The `chain` role: slot clock, block production and import, approvals, and the chain's RPC.
//
// Everything the actor does with other roles is asynchronous (requests to `engine` and `storage`),
// so work runs as jobs, one at a time: a job is an import, a production, or the start-up. Blocks
// and slot ticks that arrive while a job runs wait in `queued_` and run in arrival order.
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

#include "alys/plugin.hpp"
#include "alys/schemas/chain.hpp"
#include "alys/schemas/chain_events.hpp"
#include "alys/schemas/engine.hpp"
#include "alys/schemas/storage.hpp"
#include "block_rules.hpp"
#include "chain_rpc.hpp"
#include "chain_spec.hpp"
#include "key_file.hpp"

namespace alys::chain {
namespace {

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
struct ProduceJob {
  std::uint64_t slot = 0;
};
using Job = std::variant<ImportJob, ProduceJob>;

std::string short_hex(const Hash32& hash) { return to_hex(hash).substr(0, 12); }

class ChainActor : public Actor {
 public:
  explicit ChainActor(Context context) : Actor(context) {
    on<ImportBlock>([this](const ImportBlock& message, const Envelope& envelope) {
      Hash32 hash = block_hash(message.block.block);
      enqueue(ImportJob{message.block, hash,
                        Answer{envelope.is_request() ? envelope.correlation_id : 0}, false});
    });
    on<ApproveBlock>([this](const ApproveBlock& message, const Envelope&) { approve(message); });
    on<SlotTick>([this](const SlotTick& tick, const Envelope&) { on_slot(tick.slot); });
    on_timeout([this](std::uint64_t correlation_id) { timed_out(correlation_id); });

    rpc("chain_status", 0, [this](std::string_view) {
      if (!running_) throw RpcError(-32000, "the chain is starting: reading its head from storage");
      return render_status(status());
    });
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
    std::uint64_t correlation = context().request(to, request, timeout_ms);
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

  void check_engine(std::optional<std::pair<Hash32, Block>> stored_head) {
    ask<engine::Info>(
        engine_, engine::GetInfo{}, config_.node.engine_timeout_ms,
        [this, stored_head](const engine::Info& info) {
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
          if (!info.has_head || info.head_payload_hash != block.payload.block_hash)
            fatal("the engine's head payload (" + short_hex(info.head_payload_hash) +
                  ") is not the chain head's (" + short_hex(block.payload.block_hash) + ")");
          set_head(stored_head->first, block);
          context().log(LogLevel::info, "resumed at height " + std::to_string(block.height) + " " +
                                            short_hex(stored_head->first));
          start_running();
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
          engine::ExecutePayload execute{genesis.block.payload, config_.spec.genesis_alloc, true};
          execute_and_commit(genesis, hash, execute, [this, hash](const Block& block) {
            context().log(LogLevel::info, "genesis " + to_hex(hash));
            set_head(hash, block);
            start_running();
          });
        },
        [](const std::string& error) { fatal("engine did not answer BuildGenesis: " + error); });
  }

  void start_running() {
    running_ = true;
    arm_slot_timer();
    finish_job();
  }

  // --- slots and production -------------------------------------------------------------------

  void arm_slot_timer() {
    const std::uint64_t now = context().now_ms();
    const std::uint64_t next = config_.spec.slot_at(now) + 1;
    context().start_timer(config_.spec.slot_start_ms(next) - now, 0, SlotTick{next});
  }

  void on_slot(std::uint64_t slot) {
    arm_slot_timer();
    context().gauge_set("chain_slot", static_cast<double>(slot));
    if (!my_index_ || config_.spec.author_of(slot) != *my_index_) return;
    enqueue(ProduceJob{slot});
  }

  void produce(std::uint64_t slot) {
    // The slot may have passed while earlier jobs ran, or a block for it may exist already.
    const std::uint64_t now_slot = config_.spec.slot_at(context().now_ms());
    if (slot != now_slot || slot <= head_.slot || last_approved_height_ > head_.height) {
      context().counter_add("chain_slots_skipped_total");
      return finish_job();
    }
    engine::BuildPayload request{head_.payload_hash,
                                 config_.spec.slot_start_ms(slot),
                                 config_.node.fee_recipient,
                                 {},
                                 config_.node.max_transactions_per_block};
    ask<engine::PayloadBuilt>(
        engine_, request, config_.node.engine_timeout_ms,
        [this, slot](const engine::PayloadBuilt& built) {
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

  void run_import(ImportJob job) {
    const Block& block = job.block.block;
    if (auto rejection = check_header(config_.spec, head_, block, job.hash, context().now_ms()))
      return reject(job, *rejection);
    ApprovalTally tally = check_approvals(config_.spec, job.hash, job.block.approvals);
    if (tally.rejection) return reject(job, *tally.rejection);
    if (tally.valid < config_.spec.threshold && add_own_approval(job)) ++tally.valid;
    if (tally.valid < config_.spec.threshold) return hold(std::move(job), tally.valid);

    engine::ExecutePayload execute{block.payload, {}, false};
    auto answer = job.answer;
    const Hash32 hash = job.hash;
    const bool produced_here = job.produced_here;
    auto rejected = std::make_shared<ImportJob>(job);
    execute_and_commit(
        job.block, hash, execute,
        [this, answer, hash, produced_here](const Block& imported) {
          set_head(hash, imported);
          imported_block(imported, hash, produced_here);
          reply(answer, ImportResult{true, false, "", "", hash, imported.height});
          finish_job();
        },
        [this, rejected](const std::string& error) {
          reject(*rejected, Rejection{"payload_invalid", error});
        });
  }

  // Runs the payload through the engine, then commits block, indexes, head and engine state in
  // one storage batch, then tells the engine. `on_invalid` is for a payload the engine refuses.
  void execute_and_commit(const SignedBlock& block, const Hash32& hash,
                          const engine::ExecutePayload& execute,
                          std::function<void(const Block&)> on_committed,
                          std::function<void(const std::string&)> on_invalid = {}) {
    ask<engine::PayloadExecuted>(
        engine_, execute, config_.node.engine_timeout_ms,
        [this, block, hash, on_committed, on_invalid](const engine::PayloadExecuted& executed) {
          if (!executed.error.empty()) {
            if (on_invalid) return on_invalid(executed.error);
            fatal("the engine refused the payload of " + short_hex(hash) + ": " + executed.error);
          }
          storage::CommitBlock commit;
          commit.hash = hash;
          commit.height = block.block.height;
          commit.block = encode(block);
          commit.engine_puts = executed.state_puts;
          commit.engine_deletes = executed.state_deletes;
          ask<storage::Committed>(
              storage_, commit, config_.node.storage_timeout_ms,
              [this, block, on_committed](const storage::Committed& committed) {
                if (!committed.error.empty())
                  fatal("storage could not commit block " + std::to_string(block.block.height) +
                        ": " + committed.error);
                (void)context().send(engine_, engine::CommitPayload{block.block.payload.block_hash},
                                     Priority::high);
                on_committed(block.block);
              },
              [block](const std::string& error) {
                // Whether the batch landed is unknown: restart and read the truth from storage.
                fatal("storage did not confirm block " + std::to_string(block.block.height) + ": " +
                      error);
              });
        },
        [this, hash, on_invalid](const std::string& error) {
          if (on_invalid) return on_invalid("the engine did not execute the payload: " + error);
          fatal("the engine did not execute " + short_hex(hash) + ": " + error);
        });
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

  void approve(const ApproveBlock& message) {
    auto found = pending_.find(message.block_hash);
    if (found == pending_.end()) {
      context().counter_add("chain_approvals_unknown_block_total");
      return;
    }
    ImportJob job = std::move(found->second);
    pending_.erase(found);
    job.block.approvals.push_back(message.approval);
    enqueue(std::move(job));
  }

  template <class M>
  void reply(const Answer& answer, const M& message) {
    if (answer.correlation_id != 0) (void)context().reply(answer.correlation_id, message);
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
  std::uint64_t last_approved_height_ = 0;
  Hash32 last_approved_hash_{};
};

}  // namespace
}  // namespace alys::chain

ALYS_PLUGIN(alys::chain::ChainActor, (alys::PluginInfo{.role = "chain",
                                                       .name = "alys-chain",
                                                       .version = "0.1.0",
                                                       .requires_roles = {"storage", "engine"}}));
