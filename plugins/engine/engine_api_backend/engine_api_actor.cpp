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
#include "engine/engine_api_backend/engine_api_actor_impl.hpp"
#include "engine/engine_api_backend/mint_withdrawals.hpp"
#include "engine/engine_config.hpp"

namespace alys::engine::engine_api_backend {

namespace json = boost::json;
using alys::Envelope;
using alys::LogLevel;

namespace {

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

}  // namespace

EngineApiActor::EngineApiActor(alys::Context context) : Actor(context) {
  on_request<GetInfo>([this](const GetInfo&, const Envelope& envelope) { arrive(envelope); });
  on_request<BuildGenesis>(
      [this](const BuildGenesis&, const Envelope& envelope) { arrive(envelope); });
  on_request<BuildPayload>(
      [this](const BuildPayload&, const Envelope& envelope) { arrive(envelope); });
  on_request<ExecutePayload>(
      [this](const ExecutePayload&, const Envelope& envelope) { arrive(envelope); });
  on<CommitPayload>([this](const CommitPayload&, const Envelope& envelope) { arrive(envelope); });
  on<SetFinalized>(
      [this](const SetFinalized& finalized, const Envelope&) { set_finalized(finalized.number); });
  on<SubmitTransaction>([this](const SubmitTransaction& submitted, const Envelope&) {
    submit_from_peer(submitted.raw);
  });
  on<ProbeClient>([this](const ProbeClient&, const Envelope&) { probe(); });
}

void EngineApiActor::restore(alys::ByteView bytes, std::uint32_t /*schema_version*/) {
  image_ = read_image(bytes);
}

alys::StateSnapshot EngineApiActor::snapshot(std::uint32_t target_schema_version) {
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

void EngineApiActor::on_start() {
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
    if (!handed_over) learn_stored_head();
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

std::string EngineApiActor::degraded() { return down_reason_; }

// The client is unreachable at a fresh start. The chain starts anyway (it asks GetInfo and gives up
// after engine_timeout_ms), and the engine's head is the chain's stored head, which the client
// gets when it returns (the sync on its return). So the head is read from storage now and held
// GetInfo requests are answered with it; production stays paused until the client is back.
void EngineApiActor::learn_stored_head() {
  request(storage_, storage::GetHead{}, kStorageTimeoutMs)
      .then(
          [this](const storage::Head& head) {
            if (head_known_ || syncing_ || !head.error.empty() || !head.has_head) return;
            request(storage_, storage::GetBlockByHash{head.hash}, kStorageTimeoutMs)
                .then(
                    [this](const storage::BlockFound& found) {
                      if (head_known_ || syncing_ || !found.error.empty() || !found.found) return;
                      try {
                        head_ = alys::decode<SignedBlock>(found.block.block).block.payload;
                      } catch (const DecodeError&) {
                        return;  // the sync on the client's return says what is wrong
                      }
                      head_known_ = true;
                      for (auto it = held_.begin(); it != held_.end();) {
                        if (it->type_id != alys::type_id_of<GetInfo>()) {
                          ++it;
                          continue;
                        }
                        (void)context().reply(it->correlation_id, info());
                        it = held_.erase(it);
                      }
                    },
                    [](const Status&) {});
          },
          [](const Status&) {});
}

void EngineApiActor::arrive(const Envelope& envelope) {
  HeldRequest request{envelope.type_id, envelope.correlation_id,
                      alys::Bytes(envelope.payload.begin(), envelope.payload.end())};
  if (!synced_ || !held_.empty()) {
    // While the client is down or being synced, the chain hears at once that nothing can be
    // built or executed now (a held request would only time out, and a pile of them would run
    // stale after the sync); GetInfo and CommitPayload wait for the sync.
    if (answer_down(request)) return;
    held_.push_back(std::move(request));
    return;
  }
  answer(request);
}

bool EngineApiActor::answer_down(const HeldRequest& request) {
  // A genesis waits: the chain builds it once, at its first start, and the sync that answers it
  // is short (no blocks to replay).
  const std::string error =
      "engine: " + (down_reason_.empty() ? client_name() + " is being synced to the chain's head"
                                         : down_reason_);
  if (request.type_id == alys::type_id_of<BuildPayload>()) {
    PayloadBuilt reply;
    reply.error = error;
    (void)context().reply(request.correlation_id, reply);
    return true;
  }
  if (request.type_id == alys::type_id_of<ExecutePayload>() &&
      !alys::decode<ExecutePayload>(request.payload).genesis) {
    PayloadExecuted reply;
    reply.error = error;
    reply.unavailable = true;
    (void)context().reply(request.correlation_id, reply);
    return true;
  }
  if (down_reason_.empty()) return false;
  if (request.type_id == alys::type_id_of<GetInfo>() && head_known_) {
    (void)context().reply(request.correlation_id, info());
    return true;
  }
  // A CommitPayload while down: the re-sync reads the stored head, which includes it.
  return request.type_id == alys::type_id_of<CommitPayload>();
}

void EngineApiActor::run_held() {
  while (synced_ && !held_.empty()) {
    HeldRequest next = std::move(held_.front());
    held_.pop_front();
    answer(next);
  }
}

void EngineApiActor::answer(const HeldRequest& request) {
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

Info EngineApiActor::info() const {
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

Hash32 EngineApiActor::finalized_or_genesis() const {
  if (finalized_number_) return finalized_hash_;
  return genesis_hash_.value_or(Hash32{});
}

void EngineApiActor::build_genesis(const BuildGenesis& request, std::uint64_t reply_to) {
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

std::variant<ExecutionPayload, std::string> EngineApiActor::genesis_payload(
    const BuildGenesis& request) {
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

void EngineApiActor::build_payload(const BuildPayload& request, std::uint64_t reply_to) {
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

std::variant<ExecutionPayload, std::string> EngineApiActor::build(const BuildPayload& request) {
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
  if (started->payload_status.status == ea::PayloadValidity::kSyncing ||
      started->payload_status.status == ea::PayloadValidity::kAccepted) {
    // The client lost the head (a new data dir, a crash) between two calls: bring it back. This
    // slot is lost; the requests after it wait for the re-sync.
    begin_sync("the client lacked the head");
    return client_name() + " does not have the head " + to_0x_hex(head_->block_hash) +
           " (SYNCING): re-syncing it";
  }
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

void EngineApiActor::execute_payload(const ExecutePayload& request, std::uint64_t reply_to,
                                     const HeldRequest& as_held) {
  PayloadExecuted reply;
  auto executed = execute(request, as_held);
  if (!executed) return;  // held for a re-sync; answered after it
  if (std::holds_alternative<std::string>(*executed)) {
    reply.error = std::get<std::string>(*executed);
    // The client went down during this execution (client_failed marked it): no verdict.
    reply.unavailable = !down_reason_.empty();
    if (reply.unavailable) {
      (void)context().reply(reply_to, reply);
      return;
    }
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

const ExecutedEntry* EngineApiActor::find_executed(const Hash32& hash) const {
  for (const ExecutedEntry& entry : executed_)
    if (entry.payload.block_hash == hash) return &entry;
  return nullptr;
}

void EngineApiActor::remember(const ExecutedEntry& entry) {
  auto same = std::find_if(executed_.begin(), executed_.end(), [&](const ExecutedEntry& e) {
    return e.payload.block_hash == entry.payload.block_hash;
  });
  if (same != executed_.end()) executed_.erase(same);
  if (executed_.size() == kExecutedCapacity) executed_.pop_front();
  executed_.push_back(entry);
}

std::optional<std::variant<ExecutedEntry, std::string>> EngineApiActor::execute(
    const ExecutePayload& request, const HeldRequest& as_held) {
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
      known != nullptr && !known->genesis && alys::encode(known->payload) == alys::encode(payload))
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
      // Still catching up: no verdict on the payload (the chain must not call it invalid).
      mark_down(client_name() + " still answers " + std::string(ea::to_string(status->status)) +
                    " for payload " + to_0x_hex(payload.block_hash) + " after a re-sync",
                false);
      return "engine: " + down_reason_;
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

void EngineApiActor::commit_payload(const Hash32& hash) {
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
    context().log(LogLevel::error, client_name() + " answered " +
                                       std::string(ea::to_string(updated->payload_status.status)) +
                                       " to head " + to_0x_hex(hash) + ": re-syncing");
    return begin_sync("a head the client did not take");
  }
  head_ = committed.payload;
  head_known_ = true;
  executed_.clear();
  // A swap's image does not carry the reported height: this block is the first to report.
  if (!reported_to_) reported_to_ = committed.payload.number - (committed.genesis ? 0 : 1);
  publish_peg_outs();
}

void EngineApiActor::set_finalized(std::uint64_t number) {
  // Only ever forward: a late message about an older finalization changes nothing.
  if (finalized_number_ && number <= *finalized_number_) return;
  pending_finalized_ = std::max(pending_finalized_.value_or(0), number);
  if (synced_) apply_finalized();
}

void EngineApiActor::apply_finalized() {
  if (!pending_finalized_ || !head_ || *pending_finalized_ > head_->number) return;
  const std::uint64_t number = *pending_finalized_;
  auto block = client_->get_block_by_number(quantity(number));
  if (!block.ok()) return (void)client_failed(block.error());
  if (!*block) return;
  auto updated = client_->forkchoice_updated_v2({head_->block_hash, (*block)->hash, (*block)->hash},
                                                std::nullopt);
  if (!updated.ok()) return (void)client_failed(updated.error());
  finalized_number_ = number;
  finalized_hash_ = (*block)->hash;
  pending_finalized_.reset();
}

void EngineApiActor::submit_from_peer(const alys::Bytes& raw) {
  if (!down_reason_.empty() || !client_) return;
  auto sent = client_->call("eth_sendRawTransaction", json::array{json::string(to_0x_hex(raw))},
                            std::chrono::milliseconds(config_.engine_api.timeout_ms));
  if (sent.ok()) {
    context().counter_add("engine_transactions_accepted_total");
    context().counter_add("engine_transactions_from_peers_total");
  } else if (sent.error().kind != ea::EngineErrorKind::kRpc) {
    // Only a failed exchange says the client is down. An answer is the client's verdict on the
    // transaction, even with the -32000 that the Engine API methods use for a busy server:
    // eth_sendRawTransaction answers "nonce too low", "already known" with it.
    (void)client_failed(sent.error());
  } else {
    context().log(LogLevel::debug, "the execution client refused a transaction from a peer: " +
                                       sent.error().message);
  }
}

std::string EngineApiActor::forward(const std::string& method, std::string_view params) {
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

void EngineApiActor::take_image(EngineApiImage image) {
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

std::unique_ptr<alys::Actor> make_engine_api_actor(alys::Context context) {
  return std::make_unique<EngineApiActor>(context);
}

}  // namespace alys::engine::engine_api_backend
