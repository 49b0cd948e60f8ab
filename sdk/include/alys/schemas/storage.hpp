// Messages of the `storage` role. Every message is a request; each has its own reply type whose
// `error` is empty on success. Fields are only appended; a changed meaning gets a new schema name.
//
// Blocks are stored as opaque bytes (the encoding of alys::SignedBlock) under their hash; storage
// does not interpret them. The engine's state lives in its own key space (engine_puts/deletes).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "alys/codec.hpp"
#include "alys/domain/hash.hpp"

namespace alys::storage {

struct KeyValue {
  Bytes key;
  Bytes value;
  ALYS_FIELDS(key, value)
};

// A chain import: the block, its height index, the head pointer, optionally the finalized pointer,
// and the engine's state changes, written as ONE atomic batch synced to disk (leveldb backend).
// Either all of it is visible afterwards, or none of it (also across a crash).
struct CommitBlock {
  static constexpr std::string_view schema_name = "alys.storage.CommitBlock/1";
  Hash32 hash{};
  std::uint64_t height = 0;
  Bytes block;  // encode(SignedBlock)
  bool set_finalized = false;
  Hash32 finalized_hash{};
  std::uint64_t finalized_height = 0;
  std::vector<KeyValue> engine_puts;
  std::vector<Bytes> engine_deletes;
  // The chain role's own state (its key space, separate from the engine's): written in the same
  // batch, so that it always matches the head.
  std::vector<KeyValue> chain_puts;
  ALYS_FIELDS(hash, height, block, set_finalized, finalized_hash, finalized_height, engine_puts,
              engine_deletes, chain_puts)
};
struct Committed {
  static constexpr std::string_view schema_name = "alys.storage.Committed/1";
  std::string error;
  ALYS_FIELDS(error)
};

struct GetHead {
  static constexpr std::string_view schema_name = "alys.storage.GetHead/1";
  bool unused = false;  // the codec needs a field; ignored
  ALYS_FIELDS(unused)
};
struct Head {
  static constexpr std::string_view schema_name = "alys.storage.Head/1";
  std::string error;
  bool has_head = false;  // false: an empty database
  Hash32 hash{};
  std::uint64_t height = 0;
  bool has_finalized = false;
  Hash32 finalized_hash{};
  std::uint64_t finalized_height = 0;
  ALYS_FIELDS(error, has_head, hash, height, has_finalized, finalized_hash, finalized_height)
};

struct GetBlockByHash {
  static constexpr std::string_view schema_name = "alys.storage.GetBlockByHash/1";
  Hash32 hash{};
  ALYS_FIELDS(hash)
};
struct GetBlockByHeight {
  static constexpr std::string_view schema_name = "alys.storage.GetBlockByHeight/1";
  std::uint64_t height = 0;
  ALYS_FIELDS(height)
};
struct StoredBlock {
  std::uint64_t height = 0;
  Hash32 hash{};
  Bytes block;
  ALYS_FIELDS(height, hash, block)
};
// The reply to GetBlockByHash and GetBlockByHeight.
struct BlockFound {
  static constexpr std::string_view schema_name = "alys.storage.BlockFound/1";
  std::string error;
  bool found = false;
  StoredBlock block;
  ALYS_FIELDS(error, found, block)
};

// Canonical blocks from `from_height` upwards, for replay and sync; stops at the head, at
// `max_count` blocks, or once `max_bytes` of block bytes are collected (at least one block).
struct GetBlockRange {
  static constexpr std::string_view schema_name = "alys.storage.GetBlockRange/1";
  std::uint64_t from_height = 0;
  std::uint32_t max_count = 256;
  std::uint64_t max_bytes = 8 << 20;
  ALYS_FIELDS(from_height, max_count, max_bytes)
};
struct BlockRange {
  static constexpr std::string_view schema_name = "alys.storage.BlockRange/1";
  std::string error;
  std::vector<StoredBlock> blocks;
  ALYS_FIELDS(error, blocks)
};

// The engine's key space, in key order, page by page: keys > `start_after` (all keys when empty
// and `from_start`), at most `max_entries`.
struct ScanEngineState {
  static constexpr std::string_view schema_name = "alys.storage.ScanEngineState/1";
  Bytes start_after;
  bool from_start = true;
  std::uint32_t max_entries = 4096;
  ALYS_FIELDS(start_after, from_start, max_entries)
};
struct EngineStatePage {
  static constexpr std::string_view schema_name = "alys.storage.EngineStatePage/1";
  std::string error;
  std::vector<KeyValue> entries;
  bool more = false;  // another page follows: ask again with start_after = the last key
  ALYS_FIELDS(error, entries, more)
};

// The chain role's own keys, written on their own (not with a block): one atomic batch, synced as
// a commit is (leveldb `sync`). The chain writes its approval record this way before it sends an
// approval, and the evidence of an equivocation. Answered with Committed. Keys must be non-empty.
struct PutChainState {
  static constexpr std::string_view schema_name = "alys.storage.PutChainState/1";
  std::vector<KeyValue> puts;
  ALYS_FIELDS(puts)
};

// Every entry of the chain's key space (a handful of small values), in key order.
struct GetChainState {
  static constexpr std::string_view schema_name = "alys.storage.GetChainState/1";
  bool unused = false;
  ALYS_FIELDS(unused)
};
struct ChainState {
  static constexpr std::string_view schema_name = "alys.storage.ChainState/1";
  std::string error;
  std::vector<KeyValue> entries;
  ALYS_FIELDS(error, entries)
};

}  // namespace alys::storage
