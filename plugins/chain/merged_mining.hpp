// Merged-mining finality (docs/chain.md, "Merged mining"): the work handed to miners, the AuxPoWs
// they submit, the rules a block's AuxPoW header must meet, and the difficulty. Pure logic: the
// chain actor persists PowState and feeds in the unfinalized blocks.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "alys/codec.hpp"
#include "alys/domain/auxpow.hpp"
#include "alys/domain/block.hpp"
#include "alys/domain/hash.hpp"
#include "alys/domain/retarget.hpp"

namespace alys::chain {

struct PowSpec {
  std::uint32_t chain_id = 0;
  AuxPowCommitment commitment = AuxPowCommitment::coinbase_script;
  bool strict_chain_id = true;
  std::uint64_t max_blocks_without_pow = 0;
  RetargetParams retarget;  // interval counted in AuxPoWs (finalizations)
  std::uint32_t initial_bits = 0;
};

// What the chain must remember across restarts; stored with every block (chain key "pow").
struct PowState {
  std::uint32_t bits = 0;             // the target the next AuxPoW must meet
  std::uint64_t auxpow_height = 0;    // AuxPoWs imported so far
  std::uint64_t window_start_ms = 0;  // timestamp of the block that opened this retarget window
  ALYS_FIELDS(bits, auxpow_height, window_start_ms)
};

// SHA256d over the hashes (each as stored: SHA-256 output order), oldest first: what miners commit.
Hash32 range_commitment(const std::vector<Hash32>& hashes);

// The state after importing a block (timestamp `block_ms`) that carries AuxPoW number
// state.auxpow_height + 1: the height moves on; at every `interval`-th AuxPoW the target is
// retargeted over the window that ends with this block.
PowState advance(const PowSpec& spec, const PowState& state, std::uint64_t block_ms);

// A work unit handed out by createauxblock.
struct Work {
  Hash32 aux_hash{};  // internal byte order
  std::uint64_t range_start = 0;
  std::uint64_t range_end = 0;
  std::uint32_t bits = 0;
  EthAddress fee_recipient{};
  ALYS_FIELDS(aux_hash, range_start, range_end, bits, fee_recipient)
};

// Everything MergedMining holds, for a hot swap (chain_state.hpp): the difficulty, the unfinalized
// blocks, the work handed out (oldest first) and the AuxPoW waiting for the next block.
struct MiningSnapshot {
  PowState state;
  std::uint64_t first_unfinalized_height = 1;
  std::vector<Hash32> unfinalized;
  std::vector<Work> handed_out;
  bool has_queued = false;
  AuxPowHeader queued;
  ALYS_FIELDS(state, first_unfinalized_height, unfinalized, handed_out, has_queued, queued)
};

// Bitcoin Core's JSON-RPC error codes, as Namecoin's createauxblock and submitauxblock answer with
// them (miners and pools act on these, not on JSON-RPC 2.0's codes of alys/json_rpc.hpp).
namespace bitcoin_rpc {
inline constexpr std::int32_t kMiscError = -1;
inline constexpr std::int32_t kInvalidAddressOrKey = -5;
inline constexpr std::int32_t kInvalidParameter = -8;
inline constexpr std::int32_t kInInitialDownload = -10;
inline constexpr std::int32_t kDeserializationError = -22;
inline constexpr std::int32_t kVerifyError = -25;
}  // namespace bitcoin_rpc

// An error of the miner RPC: a JSON-RPC code and message.
struct MiningError {
  std::int32_t code = 0;
  std::string message;
};

class MergedMining {
 public:
  explicit MergedMining(PowSpec spec) : spec_(std::move(spec)) {}

  const PowSpec& spec() const { return spec_; }
  const PowState& state() const { return state_; }
  void set_state(const PowState& state) { state_ = state; }

  // The canonical blocks after the finalized one, oldest first (the chain keeps this current).
  void set_unfinalized(std::uint64_t first_height, std::vector<Hash32> hashes);
  void block_added(std::uint64_t height, const Hash32& hash);
  std::uint64_t unfinalized_count() const { return unfinalized_.size(); }
  std::optional<Hash32> hash_at(std::uint64_t height) const {
    if (height < first_height_ || height - first_height_ >= unfinalized_.size())
      return std::nullopt;
    return unfinalized_[height - first_height_];
  }
  std::uint64_t first_unfinalized_height() const { return first_height_; }

  // createauxblock: work over every unfinalized block; an error when there is none.
  std::variant<Work, MiningError> create_work(const EthAddress& fee_recipient);

  // submitauxblock: `hash_display` as createauxblock gave it. On success the AuxPoW is queued for
  // the next block this node produces.
  std::optional<MiningError> submit(std::string_view hash_display, std::string_view auxpow_hex);

  // The queued AuxPoW header for a block at `height`, if one is still usable (its range starts
  // right after the finalized block and ends below `height`).
  std::optional<AuxPowHeader> queued_header(std::uint64_t height) const;
  bool has_queued() const { return queued_.has_value(); }
  const std::optional<AuxPowHeader>& queued() const { return queued_; }

  // An AuxPoW header another node queued (OfferAuxPow): it is queued here when it meets
  // check_header for a block at `block_height` and finalizes more blocks than the header queued
  // here for that block (none counts as nothing), so that offers echoed back change nothing.
  // Returns why it was not taken, or nullopt when it was queued.
  std::optional<std::string> offer(const AuxPowHeader& header, std::uint64_t block_height);

  // dev_mine: mines work over every unfinalized block at the current target and queues it.
  // False when there is nothing to finalize or no nonce was found in `max_attempts`.
  bool mine_locally(std::uint64_t max_attempts, const EthAddress& fee_recipient);

  // The rules a block's AuxPoW header must meet on top of the current state; the reason, or
  // nullopt. `block_height` is the height of the block that carries it.
  std::optional<std::string> check_header(const AuxPowHeader& header,
                                          std::uint64_t block_height) const;

  // After a block carrying `header` was imported (timestamp `block_ms`): the finalized range is
  // dropped from the unfinalized list, the state advances, queued and handed-out work is dropped.
  void finalized(const AuxPowHeader& header, std::uint64_t block_ms);

  // The whole state, and its return: work handed out before a hot swap is still accepted by
  // submitauxblock after it. load() REQUIRES a snapshot of a MergedMining of the same spec.
  MiningSnapshot save() const;
  void load(const MiningSnapshot& snapshot);

 private:
  std::optional<std::vector<Hash32>> range_hashes(std::uint64_t start, std::uint64_t end) const;

  PowSpec spec_;
  PowState state_;
  std::uint64_t first_height_ = 1;  // height of unfinalized_.front()
  std::deque<Hash32> unfinalized_;
  std::map<Hash32, Work> handed_out_;  // by aux_hash; bounded
  std::deque<Hash32> handed_out_order_;
  std::optional<AuxPowHeader> queued_;
};

}  // namespace alys::chain
