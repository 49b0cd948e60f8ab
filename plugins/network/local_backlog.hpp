// The chain's and the engine's own events that arrive before the gossip engine exists (the chain's
// spec is not known yet, or a swap is restarting the network): kept, bounded, and fed to the engine
// once it is created, so that a proposal or an approval made meanwhile still reaches the peers.
// Not thread-safe: the actor owns it.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <utility>
#include <variant>

#include "alys/schemas/chain.hpp"
#include "alys/schemas/engine.hpp"

namespace alys::network {

using LocalEvent = std::variant<chain::ImportBlock, chain::ApproveBlock, chain::OfferAuxPow,
                                engine::TransactionPooled>;

class LocalBacklog {
 public:
  // REQUIRES capacity >= 1.
  explicit LocalBacklog(std::size_t capacity) : capacity_(capacity) {}

  // Keeps `event`; when full, the oldest transaction goes, or, with none kept, the oldest event
  // (the newest consensus state matters most). A burst of pooled transactions never pushes out a
  // proposal or an approval: those the chain would otherwise have to announce again.
  void push(LocalEvent event) {
    if (events_.size() == capacity_) {
      auto transaction = std::find_if(events_.begin(), events_.end(), [](const LocalEvent& e) {
        return std::holds_alternative<engine::TransactionPooled>(e);
      });
      events_.erase(transaction != events_.end() ? transaction : events_.begin());
      ++dropped_;
    }
    events_.push_back(std::move(event));
  }
  // Every event kept, oldest first, emptying the backlog.
  std::deque<LocalEvent> take() { return std::exchange(events_, {}); }
  std::size_t size() const { return events_.size(); }
  std::uint64_t dropped() const { return dropped_; }

 private:
  std::size_t capacity_;
  std::deque<LocalEvent> events_;
  std::uint64_t dropped_ = 0;
};

}  // namespace alys::network
