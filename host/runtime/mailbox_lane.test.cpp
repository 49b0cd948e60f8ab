#include "host/runtime/mailbox_lane.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdint>
#include <thread>
#include <vector>

#include "host/runtime/envelope.hpp"

using alys::host::Envelope;
using alys::host::MailboxLane;
using alys::host::Payload;

namespace {

Envelope message(std::uint64_t id, alys_address sender = 0) {
  Envelope envelope;
  envelope.correlation_id = id;
  envelope.sender = sender;
  return envelope;
}

std::vector<std::uint64_t> drain(MailboxLane& lane) {
  std::vector<std::uint64_t> ids;
  for (Envelope out; lane.try_pop(out);) ids.push_back(out.correlation_id);
  return ids;
}

std::vector<std::uint64_t> range(std::uint64_t first, std::uint64_t last) {
  std::vector<std::uint64_t> ids;
  for (std::uint64_t id = first; id <= last; ++id) ids.push_back(id);
  return ids;
}

}  // namespace

TEST_CASE("a lane keeps FIFO order through many laps of its ring", "[mailbox_lane]") {
  MailboxLane lane(8);
  CHECK(lane.ring_slots() == 8);
  std::uint64_t next_in = 1;
  std::uint64_t next_out = 1;
  for (int round = 0; round < 100; ++round) {
    for (int i = 0; i < 5; ++i) lane.push(message(next_in++));
    CHECK(lane.size() == 5);
    for (int i = 0; i < 5; ++i) {
      Envelope out;
      REQUIRE(lane.try_pop(out));
      CHECK(out.correlation_id == next_out++);
    }
  }
  Envelope none;
  CHECK_FALSE(lane.try_pop(none));
  CHECK_FALSE(lane.has_ready());
  CHECK(lane.size() == 0);
}

TEST_CASE("a full ring spills to the overflow list, and order survives the spill",
          "[mailbox_lane]") {
  MailboxLane lane(4);
  for (std::uint64_t id = 1; id <= 10; ++id) lane.push(message(id));  // 4 in the ring, 6 spilled
  CHECK(lane.size() == 10);

  // Room in the ring again, but the list holds older messages: new ones queue behind them.
  Envelope out;
  REQUIRE(lane.try_pop(out));
  CHECK(out.correlation_id == 1);
  lane.push(message(11));
  CHECK(drain(lane) == range(2, 11));

  // Once the list is empty the ring takes messages again.
  for (std::uint64_t id = 12; id <= 14; ++id) lane.push(message(id));
  CHECK(drain(lane) == range(12, 14));
}

TEST_CASE("push_front puts messages ahead of everything queued", "[mailbox_lane]") {
  MailboxLane lane(4);
  for (std::uint64_t id = 3; id <= 8; ++id) lane.push(message(id));
  lane.push_front(message(2));
  lane.push_front(message(1));
  CHECK(lane.size() == 8);
  CHECK(lane.has_ready());
  CHECK(drain(lane) == range(1, 8));
}

TEST_CASE("clear discards ring, overflow and front messages", "[mailbox_lane]") {
  MailboxLane lane(2);
  for (std::uint64_t id = 1; id <= 5; ++id) lane.push(message(id));
  lane.push_front(message(0));
  CHECK(lane.clear() == 6);
  CHECK(lane.size() == 0);
  lane.push(message(9));
  CHECK(drain(lane) == std::vector<std::uint64_t>{9});
}

TEST_CASE("heap payloads left in a lane are freed with it", "[mailbox_lane]") {
  // Under ASan a leak or double free here fails the test.
  std::vector<std::uint8_t> bytes(500, 7);
  MailboxLane lane(4);
  for (std::uint64_t id = 0; id < 9; ++id) {
    Envelope envelope = message(id);
    envelope.payload = Payload(bytes.data(), bytes.size());
    lane.push(std::move(envelope));
  }
  Envelope out;
  REQUIRE(lane.try_pop(out));
  CHECK(out.payload.size() == 500);
  CHECK(out.payload.data()[499] == 7);
}

TEST_CASE("4 producers and a consumer: each message once, in per-producer order",
          "[mailbox_lane][concurrency]") {
  // A small ring, so the producers keep spilling into the overflow list and coming back.
  MailboxLane lane(16);
  constexpr std::uint32_t kProducers = 4;
  constexpr std::uint64_t kPerProducer = 100'000;
  std::vector<std::thread> producers;
  for (std::uint32_t producer = 0; producer < kProducers; ++producer)
    producers.emplace_back([&lane, producer] {
      for (std::uint64_t sequence = 1; sequence <= kPerProducer; ++sequence)
        lane.push(message(sequence, producer));
    });

  std::vector<std::uint64_t> last(kProducers, 0);
  std::uint64_t received = 0;
  std::uint64_t out_of_order = 0;
  while (received < kProducers * kPerProducer) {
    Envelope out;
    if (!lane.try_pop(out)) {
      std::this_thread::yield();
      continue;
    }
    ++received;
    if (out.correlation_id != last[out.sender] + 1) ++out_of_order;
    last[out.sender] = out.correlation_id;
  }
  for (auto& thread : producers) thread.join();
  CHECK(out_of_order == 0);
  CHECK(last == std::vector<std::uint64_t>(kProducers, kPerProducer));
  Envelope extra;
  CHECK_FALSE(lane.try_pop(extra));
  CHECK(lane.size() == 0);
}
