// alys::storage::Backend — the chain database behind the `storage` role.
//
// The operations (commit, head, reads, engine scan) are written once, here, on top of three
// primitives a backend implements: a point read, an atomic batch write, and an ordered scan. So
// every backend applies the same validation and the same range and paging rules; they differ only
// in where the bytes live. The key layout is in key_layout.hpp.
//
// The height rule (the chain decides what to commit; storage only keeps the index consistent):
//   - an empty database accepts height 0 only;
//   - otherwise a commit is at height head + 1 (extends the chain) or at a height H <= head (a
//     replacement: in the same batch the index entries above H are removed and the head becomes
//     H), but never at or below the finalized height: finalized blocks are final.
// A commit that sets the finalized pointer must name the block the index holds (or this commit
// writes) at that height, at or below the committed height, and not below the current finalized
// height.
//
// Thread-safety: none; one caller at a time (the actor).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "alys/codec.hpp"
#include "alys/domain/hash.hpp"
#include "alys/schemas/storage.hpp"

namespace alys::storage {

// A request the storage refuses (the height rule, a bad finalized pointer): nothing was written.
class Rejected : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The database itself failed (I/O error, corruption, refused open). After a failed write nothing
// of the batch is visible, the cached head still matches what is on disk, and the backend refuses
// every further write: a write that failed halfway can leave a torn record at the end of
// LevelDB's log, which recovery drops only while it stays the last one. Reopening (a restart of
// the storage role) is the way back.
class StoreFailure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ChainPointer {
  std::uint64_t height = 0;
  Hash32 hash{};
  bool operator==(const ChainPointer&) const = default;
};

struct EnginePage {
  std::vector<KeyValue> entries;
  bool more = false;
};

// One write of a batch: a put, or a delete when `value` is empty.
struct BatchWrite {
  Bytes key;
  std::optional<Bytes> value;
};

class Backend {
 public:
  virtual ~Backend() = default;
  Backend(const Backend&) = delete;
  Backend& operator=(const Backend&) = delete;

  // The last committed block; nullopt for an empty database.
  const std::optional<ChainPointer>& head() const { return head_; }
  const std::optional<ChainPointer>& finalized() const { return finalized_; }

  // Writes the block, its index entry, the head, the optional finalized pointer and the engine's
  // changes as one atomic batch (engine puts in order, then engine deletes: a key both put and
  // deleted ends deleted). Returns the bytes of keys and values written. Throws Rejected (nothing
  // written) or StoreFailure (nothing written, the backend's state unchanged, and from then on
  // every commit throws StoreFailure).
  std::uint64_t commit(const CommitBlock& commit);

  // Writes `puts` into the chain's key space as one atomic batch. Returns the bytes written. Throws
  // Rejected (an empty key; nothing written) or StoreFailure (as commit()).
  std::uint64_t put_chain_state(const std::vector<KeyValue>& puts);

  // A block by hash, canonical or replaced. Throws StoreFailure.
  std::optional<StoredBlock> block_by_hash(const Hash32& hash) const;
  // The canonical block at `height`. Throws StoreFailure.
  std::optional<StoredBlock> block_by_height(std::uint64_t height) const;
  // Canonical blocks from `from_height` up: stops at the head, after `max_count` blocks, or before
  // a block that would take the total of block bytes past `max_bytes` — but always returns the
  // block at `from_height` if there is one. REQUIRES: max_count >= 1. Throws StoreFailure.
  std::vector<StoredBlock> block_range(std::uint64_t from_height, std::uint32_t max_count,
                                       std::uint64_t max_bytes) const;
  // Engine entries in key order with keys > `start_after` (all when nullopt), at most
  // `max_entries`; `more` says whether another entry follows. REQUIRES: max_entries >= 1.
  EnginePage scan_engine(const std::optional<Bytes>& start_after, std::uint32_t max_entries) const;
  // Every entry of the chain's key space, in key order. Throws StoreFailure.
  std::vector<KeyValue> chain_state() const;

  // For logs and error messages: "leveldb at /var/lib/alysd/chain.db".
  virtual std::string describe() const = 0;

 protected:
  Backend() = default;

  // Checks the format marker (writing it into an empty database) and loads head and finalized.
  // A derived constructor calls it last, once its primitives work. Throws StoreFailure.
  void load();

  // The value at `key`, nullopt if absent. Throws StoreFailure.
  virtual std::optional<Bytes> get(ByteView key) const = 0;
  // All of `batch`, in order, atomically and (if the backend persists) durably. Throws
  // StoreFailure, in which case none of it is visible.
  virtual void write(const std::vector<BatchWrite>& batch) = 0;
  // Calls `visit` for the entries with key >= `first`, in key order, until it returns false or
  // the keys run out. Throws StoreFailure.
  virtual void scan(ByteView first,
                    const std::function<bool(ByteView key, ByteView value)>& visit) const = 0;

 private:
  void validate(const CommitBlock& commit) const;
  std::optional<Hash32> canonical_hash(std::uint64_t height) const;
  std::optional<ChainPointer> read_pointer(const Bytes& key, const char* name) const;

  std::optional<ChainPointer> head_;
  std::optional<ChainPointer> finalized_;
  std::optional<std::string> write_failure_;
};

}  // namespace alys::storage
