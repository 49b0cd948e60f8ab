// A map from a 32-byte digest (a transaction hash) to a 32-bit value (a mempool slot), flat:
// open addressing with linear probing in one array, the digest's first eight bytes as its hash
// (keccak output is uniform), deletion by backward shift (no tombstones). Filling it allocates
// once per growth, not once per entry, so the mempool rebuilds it from a hot-swap image in time
// linear in the entries with no allocation per entry. Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "alys/domain/hash.hpp"

namespace alys::engine::embedded {

class DigestIndex {
 public:
  // Adds `key` -> `value`; false (and nothing changes) when `key` is present.
  bool insert(const Hash32& key, std::uint32_t value);
  std::optional<std::uint32_t> find(const Hash32& key) const;
  // False when `key` is absent.
  bool erase(const Hash32& key);
  void clear();
  // Room for `count` entries without growing.
  void reserve(std::size_t count);
  std::size_t size() const { return size_; }

 private:
  struct Bucket {
    Hash32 key{};
    std::uint32_t value = 0;
    bool used = false;
  };

  std::size_t home(const Hash32& key) const;
  // The bucket holding `key`, or the empty bucket where it would go. REQUIRES buckets.
  std::size_t probe(const Hash32& key) const;
  void rehash(std::size_t bucket_count);

  std::vector<Bucket> buckets_;  // a power of two, at most half full
  std::size_t size_ = 0;
};

}  // namespace alys::engine::embedded
