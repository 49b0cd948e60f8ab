// The chain's state schema: what one instance of the chain hands the next on a hot swap
// (docs/chain.md, "Hot swap"). Pure data and its encoding; the actor fills it (snapshot) and
// resumes from it (restore, then on_start).
//
// Schema 1: the fields of ChainState down to `mining`. Schema 2: schema 1 + `handoffs`. A newer
// schema only appends fields, but the version number decides how the bytes are read, never their
// length. The bytes are the codec encoding of the schema's fields followed by the SHA-256 of that
// encoding, so a snapshot cut short at a field boundary (which the codec alone would read as
// defaults) is refused rather than taken for a smaller state.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "alys/codec.hpp"
#include "alys/domain/block.hpp"
#include "alys/domain/hash.hpp"
#include "block_rules.hpp"
#include "merged_mining.hpp"

namespace alys::chain {

// The newest schema this library reads and writes. A build of the plugin may stop at an older one
// (its manifest's state_schema_version).
inline constexpr std::uint32_t kNewestChainStateSchema = 2;

enum class JobKind : std::uint8_t { import = 0, produce = 1 };

// A job of the queue, the one in flight, or a block held for approvals.
struct JobState {
  JobKind kind = JobKind::import;
  std::uint64_t slot = 0;  // produce
  SignedBlock block;       // import: the block with every approval gathered so far
  Hash32 hash{};
  std::uint64_t correlation_id = 0;  // import: the ImportBlock request to answer; 0: none
  bool produced_here = false;
  ALYS_FIELDS(kind, slot, block, hash, correlation_id, produced_here)
};

// A chain_getBlockByHeight / chain_getBlockByHash call whose storage query was in flight: the new
// instance asks storage again and answers the caller.
struct BlockQuery {
  std::uint64_t rpc_correlation_id = 0;  // the admin call to answer
  bool by_hash = false;
  std::uint64_t height = 0;  // !by_hash
  Hash32 hash{};             // by_hash
  ALYS_FIELDS(rpc_correlation_id, by_hash, height, hash)
};

struct EarlyApprovals {
  Hash32 block_hash{};
  std::vector<Approval> approvals;
  ALYS_FIELDS(block_hash, approvals)
};

// The verified approvals of one block, by round (the actor's working set; its hand-off form is
// HeardApprovalsState).
struct HeardApprovals {
  std::uint64_t height = 0;  // the block's once held; until then, what the approvals state
  bool held = false;
  std::map<std::uint32_t, std::vector<Approval>> by_round;
};

struct HeardApprovalsState {
  Hash32 block_hash{};
  std::uint64_t height = 0;
  bool held = false;
  std::uint32_t round = 0;
  std::vector<Approval> approvals;
  ALYS_FIELDS(block_hash, height, held, round, approvals)
};

struct ChainState {
  // false: the old instance was still starting (reading storage, building genesis): the new one
  // starts from storage; only `queued` is taken over.
  bool running = false;
  HeadView head;
  bool has_finalized = false;
  std::uint64_t finalized_height = 0;
  Hash32 finalized_hash{};
  std::uint64_t last_approved_height = 0;
  Hash32 last_approved_hash{};
  Hash32 anchor_hash{};
  bool paused = false;
  // The old instance's slot timer: its ticks already in the mailbox still count.
  std::uint64_t slot_timer = 0;
  // At most one: the job whose requests were in flight when the snapshot was taken.
  std::vector<JobState> in_flight;
  std::vector<JobState> queued;
  std::vector<JobState> pending;
  std::vector<EarlyApprovals> early_approvals;
  bool has_mining = false;
  MiningSnapshot mining;
  std::vector<BlockQuery> block_queries;
  // spec_digest() of the spec the state was built under: an instance with another spec (a SIGHUP
  // that changed the members, say) refuses the state instead of carrying approvals over to rules
  // they were not made under.
  Hash32 spec_digest{};
  // Appended to schema 1 (an older build refuses such a state: the host rolls back): the round at
  // head + 1, the round of the last approval, and every approval by round (early_approvals above
  // is written empty; read from an older state as round-0 approvals).
  std::uint32_t round = 0;
  std::uint32_t last_approved_round = 0;
  std::vector<HeardApprovalsState> approvals;
  // --- schema 2 ---
  // How many hand-offs this state went through in builds that count them.
  std::uint64_t handoffs = 0;
};

// The bytes of `state` in schema `schema_version` (1..kNewestChainStateSchema; schema 1 leaves
// out what schema 2 added). Throws Error(ALYS_ERR_SCHEMA) for another version.
Bytes write_chain_state(const ChainState& state, std::uint32_t schema_version);

// Reads what write_chain_state wrote in `schema_version`; fields a schema lacks keep their
// defaults. Throws Error(ALYS_ERR_SCHEMA) for a version this library does not know and
// Error(ALYS_ERR_INVALID) for bytes that are not a whole, consistent state of that version.
ChainState read_chain_state(ByteView bytes, std::uint32_t schema_version);

}  // namespace alys::chain
