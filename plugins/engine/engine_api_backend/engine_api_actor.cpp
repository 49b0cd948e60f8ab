#include "engine/engine_api_backend/engine_api_actor.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <deque>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "alys/domain/hash.hpp"
#include "alys/domain/wei.hpp"
#include "alys/schemas/engine.hpp"
#include "alys/schemas/storage.hpp"
#include "engine/embedded/bridge_call.hpp"
#include "engine/engine_api/engine_client.hpp"
#include "engine/engine_api/engine_json.hpp"
#include "engine/engine_api/execution_block.hpp"
#include "engine/engine_api/payload_conversion.hpp"
#include "engine/engine_api_backend/backend_image.hpp"
#include "engine/engine_api_backend/client_json.hpp"
#include "engine/engine_api_backend/mint_withdrawals.hpp"
#include "engine/engine_config.hpp"

namespace alys::engine::engine_api_backend {

namespace {

namespace ea = alys::engine::engine_api;
namespace json = boost::json;
using alys::Envelope;
using alys::LogLevel;

constexpr std::uint64_t kProbeMs = 1'000;
constexpr std::uint64_t kStorageTimeoutMs = 30'000;
constexpr std::uint32_t kReplayPage = 128;
constexpr std::size_t kExecutedCapacity = 16;

// Periodic while the client is down or a sync failed: ask it again.
struct ProbeClient {
  static constexpr std::string_view schema_name = "alys.engine.engine_api.ProbeClient/1";
  bool unused = false;
  ALYS_FIELDS(unused)
};

// The Ethereum methods the admin endpoint forwards to the client (wallets may also use the
// client's own --http endpoint, which serves everything).
constexpr const char* kForwardedMethods[] = {"eth_chainId",
                                             "eth_blockNumber",
                                             "eth_getBalance",
                                             "eth_getTransactionCount",
                                             "eth_getCode",
                                             "eth_call",
                                             "eth_estimateGas",
                                             "eth_gasPrice",
                                             "eth_maxPriorityFeePerGas",
                                             "eth_feeHistory",
                                             "eth_sendRawTransaction",
                                             "eth_getTransactionByHash",
                                             "eth_getTransactionReceipt",
                                             "eth_getBlockByNumber",
                                             "eth_getBlockByHash",
                                             "eth_getLogs",
                                             "eth_syncing"};

std::string quantity(std::uint64_t value) { return ea::quantity_hex(value); }

class EngineApiActor : public alys::Actor {
 public:
  explicit EngineApiActor(alys::Context context) : Actor(context) {
    on_request<GetInfo>([this](const GetInfo&, const Envelope& envelope) { arrive(envelope); });
    on_request<BuildGenesis>(
        [this](const BuildGenesis&, const Envelope& envelope) { arrive(envelope); });
    on_request<BuildPayload>(
        [this](const BuildPayload&, const Envelope& envelope) { arrive(envelope); });
    on_request<ExecutePayload>(
        [this](const ExecutePayload&, const Envelope& envelope) { arrive(envelope); });
    on<CommitPayload>([this](const CommitPayload&, const Envelope& envelope) { arrive(envelope); });
    on<SetFinalized>([this](const SetFinalized& finalized, const Envelope&) {
      set_finalized(finalized.number);
    });
    on<SubmitTransaction>([this](const SubmitTransaction& submitted, const Envelope&) {
      submit_from_peer(submitted.raw);
    });
    on<ProbeClient>([this](const ProbeClient&, const Envelope&) { probe(); });
  }

  void restore(alys::ByteView bytes, std::uint32_t /*schema_version*/) override {
    image_ = read_image(bytes);
  }

  alys::StateSnapshot snapshot(std::uint32_t target_schema_version) override {
    EngineApiImage image;
    image.chain_id = config_.rules.chain_id;
    image.synced = synced_;
    image.has_head = head_.has_value();
    if (head_) image.head = *head_;
    image.has_genesis = genesis_hash_.has_value();
    image.genesis_hash = genesis_hash_.value_or(Hash32{});
    image.has_finalized = finalized_number_.has_value();
    image.finalized_number = finalized_number_.value_or(0);
    image.finalized_hash = finalized_hash_;
    image.executed.assign(executed_.begin(), executed_.end());
    image.held.assign(held_.begin(), held_.end());
    alys::StateSnapshot snapshot{
        write_image(image),
        std::max<std::uint32_t>(1, std::min<std::uint32_t>(target_schema_version, 2))};
    context().gauge_set("engine_state_snapshot_bytes", static_cast<double>(snapshot.bytes.size()));
    return snapshot;
  }

  void on_start() override {
    config_ = parse_engine_config(context().config_json());
    storage_ = context().resolve("storage");
    if (image_ && image_->chain_id != config_.rules.chain_id)
      throw alys::Error(ALYS_ERR_INVALID, "the handed-over engine state is for chain id " +
                                              std::to_string(image_->chain_id) +
                                              ", this engine is configured for " +
                                              std::to_string(config_.rules.chain_id));
    open_client();
    for (const char* counter :
         {"engine_payloads_built_total", "engine_payloads_executed_total",
          "engine_payload_rejected_total", "engine_replayed_blocks_total",
          "engine_transactions_accepted_total", "engine_transactions_rejected_total"})
      context().counter_add(counter, 0);
    for (const char* method : kForwardedMethods) {
      std::string name(method);
      rpc(name, 0, [this, name](std::string_view params) { return forward(name, params); });
    }
    const bool handed_over = image_.has_value();
    if (handed_over) take_image(std::move(*image_));
    image_.reset();
    // A fresh start asks the client before anything else: a wrong secret or chain refuses the
    // start here, before the chain (which starts after the engine) writes a byte.
    if (auto failure = check_client(); !failure.empty()) {
      if (!handed_over && !client_unreachable_) throw alys::Error(ALYS_ERR_INVALID, failure);
      mark_down(failure);
      return;
    }
    context().gauge_set("engine_execution_client_up", 1);
    if (handed_over && synced_) {
      context().log(
          LogLevel::info,
          "engine state handed over: head " +
              (head_ ? "block " + std::to_string(head_->number) + " " + to_0x_hex(head_->block_hash)
                     : std::string("none (no genesis yet)")) +
              ", " + std::to_string(executed_.size()) + " executed payloads");
      return run_held();
    }
    begin_sync("start");
  }

  std::string degraded() override { return down_reason_; }

 private:
  // --- the client ---

  void open_client() {
    ea::EngineClientOptions options;
    options.host = config_.engine_api.host;
    options.port = config_.engine_api.port;
    options.jwt_secret_path = config_.engine_api.jwt_secret_file;
    const std::chrono::milliseconds timeout(config_.engine_api.timeout_ms);
    options.timeouts = {timeout, timeout, timeout, timeout, timeout, timeout};
    auto opened = ea::EngineClient::open(std::move(options));
    if (!opened.ok())
      throw alys::Error(ALYS_ERR_INVALID, "[engine] jwt_secret_file: " + opened.status().message());
    client_.emplace(std::move(opened).value());
  }

  std::string client_name() const { return "execution client at " + config_.engine_api.url; }

  // The start's checks: reachable with our secret, the chain id, block 0. Empty when all pass;
  // client_unreachable_ tells a link failure (retry) from a definite refusal.
  std::string check_client() {
    client_unreachable_ = false;
    auto refuse = [&](const ea::EngineError& error) {
      client_unreachable_ = error.retryable();
      return client_name() + ": " + error.message;
    };
    auto capabilities = client_->exchange_capabilities(ea::engine_methods_we_use());
    if (!capabilities.ok()) return refuse(capabilities.error());
    for (const std::string& method : ea::engine_methods_we_use())
      if (method != "engine_exchangeCapabilities" &&
          std::find(capabilities->begin(), capabilities->end(), method) == capabilities->end())
        return client_name() + " does not offer " + method + " (engine_exchangeCapabilities)";
    auto chain_id = client_->chain_id();
    if (!chain_id.ok()) return refuse(chain_id.error());
    if (*chain_id != config_.rules.chain_id)
      return client_name() + " runs chain id " + std::to_string(*chain_id) +
             ", but [engine] chain_id is " + std::to_string(config_.rules.chain_id) +
             ": initialise it from this node's config (alys-ctl genesis --engine geth)";
    auto genesis = client_->get_block_by_number("0x0");
    if (!genesis.ok()) return refuse(genesis.error());
    if (!*genesis) return client_name() + " has no block 0";
    if (genesis_hash_ && *genesis_hash_ != (*genesis)->hash)
      return client_name() + " has block 0 " + to_0x_hex((*genesis)->hash) + ", not " +
             to_0x_hex(*genesis_hash_) + " as before";
    genesis_hash_ = (*genesis)->hash;
    return {};
  }

  // A failed call: a link failure makes the client down; the message for a reply either way.
  std::string client_failed(const ea::EngineError& error) {
    if (error.retryable()) mark_down(client_name() + " unreachable: " + error.message);
    return client_name() + ": " + error.message;
  }

  // `unreachable`: the link failed (logged once as production paused); otherwise the client
  // answered but cannot be brought to the head (the caller logged why).
  void mark_down(const std::string& reason, bool unreachable = true) {
    const bool was_up = down_reason_.empty();
    down_reason_ = reason;
    synced_ = false;
    context().gauge_set("engine_execution_client_up", 0);
    if (was_up && unreachable)
      context().log(LogLevel::warn,
                    "execution client unreachable: block production paused (" + reason + ")");
    if (probe_timer_ == 0) probe_timer_ = context().start_timer(kProbeMs, kProbeMs, ProbeClient{});
  }

  void probe() {
    if (down_reason_.empty() || syncing_) return;
    if (std::string failure = check_client(); !failure.empty()) {
      down_reason_ = client_unreachable_ ? client_name() + " unreachable: " + failure : failure;
      return;
    }
    context().log(LogLevel::info, "execution client back: re-syncing it to the chain's head");
    begin_sync("the client came back");
  }

  void came_up() {
    if (probe_timer_ != 0) (void)context().cancel_timer(probe_timer_);
    probe_timer_ = 0;
    down_reason_.clear();
    context().gauge_set("engine_execution_client_up", 1);
  }

  // --- requests: held while syncing, in arrival order ---

  void arrive(const Envelope& envelope) {
    HeldRequest request{envelope.type_id, envelope.correlation_id,
                        alys::Bytes(envelope.payload.begin(), envelope.payload.end())};
    if (!synced_ || !held_.empty()) {
      // While the client is down, the chain hears at once that nothing can be built or executed
      // (a held request would only time out); the rest waits for the re-sync.
      if (!down_reason_.empty() && answer_down(request)) return;
      held_.push_back(std::move(request));
      return;
    }
    answer(request);
  }

  bool answer_down(const HeldRequest& request) {
    const std::string error = "engine: " + down_reason_;
    if (request.type_id == alys::type_id_of<BuildPayload>()) {
      PayloadBuilt reply;
      reply.error = error;
      (void)context().reply(request.correlation_id, reply);
      return true;
    }
    if (request.type_id == alys::type_id_of<ExecutePayload>()) {
      PayloadExecuted reply;
      reply.error = error;
      (void)context().reply(request.correlation_id, reply);
      return true;
    }
    if (request.type_id == alys::type_id_of<GetInfo>() && head_known_) {
      (void)context().reply(request.correlation_id, info());
      return true;
    }
    // A CommitPayload while down: the re-sync reads the stored head, which includes it.
    return request.type_id == alys::type_id_of<CommitPayload>();
  }

  void run_held() {
    while (synced_ && !held_.empty()) {
      HeldRequest next = std::move(held_.front());
      held_.pop_front();
      answer(next);
    }
  }

  void answer(const HeldRequest& request) {
    const std::uint64_t id = request.correlation_id;
    if (request.type_id == alys::type_id_of<GetInfo>()) {
      (void)context().reply(id, info());
    } else if (request.type_id == alys::type_id_of<BuildGenesis>()) {
      build_genesis(alys::decode<BuildGenesis>(request.payload), id);
    } else if (request.type_id == alys::type_id_of<BuildPayload>()) {
      build_payload(alys::decode<BuildPayload>(request.payload), id);
    } else if (request.type_id == alys::type_id_of<ExecutePayload>()) {
      execute_payload(alys::decode<ExecutePayload>(request.payload), id, request);
    } else if (request.type_id == alys::type_id_of<CommitPayload>()) {
      commit_payload(alys::decode<CommitPayload>(request.payload).payload_hash);
    }
  }

  Info info() const {
    Info info;
    info.chain_id = config_.rules.chain_id;
    if (head_) {
      info.has_head = true;
      info.head_payload_hash = head_->block_hash;
      info.head_number = head_->number;
      info.state_root = head_->state_root;
    }
    info.backend = std::string(kEngineApiBackend);
    return info;
  }

  Hash32 finalized_or_genesis() const {
    if (finalized_number_) return finalized_hash_;
    return genesis_hash_.value_or(Hash32{});
  }

  // --- genesis ---

  void build_genesis(const BuildGenesis& request, std::uint64_t reply_to) {
    PayloadBuilt reply;
    auto payload = genesis_payload(request);
    if (std::holds_alternative<std::string>(payload)) {
      reply.error = std::get<std::string>(payload);
      context().log(LogLevel::warn, "cannot build the genesis payload: " + reply.error);
    } else {
      reply.payload = std::get<ExecutionPayload>(payload);
      context().counter_add("engine_payloads_built_total");
    }
    (void)context().reply(reply_to, reply);
  }

  // The client's block 0, if it is the one the request describes.
  std::variant<ExecutionPayload, std::string> genesis_payload(const BuildGenesis& request) {
    if (head_) return std::string("the engine already has a head: no genesis is built");
    const std::string fix =
        ": initialise the execution client from this node's config (alys-ctl genesis --engine geth "
        "--config NODE.toml, then geth init)";
    auto block = client_->call("eth_getBlockByNumber", json::array{"0x0", false},
                               std::chrono::milliseconds(config_.engine_api.timeout_ms));
    if (!block.ok()) return client_failed(block.error());
    auto payload = payload_of_empty_block(*block);
    if (!payload.ok()) return client_name() + ": block 0: " + payload.status().message();
    if (ea::compute_block_hash(*payload) != payload->block_hash)
      return client_name() + ": block 0's fields do not hash to its hash " +
             to_0x_hex(payload->block_hash);
    if (request.timestamp_ms % 1000 != 0 || payload->timestamp != request.timestamp_ms / 1000)
      return client_name() + ": block 0 has timestamp " + std::to_string(payload->timestamp) +
             " s, the chain's genesis is at " + std::to_string(request.timestamp_ms) + " ms" + fix;
    for (const Mint& mint : request.alloc) {
      auto balance =
          client_->call("eth_getBalance", json::array{json::string(to_0x_hex(mint.to)), "0x0"},
                        std::chrono::milliseconds(config_.engine_api.timeout_ms));
      if (!balance.ok()) return client_failed(balance.error());
      auto have = balance->is_string() ? ea::parse_quantity_u256(balance->as_string())
                                       : Result<ea::U256Be>(Status::Invalid("not a string"));
      if (!have.ok() || *have != mint.amount_wei)
        return client_name() + ": at block 0 " + to_0x_hex(mint.to) + " holds " +
               (balance->is_string() ? std::string(balance->as_string())
                                     : json::serialize(*balance)) +
               " wei, the chain's genesis_alloc gives it " +
               wei_to_quantity(wei_from_be(mint.amount_wei).value_or(0)) + fix;
    }
    return ea::to_domain(*payload);
  }

  // --- building ---

  void build_payload(const BuildPayload& request, std::uint64_t reply_to) {
    PayloadBuilt reply;
    auto built = build(request);
    if (std::holds_alternative<std::string>(built)) {
      reply.error = std::get<std::string>(built);
      context().log(LogLevel::warn, "cannot build a payload: " + reply.error);
    } else {
      reply.payload = std::get<ExecutionPayload>(built);
      context().counter_add("engine_payloads_built_total");
    }
    (void)context().reply(reply_to, reply);
  }

  std::variant<ExecutionPayload, std::string> build(const BuildPayload& request) {
    if (!head_) return std::string("no genesis yet: build the genesis first");
    if (request.parent_payload_hash != head_->block_hash)
      return "payload parent " + to_0x_hex(request.parent_payload_hash) +
             " is not the engine's head " + to_0x_hex(head_->block_hash) + " (block " +
             std::to_string(head_->number) + ")";
    auto withdrawals = withdrawals_of(request.mints);
    if (std::holds_alternative<std::string>(withdrawals)) return std::get<std::string>(withdrawals);
    const std::uint64_t timestamp = request.timestamp_ms / 1000;
    if (timestamp <= head_->timestamp_s)
      return "timestamp " + std::to_string(timestamp) + " s is not after the parent's " +
             std::to_string(head_->timestamp_s) +
             " s (the execution client counts whole seconds: slots must be 1000 ms or longer)";
    ea::PayloadAttributesV2 attributes;
    attributes.timestamp = timestamp;
    attributes.suggested_fee_recipient = request.fee_recipient;
    attributes.withdrawals = std::get<std::vector<Withdrawal>>(withdrawals);
    const Hash32 finalized = finalized_or_genesis();
    auto started =
        client_->forkchoice_updated_v2({head_->block_hash, finalized, finalized}, attributes);
    if (!started.ok()) return client_failed(started.error());
    if (started->payload_status.status != ea::PayloadValidity::kValid || !started->payload_id)
      return client_name() + " did not start a build on " + to_0x_hex(head_->block_hash) + ": " +
             std::string(ea::to_string(started->payload_status.status)) + " " +
             started->payload_status.validation_error.value_or("");
    // The client builds an empty payload at once and fills it from its pool in the background:
    // the wait is what lets pooled transactions in.
    if (config_.engine_api.build_wait_ms > 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(config_.engine_api.build_wait_ms));
    auto fetched = client_->get_payload_v2(*started->payload_id);
    if (!fetched.ok()) return client_failed(fetched.error());
    return ea::to_domain(fetched->execution_payload);
  }

  // --- executing ---

  void execute_payload(const ExecutePayload& request, std::uint64_t reply_to,
                       const HeldRequest& as_held) {
    PayloadExecuted reply;
    auto executed = execute(request, as_held);
    if (!executed) return;  // held for a re-sync; answered after it
    if (std::holds_alternative<std::string>(*executed)) {
      reply.error = std::get<std::string>(*executed);
      context().counter_add("engine_payload_rejected_total");
      context().log(LogLevel::warn, "rejected payload " + std::to_string(request.payload.number) +
                                        " " + to_0x_hex(request.payload.block_hash) + ": " +
                                        reply.error);
    } else {
      const ExecutedEntry& entry = std::get<ExecutedEntry>(*executed);
      reply.state_root = entry.payload.state_root;
      reply.fees_wei = entry.fees_wei;
      context().counter_add("engine_payloads_executed_total");
      remember(entry);
    }
    (void)context().reply(reply_to, reply);
  }

  const ExecutedEntry* find_executed(const Hash32& hash) const {
    for (const ExecutedEntry& entry : executed_)
      if (entry.payload.block_hash == hash) return &entry;
    return nullptr;
  }

  void remember(const ExecutedEntry& entry) {
    auto same = std::find_if(executed_.begin(), executed_.end(), [&](const ExecutedEntry& e) {
      return e.payload.block_hash == entry.payload.block_hash;
    });
    if (same != executed_.end()) executed_.erase(same);
    if (executed_.size() == kExecutedCapacity) executed_.pop_front();
    executed_.push_back(entry);
  }

  // nullopt: the client lacked the parent, so the request is held and a re-sync begun.
  std::optional<std::variant<ExecutedEntry, std::string>> execute(const ExecutePayload& request,
                                                                  const HeldRequest& as_held) {
    const ExecutionPayload& payload = request.payload;
    if (request.genesis) {
      if (head_) return std::string("a genesis payload, but the engine already has a head");
      if (!genesis_hash_ || payload.block_hash != *genesis_hash_)
        return "genesis payload " + to_0x_hex(payload.block_hash) + " is not " + client_name() +
               "'s block 0 " + to_0x_hex(genesis_hash_.value_or(Hash32{}));
      if (auto checked = ea::from_domain(payload); !checked.ok()) return checked.status().message();
      return ExecutedEntry{payload, request.mints, true, {}};
    }
    if (!head_) return std::string("no genesis yet: a payload needs its parent");
    if (payload.parent_hash != head_->block_hash)
      return "payload parent " + to_0x_hex(payload.parent_hash) + " is not the engine's head " +
             to_0x_hex(head_->block_hash) + " (block " + std::to_string(head_->number) + ")";
    auto withdrawals = withdrawals_of(request.mints);
    if (std::holds_alternative<std::string>(withdrawals)) return std::get<std::string>(withdrawals);
    if (payload.withdrawals != std::get<std::vector<Withdrawal>>(withdrawals))
      return "payload withdrawals " + describe(payload.withdrawals) +
             " are not the block's mints as withdrawals " +
             describe(std::get<std::vector<Withdrawal>>(withdrawals));
    if (const ExecutedEntry* known = find_executed(payload.block_hash);
        known != nullptr && !known->genesis &&
        alys::encode(known->payload) == alys::encode(payload))
      return *known;
    auto v2 = ea::from_domain(payload);
    if (!v2.ok()) return v2.status().message();
    auto status = client_->new_payload_v2(*v2);
    if (!status.ok()) return client_failed(status.error());
    switch (status->status) {
      case ea::PayloadValidity::kValid:
        break;
      case ea::PayloadValidity::kInvalid:
      case ea::PayloadValidity::kInvalidBlockHash:
        return client_name() + ": " + std::string(ea::to_string(status->status)) + ": " +
               status->validation_error.value_or("(no validationError)");
      case ea::PayloadValidity::kSyncing:
      case ea::PayloadValidity::kAccepted:
        // The client lacks the parent (it lost blocks: a crash, a new data dir): replay, then
        // this request runs again, once.
        if (retried_.insert(payload.block_hash).second) {
          held_.push_front(as_held);
          context().log(LogLevel::warn, client_name() + " answered " +
                                            std::string(ea::to_string(status->status)) +
                                            " for payload " + to_0x_hex(payload.block_hash) +
                                            ": it lacks the parent; re-syncing");
          begin_sync("the client lacked a parent");
          return std::nullopt;
        }
        return client_name() + " still answers " + std::string(ea::to_string(status->status)) +
               " for payload " + to_0x_hex(payload.block_hash) + " after a re-sync";
    }
    retried_.erase(payload.block_hash);
    auto receipts = client_->call("eth_getBlockReceipts",
                                  json::array{json::string(to_0x_hex(payload.block_hash))},
                                  std::chrono::milliseconds(config_.engine_api.timeout_ms));
    if (!receipts.ok()) return client_failed(receipts.error());
    auto fees = fees_of_receipts(*receipts);
    if (!fees.ok()) return client_name() + ": eth_getBlockReceipts: " + fees.status().message();
    return ExecutedEntry{payload, request.mints, false, wei_to_be32(*fees)};
  }

  // --- committing ---

  void commit_payload(const Hash32& hash) {
    if (head_ && head_->block_hash == hash) return;  // a re-sync read it from storage already
    const ExecutedEntry* entry = find_executed(hash);
    const bool extends_head =
        entry != nullptr &&
        (entry->genesis ? !head_ : head_ && entry->payload.parent_hash == head_->block_hash);
    if (!extends_head) {
      context().log(LogLevel::warn, "CommitPayload for payload " + to_0x_hex(hash) +
                                        ", which was not executed on the engine's head: "
                                        "re-syncing from storage");
      return begin_sync("an unknown CommitPayload");
    }
    const ExecutedEntry committed = *entry;
    const Hash32 finalized = entry->genesis ? hash : finalized_or_genesis();
    auto updated = client_->forkchoice_updated_v2({hash, finalized, finalized}, std::nullopt);
    if (!updated.ok()) {
      const std::string failure = client_failed(updated.error());
      if (!updated.error().retryable()) {
        context().log(LogLevel::error, "cannot make " + to_0x_hex(hash) + " the head: " + failure);
        begin_sync("a refused forkchoiceUpdated");
      }
      return;
    }
    if (updated->payload_status.status != ea::PayloadValidity::kValid) {
      context().log(LogLevel::error,
                    client_name() + " answered " +
                        std::string(ea::to_string(updated->payload_status.status)) + " to head " +
                        to_0x_hex(hash) + ": re-syncing");
      return begin_sync("a head the client did not take");
    }
    head_ = committed.payload;
    head_known_ = true;
    executed_.clear();
    if (!committed.genesis) publish_peg_outs(committed.payload);
  }

  void publish_peg_outs(const ExecutionPayload& payload) {
    json::object filter{
        {"blockHash", to_0x_hex(payload.block_hash)},
        {"address", std::string(kBridgeContractAddress)},
        {"topics", json::array{json::string(to_0x_hex(embedded::request_peg_out_topic()))}}};
    auto logs = client_->call("eth_getLogs", json::array{filter},
                              std::chrono::milliseconds(config_.engine_api.timeout_ms));
    if (!logs.ok()) {
      context().log(LogLevel::error, "cannot read the peg-out requests of block " +
                                         std::to_string(payload.number) + ": " +
                                         client_failed(logs.error()));
      return;
    }
    auto requests = peg_outs_of_logs(*logs);
    if (!requests.ok()) {
      context().log(LogLevel::error, "peg-out requests of block " + std::to_string(payload.number) +
                                         ": " + requests.status().message());
      return;
    }
    if (requests->empty()) return;
    (void)context().publish(kPegOutsRequestedTopic,
                            PegOutsRequested{payload.number, payload.block_hash, *requests});
  }

  // --- finality ---

  void set_finalized(std::uint64_t number) {
    // Only ever forward: a late message about an older finalization changes nothing.
    if (finalized_number_ && number <= *finalized_number_) return;
    pending_finalized_ = std::max(pending_finalized_.value_or(0), number);
    if (synced_) apply_finalized();
  }

  // The canonical hash at the pending number becomes safe and finalized, in a forkchoice sent now.
  void apply_finalized() {
    if (!pending_finalized_ || !head_ || *pending_finalized_ > head_->number) return;
    const std::uint64_t number = *pending_finalized_;
    auto block = client_->get_block_by_number(quantity(number));
    if (!block.ok()) return (void)client_failed(block.error());
    if (!*block) return;
    auto updated = client_->forkchoice_updated_v2(
        {head_->block_hash, (*block)->hash, (*block)->hash}, std::nullopt);
    if (!updated.ok()) return (void)client_failed(updated.error());
    finalized_number_ = number;
    finalized_hash_ = (*block)->hash;
    pending_finalized_.reset();
  }

  // --- sync: bring the client to the chain's stored head ---

  void begin_sync(const std::string& why);
  void on_stored_head(const storage::Head& head, std::uint64_t generation);
  void find_replay_start(std::uint64_t height, std::uint64_t generation);
  void replay_from(std::uint64_t height, std::uint64_t generation);
  void finish_sync(std::uint64_t generation);
  void sync_failed(const std::string& reason, std::uint64_t generation);
  bool client_has(const Hash32& hash, std::string& failure);

  // --- transactions ---

  void submit_from_peer(const alys::Bytes& raw) {
    if (!down_reason_.empty() || !client_) return;
    auto sent = client_->call("eth_sendRawTransaction", json::array{json::string(to_0x_hex(raw))},
                              std::chrono::milliseconds(config_.engine_api.timeout_ms));
    if (sent.ok()) {
      context().counter_add("engine_transactions_accepted_total");
      context().counter_add("engine_transactions_from_peers_total");
    } else if (sent.error().retryable()) {
      (void)client_failed(sent.error());
    } else {
      context().log(LogLevel::debug, "the execution client refused a transaction from a peer: " +
                                         sent.error().message);
    }
  }

  std::string forward(const std::string& method, std::string_view params) {
    json::error_code error;
    json::value parsed = json::parse(params, error);
    json::array args;
    if (!error && parsed.is_array())
      args = parsed.as_array();
    else if (!(error || parsed.is_null()))
      throw alys::RpcError(-32602, "params must be a JSON array");
    auto result =
        client_->call(method, args, std::chrono::milliseconds(config_.engine_api.timeout_ms));
    const bool submits = method == "eth_sendRawTransaction";
    if (!result.ok()) {
      if (submits) context().counter_add("engine_transactions_rejected_total");
      const ea::EngineError& failure = result.error();
      if (failure.kind != ea::EngineErrorKind::kRpc) {
        (void)client_failed(failure);
        throw std::runtime_error(client_name() + ": " + failure.message);
      }
      // The client's own words: wallets classify errors by them ("nonce too low", ...).
      const std::string prefix = method + ": error " + std::to_string(failure.rpc_code) + ": ";
      std::string text = failure.message.starts_with(prefix) ? failure.message.substr(prefix.size())
                                                             : failure.message;
      throw alys::RpcError(failure.rpc_code, text);
    }
    if (submits) {
      context().counter_add("engine_transactions_accepted_total");
      // For the network role to gossip it, as the embedded backend does.
      if (!args.empty() && args[0].is_string())
        if (auto raw = from_hex(args[0].as_string()); raw && result->is_string())
          if (auto hash = fixed_from_hex<32>(result->as_string()))
            (void)context().publish(kTransactionPooledTopic, TransactionPooled{*hash, *raw});
    }
    return json::serialize(*result);
  }

  // --- hand-over ---

  void take_image(EngineApiImage image) {
    synced_ = image.synced;
    if (image.has_head) head_ = std::move(image.head);
    head_known_ = image.has_head || image.synced;
    if (image.has_genesis) genesis_hash_ = image.genesis_hash;
    if (image.has_finalized) {
      finalized_number_ = image.finalized_number;
      finalized_hash_ = image.finalized_hash;
    }
    executed_.assign(image.executed.begin(), image.executed.end());
    held_.assign(image.held.begin(), image.held.end());
  }

  EngineConfig config_;
  alys::Address storage_ = 0;
  std::optional<ea::EngineClient> client_;
  std::optional<EngineApiImage> image_;  // restored, taken over in on_start

  bool synced_ = false;      // the client has head_ as its head; requests are answered
  bool head_known_ = false;  // head_ was read from storage at least once (nullopt: no genesis)
  std::optional<ExecutionPayload> head_;
  std::optional<Hash32> genesis_hash_;
  std::optional<std::uint64_t> finalized_number_;
  Hash32 finalized_hash_{};
  std::optional<std::uint64_t> pending_finalized_;
  std::deque<ExecutedEntry> executed_;  // oldest first
  std::deque<HeldRequest> held_;
  std::set<Hash32> retried_;  // payloads that answered SYNCING once already

  std::string down_reason_;  // non-empty: degraded
  bool client_unreachable_ = false;
  std::uint64_t probe_timer_ = 0;
  bool syncing_ = false;
  std::uint64_t sync_generation_ = 0;
  std::uint64_t replay_target_ = 0;
  Hash32 replay_head_hash_{};
  std::optional<ExecutionPayload> replay_head_;
  std::optional<std::pair<std::uint64_t, Hash32>> replay_finalized_;  // number, payload hash
  std::uint64_t replayed_ = 0;
  std::chrono::steady_clock::time_point replay_started_;
};

// --- sync ---

void EngineApiActor::begin_sync(const std::string& why) {
  syncing_ = true;
  synced_ = false;
  const std::uint64_t generation = ++sync_generation_;
  replayed_ = 0;
  replay_head_.reset();
  replay_finalized_.reset();
  replay_started_ = std::chrono::steady_clock::now();
  context().log(LogLevel::info,
                "syncing the execution client to the chain's stored head (" + why + ")");
  request(storage_, storage::GetHead{}, kStorageTimeoutMs)
      .then(
          [this, generation](const storage::Head& head) {
            if (generation == sync_generation_) on_stored_head(head, generation);
          },
          [this, generation](const Status& error) {
            if (generation == sync_generation_)
              sync_failed("storage did not answer GetHead: " + error.to_string(), generation);
          });
}

void EngineApiActor::on_stored_head(const storage::Head& head, std::uint64_t generation) {
  if (!head.error.empty()) return sync_failed("storage: " + head.error, generation);
  if (!head.has_head) {
    // An empty chain: the chain builds the genesis next; the client needs nothing.
    replay_target_ = 0;
    return finish_sync(generation);
  }
  replay_target_ = head.height;
  auto payload_of = [this, generation](const storage::BlockFound& found,
                                       const char* what) -> std::optional<ExecutionPayload> {
    if (!found.error.empty() || !found.found) {
      sync_failed(std::string("storage cannot give the ") + what + " block: " + found.error,
                  generation);
      return std::nullopt;
    }
    try {
      return alys::decode<SignedBlock>(found.block.block).block.payload;
    } catch (const DecodeError& error) {
      sync_failed(std::string("the stored ") + what + " block does not decode: " + error.what(),
                  generation);
      return std::nullopt;
    }
  };
  request(storage_, storage::GetBlockByHash{head.hash}, kStorageTimeoutMs)
      .then(
          [this, generation, head, payload_of](const storage::BlockFound& found) {
            if (generation != sync_generation_) return;
            replay_head_ = payload_of(found, "head");
            if (!replay_head_) return;
            auto go_on = [this, generation] {
              std::string failure;
              if (client_has(replay_head_->block_hash, failure)) return finish_sync(generation);
              if (!failure.empty()) return;  // down: the probe re-syncs
              auto latest = client_->get_block_by_number("latest");
              if (!latest.ok()) return (void)client_failed(latest.error()), void(syncing_ = false);
              const std::uint64_t have = *latest ? (*latest)->number : 0;
              find_replay_start(std::min(have, replay_target_), generation);
            };
            if (!head.has_finalized) return go_on();
            request(storage_, storage::GetBlockByHash{head.finalized_hash}, kStorageTimeoutMs)
                .then(
                    [this, generation, head, payload_of, go_on](const storage::BlockFound& f) {
                      if (generation != sync_generation_) return;
                      auto finalized = payload_of(f, "finalized");
                      if (!finalized) return;
                      replay_finalized_ = {head.finalized_height, finalized->block_hash};
                      go_on();
                    },
                    [this, generation](const Status& error) {
                      if (generation == sync_generation_)
                        sync_failed(
                            "storage did not give the finalized block: " + error.to_string(),
                            generation);
                    });
          },
          [this, generation](const Status& error) {
            if (generation == sync_generation_)
              sync_failed("storage did not give the head block: " + error.to_string(), generation);
          });
}

bool EngineApiActor::client_has(const Hash32& hash, std::string& failure) {
  auto block =
      client_->call("eth_getBlockByHash", json::array{json::string(to_0x_hex(hash)), false},
                    std::chrono::milliseconds(config_.engine_api.timeout_ms));
  if (!block.ok()) {
    failure = client_failed(block.error());
    if (block.error().retryable()) syncing_ = false;
    return false;
  }
  return !block->is_null();
}

// The highest stored block the client has, from `height` down: the replay starts above it. The
// client's chain is a prefix of ours unless it was reset or rewound, so this is one step as a rule.
void EngineApiActor::find_replay_start(std::uint64_t height, std::uint64_t generation) {
  request(storage_, storage::GetBlockByHeight{height}, kStorageTimeoutMs)
      .then(
          [this, height, generation](const storage::BlockFound& found) {
            if (generation != sync_generation_) return;
            if (!found.error.empty() || !found.found)
              return sync_failed(
                  "storage cannot give block " + std::to_string(height) + ": " + found.error,
                  generation);
            Hash32 payload_hash{};
            try {
              payload_hash = alys::decode<SignedBlock>(found.block.block).block.payload.block_hash;
            } catch (const DecodeError& error) {
              return sync_failed(
                  "stored block " + std::to_string(height) + " does not decode: " + error.what(),
                  generation);
            }
            std::string failure;
            if (client_has(payload_hash, failure)) return replay_from(height + 1, generation);
            if (!failure.empty()) return;
            if (height == 0)
              return sync_failed(client_name() + " does not have the chain's genesis payload " +
                                     to_0x_hex(payload_hash) +
                                     ": initialise it from this node's config (alys-ctl genesis "
                                     "--engine geth --config NODE.toml, then geth init)",
                                 generation);
            find_replay_start(height - 1, generation);
          },
          [this, generation, height](const Status& error) {
            if (generation == sync_generation_)
              sync_failed(
                  "storage did not give block " + std::to_string(height) + ": " + error.to_string(),
                  generation);
          });
}

void EngineApiActor::replay_from(std::uint64_t height, std::uint64_t generation) {
  if (height > replay_target_) return finish_sync(generation);
  request(storage_, storage::GetBlockRange{height, kReplayPage, 8 << 20}, kStorageTimeoutMs)
      .then(
          [this, height, generation](const storage::BlockRange& range) {
            if (generation != sync_generation_) return;
            if (!range.error.empty() || range.blocks.empty())
              return sync_failed(
                  "storage cannot give blocks from " + std::to_string(height) + ": " + range.error,
                  generation);
            std::uint64_t next = height;
            for (const storage::StoredBlock& stored : range.blocks) {
              if (stored.height > replay_target_) break;
              ExecutionPayload payload;
              try {
                payload = alys::decode<SignedBlock>(stored.block).block.payload;
              } catch (const DecodeError& error) {
                return sync_failed("stored block " + std::to_string(stored.height) +
                                       " does not decode: " + error.what(),
                                   generation);
              }
              auto v2 = ea::from_domain(payload);
              if (!v2.ok())
                return sync_failed(
                    "stored block " + std::to_string(stored.height) + ": " + v2.status().message(),
                    generation);
              auto status = client_->new_payload_v2(*v2);
              if (!status.ok()) {
                const std::string failure = client_failed(status.error());
                if (status.error().retryable()) return void(syncing_ = false);
                return sync_failed(
                    "replaying block " + std::to_string(stored.height) + ": " + failure,
                    generation);
              }
              if (status->status != ea::PayloadValidity::kValid)
                return sync_failed(client_name() + " answered " +
                                       std::string(ea::to_string(status->status)) +
                                       " to stored block " + std::to_string(stored.height) + " " +
                                       to_0x_hex(payload.block_hash) + ": " +
                                       status->validation_error.value_or(""),
                                   generation);
              ++replayed_;
              context().counter_add("engine_replayed_blocks_total");
              if (replayed_ % config_.engine_api.replay_log_every == 0)
                context().log(LogLevel::info, "replaying into the execution client: block " +
                                                  std::to_string(stored.height) + " of " +
                                                  std::to_string(replay_target_) + " (" +
                                                  std::to_string(replayed_) + " replayed)");
              next = stored.height + 1;
            }
            replay_from(next, generation);
          },
          [this, generation, height](const Status& error) {
            if (generation == sync_generation_)
              sync_failed("storage did not give blocks from " + std::to_string(height) + ": " +
                              error.to_string(),
                          generation);
          });
}

void EngineApiActor::finish_sync(std::uint64_t generation) {
  if (generation != sync_generation_) return;
  if (replay_head_) {
    const Hash32 finalized =
        replay_finalized_ ? replay_finalized_->second : genesis_hash_.value_or(Hash32{});
    auto updated = client_->forkchoice_updated_v2({replay_head_->block_hash, finalized, finalized},
                                                  std::nullopt);
    if (!updated.ok()) {
      const std::string failure = client_failed(updated.error());
      if (updated.error().retryable()) return void(syncing_ = false);
      return sync_failed("forkchoiceUpdated to the stored head: " + failure, generation);
    }
    if (updated->payload_status.status != ea::PayloadValidity::kValid)
      return sync_failed(client_name() + " answered " +
                             std::string(ea::to_string(updated->payload_status.status)) +
                             " to the stored head " + to_0x_hex(replay_head_->block_hash),
                         generation);
  }
  const bool moved =
      (head_ ? std::optional<Hash32>(head_->block_hash) : std::nullopt) !=
      (replay_head_ ? std::optional<Hash32>(replay_head_->block_hash) : std::nullopt);
  head_ = replay_head_;
  if (moved) executed_.clear();
  if (replay_finalized_) {
    finalized_number_ = replay_finalized_->first;
    finalized_hash_ = replay_finalized_->second;
  } else {
    finalized_number_.reset();
  }
  head_known_ = true;
  synced_ = true;
  syncing_ = false;
  came_up();
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - replay_started_);
  context().log(LogLevel::info, "execution client synced: head " +
                                    (head_ ? "block " + std::to_string(head_->number) + " " +
                                                 to_0x_hex(head_->block_hash)
                                           : std::string("none (no genesis yet)")) +
                                    ", " + std::to_string(replayed_) + " blocks replayed in " +
                                    std::to_string(took.count()) + " ms");
  apply_finalized();
  run_held();
}

void EngineApiActor::sync_failed(const std::string& reason, std::uint64_t generation) {
  if (generation != sync_generation_) return;
  syncing_ = false;
  context().log(LogLevel::error, "cannot sync the execution client (retrying every " +
                                     std::to_string(kProbeMs) + " ms): " + reason);
  mark_down("cannot sync: " + reason, false);
}

}  // namespace

std::unique_ptr<alys::Actor> make_engine_api_actor(alys::Context context) {
  return std::make_unique<EngineApiActor>(context);
}

}  // namespace alys::engine::engine_api_backend
