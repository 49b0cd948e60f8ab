// The engine-api backend's link to the execution client: the start's checks, the down state and its
// probe, and the sync that brings the client to the chain's stored head (docs/engine.md,
// "Recovery" and "The client down").
#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <string>

#include "alys/domain/hash.hpp"
#include "alys/schemas/storage.hpp"
#include "engine/engine_api/payload_conversion.hpp"
#include "engine/engine_api_backend/engine_api_actor_impl.hpp"

namespace alys::engine::engine_api_backend {

namespace json = boost::json;
using alys::Envelope;
using alys::LogLevel;

namespace {
constexpr const char* kRetryingSync = "retrying a failed sync";
}  // namespace

void EngineApiActor::open_client() {
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

std::string EngineApiActor::client_name() const {
  return "execution client at " + config_.engine_api.url;
}

std::string EngineApiActor::check_client() {
  client_unreachable_ = false;
  auto refuse = [&](const ea::EngineError& error) {
    client_unreachable_ = error.retryable();
    return client_name() + (client_unreachable_ ? " unreachable: " : ": ") + error.message;
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

std::string EngineApiActor::client_failed(const ea::EngineError& error) {
  if (error.retryable()) mark_down(client_name() + " unreachable: " + error.message);
  return client_name() + ": " + error.message;
}

void EngineApiActor::mark_down(const std::string& reason, bool unreachable) {
  const bool was_up = down_reason_.empty();
  down_reason_ = reason;
  synced_ = false;
  context().gauge_set("engine_execution_client_up", 0);
  if (was_up && unreachable)
    context().log(LogLevel::warn,
                  "execution client unreachable: block production paused (" + reason + ")");
  if (probe_timer_ == 0) probe_timer_ = context().start_timer(kProbeMs, kProbeMs, ProbeClient{});
}

void EngineApiActor::probe() {
  if (down_reason_.empty() || syncing_) return;
  if (std::string failure = check_client(); !failure.empty()) {
    down_reason_ = failure;
    return;
  }
  // A failed sync is retried here too: only a client that was unreachable "came back".
  if (down_reason_.rfind("cannot sync: ", 0) == 0) return begin_sync(kRetryingSync);
  context().log(LogLevel::info, "execution client back: re-syncing it to the chain's head");
  begin_sync("the client came back");
}

void EngineApiActor::came_up() {
  if (probe_timer_ != 0) (void)context().cancel_timer(probe_timer_);
  probe_timer_ = 0;
  down_reason_.clear();
  context().gauge_set("engine_execution_client_up", 1);
}

// --- sync ---

void EngineApiActor::begin_sync(const std::string& why) {
  syncing_ = true;
  synced_ = false;
  const std::uint64_t generation = ++sync_generation_;
  replayed_ = 0;
  replay_head_.reset();
  replay_finalized_.reset();
  replay_started_ = std::chrono::steady_clock::now();
  context().log(why == kRetryingSync ? LogLevel::debug : LogLevel::info,
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
            std::optional<Hash32> last_replayed;
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
              last_replayed = payload.block_hash;
            }
            // Geth takes only so many payloads without a head after its start ("Ignoring payload
            // while snap syncing ... forced head needed for startup": SYNCING from block 132 of a
            // replay into an empty data dir), so each page ends with a forkchoice to its last
            // block.
            if (last_replayed) {
              const Hash32 anchor = genesis_hash_.value_or(*last_replayed);
              auto updated =
                  client_->forkchoice_updated_v2({*last_replayed, anchor, anchor}, std::nullopt);
              if (!updated.ok()) {
                const std::string failure = client_failed(updated.error());
                if (updated.error().retryable()) return void(syncing_ = false);
                return sync_failed("forkchoiceUpdated during the replay: " + failure, generation);
              }
              if (updated->payload_status.status != ea::PayloadValidity::kValid)
                return sync_failed(client_name() + " answered " +
                                       std::string(ea::to_string(updated->payload_status.status)) +
                                       " to the replayed block " + to_0x_hex(*last_replayed),
                                   generation);
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
  // The first sync of this process starts the reports at the stored head; a later one reports the
  // blocks committed while the client was down.
  if (!reported_to_ && head_) reported_to_ = head_->number;
  publish_peg_outs();
  apply_finalized();
  run_held();
}

void EngineApiActor::sync_failed(const std::string& reason, std::uint64_t generation) {
  if (generation != sync_generation_) return;
  syncing_ = false;
  // Retried every probe; the same failure again is logged at debug, not once a second.
  const std::string down = "cannot sync: " + reason;
  context().log(down == down_reason_ ? LogLevel::debug : LogLevel::error,
                "cannot sync the execution client (retrying every " + std::to_string(kProbeMs) +
                    " ms): " + reason);
  mark_down(down, false);
}

}  // namespace alys::engine::engine_api_backend
