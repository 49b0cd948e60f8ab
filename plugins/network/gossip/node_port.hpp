// What the gossip engine asks of the network actor: send a frame to a peer, hand a block, an
// approval, an AuxPoW or a transaction to the local chain or engine, read blocks from storage,
// report a misbehaving peer, log, and tell the time. The actor implements it; the engine never
// touches sockets, threads or the host directly, which is what lets its tests drive it frame by
// frame on a virtual clock.
//
// Thread-safety: the engine calls every member on the actor's thread, and the actor calls the
// engine only there (single-threaded: no locks on either side). A callback passed to
// import_block or read_blocks must run on the actor's thread, at most once, later (never from
// inside the call that passed it), and never after the GossipEngine is destroyed (the actor drops
// its pending callbacks first). Import answers must come in the order the imports were issued
// (the chain handles ImportBlock requests in order); read_blocks answers may come in any order.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alys/codec.hpp"
#include "alys/context.hpp"
#include "alys/domain/block.hpp"
#include "alys/domain/secp256k1.hpp"
#include "alys/schemas/chain.hpp"
#include "alys/schemas/engine.hpp"
#include "wire/messages.hpp"

namespace alys::network {

// net-wire's variant of every frame's message (plugins/network/wire/messages.hpp).
using WireMessage = wire::Message;

// A connection, unique per node run (the actor never reuses a value after a disconnect).
using PeerId = std::uint64_t;

// Who a connection proved to be in its handshake: its node key and, for a member of the chain
// spec, its index in the spec's member list (observers have none).
struct PeerIdentity {
  XOnlyPublicKey key{};
  std::optional<std::uint32_t> member_index;
};

// Why a peer is reported. The actor decides what each costs (score, disconnect, ban); every value
// is a metric label (to_string).
enum class Misbehaviour {
  invalid_signature,    // an approval whose BIP340 signature does not verify
  non_member_approval,  // an approval by a member index outside the spec
  invalid_block,        // a proposal or synced block the chain rejected for a rule it broke
  bad_range,            // a Blocks answer that does not start where asked or is not contiguous
  unrequested_blocks,   // a Blocks answer to no GetBlocks of ours (or to one already answered)
  malformed_payload,    // a block inside Blocks that does not strict-decode
};

// Stable lower-case names, used as the `reason` metric label.
std::string_view to_string(Misbehaviour reason) noexcept;

class NodePort {
 public:
  virtual ~NodePort() = default;

  // Queue `message` for `peer`. A peer that is gone (or unknown) is ignored by the actor.
  virtual void send(PeerId peer, const WireMessage& message) = 0;

  // Hand a block to the chain as an ImportBlock request; `done` gets the chain's answer (or, when
  // the request fails, an ImportResult with `code` "busy" and the reason in `error`).
  virtual void import_block(const SignedBlock& block,
                            std::function<void(const chain::ImportResult&)> done) = 0;
  virtual void approve(const chain::ApproveBlock& approval) = 0;   // plain send to the chain
  virtual void offer_auxpow(const chain::OfferAuxPow& offer) = 0;  // plain send to the chain
  virtual void submit_transaction(const engine::SubmitTransaction& tx) = 0;  // to the engine

  // Blocks from storage at heights from, from+1, ... (at most max_count, fewer at the head or
  // when storage fails): each the codec encoding of a SignedBlock, in height order, contiguous.
  virtual void read_blocks(std::uint64_t from, std::uint32_t max_count,
                           std::function<void(std::vector<Bytes> encoded_blocks)> done) = 0;

  // `peer` sent something that proves it wrong; the actor scores, counts and maybe bans it.
  virtual void misbehaved(PeerId peer, Misbehaviour reason, std::string detail) = 0;

  virtual void log(LogLevel level, std::string text) = 0;

  // Milliseconds on the node's clock (the host's virtual clock in tests). Monotonic enough for
  // timeouts; never compared with other nodes' clocks.
  virtual std::uint64_t now_ms() = 0;
};

}  // namespace alys::network
