#include "actor_inbox.hpp"

#include <utility>

namespace alys::network {

void ActorInbox::listening(std::string address) {
  post(NetListening{std::move(address)}, Priority::high);
}

void ActorInbox::connected(ConnectionId id, const XOnlyPublicKey& key, Direction direction,
                           std::string address) {
  keep(NetConnected{id, key, static_cast<std::uint8_t>(direction), std::move(address)});
}

void ActorInbox::frame(ConnectionId id, Bytes frame) {
  post(NetFrame{id, std::move(frame)}, Priority::normal);
}

void ActorInbox::disconnected(ConnectionId id, const XOnlyPublicKey& key, std::string why) {
  keep(NetDisconnected{id, key, std::move(why)});
}

void ActorInbox::offence(std::optional<XOnlyPublicKey> key, std::string ip, Offence offence,
                         std::string detail) {
  post(NetOffence{key.has_value(), key.value_or(XOnlyPublicKey{}), std::move(ip),
                  static_cast<std::uint8_t>(offence), std::move(detail)},
       Priority::high);
}

void ActorInbox::refused(std::string reason) {
  post(NetRefused{std::move(reason)}, Priority::high);
}

std::deque<LinkEvent> ActorInbox::take_link_events() {
  std::lock_guard lock(mutex_);
  return std::exchange(link_events_, {});
}

void ActorInbox::keep(LinkEvent event) {
  {
    std::lock_guard lock(mutex_);
    link_events_.push_back(std::move(event));
  }
  // Not counted when refused: nothing is lost, the actor takes the events on its next turn.
  (void)context_.send(self_, NetWake{}, Priority::high);
}

}  // namespace alys::network
