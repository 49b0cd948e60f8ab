// What one engine instance holds in memory, and its hand-over to the next instance on a hot swap
// (state schemas 1 and 2; docs/engine.md, "Hot swap", has the layout).
//
// The image carries everything a new instance needs to serve at once: the ledger and the block
// history (reading them back from storage is a paged scan that grows with the chain), the mempool
// with its arrival order, the payloads executed and not yet committed, the finalized number, and
// the engine requests held while a load was under way (as the messages that came, so that the new
// instance answers them). When the old instance was still loading, the image carries no ledger
// and history: the storage replies go to the old instance's continuations, which die with it, so
// the new instance begins the load itself.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>

#include "alys/codec.hpp"
#include "engine/embedded/block_history.hpp"
#include "engine/embedded/ledger.hpp"
#include "engine/embedded/mempool.hpp"
#include "engine/executed_cache.hpp"

namespace alys::engine {

// An engine request (GetInfo, BuildGenesis, BuildPayload, ExecutePayload, CommitPayload) held while
// the state loads: the message as it came. Data rather than a closure, so that it survives a swap.
struct HeldRequest {
  std::uint64_t type_id = 0;
  std::uint64_t correlation_id = 0;  // the requester's; 0 for CommitPayload (a plain send)
  Bytes payload;
  ALYS_FIELDS(type_id, correlation_id, payload)
};

struct EngineState {
  explicit EngineState(std::size_t mempool_limit) : mempool(mempool_limit) {}

  std::uint64_t chain_id = 0;  // of the configuration the state was loaded for
  bool loaded = false;         // the ledger and history are the head's (not a partial load)
  std::optional<std::uint64_t> finalized;
  embedded::Ledger ledger;
  embedded::BlockHistory history;
  embedded::Mempool mempool;
  ExecutedCache executed;
  std::deque<HeldRequest> held;  // in arrival order; only while !loaded
  std::uint64_t handoffs = 0;    // hand-overs this state went through (schema 2 keeps it)
};

// The state schema versions this code reads and writes.
inline constexpr std::uint32_t kOldestStateSchema = 1;
inline constexpr std::uint32_t kNewestStateSchema = 2;

// The schema to write for an incoming plugin that reads up to `target`, by a build that writes up
// to `newest`: the newer of the two it can. Throws alys::Error(ALYS_ERR_SCHEMA) when the target is
// older than schema 1.
std::uint32_t schema_to_write(std::uint32_t target, std::uint32_t newest);

// REQUIRES kOldestStateSchema <= schema_version <= kNewestStateSchema. The image ends with the
// CRC32C of the bytes before it (4 bytes, little-endian).
Bytes write_engine_state(const EngineState& state, std::uint32_t schema_version);

// Replaces `state`'s contents (the mempool keeps its limit) with the image. Throws alys::Error:
// ALYS_ERR_SCHEMA for a schema outside kOldestStateSchema..`newest`; ALYS_ERR_INVALID for bytes
// whose checksum does not match ("checksum mismatch: truncated or corrupt", before anything is
// parsed, `state` untouched), and for bytes with a good checksum that are not a state of that
// schema, naming what is wrong (trailing bytes, keys out of order, an inconsistent history, raw
// transactions overlapping, an unknown held request), and `state` is then partly read: discard
// it. Schema 1 leaves `handoffs` at 0.
void read_engine_state(ByteView bytes, std::uint32_t schema_version, std::uint32_t newest,
                       EngineState& state);

}  // namespace alys::engine
