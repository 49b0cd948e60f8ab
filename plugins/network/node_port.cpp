// What the gossip engine asks of the node (gossip/node_port.hpp), on the actor's thread.
#include "alys/schemas/storage.hpp"
#include "network_actor.hpp"

namespace alys::network {
namespace {

constexpr std::uint64_t kImportTimeoutMs = 10'000;
constexpr std::uint64_t kStorageTimeoutMs = 5'000;

bool is_consensus(wire::MessageType type) {
  return type == wire::MessageType::proposal || type == wire::MessageType::approval ||
         type == wire::MessageType::auxpow || type == wire::MessageType::blocks;
}

}  // namespace

void NetworkActor::send(PeerId peer, const WireMessage& message) {
  if (!transport_ || !links_.contains(peer)) return;
  std::optional<Bytes> frame = wire::encode_frame(message);
  const wire::MessageType type = wire::type_of(message);
  const std::string name(wire::to_string(type));
  if (!frame) {
    context().counter_add(("network_messages_too_large_total{type=\"" + name + "\"}").c_str());
    return;
  }
  const std::size_t size = frame->size();
  if (!transport_->send(peer, std::move(*frame), is_consensus(type))) return;
  context().counter_add(("network_messages_sent_total{type=\"" + name + "\"}").c_str());
  context().counter_add("network_bytes_sent_total", size);
}

void NetworkActor::import_block(const SignedBlock& block,
                                std::function<void(const chain::ImportResult&)> done) {
  request(chain_, chain::ImportBlock{block}, kImportTimeoutMs)
      .then([done](const chain::ImportResult& result) { done(result); },
            [done](const Status& error) {
              chain::ImportResult busy;
              busy.code = "busy";
              busy.error = error.message();
              done(busy);
            });
}

void NetworkActor::approve(const chain::ApproveBlock& approval) {
  if (!context().send(chain_, approval, Priority::consensus).ok())
    context().counter_add("network_local_sends_failed_total{to=\"chain\"}");
}

void NetworkActor::offer_auxpow(const chain::OfferAuxPow& offer) {
  if (!context().send(chain_, offer, Priority::consensus).ok())
    context().counter_add("network_local_sends_failed_total{to=\"chain\"}");
}

void NetworkActor::submit_transaction(const engine::SubmitTransaction& tx) {
  if (!context().send(engine_, tx).ok())
    context().counter_add("network_local_sends_failed_total{to=\"engine\"}");
}

void NetworkActor::read_blocks(std::uint64_t from, std::uint32_t max_count,
                               std::function<void(std::vector<Bytes>)> done) {
  storage::GetBlockRange range;
  range.from_height = from;
  range.max_count = max_count;
  // A Blocks frame has a 16 MiB cap; leave room for its own fields.
  range.max_bytes = 15 << 20;
  // Whose GetBlocks this read serves: its end lets that peer's next one run.
  std::optional<ConnectionId> peer = serving_peer_;
  if (peer) reading_ = true;
  auto finished = [this, peer, done](std::vector<Bytes> blocks) {
    done(std::move(blocks));
    if (peer) finish_serving(*peer);
  };
  // Background: a peer's sync must never push the chain's own writes out of storage's mailbox.
  request(storage_, range, kStorageTimeoutMs, Priority::background)
      .then(
          [finished, from](const storage::BlockRange& reply) {
            std::vector<Bytes> blocks;
            std::uint64_t expected = from;
            for (const storage::StoredBlock& stored : reply.blocks) {
              if (stored.height != expected) break;
              blocks.push_back(stored.block);
              ++expected;
            }
            finished(std::move(blocks));
          },
          [finished](const Status&) { finished({}); });
}

void NetworkActor::misbehaved(PeerId peer, Misbehaviour reason, std::string detail) {
  auto link = links_.find(peer);
  if (link == links_.end()) return;
  on_offence(link->second.key, "", offence_of(reason), detail, peer);
}

void NetworkActor::log(LogLevel level, std::string text) { context().log(level, text); }

std::uint64_t NetworkActor::now_ms() { return context().now_ms(); }

}  // namespace alys::network
