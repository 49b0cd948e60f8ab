// alys-network: the `network` role (docs/network.md). One actor that owns
//   - a Transport (transport.hpp): the Asio I/O threads, the listener, the dials, the handshakes
//     and secure channels, which hand what they see to the actor as messages to itself;
//   - a GossipEngine (gossip/gossip_engine.hpp), which this actor drives and serves as NodePort;
//   - a PeerBook (peer_book.hpp): scores, bans and offence counts.
// One file per concern: network_actor.cpp (start, spec, transport events, swap),
// node_port.cpp (what the gossip engine asks of the node), network_admin.cpp (network_peers,
// network_fault, metrics).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "actor_inbox.hpp"
#include "alys/plugin.hpp"
#include "gossip/gossip_engine.hpp"
#include "local_backlog.hpp"
#include "network_config.hpp"
#include "network_messages.hpp"
#include "network_state.hpp"
#include "peer_book.hpp"
#include "serve_limiter.hpp"
#include "transport.hpp"

namespace alys::network {

// A connected peer as the actor knows it.
struct PeerLink {
  XOnlyPublicKey key{};
  Direction direction = Direction::inbound;
  std::string address;
};

// GetBlocks served at once per peer, and how many more wait (serve_limiter.hpp).
inline constexpr std::size_t kServedGetBlocks = 2;
inline constexpr std::size_t kWaitingGetBlocks = 4;

class NetworkActor : public Actor, public NodePort {
 public:
  explicit NetworkActor(Context context);
  ~NetworkActor() override;

  static void check_config(std::string_view table_json, ConfigProblems& problems);

  void on_start() override;
  void on_stop() override;
  StateSnapshot snapshot(std::uint32_t target_schema_version) override;
  void restore(ByteView bytes, std::uint32_t schema_version) override;

  // NodePort (node_port.cpp), on the actor's thread.
  void send(PeerId peer, const WireMessage& message) override;
  void import_block(const SignedBlock& block,
                    std::function<void(const chain::ImportResult&)> done) override;
  void approve(const chain::ApproveBlock& approval) override;
  void offer_auxpow(const chain::OfferAuxPow& offer) override;
  void submit_transaction(const engine::SubmitTransaction& tx) override;
  void read_blocks(std::uint64_t from, std::uint32_t max_count,
                   std::function<void(std::vector<Bytes> encoded_blocks)> done) override;
  void misbehaved(PeerId peer, Misbehaviour reason, std::string detail) override;
  void log(LogLevel level, std::string text) override;
  std::uint64_t now_ms() override;

 private:
  void ask_spec();
  void ask_chain_status();
  void start_network(const chain::ChainSpecInfo& spec);
  // Relays the chain's or the engine's own event, or keeps it until the gossip engine exists.
  void local_event(LocalEvent event);
  // The connections that came and went (actor_inbox.hpp), handled in order.
  void take_link_events();
  void on_connected(const NetConnected& event);
  void on_frame(const NetFrame& event);
  void on_disconnected(const NetDisconnected& event);
  // A GetBlocks the limiter let through, handed to the gossip engine; finish_serving when its
  // storage read is answered (or at once when it needed none) lets the peer's next one run.
  void serve_get_blocks(ConnectionId id, const WireMessage& message);
  void finish_serving(ConnectionId id);
  void on_offence(std::optional<XOnlyPublicKey> key, const std::string& ip, Offence offence,
                  const std::string& detail, std::optional<ConnectionId> connection);
  void on_tick();
  void stop_transport();
  std::optional<std::uint32_t> member_index(const XOnlyPublicKey& key) const;
  std::string identity(const XOnlyPublicKey& key) const;

  // network_admin.cpp
  void register_admin();
  std::string peers_json() const;
  std::string fault(std::string_view params_json);
  void publish_gauges();

  NetworkConfig config_;
  std::optional<SecretKey> key_;
  XOnlyPublicKey self_key_{};
  Address self_ = 0, chain_ = 0, engine_ = 0, storage_ = 0;
  std::optional<chain::ChainSpecInfo> spec_;
  std::unique_ptr<ActorInbox> inbox_;
  std::unique_ptr<Transport> transport_;
  std::unique_ptr<GossipEngine> gossip_;
  LocalBacklog backlog_{256};
  PeerBook book_{0};
  ServeLimiter serving_{kServedGetBlocks, kWaitingGetBlocks};
  std::optional<ConnectionId> serving_peer_;  // whose GetBlocks the gossip engine handles now
  bool reading_ = false;                      // it asked storage (read_blocks) meanwhile
  std::map<ConnectionId, PeerLink> links_;
  std::set<XOnlyPublicKey> fault_dropped_;
  std::string listen_address_;
  std::uint64_t tick_timer_ = 0;
  std::uint32_t spec_failures_ = 0;
  GossipStats last_stats_;  // what publish_gauges last turned into counters
  // From restore() until the spec is known and the transport starts.
  std::optional<NetworkState> restored_;
};

}  // namespace alys::network
