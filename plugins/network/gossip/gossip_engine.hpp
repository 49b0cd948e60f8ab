// The gossip and sync logic of the network role: what to do with each frame a peer sends and with
// each local event of the chain and the engine. It validates before it relays (a member relays
// only what it would accept), keeps a seen cache so that nothing relays twice or loops, keeps the
// consensus messages above the head to replay them to a peer that connects, and syncs missing
// block ranges from several peers through the chain's normal import path.
//
// The network actor owns one GossipEngine, implements NodePort for it and calls it on the actor's
// thread only (single-threaded, no locks). The engine owns no sockets, threads or timers: the
// actor calls tick() about every 250 ms, and NodePort::now_ms() is its only clock.
//
// Metrics: the engine does not emit them; the actor reads stats() when it renders /metrics and
// network_peers (GossipStats says which metric each field is).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "alys/codec.hpp"
#include "alys/domain/secp256k1.hpp"
#include "alys/schemas/chain.hpp"
#include "alys/schemas/chain_events.hpp"
#include "alys/schemas/engine.hpp"
#include "alys/status.hpp"
#include "node_port.hpp"

namespace alys::network {

struct GossipSettings {
  chain::ChainSpecInfo spec;               // REQUIRES ready, at least one member, threshold >= 1
  XOnlyPublicKey self{};                   // this node's key (a member when it is in spec.members)
  std::uint32_t sync_batch_blocks = 256;   // GetBlocks max_count ([network] sync_batch_blocks)
  std::size_t seen_cache_entries = 65536;  // digests kept; the oldest go first
  std::uint64_t seen_cache_age_ms = 120'000;      // a digest older than this is forgotten
  std::uint32_t sync_requests_per_peer = 2;       // GetBlocks in flight to one peer at most
  std::uint64_t sync_request_timeout_ms = 5'000;  // then the range goes to another peer
  std::uint32_t import_window = 256;         // synced blocks handed to the chain, not yet answered
  std::uint64_t max_blocks_ahead = 4'096;    // fetched or asked for beyond the head, at most
  std::uint64_t status_interval_ms = 2'000;  // PeerStatus to every peer on tick
  std::uint64_t status_min_gap_ms = 100;     // at most one PeerStatus per peer per this
  std::uint64_t progress_log_interval_ms = 2'000;  // "sync: height H of T ..." while syncing
  std::size_t recent_consensus_heights = 64;  // heights above the head kept for replay, at most
  // The head has not moved for this long: the consensus messages of head + 1 are sent to every
  // peer again and handed to the chain again (0: twice the slot, at least 1 s). A message lost
  // without a disconnect (a full queue, a dropped link, an actor restart) cannot stall a height.
  std::uint64_t stall_replay_after_ms = 0;
  // Approvals stated more than this above the head are neither kept nor relayed: their height is
  // not signed, and a node that far behind syncs rather than votes.
  std::uint64_t approval_height_margin = 2;
};

// Counters since the engine was built (restored ones continue from the snapshot), and gauges.
struct GossipStats {
  std::uint64_t head_height = 0;          // the chain's head as the engine last heard it
  std::uint64_t sync_target_height = 0;   // gauge network_sync_target_height (best peer head)
  std::uint64_t blocks_synced_total = 0;  // counter network_blocks_synced_total
  bool syncing = false;                   // a peer is ahead of us
  std::uint64_t sync_requests_in_flight = 0;
  std::uint64_t sync_requests_timed_out_total = 0;
  std::uint64_t relayed_total = 0;              // frames forwarded to other peers
  std::uint64_t duplicates_total = 0;           // frames dropped by the seen cache
  std::uint64_t seen_cache_entries = 0;         // gauge network_seen_cache_entries
  std::uint64_t recent_consensus_messages = 0;  // gauge: proposals + approvals + auxpow kept
  std::uint64_t stall_replays_total = 0;        // counter network_stall_replays_total
  std::uint64_t approvals_ignored_total = 0;    // stated too far above the head
};

// A peer's last PeerStatus (network_peers shows it).
struct PeerSyncView {
  bool has_status = false;
  wire::PeerStatus status;
  std::uint32_t requests_in_flight = 0;
};

class GossipEngine {
 public:
  // `port` must outlive the engine.
  GossipEngine(GossipSettings settings, NodePort& port);
  ~GossipEngine();
  GossipEngine(const GossipEngine&) = delete;
  GossipEngine& operator=(const GossipEngine&) = delete;

  // A peer finished its handshake: sends it our status and replays the recent consensus messages
  // (proposals, approvals and the queued AuxPoW above our head), so that a member that reconnects
  // or a restarted network plugin loses no approval.
  void peer_connected(PeerId peer, const PeerIdentity& identity);
  // Its GetBlocks in flight go back to the queue for other peers.
  void peer_disconnected(PeerId peer);
  // A decoded frame from a connected peer.
  void received(PeerId peer, WireMessage message);

  // Local events (the chain's and the engine's topics): relayed to every peer once. A proposal or
  // approval the chain announces again (it does while its height is stalled) is kept for the stall
  // replay even when seen already: its first announcement may have found no peer connected, or
  // come before this engine knew the head, and a seen-cache hit must not lose it for good.
  void local_proposal(const chain::ImportBlock& proposal);
  void local_approval(const chain::ApproveBlock& approval);
  void local_auxpow(const chain::OfferAuxPow& offer);
  void local_transaction(const engine::TransactionPooled& transaction);
  // The head moved: prunes recent consensus at or below it, tells peers (throttled), syncs on.
  void block_imported(const chain::BlockImported& event);
  // Blocks up to event.range_end are final: AuxPoW offers for them are no longer replayed.
  void finalized(const chain::Finalized& event);
  // The chain's status, asked at start (and after a restore): sets the head the engine syncs from.
  void chain_status(const chain::ChainStatus& status);
  // About every 250 ms: sync request timeouts, new requests, status refresh, progress log.
  void tick();

  // The recent consensus messages, the sync counters and the head, as versioned bytes (schema
  // number + SHA-256 trailer). The seen cache is left out: after a swap every peer reconnects and
  // replays; the cache of the old instance would only suppress what the new one has to relay.
  Bytes snapshot() const;
  // Refuses (and changes nothing) unless `bytes` are one whole state of a known schema for this
  // chain id with an intact checksum.
  Status restore(ByteView bytes);

  GossipStats stats() const;
  std::optional<PeerSyncView> peer_view(PeerId peer) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace alys::network
