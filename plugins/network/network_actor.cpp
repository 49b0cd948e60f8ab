#include "network_actor.hpp"

#include "alys/domain/hash.hpp"
#include "alys/key_file.hpp"
#include "alys/schemas/chain_events.hpp"
#include "alys_version.hpp"

namespace alys::network {
namespace {

// How often the gossip engine ticks and bans are checked for expiry.
constexpr std::uint64_t kTickMs = 250;
// How long to wait for the chain's spec before asking again.
constexpr std::uint64_t kSpecRetryMs = 200;
// Failed GetSpec requests before the wait is worth a warning.
constexpr std::uint32_t kSpecPatience = 10;

}  // namespace

NetworkActor::NetworkActor(Context context) : Actor(context) {
  on<NetListening>([this](const NetListening& event, const Envelope&) {
    listen_address_ = event.address;
    this->context().log(LogLevel::info, "listening on " + event.address + " as " +
                                            to_hex(self_key_) + " (" + identity(self_key_) + ")");
  });
  on<NetWake>([this](const NetWake&, const Envelope&) { take_link_events(); });
  on<NetFrame>([this](const NetFrame& event, const Envelope&) {
    take_link_events();  // its connection's NetConnected first
    on_frame(event);
  });
  on<NetOffence>([this](const NetOffence& event, const Envelope&) {
    if (event.offence >= kOffenceCount) return;
    on_offence(event.has_key ? std::optional(event.key) : std::nullopt, event.ip,
               static_cast<Offence>(event.offence), event.detail, std::nullopt);
  });
  on<NetRefused>([this](const NetRefused& event, const Envelope&) {
    this->context().counter_add(
        ("network_connections_refused_total{reason=\"" + event.reason + "\"}").c_str());
  });
  on<NetTick>([this](const NetTick&, const Envelope&) { on_tick(); });
  on<NetAskSpec>([this](const NetAskSpec&, const Envelope&) { ask_spec(); });
  on<NetAskStatus>([this](const NetAskStatus&, const Envelope&) { ask_chain_status(); });
  // The chain's and the engine's events, relayed to peers; kept until the spec is known.
  on<chain::ImportBlock>(
      [this](const chain::ImportBlock& proposal, const Envelope&) { local_event(proposal); });
  on<chain::ApproveBlock>(
      [this](const chain::ApproveBlock& approval, const Envelope&) { local_event(approval); });
  on<chain::OfferAuxPow>(
      [this](const chain::OfferAuxPow& offer, const Envelope&) { local_event(offer); });
  on<engine::TransactionPooled>(
      [this](const engine::TransactionPooled& tx, const Envelope&) { local_event(tx); });
  on<chain::BlockImported>([this](const chain::BlockImported& event, const Envelope&) {
    if (gossip_) gossip_->block_imported(event);
  });
  // Finality retires the AuxPoW offers it covers from what a reconnecting peer is replayed.
  on<chain::Finalized>([this](const chain::Finalized& event, const Envelope&) {
    if (gossip_) gossip_->finalized(event);
  });
  register_admin();
}

NetworkActor::~NetworkActor() { stop_transport(); }

void NetworkActor::check_config(std::string_view table_json, ConfigProblems& problems) {
  (void)read_network_config(table_json, problems);
}

void NetworkActor::on_start() {
  ConfigProblems problems;
  config_ = read_network_config(context().config_json(), problems);
  problems.throw_if_any("network");
  key_ = load_key_file(config_.key_file);
  self_key_ = key_->xonly_public_key();
  book_ = PeerBook(config_.ban_seconds * 1000);
  if (restored_) book_.restore(restored_->peers, restored_->ip_bans, restored_->offence_counts);
  self_ = context().resolve("network");
  chain_ = context().resolve("chain");
  engine_ = context().resolve("engine");
  storage_ = context().resolve("storage");
  context().subscribe(chain::kBlockProposedTopic);
  context().subscribe(chain::kApprovalTopic);
  context().subscribe(chain::kAuxPowQueuedTopic);
  context().subscribe(engine::kTransactionPooledTopic);
  context().subscribe(chain::kBlockImportedTopic);
  context().subscribe(chain::kFinalizedTopic);
  inbox_ = std::make_unique<ActorInbox>(context(), self_);
  tick_timer_ = context().start_timer(kTickMs, kTickMs, NetTick{});
  ask_spec();
}

void NetworkActor::ask_spec() {
  request(chain_, chain::GetSpec{}, 2000)
      .then(
          [this](const chain::ChainSpecInfo& spec) {
            if (transport_) return;
            if (!spec.ready || spec.members.empty()) {
              context().start_timer(kSpecRetryMs, 0, NetAskSpec{});
              return;
            }
            start_network(spec);
          },
          [this](const Status& error) {
            // Said once, loudly: a chain that never answers GetSpec leaves the node unconnected.
            if (++spec_failures_ == kSpecPatience)
              context().log(LogLevel::warn, "no peers until the chain answers GetSpec: " +
                                                error.message() + " (still asking)");
            context().start_timer(kSpecRetryMs, 0, NetAskSpec{});
          });
}

void NetworkActor::start_network(const chain::ChainSpecInfo& spec) {
  spec_ = spec;
  TransportSettings settings{config_, *key_, spec.chain_id, spec.genesis_hash, {}};
  for (const XOnlyPublicKey& member : spec.members) settings.allowed.insert(member);
  for (const ConfiguredPeer& peer : config_.peers) settings.allowed.insert(peer.key);
  settings.allowed.erase(self_key_);

  GossipSettings gossip;
  gossip.spec = spec;
  gossip.self = self_key_;
  gossip.sync_batch_blocks = config_.sync_batch_blocks;
  gossip_ = std::make_unique<GossipEngine>(gossip, *this);
  if (restored_ && !restored_->gossip.empty()) {
    if (Status restored = gossip_->restore(restored_->gossip); !restored.ok())
      context().log(LogLevel::warn,
                    "gossip state of the previous instance refused: " + restored.message());
  }
  last_stats_ = gossip_->stats();  // the previous instance already counted those
  ask_chain_status();
  for (LocalEvent& event : backlog_.take()) local_event(std::move(event));

  transport_ = std::make_unique<Transport>(std::move(settings), *inbox_);
  const std::uint64_t now = context().now_ms();
  for (const auto& [key, record] : book_.records())
    if (record.banned_until_ms > now) transport_->set_banned(key, true);
  for (const auto& [ip, until] : book_.banned_ips())
    if (until > now) transport_->set_banned_ip(ip, true);
  if (restored_) {
    for (auto& [key, frames] : restored_->unsent) transport_->requeue(key, std::move(frames));
    restored_.reset();
  }
  transport_->start();
  context().log(LogLevel::info, "chain " + std::to_string(spec.chain_id) + " (genesis " +
                                    to_hex(spec.genesis_hash) + "), " +
                                    std::to_string(spec.members.size()) +
                                    " members; this node is " + identity(self_key_) + ", " +
                                    std::to_string(config_.peers.size()) + " configured peers");
}

// Sync starts from the chain's head: asked until the chain has one (it may still be reading it
// from storage), since an observer that is behind imports nothing that would tell it otherwise.
void NetworkActor::ask_chain_status() {
  request(chain_, chain::GetStatus{}, 5000)
      .then(
          [this](const chain::ChainStatus& status) {
            if (!gossip_) return;
            if (status.syncing) {
              context().start_timer(kSpecRetryMs, 0, NetAskStatus{});
              return;
            }
            gossip_->chain_status(status);
          },
          [this](const Status& error) {
            context().log(LogLevel::warn,
                          "chain status unavailable (asking again): " + error.message());
            context().start_timer(kSpecRetryMs, 0, NetAskStatus{});
          });
}

std::optional<std::uint32_t> NetworkActor::member_index(const XOnlyPublicKey& key) const {
  if (!spec_) return std::nullopt;
  for (std::size_t i = 0; i < spec_->members.size(); ++i)
    if (spec_->members[i] == key) return static_cast<std::uint32_t>(i);
  return std::nullopt;
}

std::string NetworkActor::identity(const XOnlyPublicKey& key) const {
  auto index = member_index(key);
  return index ? "member " + std::to_string(*index) : "observer";
}

void NetworkActor::local_event(LocalEvent event) {
  if (!gossip_) {
    const std::uint64_t dropped = backlog_.dropped();
    backlog_.push(std::move(event));
    if (backlog_.dropped() > dropped) context().counter_add("network_local_events_dropped_total");
    return;
  }
  std::visit(
      [this](auto& e) {
        using E = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<E, chain::ImportBlock>)
          gossip_->local_proposal(e);
        else if constexpr (std::is_same_v<E, chain::ApproveBlock>)
          gossip_->local_approval(e);
        else if constexpr (std::is_same_v<E, chain::OfferAuxPow>)
          gossip_->local_auxpow(e);
        else
          gossip_->local_transaction(e);
      },
      event);
}

void NetworkActor::on_connected(const NetConnected& event) {
  if (!gossip_) return;
  const Direction direction = static_cast<Direction>(event.direction);
  links_[event.id] = PeerLink{event.key, direction, event.address};
  context().log(LogLevel::info, "peer " + to_hex(event.key).substr(0, 16) + " (" +
                                    identity(event.key) + ") connected, " +
                                    (direction == Direction::inbound ? "inbound from " : "to ") +
                                    event.address);
  gossip_->peer_connected(event.id, PeerIdentity{event.key, member_index(event.key)});
  publish_gauges();
}

void NetworkActor::on_frame(const NetFrame& event) {
  auto link = links_.find(event.id);
  if (link == links_.end() || !gossip_) return;  // closed meanwhile
  context().counter_add("network_bytes_received_total", event.frame.size());
  wire::DecodedFrame decoded = wire::decode_frame(event.frame);
  if (!decoded.ok()) {
    on_offence(link->second.key, "",
               decoded.error == wire::FrameError::oversize ? Offence::oversize : Offence::garbage,
               std::string(wire::to_string(decoded.error)) + ": " + decoded.detail, event.id);
    return;
  }
  const std::string type(wire::to_string(wire::type_of(*decoded.message)));
  context().counter_add(("network_messages_received_total{type=\"" + type + "\"}").c_str());
  if (std::holds_alternative<wire::GetBlocks>(*decoded.message)) {
    const ConnectionId id = event.id;
    auto job = [this, id, message = std::move(*decoded.message)] { serve_get_blocks(id, message); };
    switch (serving_.submit(id, job)) {
      case Admission::run:
        job();
        break;
      case Admission::wait:
        break;
      case Admission::refuse:
        on_offence(link->second.key, "", Offence::rate_limit,
                   "more GetBlocks at once than are served (" +
                       std::to_string(kServedGetBlocks + kWaitingGetBlocks) + ")",
                   id);
        break;
    }
    return;
  }
  gossip_->received(event.id, std::move(*decoded.message));
}

void NetworkActor::serve_get_blocks(ConnectionId id, const WireMessage& message) {
  if (!gossip_ || !links_.contains(id)) {
    finish_serving(id);
    return;
  }
  serving_peer_ = id;
  reading_ = false;
  gossip_->received(id, message);
  serving_peer_.reset();
  if (!reading_) finish_serving(id);  // answered without a storage read
}

void NetworkActor::finish_serving(ConnectionId id) {
  if (auto next = serving_.finish(id)) (*next)();
}

void NetworkActor::on_disconnected(const NetDisconnected& event) {
  auto link = links_.find(event.id);
  if (link == links_.end()) return;
  links_.erase(link);
  serving_.forget(event.id);
  context().log(LogLevel::info, "peer " + to_hex(event.key).substr(0, 16) + " (" +
                                    identity(event.key) + ") disconnected: " + event.why);
  if (gossip_) gossip_->peer_disconnected(event.id);
  publish_gauges();
}

void NetworkActor::on_offence(std::optional<XOnlyPublicKey> key, const std::string& ip,
                              Offence offence, const std::string& detail,
                              std::optional<ConnectionId> connection) {
  const OffencePolicy& policy = policy_of(offence);
  context().counter_add(
      ("network_misbehaviour_total{reason=\"" + std::string(policy.name) + "\"}").c_str());
  const Verdict verdict = book_.record(key, ip, offence, context().now_ms());
  const std::string who = key ? to_hex(*key).substr(0, 16) + " (" + identity(*key) + ")"
                              : (ip.empty() ? std::string("a peer") : ip);
  context().log(LogLevel::warn,
                "peer " + who + ": " + std::string(policy.name) + ": " + detail +
                    (verdict.ban_key || verdict.ban_ip
                         ? "; banned for " + std::to_string(config_.ban_seconds) + " s"
                     : verdict.disconnect ? "; disconnected"
                                          : ""));
  if (!transport_) return;
  if (verdict.ban_key && key) transport_->set_banned(*key, true);
  if (verdict.ban_ip) transport_->set_banned_ip(ip, true);
  if (verdict.disconnect && connection)
    transport_->disconnect(*connection, std::string(policy.name));
  publish_gauges();
}

void NetworkActor::take_link_events() {
  if (!inbox_) return;
  for (const LinkEvent& event : inbox_->take_link_events()) {
    if (const auto* connected = std::get_if<NetConnected>(&event))
      on_connected(*connected);
    else
      on_disconnected(std::get<NetDisconnected>(event));
  }
}

void NetworkActor::on_tick() {
  take_link_events();  // in case every wake was refused by a full mailbox
  if (!transport_) return;
  const std::uint64_t now = context().now_ms();
  for (const XOnlyPublicKey& key : book_.expire_keys(now)) transport_->set_banned(key, false);
  for (const std::string& ip : book_.expire_ips(now)) transport_->set_banned_ip(ip, false);
  book_.recover(now);
  gossip_->tick();
  publish_gauges();
}

void NetworkActor::stop_transport() {
  if (transport_) transport_->stop();
}

void NetworkActor::on_stop() {
  stop_transport();
  transport_.reset();
  gossip_.reset();
}

StateSnapshot NetworkActor::snapshot(std::uint32_t target_schema_version) {
  // The I/O threads are joined before the state is taken: nothing is written or read after it.
  stop_transport();
  NetworkState state;
  state.peers = book_.records();
  state.ip_bans = book_.banned_ips();
  state.offence_counts = book_.counts();
  if (gossip_) state.gossip = gossip_->snapshot();
  if (transport_) {
    state.unsent = transport_->take_unsent();
    keep_frames_worth_handing_on(state.unsent);
  } else if (restored_)
    state = *restored_;  // a swap before the spec was known: hand on what came in
  return encode_network_state(state, target_schema_version);
}

void NetworkActor::restore(ByteView bytes, std::uint32_t schema_version) {
  restored_ = decode_network_state(bytes, schema_version);
}

}  // namespace alys::network

ALYS_PLUGIN(alys::network::NetworkActor,
            alys::PluginInfo{.role = "network",
                             .name = "alys-network",
                             .version = ALYS_NODE_VERSION,
                             .state_schema_version = alys::network::kNetworkStateSchema,
                             .capabilities = ALYS_CAP_SWAPPABLE,
                             .requires_roles = {"chain", "storage", "engine"}});
