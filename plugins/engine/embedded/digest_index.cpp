#include "engine/embedded/digest_index.hpp"

#include <cstring>

namespace alys::engine::embedded {

std::size_t DigestIndex::home(const Hash32& key) const {
  std::uint64_t prefix = 0;
  std::memcpy(&prefix, key.data(), sizeof prefix);
  return static_cast<std::size_t>(prefix) & (buckets_.size() - 1);
}

std::size_t DigestIndex::probe(const Hash32& key) const {
  std::size_t mask = buckets_.size() - 1;
  std::size_t at = home(key);
  while (buckets_[at].used && buckets_[at].key != key) at = (at + 1) & mask;
  return at;
}

bool DigestIndex::insert(const Hash32& key, std::uint32_t value) {
  if ((size_ + 1) * 2 > buckets_.size()) rehash(buckets_.empty() ? 16 : buckets_.size() * 2);
  std::size_t at = probe(key);
  if (buckets_[at].used) return false;
  buckets_[at] = Bucket{key, value, true};
  ++size_;
  return true;
}

std::optional<std::uint32_t> DigestIndex::find(const Hash32& key) const {
  if (buckets_.empty()) return std::nullopt;
  const Bucket& bucket = buckets_[probe(key)];
  if (!bucket.used) return std::nullopt;
  return bucket.value;
}

bool DigestIndex::erase(const Hash32& key) {
  if (buckets_.empty()) return false;
  std::size_t hole = probe(key);
  if (!buckets_[hole].used) return false;
  // Knuth's algorithm R: move later entries of the probe run back into the hole unless their home
  // lies cyclically in (hole, at], so that every entry stays reachable from its home.
  std::size_t mask = buckets_.size() - 1;
  for (std::size_t at = (hole + 1) & mask; buckets_[at].used; at = (at + 1) & mask) {
    std::size_t wanted = home(buckets_[at].key);
    bool stays = hole <= at ? (hole < wanted && wanted <= at) : (hole < wanted || wanted <= at);
    if (stays) continue;
    buckets_[hole] = buckets_[at];
    hole = at;
  }
  buckets_[hole].used = false;
  --size_;
  return true;
}

void DigestIndex::clear() {
  buckets_.clear();
  size_ = 0;
}

void DigestIndex::reserve(std::size_t count) {
  std::size_t wanted = 16;
  while (wanted < count * 2) wanted *= 2;
  if (wanted > buckets_.size()) rehash(wanted);
}

void DigestIndex::rehash(std::size_t bucket_count) {
  std::vector<Bucket> old = std::move(buckets_);
  buckets_.assign(bucket_count, Bucket{});
  for (const Bucket& bucket : old)
    if (bucket.used) buckets_[probe(bucket.key)] = bucket;
}

}  // namespace alys::engine::embedded
