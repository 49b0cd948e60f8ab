// TransportEvents for the network actor: what the I/O threads see becomes the actor's to handle
// on its own turn.
//
// Connections that come and go must never be lost: a lost NetConnected would leave a live TCP
// connection ignored for good, a lost NetDisconnected a peer served that is gone. They are kept
// here under a mutex, in order, and a NetWake message (high priority) only tells the actor to
// take them; a wake refused by a full mailbox costs nothing, since the actor also takes them
// before every frame and on every tick. Remote frames go as messages at normal priority, the
// priority of the chain's own events, so that a peer's flood queues behind them rather than
// ahead (a full mailbox drops the frame, counted; gossip and sync recover it). Offences, refusals
// and the listen address are posted at high priority; one lost is a lost log line or counter.
#pragma once

#include <deque>
#include <mutex>
#include <variant>

#include "alys/context.hpp"
#include "network_messages.hpp"
#include "transport_events.hpp"

namespace alys::network {

using LinkEvent = std::variant<NetConnected, NetDisconnected>;

class ActorInbox : public TransportEvents {
 public:
  ActorInbox(Context context, Address self) : context_(context), self_(self) {}

  void listening(std::string address) override;
  void connected(ConnectionId id, const XOnlyPublicKey& key, Direction direction,
                 std::string address) override;
  void frame(ConnectionId id, Bytes frame) override;
  void disconnected(ConnectionId id, const XOnlyPublicKey& key, std::string why) override;
  void offence(std::optional<XOnlyPublicKey> key, std::string ip, Offence offence,
               std::string detail) override;
  void refused(std::string reason) override;

  // On the actor's thread: every connection event so far, oldest first.
  std::deque<LinkEvent> take_link_events();

 private:
  void keep(LinkEvent event);
  template <class M>
  void post(const M& message, Priority priority) {
    if (!context_.send(self_, message, priority).ok())
      context_.counter_add("network_inbox_dropped_total");
  }

  Context context_;
  Address self_;
  std::mutex mutex_;
  std::deque<LinkEvent> link_events_;
};

}  // namespace alys::network
