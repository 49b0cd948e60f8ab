// The engine-api backend's actor (engine_api_actor.hpp has the role's view of it): one class, its
// requests in engine_api_actor.cpp and its link to the execution client — the start's checks, the
// down state and its probe, and the sync that replays stored payloads — in client_sync.cpp.
// Private to the plugin. Not thread-safe: the host calls one member at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "alys/actor.hpp"
#include "alys/schemas/engine.hpp"
#include "alys/schemas/storage.hpp"
#include "engine/engine_api/engine_client.hpp"
#include "engine/engine_api_backend/backend_image.hpp"
#include "engine/engine_config.hpp"

namespace alys::engine::engine_api_backend {

namespace ea = alys::engine::engine_api;

inline constexpr std::uint64_t kProbeMs = 1'000;
inline constexpr std::uint64_t kStorageTimeoutMs = 30'000;
inline constexpr std::uint32_t kReplayPage = 128;
inline constexpr std::size_t kExecutedCapacity = 16;

// Periodic while the client is down or a sync failed: ask it again.
struct ProbeClient {
  static constexpr std::string_view schema_name = "alys.engine.engine_api.ProbeClient/1";
  bool unused = false;
  ALYS_FIELDS(unused)
};

class EngineApiActor : public alys::Actor {
 public:
  explicit EngineApiActor(alys::Context context);
  void restore(alys::ByteView bytes, std::uint32_t /*schema_version*/) override;
  alys::StateSnapshot snapshot(std::uint32_t target_schema_version) override;
  void on_start() override;
  std::string degraded() override;

 private:
  // --- the client ---

  void open_client();
  std::string client_name() const;
  // The start's checks: reachable with our secret, the chain id, block 0. Empty when all pass;
  // client_unreachable_ tells a link failure (retry) from a definite refusal.
  std::string check_client();
  // A failed call: a link failure makes the client down; the message for a reply either way.
  std::string client_failed(const ea::EngineError& error);
  // `unreachable`: the link failed (logged once as production paused); otherwise the client
  // answered but cannot be brought to the head (the caller logged why).
  void mark_down(const std::string& reason, bool unreachable = true);
  void probe();
  void learn_stored_head();
  void came_up();

  // --- requests: held while syncing, in arrival order ---

  void arrive(const Envelope& envelope);
  bool answer_down(const HeldRequest& request);
  void run_held();
  void answer(const HeldRequest& request);
  Info info() const;
  Hash32 finalized_or_genesis() const;

  // --- genesis ---

  void build_genesis(const BuildGenesis& request, std::uint64_t reply_to);
  // The client's block 0, if it is the one the request describes.
  std::variant<ExecutionPayload, std::string> genesis_payload(const BuildGenesis& request);

  // --- building ---

  void build_payload(const BuildPayload& request, std::uint64_t reply_to);
  std::variant<ExecutionPayload, std::string> build(const BuildPayload& request);

  // --- executing ---

  void execute_payload(const ExecutePayload& request, std::uint64_t reply_to,
                       const HeldRequest& as_held);
  const ExecutedEntry* find_executed(const Hash32& hash) const;
  void remember(const ExecutedEntry& entry);
  // nullopt: the client lacked the parent, so the request is held and a re-sync begun.
  std::optional<std::variant<ExecutedEntry, std::string>> execute(const ExecutePayload& request,
                                                                  const HeldRequest& as_held);

  // --- committing ---

  void commit_payload(const Hash32& hash);
  void publish_peg_outs();

  // --- finality ---

  void set_finalized(std::uint64_t number);
  // The canonical hash at the pending number becomes safe and finalized, in a forkchoice sent now.
  void apply_finalized();

  // --- sync: bring the client to the chain's stored head ---

  void begin_sync(const std::string& why);
  void on_stored_head(const storage::Head& head, std::uint64_t generation);
  void find_replay_start(std::uint64_t height, std::uint64_t generation);
  void replay_from(std::uint64_t height, std::uint64_t generation);
  void finish_sync(std::uint64_t generation);
  void sync_failed(const std::string& reason, std::uint64_t generation);
  bool client_has(const Hash32& hash, std::string& failure);

  // --- transactions ---

  void submit_from_peer(const alys::Bytes& raw);
  std::string forward(const std::string& method, std::string_view params);

  // --- hand-over ---

  void take_image(EngineApiImage image);
  EngineConfig config_;
  alys::Address storage_ = 0;
  std::optional<ea::EngineClient> client_;
  std::optional<EngineApiImage> image_;  // restored, taken over in on_start

  bool synced_ = false;      // the client has head_ as its head; requests are answered
  bool head_known_ = false;  // head_ was read from storage at least once (nullopt: no genesis)
  std::optional<ExecutionPayload> head_;
  // The height up to which peg-out reports were published (publish_peg_outs).
  std::optional<std::uint64_t> reported_to_;
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
  std::optional<ExecutionPayload> replay_head_;
  std::optional<std::pair<std::uint64_t, Hash32>> replay_finalized_;  // number, payload hash
  std::uint64_t replayed_ = 0;
  std::chrono::steady_clock::time_point replay_started_;
};

}  // namespace alys::engine::engine_api_backend
