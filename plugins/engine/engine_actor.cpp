// The engine role's "embedded" backend (engine_plugin.cpp creates it when the table names it or no
// backend): an account ledger that takes real Ethereum signed transfers, builds and validates
// payloads, and serves the Ethereum JSON-RPC subset a wallet needs through the node's admin
// endpoint. See docs/engine.md.
//
// Protocol with the chain (alys/schemas/engine.hpp): ExecutePayload runs a payload on the head
// without changing it and answers the state changes; the chain writes them in its storage
// CommitBlock and then sends CommitPayload, and only then does the head move. The engine's state
// lives in storage: a started engine reads it back with ScanEngineState (paged). A hot swap hands
// the whole memory over instead (engine_state.hpp), so the new version serves at once.
//
// Builds (CMakeLists.txt): alys_engine writes and reads state schema 1; alys_engine_v2
// (ENGINE_STATE_SCHEMA=2, version "...-v2") also counts hand-overs in schema 2 and writes schema 1
// for a v1 target; alys_engine_bad_restore (ENGINE_FAIL_RESTORE) refuses every snapshot, to test a
// swap's rollback.
//
// Settings: engine_config.hpp. Metrics: engine_mempool_size (gauge),
// engine_transactions_accepted_total, engine_transactions_rejected_total,
// engine_transactions_refused_total{reason} (the pool's limits, embedded/mempool.hpp),
// engine_transactions_evicted_total{reason},
// engine_payloads_built_total, engine_payloads_executed_total, engine_payload_rejected_total,
// engine_state_snapshot_bytes (gauge: the last hot-swap snapshot), engine_state_handoffs (gauge,
// v2 build only: hand-overs the state went through).
#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "alys/actor.hpp"
#include "alys/schemas/engine.hpp"
#include "alys/schemas/storage.hpp"
#include "alys_version.hpp"
#include "engine/embedded/admission.hpp"
#include "engine/embedded/block_history.hpp"
#include "engine/embedded/bridge_call.hpp"
#include "engine/embedded/eth_rpc.hpp"
#include "engine/embedded/ledger.hpp"
#include "engine/embedded/mempool.hpp"
#include "engine/embedded/payload_executor.hpp"
#include "engine/embedded/state_keys.hpp"
#include "engine/engine_backends.hpp"
#include "engine/engine_config.hpp"
#include "engine/engine_state.hpp"

#ifndef ENGINE_STATE_SCHEMA
#define ENGINE_STATE_SCHEMA 1
#endif
#ifndef ENGINE_VERSION_SUFFIX
#define ENGINE_VERSION_SUFFIX ""
#endif

namespace {

using namespace alys::engine;
using namespace alys::engine::embedded;
using alys::Envelope;
using alys::LogLevel;

constexpr const char* kVersion = ALYS_NODE_VERSION ENGINE_VERSION_SUFFIX;
// The newest state schema this build writes and reads.
constexpr std::uint32_t kStateSchema = ENGINE_STATE_SCHEMA;
constexpr std::uint32_t kScanPageEntries = 4096;
constexpr std::uint64_t kScanTimeoutMs = 10'000;
constexpr std::uint64_t kReloadRetryMs = 1'000;

// A one-shot timer's message: try loading the state again.
struct RetryLoad {
  static constexpr std::string_view schema_name = "alys.engine.embedded.RetryLoad/1";
  bool unused = false;
  ALYS_FIELDS(unused)
};

alys::Bytes encode_mints(const std::vector<alys::Mint>& mints) {
  alys::Writer writer;
  writer(mints);
  return writer.take();
}

class EngineActor : public alys::Actor {
 public:
  explicit EngineActor(alys::Context context)
      : Actor(context),
        state_(config_.mempool_limit),
        eth_rpc_(config_.rules, state_.ledger, state_.history, state_.mempool, state_.finalized,
                 std::string("alysd-engine/") + kVersion + "/embedded") {
    // Answered once the state is loaded, in arrival order (when_loaded, handle).
    on_request<GetInfo>([this](const GetInfo&, const Envelope& envelope) {
      when_loaded(envelope, [this](std::uint64_t id) { (void)this->context().reply(id, info()); });
    });
    on_request<BuildGenesis>([this](const BuildGenesis& request, const Envelope& envelope) {
      when_loaded(envelope, [&](std::uint64_t id) { build_genesis(request, id); });
    });
    on_request<BuildPayload>([this](const BuildPayload& request, const Envelope& envelope) {
      when_loaded(envelope, [&](std::uint64_t id) { build_payload(request, id); });
    });
    on_request<ExecutePayload>([this](const ExecutePayload& request, const Envelope& envelope) {
      when_loaded(envelope, [&](std::uint64_t id) { execute_payload(request, id); });
    });
    on<SetFinalized>([this](const SetFinalized& finalized, const Envelope&) {
      // Only ever forward: a late message about an older finalization changes nothing.
      if (!state_.finalized || finalized.number > *state_.finalized)
        state_.finalized = finalized.number;
    });
    on<CommitPayload>([this](const CommitPayload& commit, const Envelope& envelope) {
      when_loaded(envelope, [&](std::uint64_t) { commit_payload(commit.payload_hash); });
    });
    on<RetryLoad>([this](const RetryLoad&, const Envelope&) { begin_load(); });
    // A peer's transaction (the network role): pooled as eth_sendRawTransaction would, no reply.
    on<SubmitTransaction>([this](const SubmitTransaction& submitted, const Envelope& envelope) {
      when_loaded(envelope, [&](std::uint64_t) { pool_from_peer(submitted.raw); });
    });
  }

  // Runs after the constructor and before on_start (which checks the state against the config).
  void restore(alys::ByteView bytes, std::uint32_t schema_version) override {
#ifdef ENGINE_FAIL_RESTORE
    (void)bytes;
    throw alys::Error(ALYS_ERR_FAILED,
                      "alys_engine_bad_restore: this build refuses every snapshot (schema " +
                          std::to_string(schema_version) + ")");
#else
    read_engine_state(bytes, schema_version, kStateSchema, state_);
    if constexpr (kStateSchema >= 2) ++state_.handoffs;
    restored_ = true;
#endif
  }

  alys::StateSnapshot snapshot(std::uint32_t target_schema_version) override {
    std::uint32_t schema = schema_to_write(target_schema_version, kStateSchema);
    alys::StateSnapshot snapshot{write_engine_state(state_, schema), schema};
    // The size drives the swap's pause: operators see it beside alys_swap_pause_seconds.
    context().gauge_set("engine_state_snapshot_bytes", static_cast<double>(snapshot.bytes.size()));
    return snapshot;
  }

  void on_start() override {
    config_ = parse_engine_config(context().config_json());
    state_.mempool.set_max_transactions(config_.mempool_limit);
    state_.mempool.set_limits(config_.mempool);
    if (restored_ && state_.chain_id != config_.rules.chain_id)
      throw alys::Error(ALYS_ERR_INVALID, "the handed-over engine state is for chain id " +
                                              std::to_string(state_.chain_id) +
                                              ", this engine is configured for " +
                                              std::to_string(config_.rules.chain_id));
    state_.chain_id = config_.rules.chain_id;
    storage_ = context().resolve("storage");
    for (const char* counter : {"engine_transactions_accepted_total",
                                "engine_transactions_rejected_total", "engine_payloads_built_total",
                                "engine_payloads_executed_total", "engine_payload_rejected_total"})
      context().counter_add(counter, 0);
    context().gauge_set("engine_mempool_size", 0);
    for (std::string_view reason : refusal::kAll)
      context().counter_add(refused_metric(reason).c_str(), 0);
    for (std::string_view reason : eviction::kAll)
      context().counter_add(evicted_metric(reason).c_str(), 0);
    for (std::string_view name : EthRpc::methods()) {
      std::string method(name);
      rpc(method, 0, [this, method](std::string_view params) { return call_eth(method, params); });
    }
    if constexpr (kStateSchema >= 2)
      context().gauge_set("engine_state_handoffs", static_cast<double>(state_.handoffs));
    if (!state_.loaded) return begin_load();
    update_mempool_gauge();
    const BlockSummary* head = state_.history.head();
    context().log(
        LogLevel::info,
        "engine state handed over: " +
            (head ? "head block " + std::to_string(head->number) + " " + alys::to_0x_hex(head->hash)
                  : std::string("no genesis yet")) +
            ", " + std::to_string(state_.mempool.size()) + " pooled transactions");
    run_held();
  }

  std::string health() override {
    if (!state_.loaded && !load_error_.empty())
      return "engine state cannot be loaded: " + load_error_;
    return {};
  }

 private:
  // --- engine requests, held in order while the state loads ---

  // Handles now, or holds the message as it came (data, so that a swap hands it over) until the
  // state has loaded.
  template <class Handle>
  void when_loaded(const Envelope& envelope, Handle&& handle) {
    if (state_.loaded && state_.held.empty()) {
      handle(envelope.correlation_id);
      return;
    }
    state_.held.push_back(
        HeldRequest{envelope.type_id, envelope.correlation_id,
                    alys::Bytes(envelope.payload.begin(), envelope.payload.end())});
  }

  void run_held() {
    while (state_.loaded && !state_.held.empty()) {
      HeldRequest next = std::move(state_.held.front());
      state_.held.pop_front();
      answer_held(next);
    }
  }

  // A held request, decoded as its handler would have (read_engine_state admits only these types).
  void answer_held(const HeldRequest& held) {
    const std::uint64_t id = held.correlation_id;
    if (held.type_id == alys::type_id_of<GetInfo>()) {
      (void)context().reply(id, info());
    } else if (held.type_id == alys::type_id_of<BuildGenesis>()) {
      build_genesis(alys::decode<BuildGenesis>(held.payload), id);
    } else if (held.type_id == alys::type_id_of<BuildPayload>()) {
      build_payload(alys::decode<BuildPayload>(held.payload), id);
    } else if (held.type_id == alys::type_id_of<ExecutePayload>()) {
      execute_payload(alys::decode<ExecutePayload>(held.payload), id);
    } else if (held.type_id == alys::type_id_of<CommitPayload>()) {
      commit_payload(alys::decode<CommitPayload>(held.payload).payload_hash);
    }
  }

  Info info() const {
    Info info;
    info.chain_id = config_.rules.chain_id;
    if (const BlockSummary* head = state_.history.head()) {
      info.has_head = true;
      info.head_payload_hash = head->hash;
      info.head_number = head->number;
      info.state_root = head->state_root;
    }
    info.mempool_size = static_cast<std::uint32_t>(state_.mempool.size());
    info.backend = "embedded";
    return info;
  }

  PayloadExecutor executor() const {
    return PayloadExecutor(config_.rules, state_.ledger, state_.history.head());
  }

  void build_genesis(const BuildGenesis& request, std::uint64_t reply_to) {
    BuildResult built = executor().build_genesis(request.timestamp_ms, request.alloc);
    answer_built(built, reply_to, "genesis");
  }

  void build_payload(const BuildPayload& request, std::uint64_t reply_to) {
    std::size_t room = std::min<std::uint64_t>(request.max_transactions,
                                               config_.rules.block_gas_limit / kTransferGas);
    auto candidates = state_.mempool.select(state_.ledger, config_.rules.base_fee, room);
    BuildResult built = executor().build(request, candidates);
    for (const alys::Hash32& hash : built.dropped) state_.mempool.remove(hash);
    if (!built.dropped.empty()) update_mempool_gauge();
    answer_built(built, reply_to, "payload");
    // The chain re-executes what it imports, its own blocks too: keeping this execution spares
    // the second run (signature recovery of every transaction) for the payload built here.
    if (built.error.empty())
      state_.executed.remember({std::move(built.executed), false, encode_mints(request.mints)});
  }

  void answer_built(const BuildResult& built, std::uint64_t reply_to, const char* what) {
    PayloadBuilt reply;
    reply.error = built.error;
    if (built.error.empty()) {
      reply.payload = built.executed.payload;
      context().counter_add("engine_payloads_built_total");
    } else {
      context().log(LogLevel::warn, std::string("cannot build a ") + what + ": " + built.error);
    }
    (void)context().reply(reply_to, reply);
  }

  void execute_payload(const ExecutePayload& request, std::uint64_t reply_to) {
    PayloadExecuted reply;
    // Executed on this head already (built here, or executed before): every executed payload is
    // forgotten when the head moves, and the payload hash covers every field; the bytes are
    // compared anyway, with the mints, which the hash does not cover.
    if (const PendingCommit* known = state_.executed.find(request.payload.block_hash);
        known != nullptr && known->genesis == request.genesis &&
        known->mints == encode_mints(request.mints) &&
        alys::encode(known->executed.payload) == alys::encode(request.payload)) {
      context().counter_add("engine_payloads_executed_total");
      StateWrites writes = state_writes(known->executed, request.genesis, config_.rules.chain_id);
      reply.state_root = known->executed.payload.state_root;
      reply.fees_wei = alys::wei_to_be32(fees_paid(known->executed.block));
      reply.state_puts = std::move(writes.puts);
      reply.state_deletes = std::move(writes.deletes);
      (void)context().reply(reply_to, reply);
      return;
    }
    ExecuteResult result = executor().execute(request);
    if (!result.error.empty()) {
      context().counter_add("engine_payload_rejected_total");
      context().log(LogLevel::warn, "rejected payload " + std::to_string(request.payload.number) +
                                        " " + alys::to_0x_hex(request.payload.block_hash) + ": " +
                                        result.error);
      reply.error = result.error;
      (void)context().reply(reply_to, reply);
      return;
    }
    context().counter_add("engine_payloads_executed_total");
    StateWrites writes = state_writes(result.executed, request.genesis, config_.rules.chain_id);
    reply.state_root = result.executed.payload.state_root;
    reply.fees_wei = alys::wei_to_be32(fees_paid(result.executed.block));
    reply.state_puts = std::move(writes.puts);
    reply.state_deletes = std::move(writes.deletes);
    state_.executed.remember(
        {std::move(result.executed), request.genesis, encode_mints(request.mints)});
    (void)context().reply(reply_to, reply);
  }

  void commit_payload(const alys::Hash32& hash) {
    // already the state's (a reload read it from storage)
    if (state_.history.by_hash(hash)) return;
    const PendingCommit* pending = state_.executed.find(hash);
    const BlockSummary* head = state_.history.head();
    const bool extends_head =
        pending != nullptr &&
        pending->executed.payload.parent_hash == (head ? head->hash : alys::Hash32{}) &&
        pending->genesis == (head == nullptr);
    if (!extends_head) {
      context().log(LogLevel::warn, "CommitPayload for payload " + alys::to_0x_hex(hash) +
                                        ", which was not executed on the engine's head: "
                                        "reloading the engine state from storage");
      begin_load();
      return;
    }
    const ExecutedPayload& executed = pending->executed;
    state_.ledger.apply(executed.accounts);
    state_.history.append(executed.block);
    publish_peg_outs(executed);
    for (const alys::Hash32& tx : executed.block.summary.transaction_hashes)
      state_.mempool.remove(tx);
    state_.mempool.prune(state_.ledger);
    count_pool_tally();
    // Every other executed payload ran on the old head: none of them can be committed now.
    state_.executed.clear();
    update_mempool_gauge();
  }

  // Once per committed block (a CommitPayload for a block already in the history returns before),
  // never for an executed one that may lose: the bridge acts on what the chain holds.
  void publish_peg_outs(const ExecutedPayload& executed) {
    PegOutsRequested report{executed.payload.number, executed.payload.block_hash,
                            peg_outs_of(executed.block)};
    if (!report.requests.empty()) (void)context().publish(kPegOutsRequestedTopic, report);
  }

  // --- loading the state from storage ---

  void begin_load() {
    state_.loaded = false;
    ++load_;
    state_.executed.clear();
    loader_.emplace(state_.ledger, state_.history);
    request_page({}, true);
  }

  void request_page(alys::Bytes start_after, bool from_start) {
    // A load begun again (a CommitPayload that needs a reload) abandons the pages still coming.
    request(storage_,
            alys::storage::ScanEngineState{std::move(start_after), from_start, kScanPageEntries},
            kScanTimeoutMs)
        .then(
            [this, load = load_](const alys::storage::EngineStatePage& page) {
              if (load == load_) on_state_page(page);
            },
            [this, load = load_](const alys::Status& error) {
              if (load == load_)
                load_failed("storage did not answer ScanEngineState: " + error.to_string());
            });
  }

  void on_state_page(const alys::storage::EngineStatePage& page) {
    if (!page.error.empty()) return load_failed("storage: " + page.error);
    try {
      for (const auto& entry : page.entries) loader_->add(entry);
    } catch (const std::exception& error) {
      return load_failed(error.what());
    }
    if (page.more) {
      if (page.entries.empty()) return load_failed("storage announced more entries but sent none");
      return request_page(page.entries.back().key, false);
    }
    if (std::string reason = loader_->finish(config_.rules.chain_id); !reason.empty())
      return load_failed(reason);
    loader_.reset();
    state_.loaded = true;
    load_error_.clear();
    state_.mempool.drop_stale(state_.ledger);
    update_mempool_gauge();
    const BlockSummary* head = state_.history.head();
    context().log(LogLevel::info,
                  head ? "engine state loaded: head block " + std::to_string(head->number) + " " +
                             alys::to_0x_hex(head->hash) + ", " +
                             std::to_string(state_.ledger.size()) + " accounts, state root " +
                             alys::to_0x_hex(head->state_root)
                       : std::string("engine state loaded: empty (no genesis yet)"));
    run_held();
  }

  void load_failed(const std::string& reason) {
    load_error_ = reason;
    loader_.reset();
    state_.ledger.clear();
    state_.history.clear();
    context().log(LogLevel::error, "cannot load the engine state (retrying in " +
                                       std::to_string(kReloadRetryMs) + " ms): " + reason);
    context().start_timer(kReloadRetryMs, 0, RetryLoad{});
  }

  // --- Ethereum JSON-RPC ---

  std::string call_eth(const std::string& method, std::string_view params) {
    if (!state_.loaded) throw std::runtime_error("engine state is still loading");
    const bool submits = method == "eth_sendRawTransaction";
    try {
      std::string result = eth_rpc_.call(method, params);
      if (submits) {
        context().counter_add("engine_transactions_accepted_total");
        update_mempool_gauge();
        // The result is the quoted hash of the transaction just pooled.
        if (auto hash = alys::fixed_from_hex<32>(std::string_view(result).substr(1, 66)))
          announce_pooled(*hash);
        count_pool_tally();  // a transaction admitted may have evicted another
      }
      return result;
    } catch (...) {
      if (submits) {
        context().counter_add("engine_transactions_rejected_total");
        count_pool_tally();
      }
      throw;
    }
  }

  // A transaction from a peer is checked exactly as one from a wallet. "already known" is the
  // usual fate of gossip (every peer relays it once) and is counted apart from real refusals.
  void pool_from_peer(const alys::Bytes& raw) {
    try {
      alys::Hash32 hash = admit_transaction(raw, config_.rules, state_.ledger, state_.mempool);
      context().counter_add("engine_transactions_accepted_total");
      context().counter_add("engine_transactions_from_peers_total");
      update_mempool_gauge();
      announce_pooled(hash);
      count_pool_tally();
    } catch (const TransactionRejected& rejected) {
      count_pool_tally();
      if (std::string_view(rejected.what()) == "already known") {
        context().counter_add("engine_transactions_known_total");
        return;
      }
      context().counter_add("engine_transactions_rejected_total");
      context().log(LogLevel::debug,
                    std::string("refused a transaction from a peer: ") + rejected.what());
    }
  }

  // Every transaction that enters the pool is published once, for the network role to gossip.
  void announce_pooled(const alys::Hash32& hash) {
    std::optional<alys::eth::SignedTransaction> pooled = state_.mempool.find(hash);
    if (!pooled) return;  // already replaced or selected: nothing left to gossip
    (void)context().publish(kTransactionPooledTopic, TransactionPooled{hash, pooled->raw});
  }

  static std::string refused_metric(std::string_view reason) {
    return "engine_transactions_refused_total{reason=\"" + std::string(reason) + "\"}";
  }
  static std::string evicted_metric(std::string_view reason) {
    return "engine_transactions_evicted_total{reason=\"" + std::string(reason) + "\"}";
  }

  // The pool's refusals and evictions since the last call, into their counters by reason.
  void count_pool_tally() {
    MempoolTally tally = state_.mempool.take_tally();
    for (const auto& [reason, count] : tally.refused)
      context().counter_add(refused_metric(reason).c_str(), count);
    for (const auto& [reason, count] : tally.evicted)
      context().counter_add(evicted_metric(reason).c_str(), count);
  }

  void update_mempool_gauge() {
    context().gauge_set("engine_mempool_size", static_cast<double>(state_.mempool.size()));
  }

  EngineConfig config_;
  alys::Address storage_ = 0;
  EngineState state_;  // what a swap hands over; declared before eth_rpc_, which refers to it
  EthRpc eth_rpc_;
  bool restored_ = false;  // state_ came from a swap (restore ran)

  std::string load_error_;
  std::optional<StateLoader> loader_;
  std::uint64_t load_ = 0;  // which load of the state is under way (begin_load)
};

}  // namespace

namespace alys::engine::embedded {

std::unique_ptr<alys::Actor> make_embedded_actor(alys::Context context) {
  return std::make_unique<EngineActor>(context);
}

}  // namespace alys::engine::embedded
