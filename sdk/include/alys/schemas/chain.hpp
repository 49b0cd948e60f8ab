// Messages of the `chain` role. Blocks and approvals from other members arrive here (from the
// network role, or from a test). Fields are only appended; a changed meaning gets a new name.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "alys/codec.hpp"
#include "alys/domain/block.hpp"
#include "alys/domain/hash.hpp"
#include "alys/domain/secp256k1.hpp"

namespace alys::chain {

// A block with the approvals collected so far. As a request it is answered with ImportResult; as a
// plain send it is processed the same way without an answer.
struct ImportBlock {
  static constexpr std::string_view schema_name = "alys.chain.ImportBlock/1";
  SignedBlock block;
  ALYS_FIELDS(block)
};

// `code` names the rule a rejected block broke (docs/chain.md lists them); empty when imported or
// when the block waits for more approvals (`pending`).
struct ImportResult {
  static constexpr std::string_view schema_name = "alys.chain.ImportResult/1";
  bool imported = false;
  bool pending = false;  // valid so far, waiting for `threshold` approvals
  std::string code;
  std::string error;
  Hash32 hash{};
  std::uint64_t height = 0;
  ALYS_FIELDS(imported, pending, code, error, hash, height)
};

inline constexpr std::string_view kBlockProposedTopic = "chain.block_proposed";  // ImportBlock
inline constexpr std::string_view kApprovalTopic = "chain.approval";             // ApproveBlock

// One member's approval of a block, in one round of the block's height (docs/chain.md, liveness).
// `height` is the block's height as the sender states it; the signature covers only the hash and
// the round, so a receiver trusts the height only once it holds the block.
struct ApproveBlock {
  static constexpr std::string_view schema_name = "alys.chain.ApproveBlock/1";
  Hash32 block_hash{};
  Approval approval;
  std::uint32_t round = 0;
  std::uint64_t height = 0;
  ALYS_FIELDS(block_hash, approval, round, height)
};

// Request to the chain: the rules a peer must share with this node (the network role binds its
// handshake to chain id and genesis hash, and checks approvals against the members). Answered
// with ChainSpecInfo at once; `ready` is false while the chain has not read or built its genesis
// block yet (ask again).
struct GetSpec {
  static constexpr std::string_view schema_name = "alys.chain.GetSpec/1";
  bool unused = false;
  ALYS_FIELDS(unused)
};

struct ChainSpecInfo {
  static constexpr std::string_view schema_name = "alys.chain.ChainSpecInfo/1";
  bool ready = false;
  std::uint64_t chain_id = 0;
  Hash32 genesis_hash{};
  std::vector<XOnlyPublicKey> members;  // BIP340 x-only keys, in member order
  std::uint32_t threshold = 0;
  std::uint64_t slot_ms = 0;
  // SHA-256 over every consensus key of the chain spec (members, threshold, slot, genesis, the
  // federation's fee address, [chain.auxpow]): two members with different digests cannot follow
  // the same chain, even with the same genesis.
  Hash32 spec_digest{};
  ALYS_FIELDS(ready, chain_id, genesis_hash, members, threshold, slot_ms, spec_digest)
};

// An AuxPoW header another member accepted (from the network role): the chain checks it as its
// own `submitauxblock` would and queues it for the next block it produces. A chain that queues an
// AuxPoW (from its miner RPC or from here) publishes it on kAuxPowQueuedTopic, once.
inline constexpr std::string_view kAuxPowQueuedTopic = "chain.auxpow_queued";  // OfferAuxPow
struct OfferAuxPow {
  static constexpr std::string_view schema_name = "alys.chain.OfferAuxPow/1";
  AuxPowHeader header;
  ALYS_FIELDS(header)
};

// Request to the chain: where it stands. Answered with ChainStatus at once, also while the chain
// starts. A plugin that starts or restarts while the chain runs asks it rather than wait for the
// next BlockImported or Finalized event.
struct GetStatus {
  static constexpr std::string_view schema_name = "alys.chain.GetStatus/1";
  ALYS_FIELDS()
};

// Reply to GetStatus. (Not `Status`: in plugin code that would hide alys::Status, the SDK's error.)
struct ChainStatus {
  static constexpr std::string_view schema_name = "alys.chain.ChainStatus/1";
  std::uint64_t head_height = 0;
  Hash32 head_hash{};
  bool has_finalized = false;  // false until a block is finalized (merged mining)
  std::uint64_t finalized_height = 0;
  Hash32 finalized_hash{};
  // The head above is not yet the chain's: the chain is still reading it from storage at start
  // (then the head fields are zero). Ask again later, or follow the events from here.
  bool syncing = false;
  ALYS_FIELDS(head_height, head_hash, has_finalized, finalized_height, finalized_hash, syncing)
};

}  // namespace alys::chain
