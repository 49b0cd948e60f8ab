#include "block_sync.hpp"

#include <algorithm>
#include <utility>

#include "import_verdict.hpp"

namespace alys::network {

BlockSync::BlockSync(SyncSettings settings, NodePort& port) : settings_(settings), port_(port) {
  if (settings_.batch_blocks == 0) settings_.batch_blocks = 1;
  if (settings_.requests_per_peer == 0) settings_.requests_per_peer = 1;
  if (settings_.import_window == 0) settings_.import_window = 1;
}

void BlockSync::set_head(std::uint64_t height) {
  head_ = height;
  head_known_ = true;
  next_import_ = std::max(next_import_, height + 1);
  next_request_ = std::max(next_request_, height + 1);
  fetched_.erase(fetched_.begin(), fetched_.upper_bound(height));
  for (auto it = retry_.begin(); it != retry_.end();) {
    const std::uint64_t last = it->from + it->count - 1;
    if (last <= height) {
      it = retry_.erase(it);
      continue;
    }
    if (it->from <= height) {
      it->count = static_cast<std::uint32_t>(last - height);
      it->from = height + 1;
    }
    ++it;
  }
  pump();
}

void BlockSync::peer_head(PeerId peer, std::uint64_t head_height) {
  peers_[peer].head = head_height;
  pump();
}

void BlockSync::peer_has(PeerId peer, std::uint64_t height) {
  auto& known = peers_[peer].head;
  known = std::max(known, height);
  pump();
}

void BlockSync::peer_gone(PeerId peer) {
  for (auto it = requests_.begin(); it != requests_.end();) {
    if (it->peer != peer) {
      ++it;
      continue;
    }
    if (!it->timed_out && it->epoch == epoch_) retry(Range{it->from, it->count, std::nullopt});
    it = requests_.erase(it);
  }
  peers_.erase(peer);
  pump();
}

void BlockSync::blocks_received(PeerId peer, const wire::Blocks& answer) {
  auto found = std::find_if(requests_.begin(), requests_.end(), [&](const Request& r) {
    return r.peer == peer && r.from == answer.from_height;
  });
  if (found == requests_.end()) {
    port_.misbehaved(peer, Misbehaviour::unrequested_blocks,
                     "Blocks from height " + std::to_string(answer.from_height) +
                         " answer no GetBlocks in flight");
    return;
  }
  const Request request = *found;
  requests_.erase(found);
  auto peer_sync = peers_.find(peer);
  if (!request.timed_out && peer_sync != peers_.end() && peer_sync->second.in_flight > 0)
    --peer_sync->second.in_flight;
  const bool current = request.epoch == epoch_;
  // A timed-out range was queued again when it timed out, and a stale one belongs to a restart.
  auto ask_again = [&](std::uint64_t from, std::uint32_t count) {
    if (!request.timed_out && current && count > 0) retry(Range{from, count, peer});
  };
  auto refuse = [&](Misbehaviour reason, std::string detail) {
    port_.misbehaved(peer, reason, std::move(detail));
    ask_again(request.from, request.count);
    pump();
  };

  if (answer.blocks.size() > request.count)
    return refuse(Misbehaviour::bad_range, std::to_string(answer.blocks.size()) +
                                               " blocks answer a GetBlocks of " +
                                               std::to_string(request.count));
  std::vector<SignedBlock> blocks;
  std::vector<Hash32> hashes;
  blocks.reserve(answer.blocks.size());
  hashes.reserve(answer.blocks.size());
  for (std::size_t i = 0; i < answer.blocks.size(); ++i) {
    try {
      blocks.push_back(decode_strict<SignedBlock>(answer.blocks[i]));
    } catch (const DecodeError& error) {
      return refuse(Misbehaviour::malformed_payload,
                    "block " + std::to_string(i) + " of a Blocks answer: " + error.what());
    }
    const Block& block = blocks.back().block;
    const std::uint64_t expected = request.from + i;
    if (block.height != expected)
      return refuse(Misbehaviour::bad_range, "block " + std::to_string(i) + " of a range from " +
                                                 std::to_string(request.from) + " has height " +
                                                 std::to_string(block.height));
    if (i > 0 && block.parent_hash != hashes.back())
      return refuse(Misbehaviour::bad_range,
                    "block " + std::to_string(expected) + " does not extend the block before it");
    hashes.push_back(block_hash(block));
  }

  if (current) {
    for (std::size_t i = 0; i < blocks.size(); ++i) {
      const std::uint64_t height = request.from + i;
      if (height >= next_import_ && !fetched_.contains(height))
        fetched_.emplace(height, Fetched{std::move(blocks[i]), peer});
    }
  }
  if (!blocks.empty()) sources_since_log_.insert(peer);
  const auto received = static_cast<std::uint32_t>(blocks.size());
  if (received < request.count) {
    // The peer has no more than this (it is behind what it told us, or its head moved back).
    if (received == 0 && peer_sync != peers_.end())
      peer_sync->second.head = std::min(peer_sync->second.head, request.from - 1);
    ask_again(request.from + received, request.count - received);
  }
  pump();
}

void BlockSync::tick() {
  const std::uint64_t now = port_.now_ms();
  for (auto it = requests_.begin(); it != requests_.end();) {
    const std::uint64_t age = now - std::min(now, it->sent_ms);
    // An answer later than this is not expected any more: forget the request.
    if (it->timed_out && age >= 4 * settings_.request_timeout_ms) {
      it = requests_.erase(it);
      continue;
    }
    if (!it->timed_out && age >= settings_.request_timeout_ms) {
      it->timed_out = true;
      ++requests_timed_out_total_;
      if (auto peer = peers_.find(it->peer); peer != peers_.end() && peer->second.in_flight > 0)
        --peer->second.in_flight;
      if (it->epoch == epoch_) retry(Range{it->from, it->count, it->peer});
    }
    ++it;
  }
  log_progress(now);
  pump();
}

void BlockSync::pump() {
  issue_imports();
  issue_requests();
}

void BlockSync::issue_imports() {
  while (imports_in_flight_ < settings_.import_window) {
    auto next = fetched_.find(next_import_);
    if (next == fetched_.end()) return;
    Fetched fetched = std::move(next->second);
    fetched_.erase(next);
    const std::uint64_t height = next_import_++;
    ++imports_in_flight_;
    port_.import_block(fetched.block, [this, epoch = epoch_, height,
                                       source = fetched.source](const chain::ImportResult& result) {
      import_answered(epoch, height, source, result);
    });
  }
}

void BlockSync::import_answered(std::uint64_t epoch, std::uint64_t height, PeerId source,
                                const chain::ImportResult& result) {
  if (imports_in_flight_ > 0) --imports_in_flight_;
  if (result.imported) {
    ++blocks_synced_total_;
    return pump();
  }
  // Imported meanwhile through gossip: progress all the same.
  if (result.code == "already_imported" || result.code == "stale_height") return pump();
  // The chain answers in order: the first failure of an epoch restarts it, and the failures of
  // the blocks pipelined behind it (wrong_parent, mostly) belong to that old epoch.
  if (epoch != epoch_) return pump();
  const std::string what = "synced block " + std::to_string(height) + " from peer " +
                           std::to_string(source) + ": " +
                           (result.pending ? std::string("pending (too few approvals)")
                                           : result.code + " " + result.error);
  if (classify_import(result) == ImportVerdict::invalid)
    port_.misbehaved(source, Misbehaviour::invalid_block, what);
  port_.log(LogLevel::warn, "sync: " + what + "; fetching again from " + std::to_string(height));
  restart_from(height, source);
  pump();
}

void BlockSync::restart_from(std::uint64_t height, PeerId avoid) {
  ++epoch_;
  fetched_.clear();
  retry_.clear();
  const std::uint64_t start = std::max(height, head_ + 1);
  next_import_ = start;
  retry_.push_back(Range{start, settings_.batch_blocks, avoid});
  next_request_ = start + settings_.batch_blocks;
}

std::optional<PeerId> BlockSync::pick_peer(std::uint64_t from, std::optional<PeerId> avoid) {
  std::vector<PeerId> candidates;
  for (const auto& [id, peer] : peers_)
    if (peer.head >= from && peer.in_flight < settings_.requests_per_peer) candidates.push_back(id);
  if (avoid && candidates.size() > 1) std::erase(candidates, *avoid);
  if (candidates.empty()) return std::nullopt;
  std::uint32_t least = settings_.requests_per_peer;
  for (PeerId id : candidates) least = std::min(least, peers_[id].in_flight);
  std::erase_if(candidates, [&](PeerId id) { return peers_[id].in_flight != least; });
  return candidates[rotation_++ % candidates.size()];
}

void BlockSync::send_request(PeerId peer, std::uint64_t from, std::uint64_t last) {
  const auto count = static_cast<std::uint32_t>(last - from + 1);
  port_.send(peer, wire::GetBlocks{from, count});
  requests_.push_back(Request{peer, from, count, port_.now_ms(), epoch_, false});
  ++peers_[peer].in_flight;
}

void BlockSync::issue_requests() {
  if (!head_known_) return;
  const std::uint64_t limit = head_ + settings_.max_blocks_ahead;
  for (auto it = retry_.begin(); it != retry_.end();) {
    if (it->from > limit) {
      ++it;
      continue;
    }
    auto peer = pick_peer(it->from, it->avoid);
    if (!peer) {
      ++it;
      continue;
    }
    const std::uint64_t last = std::min({it->from + it->count - 1, peers_[*peer].head, limit});
    send_request(*peer, it->from, last);
    if (last == it->from + it->count - 1) {
      it = retry_.erase(it);
    } else {
      it->count = static_cast<std::uint32_t>(it->from + it->count - 1 - last);
      it->from = last + 1;
    }
  }
  const std::uint64_t end = std::min(target(), limit);
  while (next_request_ <= end) {
    auto peer = pick_peer(next_request_, std::nullopt);
    if (!peer) return;
    const std::uint64_t last =
        std::min({next_request_ + settings_.batch_blocks - 1, peers_[*peer].head, end});
    send_request(*peer, next_request_, last);
    next_request_ = last + 1;
  }
}

std::uint64_t BlockSync::target() const {
  std::uint64_t best = 0;
  for (const auto& [_, peer] : peers_) best = std::max(best, peer.head);
  return best;
}

void BlockSync::log_progress(std::uint64_t now) {
  const std::uint64_t goal = target();
  const bool syncing = goal > head_;
  if (syncing && !was_syncing_) {
    was_syncing_ = true;
    last_log_ms_ = now;
    synced_at_last_log_ = blocks_synced_total_;
    sources_since_log_.clear();
    port_.log(LogLevel::info, "sync: height " + std::to_string(head_) + ", peers are at " +
                                  std::to_string(goal) + ": fetching");
    return;
  }
  if (!syncing) {
    if (was_syncing_)
      port_.log(LogLevel::info, "sync: caught up at height " + std::to_string(head_));
    was_syncing_ = false;
    return;
  }
  const std::uint64_t elapsed = now - std::min(now, last_log_ms_);
  if (elapsed < settings_.progress_log_interval_ms) return;
  const std::uint64_t rate = (blocks_synced_total_ - synced_at_last_log_) * 1000 / elapsed;
  port_.log(LogLevel::info, "sync: height " + std::to_string(head_) + " of " +
                                std::to_string(goal) + ", " + std::to_string(rate) +
                                " blocks/s, from " + std::to_string(sources_since_log_.size()) +
                                " peers");
  last_log_ms_ = now;
  synced_at_last_log_ = blocks_synced_total_;
  sources_since_log_.clear();
}

SyncStats BlockSync::stats() const {
  SyncStats stats;
  stats.target_height = std::max(target(), head_);
  stats.blocks_synced_total = blocks_synced_total_;
  for (const Request& request : requests_)
    if (!request.timed_out) ++stats.requests_in_flight;
  stats.requests_timed_out_total = requests_timed_out_total_;
  stats.imports_in_flight = imports_in_flight_;
  stats.syncing = target() > head_;
  return stats;
}

std::uint32_t BlockSync::requests_in_flight(PeerId peer) const {
  auto found = peers_.find(peer);
  return found == peers_.end() ? 0 : found->second.in_flight;
}

void BlockSync::restore_counters(std::uint64_t blocks_synced_total) {
  blocks_synced_total_ = blocks_synced_total;
}

}  // namespace alys::network
