// The digests of the gossip messages this node has received or sent, so that nothing is relayed
// twice and nothing loops between peers. Bounded twice: by entries (the oldest entry goes when a
// new one would exceed the capacity) and by age (prune() forgets entries older than max_age_ms).
//
// A digest names a message by content (the caller derives it: a block hash, an approval's
// (hash, member, round), a transaction hash, the SHA-256 of an AuxPoW offer), so every copy of a
// message has the same digest whoever sent it.
//
// Not thread-safe: the network actor's thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <unordered_map>

#include "alys/domain/hash.hpp"

namespace alys::network {

class SeenCache {
 public:
  // REQUIRES capacity >= 1.
  SeenCache(std::size_t capacity, std::uint64_t max_age_ms);

  // True when `digest` was not in the cache (it is now, stamped `now_ms`); false for a repeat,
  // whose stamp is left as it was (a message that keeps coming back still ages out).
  bool insert(const Hash32& digest, std::uint64_t now_ms);
  bool contains(const Hash32& digest) const;
  // Forgets `digest` (a message whose handling failed for a reason that is not the message's
  // fault, so that a later copy is handled again).
  void erase(const Hash32& digest);
  // Forgets every entry stamped before now_ms - max_age_ms.
  void prune(std::uint64_t now_ms);

  std::size_t size() const { return index_.size(); }
  std::size_t capacity() const { return capacity_; }

 private:
  struct DigestHash {
    // SHA-256 output is uniform: its first bytes are a good hash (and no peer can aim at buckets).
    std::size_t operator()(const Hash32& digest) const noexcept;
  };
  struct Entry {
    Hash32 digest;
    std::uint64_t stamped_ms;
    std::uint64_t sequence;  // tells this insertion from a later one of the same digest
  };

  void drop_oldest();
  bool live(const Entry& entry) const;
  void compact();

  std::size_t capacity_;
  std::uint64_t max_age_ms_;
  std::unordered_map<Hash32, std::uint64_t, DigestHash> index_;  // digest -> sequence
  std::deque<Entry> order_;  // insertion order; may hold erased digests (skipped when popped)
  std::uint64_t next_sequence_ = 0;
};

}  // namespace alys::network
