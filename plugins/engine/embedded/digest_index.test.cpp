#include "engine/embedded/digest_index.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <random>

using namespace alys;
using namespace alys::engine::embedded;

namespace {

// Digests whose first bytes collide on purpose: many share a home bucket.
Hash32 digest(std::uint32_t i, std::uint32_t home) {
  Hash32 key{};
  key[0] = static_cast<std::uint8_t>(home);
  for (int b = 0; b < 4; ++b) key[31 - b] = static_cast<std::uint8_t>(i >> (8 * b));
  return key;
}

}  // namespace

TEST_CASE("inserts, finds and erases like a map, through colliding runs and growth") {
  // Slots as the mempool keeps them: a vector of digests, a slot reused once freed.
  std::vector<Hash32> slots;
  std::vector<std::uint32_t> free_slots;
  auto key_of = [&slots](std::uint32_t slot) -> const Hash32& { return slots[slot]; };
  DigestIndex index;
  std::map<Hash32, std::uint32_t> model;
  std::mt19937 random(7);
  for (std::uint32_t step = 0; step < 6'000; ++step) {
    Hash32 key = digest(random() % 600, random() % 8);
    if (random() % 3 != 2) {
      if (model.count(key) != 0) {
        REQUIRE_FALSE(index.insert(key, model[key], key_of));
        continue;
      }
      std::uint32_t slot;
      if (!free_slots.empty()) {
        slot = free_slots.back();
        free_slots.pop_back();
        slots[slot] = key;
      } else {
        slot = static_cast<std::uint32_t>(slots.size());
        slots.push_back(key);
      }
      REQUIRE(index.insert(key, slot, key_of));
      model[key] = slot;
    } else {
      auto found = model.find(key);
      REQUIRE(index.erase(key, key_of) == (found != model.end()));
      if (found != model.end()) {
        free_slots.push_back(found->second);
        model.erase(found);
      }
    }
    REQUIRE(index.size() == model.size());
  }
  for (std::uint32_t i = 0; i < 600; ++i) {
    for (std::uint32_t home = 0; home < 8; ++home) {
      Hash32 key = digest(i, home);
      auto expected = model.find(key);
      auto found = index.find(key, key_of);
      REQUIRE(found.has_value() == (expected != model.end()));
      if (found) REQUIRE(*found == expected->second);
    }
  }
}

TEST_CASE("an empty or cleared index finds nothing; reserve keeps what it holds") {
  std::vector<Hash32> slots{digest(1, 1)};
  auto key_of = [&slots](std::uint32_t slot) -> const Hash32& { return slots[slot]; };
  DigestIndex index;
  CHECK_FALSE(index.find(digest(1, 1), key_of).has_value());
  CHECK_FALSE(index.erase(digest(1, 1), key_of));
  REQUIRE(index.insert(digest(1, 1), 0, key_of));
  index.reserve(10'000, key_of);
  CHECK(index.find(digest(1, 1), key_of) == std::optional<std::uint32_t>(0));
  index.clear();
  CHECK(index.size() == 0);
  CHECK_FALSE(index.find(digest(1, 1), key_of).has_value());
  CHECK(index.insert(digest(1, 1), 0, key_of));
}
