// The rules a block must meet to extend this node's head, as pure functions (no I/O), so that
// every rule is tested on its own. Each rejection carries a stable code (docs/chain.md lists them).
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "alys/domain/block.hpp"
#include "alys/domain/hash.hpp"
#include "chain_spec.hpp"
#include "pegins.hpp"

namespace alys::chain {

struct Rejection {
  std::string code;
  std::string message;
};

// The engine did not re-execute the payload in time (`detail` says how long it was given): not the
// block's fault, so not `payload_invalid`, which peers take as proof against the block's author.
Rejection engine_unanswered(const std::string& detail);

// What the rules need to know about the current head.
struct HeadView {
  std::uint64_t height = 0;
  Hash32 hash{};
  std::uint64_t slot = 0;
  Hash32 payload_hash{};
  std::uint64_t payload_timestamp_s = 0;
  ALYS_FIELDS(height, hash, slot, payload_hash, payload_timestamp_s)
};

// Parent, height, slot (strictly after the parent's, not beyond the allowed drift into the future),
// timestamp (the slot's start), author, the payload's link to its parent, its fee recipient (the
// burn address, kFeeBurnAddress), and content this chain version does not accept yet (peg-outs).
// `now_ms` is this node's clock. An AuxPoW header's own rules need the merged-mining state:
// MergedMining::check_header.
std::optional<Rejection> check_header(const ChainSpec& spec, const HeadView& head,
                                      const Block& block, const Hash32& block_hash,
                                      std::uint64_t now_ms);

// A block's peg-ins: at most kMaxPegInsPerBlock, none of 0 sats, none twice, none in `minted` (the
// peg-ins of the blocks up to the head). Whether each one pays the federation on Bitcoin is the
// bridge's check, not this one.
std::optional<Rejection> check_pegins(const std::vector<PegIn>& pegins,
                                      const std::set<PegInId>& minted);

struct ApprovalTally {
  std::optional<Rejection> rejection;  // a bad or duplicated approval: the whole block is refused
  std::uint32_t valid = 0;             // distinct members whose signature verifies
};

// Every approval must name a member, appear once, and verify over approval_message(chain id,
// block hash, round) with that member's key: a certificate's approvals are all of one round.
ApprovalTally check_approvals(const ChainSpec& spec, const Hash32& block_hash,
                              const std::vector<Approval>& approvals, std::uint32_t round = 0);

}  // namespace alys::chain
