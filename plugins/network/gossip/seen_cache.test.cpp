#include "seen_cache.hpp"

#include <catch2/catch.hpp>

#include <malloc.h>

#include "alys/domain/sha256.hpp"

using alys::Hash32;
using alys::network::SeenCache;

namespace {

Hash32 digest(std::uint64_t n) {
  alys::Bytes bytes(8);
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<std::uint8_t>(n >> (8 * i));
  return alys::sha256(bytes);
}

}  // namespace

TEST_CASE("seen cache: a repeat is refused, an erased digest is taken again") {
  SeenCache cache(10, 1000);
  CHECK(cache.insert(digest(1), 0));
  CHECK_FALSE(cache.insert(digest(1), 5));
  CHECK(cache.contains(digest(1)));
  cache.erase(digest(1));
  CHECK_FALSE(cache.contains(digest(1)));
  CHECK(cache.insert(digest(1), 6));
}

TEST_CASE("seen cache: bounded by entries, the oldest go first") {
  SeenCache cache(3, 1'000'000);
  for (std::uint64_t n = 0; n < 5; ++n) CHECK(cache.insert(digest(n), n));
  CHECK(cache.size() == 3);
  CHECK_FALSE(cache.contains(digest(0)));
  CHECK_FALSE(cache.contains(digest(1)));
  CHECK(cache.contains(digest(4)));
  // Erase-and-insert churn keeps the queue bounded too.
  for (int i = 0; i < 1000; ++i) {
    cache.erase(digest(4));
    cache.insert(digest(4), 10 + i);
  }
  CHECK(cache.size() == 3);
  CHECK(cache.contains(digest(4)));
}

TEST_CASE("seen cache: bounded by age") {
  SeenCache cache(100, 1000);
  cache.insert(digest(1), 0);
  cache.insert(digest(2), 600);
  cache.prune(1200);
  CHECK_FALSE(cache.contains(digest(1)));
  CHECK(cache.contains(digest(2)));
  // A repeat does not refresh the stamp: what keeps coming back still ages out.
  CHECK_FALSE(cache.insert(digest(2), 1500));
  cache.prune(1700);
  CHECK_FALSE(cache.contains(digest(2)));
}

// The figure for the notes: heap bytes per entry, measured with glibc's mallinfo2.
TEST_CASE("seen cache: memory per entry") {
  constexpr std::size_t kEntries = 200'000;
  const std::size_t before = mallinfo2().uordblks;
  {
    SeenCache cache(kEntries, 120'000);
    for (std::uint64_t n = 0; n < kEntries; ++n) cache.insert(digest(n), n);
    const std::size_t used = mallinfo2().uordblks - before;
    const double per_entry = static_cast<double>(used) / kEntries;
    WARN("seen cache: " << used << " bytes for " << kEntries << " entries = " << per_entry
                        << " bytes per entry");
    CHECK(per_entry < 200);
  }
}
