// An index from a 32-byte digest (a transaction hash) to the slot of a vector that holds it (the
// mempool's entries), flat: open addressing with linear probing in one array of 32-bit slot
// numbers, the digest's first eight bytes as its hash (keccak output is uniform), deletion by
// backward shift (no tombstones). The digests stay in the caller's slots; every call that compares
// or moves entries takes `key_of`, a callable from a slot to its digest.
//
// Why so: filling it allocates once per growth, not once per entry, and its array is small (4 bytes
// a bucket, at most half full), so the mempool rebuilds it from a hot-swap image within the swap's
// pause. Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <vector>

#include "alys/domain/hash.hpp"

namespace alys::engine::embedded {

class DigestIndex {
 public:
  // Adds `key` at `slot`; false (and nothing changes) when `key` is present. REQUIRES
  // key_of(slot) == key.
  template <class KeyOf>
  bool insert(const Hash32& key, std::uint32_t slot, const KeyOf& key_of) {
    if ((size_ + 1) * 2 > buckets_.size())
      rehash(buckets_.empty() ? kMinBuckets : buckets_.size() * 2, key_of);
    std::size_t at = probe(key, key_of);
    if (buckets_[at] != kEmpty) return false;
    buckets_[at] = slot + 1;
    ++size_;
    return true;
  }

  template <class KeyOf>
  std::optional<std::uint32_t> find(const Hash32& key, const KeyOf& key_of) const {
    if (buckets_.empty()) return std::nullopt;
    std::uint32_t bucket = buckets_[probe(key, key_of)];
    if (bucket == kEmpty) return std::nullopt;
    return bucket - 1;
  }

  // False when `key` is absent. Its slot must still hold it (key_of) during the call.
  template <class KeyOf>
  bool erase(const Hash32& key, const KeyOf& key_of) {
    if (buckets_.empty()) return false;
    std::size_t hole = probe(key, key_of);
    if (buckets_[hole] == kEmpty) return false;
    // Knuth's algorithm R: move later entries of the probe run back into the hole unless their
    // home lies cyclically in (hole, at], so that every entry stays reachable from its home.
    std::size_t mask = buckets_.size() - 1;
    for (std::size_t at = (hole + 1) & mask; buckets_[at] != kEmpty; at = (at + 1) & mask) {
      std::size_t wanted = home(key_of(buckets_[at] - 1));
      bool stays = hole <= at ? (hole < wanted && wanted <= at) : (hole < wanted || wanted <= at);
      if (stays) continue;
      buckets_[hole] = buckets_[at];
      hole = at;
    }
    buckets_[hole] = kEmpty;
    --size_;
    return true;
  }

  // Room for `count` entries without growing.
  template <class KeyOf>
  void reserve(std::size_t count, const KeyOf& key_of) {
    std::size_t wanted = kMinBuckets;
    while (wanted < count * 2) wanted *= 2;
    if (wanted > buckets_.size()) rehash(wanted, key_of);
  }

  void clear() {
    buckets_.clear();
    size_ = 0;
  }
  std::size_t size() const { return size_; }

 private:
  static constexpr std::uint32_t kEmpty = 0;  // a bucket holds slot + 1
  static constexpr std::size_t kMinBuckets = 16;

  std::size_t home(const Hash32& key) const {
    std::uint64_t prefix = 0;
    std::memcpy(&prefix, key.data(), sizeof prefix);
    return static_cast<std::size_t>(prefix) & (buckets_.size() - 1);
  }

  // The bucket holding `key`, or the empty bucket where it would go. REQUIRES buckets.
  template <class KeyOf>
  std::size_t probe(const Hash32& key, const KeyOf& key_of) const {
    std::size_t mask = buckets_.size() - 1;
    std::size_t at = home(key);
    while (buckets_[at] != kEmpty && key_of(buckets_[at] - 1) != key) at = (at + 1) & mask;
    return at;
  }

  template <class KeyOf>
  void rehash(std::size_t bucket_count, const KeyOf& key_of) {
    std::vector<std::uint32_t> old = std::move(buckets_);
    buckets_.assign(bucket_count, kEmpty);
    std::size_t mask = bucket_count - 1;
    for (std::uint32_t bucket : old) {
      if (bucket == kEmpty) continue;
      std::size_t at = home(key_of(bucket - 1));
      while (buckets_[at] != kEmpty) at = (at + 1) & mask;
      buckets_[at] = bucket;
    }
  }

  std::vector<std::uint32_t> buckets_;  // a power of two, at most half full
  std::size_t size_ = 0;
};

}  // namespace alys::engine::embedded
