// alys-engine: the execution layer (role "engine"), backend "embedded": an account ledger that
// takes real Ethereum signed transfers, builds and validates payloads, and serves the Ethereum
// JSON-RPC subset a wallet needs through the node's admin endpoint. See docs/engine.md.
//
// Protocol with the chain (alys/schemas/engine.hpp): ExecutePayload runs a payload on the head
// without changing it and answers the state changes; the chain writes them in its storage
// CommitBlock and then sends CommitPayload, and only then does the head move. The engine's state
// lives in storage only: at start it is read back with ScanEngineState (paged).
//
// Settings: engine_config.hpp. Metrics: engine_mempool_size (gauge),
// engine_transactions_accepted_total, engine_transactions_rejected_total,
// engine_payloads_built_total, engine_payloads_executed_total, engine_payload_rejected_total.
#include <algorithm>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "alys/plugin.hpp"
#include "alys/schemas/engine.hpp"
#include "alys/schemas/storage.hpp"
#include "alys_version.hpp"
#include "engine/embedded/block_history.hpp"
#include "engine/embedded/eth_rpc.hpp"
#include "engine/embedded/ledger.hpp"
#include "engine/embedded/mempool.hpp"
#include "engine/embedded/payload_executor.hpp"
#include "engine/embedded/state_keys.hpp"
#include "engine/engine_config.hpp"

namespace {

using namespace alys::engine;
using namespace alys::engine::embedded;
using alys::Envelope;
using alys::LogLevel;

constexpr const char* kVersion = ALYS_NODE_VERSION;
constexpr std::uint32_t kScanPageEntries = 4096;
constexpr std::uint64_t kScanTimeoutMs = 10'000;
constexpr std::uint64_t kReloadRetryMs = 1'000;
// Executed payloads waiting for their CommitPayload: competing payloads for one height are few.
constexpr std::size_t kExecutedCacheSize = 16;

// A one-shot timer's message: try loading the state again.
struct RetryLoad {
  static constexpr std::string_view schema_name = "alys.engine.embedded.RetryLoad/1";
  bool unused = false;
  ALYS_FIELDS(unused)
};

struct PendingCommit {
  ExecutedPayload executed;
  bool genesis = false;
  alys::Bytes mints;  // the encoded mints it ran with: a re-execution must bring the same ones
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
        mempool_(config_.mempool_limit),
        eth_rpc_(config_.rules, ledger_, history_, mempool_, finalized_,
                 std::string("alysd-engine/") + kVersion + "/embedded") {
    // Answered once the state is loaded, in arrival order (when_loaded).
    on_request<GetInfo>([this](const GetInfo&, const Envelope& envelope) {
      when_loaded(envelope, [this](std::uint64_t id) { (void)this->context().reply(id, info()); });
    });
    on_request<BuildGenesis>([this](const BuildGenesis& request, const Envelope& envelope) {
      when_loaded(envelope, [this, request](std::uint64_t id) { build_genesis(request, id); });
    });
    on_request<BuildPayload>([this](const BuildPayload& request, const Envelope& envelope) {
      when_loaded(envelope, [this, request](std::uint64_t id) { build_payload(request, id); });
    });
    on_request<ExecutePayload>([this](const ExecutePayload& request, const Envelope& envelope) {
      when_loaded(envelope, [this, request](std::uint64_t id) { execute_payload(request, id); });
    });
    on<SetFinalized>([this](const SetFinalized& finalized, const Envelope&) {
      // Only ever forward: a late message about an older finalization changes nothing.
      if (!finalized_ || finalized.number > *finalized_) finalized_ = finalized.number;
    });
    on<CommitPayload>([this](const CommitPayload& commit, const Envelope& envelope) {
      when_loaded(envelope, [this, commit](std::uint64_t) { commit_payload(commit.payload_hash); });
    });
    on<RetryLoad>([this](const RetryLoad&, const Envelope&) { begin_load(); });
  }

  // The host's check of a table before it applies it: the reader on_start uses.
  static void check_config(std::string_view table_json, alys::ConfigProblems& problems) {
    (void)read_engine_config(table_json, problems);
  }

  void on_start() override {
    config_ = parse_engine_config(context().config_json());
    mempool_ = Mempool(config_.mempool_limit);
    storage_ = context().resolve("storage");
    for (const char* counter : {"engine_transactions_accepted_total",
                                "engine_transactions_rejected_total", "engine_payloads_built_total",
                                "engine_payloads_executed_total", "engine_payload_rejected_total"})
      context().counter_add(counter, 0);
    context().gauge_set("engine_mempool_size", 0);
    for (std::string_view name : EthRpc::methods()) {
      std::string method(name);
      rpc(method, 0, [this, method](std::string_view params) { return call_eth(method, params); });
    }
    begin_load();
  }

  std::string health() override {
    if (!loaded_ && !load_error_.empty()) return "engine state cannot be loaded: " + load_error_;
    return {};
  }

 private:
  // --- engine requests, held in order while the state loads ---

  void when_loaded(const Envelope& envelope, std::function<void(std::uint64_t)> handle) {
    if (loaded_ && held_.empty()) {
      handle(envelope.correlation_id);
      return;
    }
    held_.push_back([id = envelope.correlation_id, handle = std::move(handle)] { handle(id); });
  }

  void run_held() {
    while (loaded_ && !held_.empty()) {
      auto next = std::move(held_.front());
      held_.pop_front();
      next();
    }
  }

  Info info() const {
    Info info;
    info.chain_id = config_.rules.chain_id;
    if (const BlockSummary* head = history_.head()) {
      info.has_head = true;
      info.head_payload_hash = head->hash;
      info.head_number = head->number;
      info.state_root = head->state_root;
    }
    info.mempool_size = static_cast<std::uint32_t>(mempool_.size());
    return info;
  }

  PayloadExecutor executor() const {
    return PayloadExecutor(config_.rules, ledger_, history_.head());
  }

  void build_genesis(const BuildGenesis& request, std::uint64_t reply_to) {
    BuildResult built = executor().build_genesis(request.timestamp_ms, request.alloc);
    answer_built(built, reply_to, "genesis");
  }

  void build_payload(const BuildPayload& request, std::uint64_t reply_to) {
    std::size_t room = std::min<std::uint64_t>(request.max_transactions,
                                               config_.rules.block_gas_limit / kTransferGas);
    auto candidates = mempool_.select(ledger_, config_.rules.base_fee, room);
    BuildResult built = executor().build(request, candidates);
    for (const alys::Hash32& hash : built.dropped) mempool_.remove(hash);
    if (!built.dropped.empty()) update_mempool_gauge();
    answer_built(built, reply_to, "payload");
    // The chain re-executes what it imports, its own blocks too: keeping this execution spares
    // the second run (signature recovery of every transaction) for the payload built here.
    if (built.error.empty())
      remember(std::move(built.executed), false, encode_mints(request.mints));
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
    if (auto known = executed_.find(request.payload.block_hash);
        known != executed_.end() && known->second.genesis == request.genesis &&
        known->second.mints == encode_mints(request.mints) &&
        alys::encode(known->second.executed.payload) == alys::encode(request.payload)) {
      context().counter_add("engine_payloads_executed_total");
      StateWrites writes =
          state_writes(known->second.executed, request.genesis, config_.rules.chain_id);
      reply.state_root = known->second.executed.payload.state_root;
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
    reply.state_puts = std::move(writes.puts);
    reply.state_deletes = std::move(writes.deletes);
    remember(std::move(result.executed), request.genesis, encode_mints(request.mints));
    (void)context().reply(reply_to, reply);
  }

  void remember(ExecutedPayload executed, bool genesis, alys::Bytes mints) {
    alys::Hash32 hash = executed.payload.block_hash;
    if (executed_.count(hash) == 0) {
      executed_order_.push_back(hash);
      if (executed_order_.size() > kExecutedCacheSize) {
        executed_.erase(executed_order_.front());
        executed_order_.pop_front();
      }
    }
    executed_[hash] = PendingCommit{std::move(executed), genesis, std::move(mints)};
  }

  void commit_payload(const alys::Hash32& hash) {
    if (history_.by_hash(hash)) return;  // already the state's (a reload read it from storage)
    auto pending = executed_.find(hash);
    const BlockSummary* head = history_.head();
    const bool extends_head =
        pending != executed_.end() &&
        pending->second.executed.payload.parent_hash == (head ? head->hash : alys::Hash32{}) &&
        pending->second.genesis == (head == nullptr);
    if (!extends_head) {
      context().log(LogLevel::warn, "CommitPayload for payload " + alys::to_0x_hex(hash) +
                                        ", which was not executed on the engine's head: "
                                        "reloading the engine state from storage");
      begin_load();
      return;
    }
    const ExecutedPayload& executed = pending->second.executed;
    ledger_.apply(executed.accounts);
    history_.append(executed.block);
    for (const alys::Hash32& tx : executed.block.summary.transaction_hashes) mempool_.remove(tx);
    mempool_.drop_stale(ledger_);
    // Every other executed payload ran on the old head: none of them can be committed now.
    executed_.clear();
    executed_order_.clear();
    update_mempool_gauge();
  }

  // --- loading the state from storage ---

  void begin_load() {
    loaded_ = false;
    ++load_;
    executed_.clear();
    executed_order_.clear();
    loader_.emplace(ledger_, history_);
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
    loaded_ = true;
    load_error_.clear();
    mempool_.drop_stale(ledger_);
    update_mempool_gauge();
    const BlockSummary* head = history_.head();
    context().log(LogLevel::info,
                  head ? "engine state loaded: head block " + std::to_string(head->number) + " " +
                             alys::to_0x_hex(head->hash) + ", " + std::to_string(ledger_.size()) +
                             " accounts, state root " + alys::to_0x_hex(head->state_root)
                       : std::string("engine state loaded: empty (no genesis yet)"));
    run_held();
  }

  void load_failed(const std::string& reason) {
    load_error_ = reason;
    loader_.reset();
    ledger_.clear();
    history_.clear();
    context().log(LogLevel::error, "cannot load the engine state (retrying in " +
                                       std::to_string(kReloadRetryMs) + " ms): " + reason);
    context().start_timer(kReloadRetryMs, 0, RetryLoad{});
  }

  // --- Ethereum JSON-RPC ---

  std::string call_eth(const std::string& method, std::string_view params) {
    if (!loaded_) throw std::runtime_error("engine state is still loading");
    const bool submits = method == "eth_sendRawTransaction";
    try {
      std::string result = eth_rpc_.call(method, params);
      if (submits) {
        context().counter_add("engine_transactions_accepted_total");
        update_mempool_gauge();
      }
      return result;
    } catch (...) {
      if (submits) context().counter_add("engine_transactions_rejected_total");
      throw;
    }
  }

  void update_mempool_gauge() {
    context().gauge_set("engine_mempool_size", static_cast<double>(mempool_.size()));
  }

  EngineConfig config_;
  alys::Address storage_ = 0;
  Ledger ledger_;
  BlockHistory history_;
  Mempool mempool_;
  std::optional<std::uint64_t> finalized_;  // declared before eth_rpc_, which refers to it
  EthRpc eth_rpc_;

  bool loaded_ = false;
  std::string load_error_;
  std::optional<StateLoader> loader_;
  std::uint64_t load_ = 0;  // which load of the state is under way (begin_load)
  std::deque<std::function<void()>> held_;

  std::map<alys::Hash32, PendingCommit> executed_;
  std::deque<alys::Hash32> executed_order_;
};

}  // namespace

ALYS_PLUGIN(EngineActor, alys::PluginInfo{.role = "engine",
                                          .name = "alys-engine",
                                          .version = kVersion,
                                          .requires_roles = {"storage"}});
