#include "outbound_queue.hpp"

#include <catch2/catch.hpp>

using alys::Bytes;
using alys::network::OutboundFrame;
using alys::network::OutboundQueue;

namespace {
OutboundFrame frame(std::uint8_t tag, bool consensus, std::size_t size = 1) {
  return OutboundFrame{Bytes(size, tag), consensus};
}
}  // namespace

TEST_CASE("a full queue drops the oldest non-consensus frame first", "[network]") {
  OutboundQueue queue(3, 1000);
  queue.push(frame(1, true));
  queue.push(frame(2, false));
  queue.push(frame(3, true));
  queue.push(frame(4, false));  // 2 goes
  queue.push(frame(5, true));   // 4 goes
  CHECK(queue.dropped() == 2);
  CHECK(queue.dropped_consensus() == 0);
  queue.push(frame(6, true));  // only consensus left: the oldest (1) goes
  CHECK(queue.dropped_consensus() == 1);
  auto left = queue.drain();
  REQUIRE(left.size() == 3);
  CHECK(left[0].plaintext[0] == 3);
  CHECK(left[1].plaintext[0] == 5);
  CHECK(left[2].plaintext[0] == 6);
  CHECK(queue.empty());
  CHECK(queue.bytes() == 0);
}

TEST_CASE("the byte bound drops too; a frame above it alone still goes", "[network]") {
  OutboundQueue queue(100, 10);
  queue.push(frame(1, false, 6));
  queue.push(frame(2, false, 6));  // 1 goes
  CHECK(queue.size() == 1);
  CHECK(queue.bytes() == 6);
  queue.push(frame(3, true, 50));
  CHECK(queue.size() == 1);
  CHECK(queue.pop().plaintext.size() == 50);
  CHECK(queue.dropped() == 2);
}
