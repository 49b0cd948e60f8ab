#include "seen_cache.hpp"

#include <cstring>

namespace alys::network {

std::size_t SeenCache::DigestHash::operator()(const Hash32& digest) const noexcept {
  std::size_t value = 0;
  std::memcpy(&value, digest.data(), sizeof value);
  return value;
}

SeenCache::SeenCache(std::size_t capacity, std::uint64_t max_age_ms)
    : capacity_(capacity < 1 ? 1 : capacity), max_age_ms_(max_age_ms) {}

bool SeenCache::insert(const Hash32& digest, std::uint64_t now_ms) {
  if (index_.contains(digest)) return false;
  // The queue also holds the stale entries of erased digests: bound it too.
  while (index_.size() >= capacity_ || order_.size() >= 2 * capacity_) drop_oldest();
  index_.emplace(digest, now_ms);
  order_.push_back(Entry{digest, now_ms});
  return true;
}

bool SeenCache::contains(const Hash32& digest) const { return index_.contains(digest); }

void SeenCache::erase(const Hash32& digest) { index_.erase(digest); }

void SeenCache::prune(std::uint64_t now_ms) {
  const std::uint64_t cutoff = now_ms > max_age_ms_ ? now_ms - max_age_ms_ : 0;
  while (!order_.empty() && order_.front().stamped_ms < cutoff) drop_oldest();
}

void SeenCache::drop_oldest() {
  if (order_.empty()) return;
  const Entry oldest = order_.front();
  order_.pop_front();
  // An erased digest that came back later has a newer stamp: this old queue entry is not it.
  auto found = index_.find(oldest.digest);
  if (found != index_.end() && found->second == oldest.stamped_ms) index_.erase(found);
}

}  // namespace alys::network
