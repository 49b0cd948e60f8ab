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
  while (index_.size() >= capacity_) drop_oldest();
  // The queue also holds the entries of erased digests: drop those when they pile up.
  if (order_.size() >= 2 * capacity_) compact();
  const std::uint64_t sequence = next_sequence_++;
  index_.emplace(digest, sequence);
  order_.push_back(Entry{digest, now_ms, sequence});
  return true;
}

bool SeenCache::contains(const Hash32& digest) const { return index_.contains(digest); }

void SeenCache::erase(const Hash32& digest) { index_.erase(digest); }

void SeenCache::prune(std::uint64_t now_ms) {
  const std::uint64_t cutoff = now_ms > max_age_ms_ ? now_ms - max_age_ms_ : 0;
  while (!order_.empty() && order_.front().stamped_ms < cutoff) drop_oldest();
}

bool SeenCache::live(const Entry& entry) const {
  auto found = index_.find(entry.digest);
  return found != index_.end() && found->second == entry.sequence;
}

void SeenCache::drop_oldest() {
  if (order_.empty()) return;
  const Entry oldest = order_.front();
  order_.pop_front();
  if (live(oldest)) index_.erase(oldest.digest);
}

void SeenCache::compact() {
  std::deque<Entry> kept;
  for (const Entry& entry : order_)
    if (live(entry)) kept.push_back(entry);
  order_ = std::move(kept);
}

}  // namespace alys::network
