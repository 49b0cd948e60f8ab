// The key layout: heights sort as numbers, the key families never overlap, and the meta keys are
// what docs/storage.md says they are.
#include "storage/key_layout.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

using namespace alys;
using namespace alys::storage;

TEST_CASE("height keys sort in numeric order and read back") {
  const std::vector<std::uint64_t> heights = {0,   1,          255,        256,
                                              257, 1ull << 32, 1ull << 40, UINT64_MAX};
  std::vector<Bytes> keys_in_order;
  for (std::uint64_t height : heights) keys_in_order.push_back(keys::height(height));
  CHECK(std::is_sorted(keys_in_order.begin(), keys_in_order.end()));
  for (std::uint64_t height : heights) {
    Bytes key = keys::height(height);
    REQUIRE(key.size() == 9);
    CHECK(key[0] == 'h');
    CHECK(keys::read_big_endian(ByteView(key).subspan(1)) == height);
  }
  CHECK(keys::height(0x0102030405060708) ==
        Bytes{'h', 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08});
}

TEST_CASE("each family of keys starts with its own prefix byte") {
  Hash32 hash{};
  hash.fill(0xff);
  Bytes block = keys::block(hash);
  CHECK(block.size() == 33);
  CHECK(block[0] == 'b');
  CHECK(std::equal(hash.begin(), hash.end(), block.begin() + 1));

  Bytes engine = keys::engine(Bytes{0x00, 0x01});
  CHECK(engine == Bytes{'e', 0x00, 0x01});

  auto text = [](const Bytes& key) { return std::string(key.begin(), key.end()); };
  CHECK(text(keys::format()) == "mformat");
  CHECK(text(keys::head()) == "mhead");
  CHECK(text(keys::finalized()) == "mfinalized");

  // Every engine key sorts after every block key and before every height key, so a scan of the
  // engine's keys stops at the first key that lacks its prefix.
  CHECK(keys::block(hash) < keys::engine(Bytes{0x00}));
  Bytes highest_engine = keys::engine(Bytes(64, 0xff));
  CHECK(highest_engine < keys::height(0));
}
