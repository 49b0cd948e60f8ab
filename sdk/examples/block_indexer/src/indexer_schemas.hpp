// Message and state schemas of the example block indexer.
//
// The message schemas are the indexer's public interface: another plugin (or a test) includes this
// header to query it. Their names start with `example.`: a type id is the FNV-1a hash of the name,
// so a third-party plugin mints its ids by picking a prefix of its own, without asking anyone.
// Like every schema, fields are only appended; a changed meaning gets a new name (`.../2`).
//
// The state schemas are private to the plugin: the bytes one version hands to the next on a hot
// swap (Actor::snapshot / Actor::restore).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "alys/codec.hpp"

namespace example::indexer {

using Hash = std::array<std::uint8_t, 32>;

// Request to the indexer role: the block at `height`. Answered with Block.
struct GetBlock {
  static constexpr std::string_view schema_name = "example.indexer.GetBlock/1";
  std::uint64_t height = 0;
  ALYS_FIELDS(height)
};

// Reply to GetBlock. `found` is false when the height is not indexed (not reached yet, evicted
// from the window, or never seen); then only `height` is set.
struct Block {
  static constexpr std::string_view schema_name = "example.indexer.Block/1";
  bool found = false;
  std::uint64_t height = 0;
  Hash hash{};
  Hash parent_hash{};
  std::uint64_t slot = 0;
  std::uint64_t timestamp_ms = 0;
  std::uint32_t transaction_count = 0;
  ALYS_FIELDS(found, height, hash, parent_hash, slot, timestamp_ms, transaction_count)
};

// --- State schemas (hot swap) ---

// The state schema this build writes by default (its manifest's state_schema_version).
inline constexpr std::uint32_t kStateSchemaVersion = 2;

// One indexed block as the state stores it. A copy of alys::chain::BlockImported's fields rather
// than that struct itself: the state's layout must not change when the chain's event schema gains
// fields, or a snapshot would silently mean something else to the next version.
struct StoredBlock {
  std::uint64_t height = 0;
  Hash hash{};
  Hash parent_hash{};
  std::uint64_t slot = 0;
  std::uint64_t timestamp_ms = 0;
  std::uint32_t transaction_count = 0;
  ALYS_FIELDS(height, hash, parent_hash, slot, timestamp_ms, transaction_count)
};

// State schema 1 (the first releases): the retained blocks, in ascending height.
struct StateV1 {
  std::vector<StoredBlock> blocks;
  ALYS_FIELDS(blocks)
};

// State schema 2: adds the running total of transactions on the chain up to the head. It counts
// blocks already evicted from the window, so it cannot be recomputed from `blocks`: it has to
// travel with the state.
//
// Schema 2 only appends to schema 1, so the codec would decode either bytes as the other. The
// version number is still what matters: schema 1 bytes decoded as StateV2 give `transactions == 0`,
// which would be wrong rather than unknown; restore() recomputes what it can instead.
struct StateV2 {
  std::vector<StoredBlock> blocks;
  std::uint64_t transactions = 0;
  ALYS_FIELDS(blocks, transactions)
};

}  // namespace example::indexer
