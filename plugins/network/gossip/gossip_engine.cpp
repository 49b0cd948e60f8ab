#include "gossip_engine.hpp"

#include <algorithm>
#include <deque>
#include <map>
#include <set>
#include <type_traits>
#include <utility>

#include "alys/domain/keccak.hpp"
#include "alys/domain/sha256.hpp"
#include "block_sync.hpp"
#include "gossip_state.hpp"
#include "import_verdict.hpp"
#include "message_digest.hpp"
#include "recent_consensus.hpp"
#include "seen_cache.hpp"

namespace alys::network {

std::string_view to_string(Misbehaviour reason) noexcept {
  switch (reason) {
    case Misbehaviour::invalid_signature:
      return "invalid_signature";
    case Misbehaviour::non_member_approval:
      return "non_member_approval";
    case Misbehaviour::invalid_block:
      return "invalid_block";
    case Misbehaviour::bad_range:
      return "bad_range";
    case Misbehaviour::unrequested_blocks:
      return "unrequested_blocks";
    case Misbehaviour::malformed_payload:
      return "malformed_payload";
  }
  return "unknown";
}

namespace {

// A peer asks for at most this many blocks per GetBlocks (more is answered with this many).
constexpr std::uint32_t kMaxServedBlocks = 1024;
// Transactions and AuxPoW offers handed to the engine or chain, waiting for them to be accepted
// (and published) before they are relayed; the oldest are forgotten first.
constexpr std::size_t kMaxAwaitingAcceptance = 8192;

// The LEB128 size of a length prefix, at most.
constexpr std::size_t kMaxPrefixBytes = 10;

// How long after start a member waits before it judges how many members it reaches.
constexpr std::uint64_t kReachabilityGraceMs = 5'000;

// The items handed to another role whose relay waits for that role's acceptance: digest -> the
// peer it came from. Bounded, oldest first out.
class AwaitingAcceptance {
 public:
  void add(const Hash32& digest, PeerId source) {
    if (!sources_.emplace(digest, source).second) return;
    order_.push_back(digest);
    while (order_.size() > kMaxAwaitingAcceptance) {
      sources_.erase(order_.front());
      order_.pop_front();
    }
  }
  std::optional<PeerId> take(const Hash32& digest) {
    auto found = sources_.find(digest);
    if (found == sources_.end()) return std::nullopt;
    PeerId source = found->second;
    sources_.erase(found);
    return source;
  }

 private:
  std::map<Hash32, PeerId> sources_;
  std::deque<Hash32> order_;
};

}  // namespace

struct GossipEngine::Impl {
  struct Peer {
    PeerIdentity identity;
    std::optional<wire::PeerStatus> status;
    std::uint64_t status_sent_ms = 0;
    bool status_sent = false;
    bool status_due = false;
  };

  Impl(GossipSettings settings_in, NodePort& port_in)
      : settings(std::move(settings_in)),
        port(port_in),
        seen(settings.seen_cache_entries, settings.seen_cache_age_ms),
        recent(settings.recent_consensus_heights),
        sync(SyncSettings{settings.sync_batch_blocks, settings.sync_requests_per_peer,
                          settings.sync_request_timeout_ms, settings.import_window,
                          settings.max_blocks_ahead, settings.progress_log_interval_ms},
             port_in) {}

  GossipSettings settings;
  NodePort& port;
  SeenCache seen;
  RecentConsensus recent;
  BlockSync sync;
  std::map<PeerId, Peer> peers;
  // Proposals handed to the chain, by block hash: the digest of the exact bytes handed over, and
  // the peers that sent those same bytes meanwhile (none gets it relayed back; all share the
  // blame if the chain proves it bad).
  struct Importing {
    Hash32 content;
    std::set<PeerId> sources;
    // The first copy with other content (other approvals) that came during the import: handled
    // when the chain finds the first copy invalid, so that a spoiled copy cannot shadow it.
    std::optional<std::pair<PeerId, chain::ImportBlock>> other_copy;
  };
  std::map<Hash32, Importing> importing;
  AwaitingAcceptance awaiting_pool;    // transactions: relayed once the engine pools them
  AwaitingAcceptance awaiting_auxpow;  // AuxPoW: relayed once the chain queues it
  std::uint64_t head_height = 0;
  Hash32 head_hash{};
  bool has_finalized = false;
  std::uint64_t finalized_height = 0;
  Hash32 finalized_hash{};
  std::uint64_t relayed_total = 0;
  std::uint64_t duplicates_total = 0;
  bool head_known = false;
  std::uint64_t head_changed_ms = 0;
  std::uint64_t last_stall_replay_ms = 0;
  std::uint64_t stall_replays_total = 0;
  std::uint64_t approvals_ignored_total = 0;

  std::uint64_t stall_after_ms() const {
    if (settings.stall_replay_after_ms != 0) return settings.stall_replay_after_ms;
    return std::max<std::uint64_t>(2 * settings.spec.slot_ms, 1000);
  }

  // head + 1 has waited too long: what this node knows of it goes to every peer and to the chain
  // again. Receivers drop what they have (seen cache, the chain's own checks); what a dropped
  // frame or a restarted actor lost arrives. Bounded: one height, one approval per member and
  // round, at most 16 proposals.
  void replay_stalled_height(std::uint64_t now) {
    last_stall_replay_ms = now;
    bool replayed = false;
    recent.replay_height(
        head_height + 1,
        [&](const chain::ImportBlock& proposal) {
          replayed = true;
          for (const auto& [id, _] : peers) port.send(id, proposal);
          port.import_block(proposal.block, [](const chain::ImportResult&) {});
        },
        [&](const chain::ApproveBlock& approval) {
          replayed = true;
          for (const auto& [id, _] : peers) port.send(id, approval);
          port.approve(approval);
        });
    // Counted only when there was something to say (a paused chain has nothing at head + 1).
    if (replayed) ++stall_replays_total;
  }

  // The members this node can reach (itself included when it is one): below the threshold no
  // block can be approved, and the operator is told so once, and again when it is over.
  std::optional<bool> quorum_reachable;
  std::uint32_t reachable_members() const {
    std::set<std::uint32_t> members;
    for (const auto& [_, peer] : peers)
      if (peer.identity.member_index) members.insert(*peer.identity.member_index);
    const auto& keys = settings.spec.members;
    if (auto self = std::find(keys.begin(), keys.end(), settings.self); self != keys.end())
      members.insert(static_cast<std::uint32_t>(self - keys.begin()));
    return static_cast<std::uint32_t>(members.size());
  }
  std::uint64_t created_ms = 0;
  void say_reachability() {
    // A member, past its first dial attempts (peers connect within a second or two of start).
    const auto& keys = settings.spec.members;
    if (std::find(keys.begin(), keys.end(), settings.self) == keys.end()) return;
    if (port.now_ms() - std::min(port.now_ms(), created_ms) < kReachabilityGraceMs) return;
    const std::uint32_t reachable = reachable_members();
    const bool enough = reachable >= settings.spec.threshold;
    if (quorum_reachable == enough) return;
    const bool first = !quorum_reachable;
    quorum_reachable = enough;
    const std::string counts = std::to_string(reachable) + " of " + std::to_string(member_count()) +
                               " members reachable, threshold " +
                               std::to_string(settings.spec.threshold);
    if (!enough)
      port.log(LogLevel::warn, counts + ": no block can be approved until more members connect");
    else if (!first)
      port.log(LogLevel::info, counts + ": blocks can be approved again");
  }

  std::uint32_t member_count() const {
    return static_cast<std::uint32_t>(settings.spec.members.size());
  }

  void broadcast(const WireMessage& message, const std::set<PeerId>& except) {
    for (const auto& [id, _] : peers) {
      if (except.contains(id)) continue;
      port.send(id, message);
      ++relayed_total;
    }
  }

  wire::PeerStatus own_status() const {
    return wire::PeerStatus{head_height, head_hash, has_finalized, finalized_height,
                            finalized_hash};
  }

  void send_status(PeerId id, Peer& peer, std::uint64_t now) {
    port.send(id, own_status());
    peer.status_sent_ms = now;
    peer.status_sent = true;
    peer.status_due = false;
  }

  // --- from peers ---------------------------------------------------------------------------

  void on_status(PeerId id, const wire::PeerStatus& status) {
    auto peer = peers.find(id);
    if (peer == peers.end()) return;
    peer->second.status = status;
    sync.peer_head(id, status.head_height);
  }

  void on_approval(PeerId id, const chain::ApproveBlock& approval) {
    const Hash32 digest = approval_digest(approval);
    if (seen.contains(digest)) {
      ++duplicates_total;
      return;
    }
    if (head_known && approval.height > head_height + settings.approval_height_margin) {
      ++approvals_ignored_total;
      return;
    }
    // Checked before the digest is remembered: a forged copy must not shadow the real one.
    const std::uint32_t member = approval.approval.member_index;
    if (member >= member_count())
      return port.misbehaved(
          id, Misbehaviour::non_member_approval,
          "approval by member " + std::to_string(member) + " of " + std::to_string(member_count()));
    const Hash32 message =
        approval_message(settings.spec.chain_id, approval.block_hash, approval.round);
    if (!schnorr_verify(settings.spec.members[member], message, approval.approval.signature))
      return port.misbehaved(id, Misbehaviour::invalid_signature,
                             "approval by member " + std::to_string(member) + " of block " +
                                 to_hex(approval.block_hash) + " round " +
                                 std::to_string(approval.round));
    seen.insert(digest, port.now_ms());
    port.approve(approval);
    recent.add_approval(approval);
    broadcast(approval, {id});
  }

  void on_proposal(PeerId id, const chain::ImportBlock& proposal) {
    const Block& block = proposal.block.block;
    const Hash32 hash = block_hash(block);
    const Hash32 digest = proposal_digest(hash);
    if (seen.contains(digest)) {
      ++duplicates_total;
      // Another peer's identical copy shares the fate of the one being imported; a copy with
      // other approvals is not blamed for what the chain finds in the first.
      if (auto pending = importing.find(hash); pending != importing.end()) {
        if (pending->second.content == sha256(encode(proposal)))
          pending->second.sources.insert(id);
        else if (!pending->second.other_copy)
          pending->second.other_copy.emplace(id, proposal);
      }
      return;
    }
    const std::uint32_t members = member_count();
    if (members == 0 || block.author_index != block.slot % members)
      return port.misbehaved(id, Misbehaviour::invalid_block,
                             "proposal " + to_hex(hash) + " by member " +
                                 std::to_string(block.author_index) + " for slot " +
                                 std::to_string(block.slot) + ", which is not its slot");
    // The author's own approval, in round 0 (a proposal opens its height): without it the block
    // is nobody's proposal, and checking it here costs one signature instead of an execution.
    const Hash32 message = approval_message(settings.spec.chain_id, hash, 0);
    const auto& approvals = proposal.block.approvals;
    const bool signed_by_author =
        std::any_of(approvals.begin(), approvals.end(), [&](const Approval& approval) {
          return approval.member_index == block.author_index &&
                 schnorr_verify(settings.spec.members[block.author_index], message,
                                approval.signature);
        });
    if (!signed_by_author)
      return port.misbehaved(id, Misbehaviour::invalid_signature,
                             "proposal " + to_hex(hash) + " lacks a valid approval of its author");
    seen.insert(digest, port.now_ms());
    importing[hash] = Importing{sha256(encode(proposal)), {id}, std::nullopt};
    port.import_block(proposal.block,
                      [this, proposal, hash, digest, id](const chain::ImportResult& result) {
                        proposal_answered(proposal, hash, digest, id, result);
                      });
  }

  void proposal_answered(const chain::ImportBlock& proposal, const Hash32& hash,
                         const Hash32& digest, PeerId first_source,
                         const chain::ImportResult& result) {
    std::set<PeerId> sources{first_source};
    std::optional<std::pair<PeerId, chain::ImportBlock>> other_copy;
    if (auto pending = importing.find(hash); pending != importing.end()) {
      sources = std::move(pending->second.sources);
      other_copy = std::move(pending->second.other_copy);
      importing.erase(pending);
    }
    const std::uint64_t height = proposal.block.block.height;
    switch (classify_import(result)) {
      case ImportVerdict::accepted:
        recent.add_proposal(proposal, hash);
        broadcast(proposal, sources);
        return;
      case ImportVerdict::invalid:
        // A relayer may have spoiled a good block (a forged approval added): an intact copy from
        // another peer must still be handled.
        seen.erase(digest);
        for (PeerId source : sources)
          port.misbehaved(source, Misbehaviour::invalid_block,
                          "proposal " + to_hex(hash) + " at height " + std::to_string(height) +
                              ": " + result.code + " " + result.error);
        if (other_copy && peers.contains(other_copy->first))
          on_proposal(other_copy->first, other_copy->second);
        return;
      case ImportVerdict::behind:
        // The senders hold the blocks between our head and this one.
        for (PeerId source : sources)
          if (peers.contains(source)) sync.peer_has(source, height - 1);
        // Once synced, a later copy of this proposal must be handled again.
        seen.erase(digest);
        return;
      case ImportVerdict::benign:
        // Not now (the chain is full, the slot not yet started, our engine slow): a later copy
        // of the proposal is handled again.
        if (result.code == "busy" || result.code == "slot_in_future" ||
            result.code == "engine_timeout")
          seen.erase(digest);
        return;
    }
  }

  void on_auxpow(PeerId id, const chain::OfferAuxPow& offer) {
    const Hash32 digest = auxpow_digest(offer);
    if (!seen.insert(digest, port.now_ms())) {
      ++duplicates_total;
      return;
    }
    awaiting_auxpow.add(digest, id);
    port.offer_auxpow(offer);
  }

  void on_transaction(PeerId id, const engine::SubmitTransaction& transaction) {
    const Hash32 digest = transaction_digest(keccak256(transaction.raw));
    if (!seen.insert(digest, port.now_ms())) {
      ++duplicates_total;
      return;
    }
    awaiting_pool.add(digest, id);
    port.submit_transaction(transaction);
  }

  void on_get_blocks(PeerId id, const wire::GetBlocks& request) {
    const std::uint32_t count = std::min(request.max_count, kMaxServedBlocks);
    if (count == 0 || request.from_height > head_height || request.from_height == 0) {
      port.send(id, wire::Blocks{request.from_height, {}});
      return;
    }
    const std::uint64_t from = request.from_height;
    port.read_blocks(from, count, [this, id, from](std::vector<Bytes> encoded) {
      // Whole blocks only, as many as fit under the Blocks frame cap.
      // Blocks is the largest frame type: its payload cap is the frame cap less the header.
      constexpr std::size_t cap = wire::kMaxFrameSize - wire::kFrameHeaderSize;
      std::size_t size = sizeof(std::uint64_t) + kMaxPrefixBytes;
      std::size_t fit = 0;
      for (; fit < encoded.size(); ++fit) {
        size += kMaxPrefixBytes + encoded[fit].size();
        if (size > cap) break;
      }
      encoded.resize(fit);
      port.send(id, wire::Blocks{from, std::move(encoded)});
    });
  }

  // --- local events -------------------------------------------------------------------------

  void head_moved(std::uint64_t height, const Hash32& hash) {
    if (!head_known || height != head_height) head_changed_ms = port.now_ms();
    head_known = true;
    head_height = height;
    head_hash = hash;
    recent.head_moved(height);
    sync.set_head(height);
  }
};

GossipEngine::GossipEngine(GossipSettings settings, NodePort& port)
    : impl_(std::make_unique<Impl>(std::move(settings), port)) {
  impl_->created_ms = port.now_ms();
  const auto& members = impl_->settings.spec.members;
  auto self = std::find(members.begin(), members.end(), impl_->settings.self);
  port.log(LogLevel::info,
           self == members.end()
               ? "gossip: observer of " + std::to_string(members.size()) + " members"
               : "gossip: member " + std::to_string(self - members.begin()) + " of " +
                     std::to_string(members.size()));
}

GossipEngine::~GossipEngine() = default;

void GossipEngine::peer_connected(PeerId id, const PeerIdentity& identity) {
  Impl& s = *impl_;
  auto& peer = s.peers[id];
  peer = Impl::Peer{};
  peer.identity = identity;
  s.send_status(id, peer, s.port.now_ms());
  s.recent.replay([&](const chain::ImportBlock& p) { s.port.send(id, p); },
                  [&](const chain::ApproveBlock& a) { s.port.send(id, a); },
                  [&](const chain::OfferAuxPow& o) { s.port.send(id, o); });
  s.say_reachability();
}

void GossipEngine::peer_disconnected(PeerId id) {
  impl_->peers.erase(id);
  impl_->sync.peer_gone(id);
  impl_->say_reachability();
}

void GossipEngine::received(PeerId id, WireMessage message) {
  Impl& s = *impl_;
  if (!s.peers.contains(id)) return;
  std::visit(
      [&](auto& m) {
        using M = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<M, wire::PeerStatus>) {
          s.on_status(id, m);
        } else if constexpr (std::is_same_v<M, chain::ImportBlock>) {
          s.on_proposal(id, m);
        } else if constexpr (std::is_same_v<M, chain::ApproveBlock>) {
          s.on_approval(id, m);
        } else if constexpr (std::is_same_v<M, chain::OfferAuxPow>) {
          s.on_auxpow(id, m);
        } else if constexpr (std::is_same_v<M, engine::SubmitTransaction>) {
          s.on_transaction(id, m);
        } else if constexpr (std::is_same_v<M, wire::GetBlocks>) {
          s.on_get_blocks(id, m);
        } else if constexpr (std::is_same_v<M, wire::Blocks>) {
          s.sync.blocks_received(id, m);
        }
        // Ping and Pong are the actor's (liveness of the connection).
      },
      message);
}

void GossipEngine::local_proposal(const chain::ImportBlock& proposal) {
  Impl& s = *impl_;
  const Hash32 hash = block_hash(proposal.block.block);
  const bool fresh = s.seen.insert(proposal_digest(hash), s.port.now_ms());
  s.recent.add_proposal(proposal, hash);
  if (fresh) s.broadcast(proposal, {});
}

void GossipEngine::local_approval(const chain::ApproveBlock& approval) {
  Impl& s = *impl_;
  const bool fresh = s.seen.insert(approval_digest(approval), s.port.now_ms());
  s.recent.add_approval(approval);
  if (fresh) s.broadcast(approval, {});
}

void GossipEngine::local_auxpow(const chain::OfferAuxPow& offer) {
  Impl& s = *impl_;
  const Hash32 digest = auxpow_digest(offer);
  std::set<PeerId> except;
  if (auto source = s.awaiting_auxpow.take(digest)) {
    except.insert(*source);  // a peer's offer the chain accepted: relay it now
  } else if (!s.seen.insert(digest, s.port.now_ms())) {
    return;
  }
  s.recent.add_auxpow(offer);
  s.broadcast(offer, except);
}

void GossipEngine::local_transaction(const engine::TransactionPooled& transaction) {
  Impl& s = *impl_;
  const Hash32 digest = transaction_digest(transaction.hash);
  std::set<PeerId> except;
  if (auto source = s.awaiting_pool.take(digest)) {
    except.insert(*source);  // a peer's transaction the engine pooled: relay it now
  } else if (!s.seen.insert(digest, s.port.now_ms())) {
    return;
  }
  s.broadcast(engine::SubmitTransaction{transaction.raw}, except);
}

void GossipEngine::block_imported(const chain::BlockImported& event) {
  Impl& s = *impl_;
  const std::uint64_t now = s.port.now_ms();
  s.head_moved(event.height, event.hash);
  s.seen.prune(now);
  for (auto& [id, peer] : s.peers) {
    if (!peer.status_sent ||
        now - std::min(now, peer.status_sent_ms) >= s.settings.status_min_gap_ms)
      s.send_status(id, peer, now);
    else
      peer.status_due = true;
  }
}

void GossipEngine::finalized(const chain::Finalized& event) {
  Impl& s = *impl_;
  s.has_finalized = true;
  s.finalized_height = event.range_end;
  s.finalized_hash = event.finalized_hash;
  s.recent.finalized(event.range_end);
}

void GossipEngine::chain_status(const chain::ChainStatus& status) {
  Impl& s = *impl_;
  if (status.syncing) return;  // the chain has not read its head yet
  s.has_finalized = status.has_finalized;
  s.finalized_height = status.finalized_height;
  s.finalized_hash = status.finalized_hash;
  if (status.has_finalized) s.recent.finalized(status.finalized_height);
  s.head_moved(status.head_height, status.head_hash);
  const std::uint64_t now = s.port.now_ms();
  for (auto& [id, peer] : s.peers) s.send_status(id, peer, now);
}

void GossipEngine::tick() {
  Impl& s = *impl_;
  const std::uint64_t now = s.port.now_ms();
  s.seen.prune(now);
  for (auto& [id, peer] : s.peers) {
    const std::uint64_t since = now - std::min(now, peer.status_sent_ms);
    if ((peer.status_due && since >= s.settings.status_min_gap_ms) ||
        since >= s.settings.status_interval_ms)
      s.send_status(id, peer, now);
  }
  s.sync.tick();
  s.say_reachability();
  if (s.head_known && !s.peers.empty() &&
      now - std::min(now, s.head_changed_ms) >= s.stall_after_ms() &&
      now - std::min(now, s.last_stall_replay_ms) >= s.stall_after_ms())
    s.replay_stalled_height(now);
}

Bytes GossipEngine::snapshot() const {
  const Impl& s = *impl_;
  GossipStateV1 state;
  state.chain_id = s.settings.spec.chain_id;
  state.genesis_hash = s.settings.spec.genesis_hash;
  state.head_height = s.head_height;
  state.has_finalized = s.has_finalized;
  state.finalized_height = s.finalized_height;
  state.blocks_synced_total = s.sync.stats().blocks_synced_total;
  state.relayed_total = s.relayed_total;
  state.duplicates_total = s.duplicates_total;
  state.recent = s.recent.state();
  return encode_gossip_state(state);
}

Status GossipEngine::restore(ByteView bytes) {
  Impl& s = *impl_;
  Result<GossipStateV1> decoded = decode_gossip_state(bytes);
  if (!decoded.ok()) return decoded.status();
  const GossipStateV1& state = decoded.value();
  if (state.chain_id != s.settings.spec.chain_id ||
      state.genesis_hash != s.settings.spec.genesis_hash)
    return Status::Invalid("gossip state of chain " + std::to_string(state.chain_id) + " genesis " +
                           to_hex(state.genesis_hash) + ", this node runs chain " +
                           std::to_string(s.settings.spec.chain_id) + " genesis " +
                           to_hex(s.settings.spec.genesis_hash));
  // The head comes back with chain_status(); until then the kept messages are pruned against the
  // head the old instance knew.
  s.recent.head_moved(state.head_height);
  s.recent.load(state.recent);
  s.relayed_total = state.relayed_total;
  s.duplicates_total = state.duplicates_total;
  s.sync.restore_counters(state.blocks_synced_total);
  if (state.head_height > s.head_height) {
    s.head_height = state.head_height;
    s.sync.set_head(state.head_height);
  }
  return Status::Ok();
}

GossipStats GossipEngine::stats() const {
  const Impl& s = *impl_;
  const SyncStats sync = s.sync.stats();
  GossipStats stats;
  stats.head_height = s.head_height;
  stats.sync_target_height = sync.target_height;
  stats.blocks_synced_total = sync.blocks_synced_total;
  stats.syncing = sync.syncing;
  stats.sync_requests_in_flight = sync.requests_in_flight;
  stats.sync_requests_timed_out_total = sync.requests_timed_out_total;
  stats.relayed_total = s.relayed_total;
  stats.duplicates_total = s.duplicates_total;
  stats.seen_cache_entries = s.seen.size();
  stats.recent_consensus_messages = s.recent.size();
  stats.stall_replays_total = s.stall_replays_total;
  stats.approvals_ignored_total = s.approvals_ignored_total;
  return stats;
}

std::optional<PeerSyncView> GossipEngine::peer_view(PeerId id) const {
  const Impl& s = *impl_;
  auto peer = s.peers.find(id);
  if (peer == s.peers.end()) return std::nullopt;
  PeerSyncView view;
  view.has_status = peer->second.status.has_value();
  if (peer->second.status) view.status = *peer->second.status;
  view.requests_in_flight = s.sync.requests_in_flight(id);
  return view;
}

}  // namespace alys::network
