// Range sync: a node whose peers report a head above its own fetches the missing blocks with
// GetBlocks, from several peers at once (different ranges to different peers, a bounded number of
// requests in flight per peer, a range that times out asked again of another peer), checks each
// answer (strict decoding, starts where asked, contiguous by height and parent hash), and hands
// the blocks to the chain in height order, pipelined: the next import is issued without waiting
// for the previous answer (the chain queues them in order), up to a window of imports.
//
// The chain's head (set_head) is the truth: everything else here is scheduling that a failed
// import resets. Not thread-safe: the network actor's thread only.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "alys/domain/block.hpp"
#include "node_port.hpp"

namespace alys::network {

struct SyncSettings {
  std::uint32_t batch_blocks = 256;     // GetBlocks max_count
  std::uint32_t requests_per_peer = 2;  // in flight to one peer
  std::uint64_t request_timeout_ms = 5'000;
  std::uint32_t import_window = 256;       // imports handed to the chain, not yet answered
  std::uint64_t max_blocks_ahead = 4'096;  // fetched or requested beyond the head, at most
  std::uint64_t progress_log_interval_ms = 2'000;
};

struct SyncStats {
  std::uint64_t target_height = 0;  // the highest head a peer reported (network_sync_target_height)
  std::uint64_t blocks_synced_total = 0;  // synced blocks the chain imported
  std::uint64_t requests_in_flight = 0;
  std::uint64_t requests_timed_out_total = 0;
  std::uint64_t imports_in_flight = 0;
  bool syncing = false;
};

class BlockSync {
 public:
  // `port` must outlive this object.
  BlockSync(SyncSettings settings, NodePort& port);

  // The chain's head moved (or was read at start); blocks at or below it are no longer wanted.
  // Nothing is requested before the first call: a node that does not know its head yet would
  // fetch (and the chain refuse) every block it already holds.
  void set_head(std::uint64_t height);
  // `peer` has blocks up to `head_height` (its PeerStatus; or a proposal that showed it ahead).
  void peer_head(PeerId peer, std::uint64_t head_height);
  // `peer` holds at least `height` (a proposal of ours it sent showed it ahead of us).
  void peer_has(PeerId peer, std::uint64_t height);
  // Its requests go to other peers.
  void peer_gone(PeerId peer);
  // `peer`'s answer to a GetBlocks; a bad answer is reported through NodePort::misbehaved.
  void blocks_received(PeerId peer, const wire::Blocks& answer);
  // Request timeouts, and the progress line in the log while syncing.
  void tick();
  // Issue the GetBlocks and the imports that are due. Cheap when nothing is.
  void pump();

  SyncStats stats() const;
  std::uint32_t requests_in_flight(PeerId peer) const;
  // For a restored instance: counters continue.
  void restore_counters(std::uint64_t blocks_synced_total);

 private:
  struct PeerSync {
    std::uint64_t head = 0;
    std::uint32_t in_flight = 0;
  };
  struct Request {
    PeerId peer = 0;
    std::uint64_t from = 0;
    std::uint32_t count = 0;
    std::uint64_t sent_ms = 0;
    std::uint64_t epoch = 0;
    bool timed_out = false;  // its range is asked again elsewhere; a late answer is still welcome
  };
  struct Range {
    std::uint64_t from = 0;
    std::uint32_t count = 0;
    std::optional<PeerId> avoid;  // the peer that failed it, unless no other peer has it
  };
  struct Fetched {
    SignedBlock block;
    PeerId source = 0;
  };

  void issue_requests();
  void issue_imports();
  void send_request(PeerId peer, std::uint64_t from, std::uint64_t last);
  std::optional<PeerId> pick_peer(std::uint64_t from, std::optional<PeerId> avoid);
  void retry(Range range) { retry_.push_back(range); }
  void import_answered(std::uint64_t epoch, std::uint64_t height, PeerId source,
                       const chain::ImportResult& result);
  void restart_from(std::uint64_t height, PeerId avoid);
  std::uint64_t target() const;
  void log_progress(std::uint64_t now);

  SyncSettings settings_;
  NodePort& port_;
  std::uint64_t head_ = 0;
  bool head_known_ = false;
  std::uint64_t next_request_ = 1;  // the lowest height never asked for in this epoch
  std::uint64_t next_import_ = 1;   // the next height to hand to the chain
  std::uint64_t epoch_ = 0;         // bumped by a failed import: older answers are stale
  std::map<PeerId, PeerSync> peers_;
  std::vector<Request> requests_;
  std::deque<Range> retry_;
  std::map<std::uint64_t, Fetched> fetched_;
  std::uint64_t imports_in_flight_ = 0;
  std::uint64_t rotation_ = 0;  // spreads ties between equally loaded peers

  std::uint64_t blocks_synced_total_ = 0;
  std::uint64_t requests_timed_out_total_ = 0;
  bool was_syncing_ = false;
  std::uint64_t last_log_ms_ = 0;
  std::uint64_t synced_at_last_log_ = 0;
  std::set<PeerId> sources_since_log_;
};

}  // namespace alys::network
