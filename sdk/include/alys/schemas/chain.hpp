// Messages of the `chain` role. Blocks and approvals from other members arrive here (from the
// network role, or from a test). Fields are only appended; a changed meaning gets a new name.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "alys/codec.hpp"
#include "alys/domain/block.hpp"
#include "alys/domain/hash.hpp"

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

// One member's approval of a block this node holds as pending.
struct ApproveBlock {
  static constexpr std::string_view schema_name = "alys.chain.ApproveBlock/1";
  Hash32 block_hash{};
  Approval approval;
  ALYS_FIELDS(block_hash, approval)
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
