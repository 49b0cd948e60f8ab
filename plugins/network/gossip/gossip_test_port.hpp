// Test code only: the actor's side of the gossip engine, recording what the engine asks for, on a
// virtual clock. Imports and storage reads wait until the test answers them, as the chain and
// storage answer later; keys and blocks are real (secp256k1 keys, BIP340 approvals, block hashes).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "alys/domain/block.hpp"
#include "alys/domain/secp256k1.hpp"
#include "alys/domain/sha256.hpp"
#include "gossip_engine.hpp"
#include "node_port.hpp"

namespace alys::network::testing {

inline constexpr std::uint64_t kChainId = 263634;

inline SecretKey member_key(std::uint32_t member) {
  std::array<std::uint8_t, 32> bytes{};
  bytes[31] = static_cast<std::uint8_t>(member + 1);
  bytes[0] = 0x42;
  return *SecretKey::from_bytes(bytes);
}

inline chain::ChainSpecInfo test_spec(std::uint32_t members = 3) {
  chain::ChainSpecInfo spec;
  spec.ready = true;
  spec.chain_id = kChainId;
  spec.genesis_hash = sha256(Bytes{'g', 'e', 'n'});
  for (std::uint32_t i = 0; i < members; ++i)
    spec.members.push_back(member_key(i).xonly_public_key());
  spec.threshold = (2 * members + 2) / 3;
  spec.slot_ms = 2000;
  return spec;
}

inline GossipSettings test_settings(std::uint32_t batch = 256) {
  GossipSettings settings;
  settings.spec = test_spec();
  settings.self = member_key(0).xonly_public_key();
  settings.sync_batch_blocks = batch;
  return settings;
}

inline chain::ApproveBlock approval_of(std::uint32_t member, const Hash32& hash,
                                       std::uint64_t height, std::uint32_t round = 0) {
  chain::ApproveBlock approve;
  approve.block_hash = hash;
  approve.approval.member_index = member;
  approve.approval.signature =
      member_key(member).schnorr_sign(approval_message(kChainId, hash, round));
  approve.round = round;
  approve.height = height;
  return approve;
}

// A block at `height` on `parent` in `slot`, by the slot's author, carrying its round-0 approval.
inline SignedBlock make_block(std::uint64_t height, const Hash32& parent, std::uint64_t slot,
                              std::uint32_t members = 3) {
  SignedBlock signed_block;
  Block& block = signed_block.block;
  block.height = height;
  block.parent_hash = parent;
  block.slot = slot;
  block.timestamp_ms = slot * 2000;
  block.author_index = static_cast<std::uint32_t>(slot % members);
  block.payload.number = height;
  block.payload.timestamp_s = block.timestamp_ms / 1000;
  const Hash32 hash = block_hash(block);
  signed_block.approvals.push_back(approval_of(block.author_index, hash, height).approval);
  return signed_block;
}

// Blocks 1..count on `genesis`, one per slot, each with two approvals (a certificate of 2-of-3).
inline std::vector<SignedBlock> make_chain(std::uint64_t count, const Hash32& genesis) {
  std::vector<SignedBlock> chain;
  Hash32 parent = genesis;
  for (std::uint64_t height = 1; height <= count; ++height) {
    SignedBlock block = make_block(height, parent, 100 + height);
    const Hash32 hash = block_hash(block.block);
    const std::uint32_t other = (block.block.author_index + 1) % 3;
    block.approvals.push_back(approval_of(other, hash, height).approval);
    chain.push_back(block);
    parent = hash;
  }
  return chain;
}

class RecordingPort final : public NodePort {
 public:
  struct Sent {
    PeerId peer;
    WireMessage message;
  };
  struct Import {
    SignedBlock block;
    std::function<void(const chain::ImportResult&)> done;
  };
  struct Read {
    std::uint64_t from;
    std::uint32_t max_count;
    std::function<void(std::vector<Bytes>)> done;
  };
  struct Report {
    PeerId peer;
    Misbehaviour reason;
    std::string detail;
  };

  void send(PeerId peer, const WireMessage& message) override { sent.push_back({peer, message}); }
  void import_block(const SignedBlock& block,
                    std::function<void(const chain::ImportResult&)> done) override {
    imports.push_back({block, std::move(done)});
  }
  void approve(const chain::ApproveBlock& approval) override { approvals.push_back(approval); }
  void offer_auxpow(const chain::OfferAuxPow& offer) override { auxpow.push_back(offer); }
  void submit_transaction(const engine::SubmitTransaction& tx) override {
    transactions.push_back(tx);
  }
  void read_blocks(std::uint64_t from, std::uint32_t max_count,
                   std::function<void(std::vector<Bytes>)> done) override {
    reads.push_back({from, max_count, std::move(done)});
  }
  void misbehaved(PeerId peer, Misbehaviour reason, std::string detail) override {
    reports.push_back({peer, reason, std::move(detail)});
  }
  void log(LogLevel, std::string text) override { logs.push_back(std::move(text)); }
  std::uint64_t now_ms() override { return clock_ms; }

  // The messages of type M sent so far, with their peers; `clear` forgets every sent message.
  template <class M>
  std::vector<std::pair<PeerId, M>> sent_of(bool clear = false) {
    std::vector<std::pair<PeerId, M>> out;
    for (const Sent& s : sent)
      if (const M* m = std::get_if<M>(&s.message)) out.emplace_back(s.peer, *m);
    if (clear) sent.clear();
    return out;
  }
  std::size_t reported(Misbehaviour reason) const {
    std::size_t count = 0;
    for (const Report& r : reports) count += r.reason == reason;
    return count;
  }
  // Answers the oldest open import with `result` (its hash and height filled in).
  void answer_import(chain::ImportResult result) {
    Import import = std::move(imports.at(answered_imports));
    ++answered_imports;
    result.hash = block_hash(import.block.block);
    result.height = import.block.block.height;
    import.done(result);
  }
  std::size_t open_imports() const { return imports.size() - answered_imports; }

  std::vector<Sent> sent;
  std::vector<Import> imports;
  std::size_t answered_imports = 0;
  std::vector<chain::ApproveBlock> approvals;
  std::vector<chain::OfferAuxPow> auxpow;
  std::vector<engine::SubmitTransaction> transactions;
  std::vector<Read> reads;
  std::vector<Report> reports;
  std::vector<std::string> logs;
  std::uint64_t clock_ms = 1'000'000;
};

inline chain::ImportResult imported() {
  chain::ImportResult result;
  result.imported = true;
  return result;
}
inline chain::ImportResult pending() {
  chain::ImportResult result;
  result.pending = true;
  return result;
}
inline chain::ImportResult rejected(std::string code) {
  chain::ImportResult result;
  result.code = std::move(code);
  result.error = "refused by the test's chain";
  return result;
}

inline chain::BlockImported imported_event(const SignedBlock& block) {
  chain::BlockImported event;
  event.height = block.block.height;
  event.hash = block_hash(block.block);
  event.parent_hash = block.block.parent_hash;
  event.slot = block.block.slot;
  return event;
}

inline PeerIdentity member_peer(std::uint32_t member) {
  return PeerIdentity{member_key(member).xonly_public_key(), member};
}

}  // namespace alys::network::testing
