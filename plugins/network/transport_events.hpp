// What the transport (I/O threads) tells the network actor. The actor's implementation turns each
// call into a message to its own role (Context::send), so that the actor handles it on its turn;
// that is the only way anything crosses from an I/O thread to the actor.
//
// Thread-safety: called from the transport's I/O threads, concurrently.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "alys/codec.hpp"
#include "alys/domain/secp256k1.hpp"
#include "misbehaviour.hpp"

namespace alys::network {

using ConnectionId = std::uint64_t;

enum class Direction : std::uint8_t { inbound, outbound };

class TransportEvents {
 public:
  virtual ~TransportEvents() = default;
  // The listener is bound (port 0 resolved).
  virtual void listening(std::string address) = 0;
  // A connection finished its handshake and is the one kept for `key`.
  virtual void connected(ConnectionId id, const XOnlyPublicKey& key, Direction direction,
                         std::string address) = 0;
  // One frame (the plaintext of one record) from a connected peer, undecoded.
  virtual void frame(ConnectionId id, Bytes frame) = 0;
  // A connected peer's connection closed (after connected(); never for one that was not).
  virtual void disconnected(ConnectionId id, const XOnlyPublicKey& key, std::string why) = 0;
  // The transport saw `offence` and closed the connection. `key` is unset before the peer's key
  // is known; `ip` is the remote address.
  virtual void offence(std::optional<XOnlyPublicKey> key, std::string ip, Offence offence,
                       std::string detail) = 0;
  // A connection refused without an offence (a banned key, max_peers reached, a duplicate).
  virtual void refused(std::string reason) = 0;
};

}  // namespace alys::network
