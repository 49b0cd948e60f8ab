#include "engine/embedded/digest_index.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <random>

using namespace alys;
using namespace alys::engine::embedded;

namespace {

// Digests whose first bytes collide on purpose: every one shares its home bucket with others.
Hash32 digest(std::uint32_t i, std::uint32_t home) {
  Hash32 key{};
  key[0] = static_cast<std::uint8_t>(home);
  for (int b = 0; b < 4; ++b) key[31 - b] = static_cast<std::uint8_t>(i >> (8 * b));
  return key;
}

}  // namespace

TEST_CASE("inserts, finds and erases like a map, through colliding runs and growth") {
  DigestIndex index;
  std::map<Hash32, std::uint32_t> model;
  std::mt19937 random(7);
  for (std::uint32_t step = 0; step < 6'000; ++step) {
    Hash32 key = digest(random() % 600, random() % 8);
    switch (random() % 3) {
      case 0:
      case 1: {
        bool fresh = model.emplace(key, step).second;
        REQUIRE(index.insert(key, step) == fresh);
        break;
      }
      case 2:
        REQUIRE(index.erase(key) == (model.erase(key) == 1));
        break;
    }
    REQUIRE(index.size() == model.size());
  }
  for (std::uint32_t i = 0; i < 600; ++i) {
    for (std::uint32_t home = 0; home < 8; ++home) {
      Hash32 key = digest(i, home);
      auto expected = model.find(key);
      auto found = index.find(key);
      REQUIRE(found.has_value() == (expected != model.end()));
      if (found) REQUIRE(*found == expected->second);
    }
  }
}

TEST_CASE("an empty or cleared index finds nothing; reserve keeps what it holds") {
  DigestIndex index;
  CHECK_FALSE(index.find(digest(1, 1)).has_value());
  CHECK_FALSE(index.erase(digest(1, 1)));
  REQUIRE(index.insert(digest(1, 1), 5));
  index.reserve(10'000);
  CHECK(index.find(digest(1, 1)) == std::optional<std::uint32_t>(5));
  index.clear();
  CHECK(index.size() == 0);
  CHECK_FALSE(index.find(digest(1, 1)).has_value());
  CHECK(index.insert(digest(1, 1), 6));
}
