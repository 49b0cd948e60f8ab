#include "host/runtime/mailbox.hpp"

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <cstdint>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "host/runtime/envelope.hpp"

using alys::host::Envelope;
using alys::host::Mailbox;
using alys::host::MailboxConfig;
using alys::host::OverflowPolicy;
using alys::host::Payload;
using Push = Mailbox::Push;

namespace {

// An envelope identified by its correlation id, so tests can follow it through the mailbox.
Envelope message(std::uint64_t id, std::uint32_t priority = ALYS_PRIORITY_NORMAL) {
  Envelope envelope;
  envelope.correlation_id = id;
  envelope.type_id = 1000 + id;
  envelope.priority = priority;
  return envelope;
}

Mailbox make_mailbox(std::size_t capacity, OverflowPolicy overflow) {
  MailboxConfig config;
  config.capacity = capacity;
  config.overflow = overflow;
  return Mailbox(config);
}

Push push(Mailbox& mailbox, Envelope envelope, std::optional<Envelope>& dropped) {
  return mailbox.push(std::move(envelope), dropped);
}

Push push(Mailbox& mailbox, Envelope envelope) {
  std::optional<Envelope> dropped;
  Push result = mailbox.push(std::move(envelope), dropped);
  CHECK_FALSE(dropped.has_value());
  return result;
}

// Pops everything, returning the correlation ids in the order they left.
std::vector<std::uint64_t> drain(Mailbox& mailbox) {
  std::vector<std::uint64_t> ids;
  while (!mailbox.empty()) ids.push_back(mailbox.pop().correlation_id);
  return ids;
}

Payload payload_of(const std::vector<std::uint8_t>& bytes) {
  return Payload(bytes.data(), bytes.size());
}

std::vector<std::uint8_t> bytes_of(const Payload& payload) {
  return std::vector<std::uint8_t>(payload.data(), payload.data() + payload.size());
}

std::vector<std::uint8_t> pattern(std::size_t size) {
  std::vector<std::uint8_t> bytes(size);
  for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<std::uint8_t>(i * 7 + 3);
  return bytes;
}

}  // namespace

TEST_CASE("a higher priority always leaves first", "[mailbox]") {
  Mailbox mailbox = make_mailbox(100, OverflowPolicy::reject);
  CHECK(push(mailbox, message(1, ALYS_PRIORITY_BACKGROUND)) == Push::accepted);
  CHECK(push(mailbox, message(2, ALYS_PRIORITY_NORMAL)) == Push::accepted);
  CHECK(push(mailbox, message(3, ALYS_PRIORITY_HIGH)) == Push::accepted);
  CHECK(push(mailbox, message(4, ALYS_PRIORITY_CONSENSUS)) == Push::accepted);
  CHECK(push(mailbox, message(5, ALYS_PRIORITY_BACKGROUND)) == Push::accepted);
  CHECK(push(mailbox, message(6, ALYS_PRIORITY_CONSENSUS)) == Push::accepted);
  CHECK(drain(mailbox) == std::vector<std::uint64_t>{4, 6, 3, 2, 1, 5});
}

TEST_CASE("a consensus message never waits behind a background backlog", "[mailbox]") {
  Mailbox mailbox = make_mailbox(1000, OverflowPolicy::reject);
  for (std::uint64_t i = 0; i < 500; ++i) push(mailbox, message(i, ALYS_PRIORITY_BACKGROUND));
  push(mailbox, message(9999, ALYS_PRIORITY_CONSENSUS));
  CHECK(mailbox.pop().correlation_id == 9999);
  CHECK(mailbox.size() == 500);
}

TEST_CASE("messages of one priority leave in arrival order", "[mailbox]") {
  Mailbox mailbox = make_mailbox(100, OverflowPolicy::reject);
  std::vector<std::uint64_t> expected;
  for (std::uint64_t i = 0; i < 20; ++i) {
    push(mailbox, message(i, ALYS_PRIORITY_HIGH));
    expected.push_back(i);
  }
  CHECK(drain(mailbox) == expected);
}

TEST_CASE("interleaved pushes and pops keep FIFO within a priority", "[mailbox]") {
  Mailbox mailbox = make_mailbox(100, OverflowPolicy::reject);
  push(mailbox, message(1));
  push(mailbox, message(2));
  CHECK(mailbox.pop().correlation_id == 1);
  push(mailbox, message(3));
  push(mailbox, message(4, ALYS_PRIORITY_HIGH));
  CHECK(mailbox.pop().correlation_id == 4);
  CHECK(mailbox.pop().correlation_id == 2);
  push(mailbox, message(5));
  CHECK(drain(mailbox) == std::vector<std::uint64_t>{3, 5});
}

TEST_CASE("pop returns the whole envelope", "[mailbox]") {
  Mailbox mailbox = make_mailbox(10, OverflowPolicy::reject);
  Envelope envelope = message(42, ALYS_PRIORITY_HIGH);
  envelope.topic_id = 77;
  envelope.sender = 5;
  envelope.kind = ALYS_KIND_REQUEST;
  envelope.payload = payload_of(pattern(100));
  push(mailbox, std::move(envelope));

  Envelope out = mailbox.pop();
  CHECK(out.correlation_id == 42);
  CHECK(out.type_id == 1042);
  CHECK(out.topic_id == 77);
  CHECK(out.sender == 5);
  CHECK(out.kind == ALYS_KIND_REQUEST);
  CHECK(out.priority == ALYS_PRIORITY_HIGH);
  CHECK(bytes_of(out.payload) == pattern(100));
}

TEST_CASE("size counts all priorities and each priority", "[mailbox]") {
  Mailbox mailbox = make_mailbox(100, OverflowPolicy::reject);
  CHECK(mailbox.empty());
  CHECK(mailbox.size() == 0);
  push(mailbox, message(1, ALYS_PRIORITY_BACKGROUND));
  push(mailbox, message(2, ALYS_PRIORITY_NORMAL));
  push(mailbox, message(3, ALYS_PRIORITY_NORMAL));
  push(mailbox, message(4, ALYS_PRIORITY_CONSENSUS));
  CHECK_FALSE(mailbox.empty());
  CHECK(mailbox.size() == 4);
  CHECK(mailbox.size(ALYS_PRIORITY_BACKGROUND) == 1);
  CHECK(mailbox.size(ALYS_PRIORITY_NORMAL) == 2);
  CHECK(mailbox.size(ALYS_PRIORITY_HIGH) == 0);
  CHECK(mailbox.size(ALYS_PRIORITY_CONSENSUS) == 1);

  mailbox.pop();
  CHECK(mailbox.size() == 3);
  CHECK(mailbox.size(ALYS_PRIORITY_CONSENSUS) == 0);
}

TEST_CASE("clear discards everything and reports how many", "[mailbox]") {
  Mailbox mailbox = make_mailbox(100, OverflowPolicy::reject);
  for (std::uint32_t priority = 0; priority <= ALYS_PRIORITY_CONSENSUS; ++priority) {
    push(mailbox, message(priority * 2, priority));
    push(mailbox, message(priority * 2 + 1, priority));
  }
  CHECK(mailbox.size() == 8);
  CHECK(mailbox.clear() == 8);
  CHECK(mailbox.empty());
  CHECK(mailbox.size() == 0);
  for (std::uint32_t priority = 0; priority <= ALYS_PRIORITY_CONSENSUS; ++priority)
    CHECK(mailbox.size(priority) == 0);
  CHECK(mailbox.clear() == 0);

  // Usable again at full capacity after a clear.
  push(mailbox, message(50));
  CHECK(drain(mailbox) == std::vector<std::uint64_t>{50});
}

TEST_CASE("the config is kept", "[mailbox]") {
  Mailbox mailbox = make_mailbox(7, OverflowPolicy::drop_oldest);
  CHECK(mailbox.config().capacity == 7);
  CHECK(mailbox.config().overflow == OverflowPolicy::drop_oldest);
}

TEST_CASE("capacity counts messages across all priorities", "[mailbox]") {
  Mailbox mailbox = make_mailbox(3, OverflowPolicy::reject);
  CHECK(push(mailbox, message(1, ALYS_PRIORITY_BACKGROUND)) == Push::accepted);
  CHECK(push(mailbox, message(2, ALYS_PRIORITY_NORMAL)) == Push::accepted);
  CHECK(push(mailbox, message(3, ALYS_PRIORITY_CONSENSUS)) == Push::accepted);
  CHECK(push(mailbox, message(4, ALYS_PRIORITY_HIGH)) == Push::rejected);
  CHECK(mailbox.size() == 3);

  // A pop frees exactly one slot.
  mailbox.pop();
  CHECK(push(mailbox, message(5, ALYS_PRIORITY_HIGH)) == Push::accepted);
  CHECK(push(mailbox, message(6, ALYS_PRIORITY_HIGH)) == Push::rejected);
}

TEST_CASE("reject refuses the message when full and keeps the contents unchanged", "[mailbox]") {
  Mailbox mailbox = make_mailbox(3, OverflowPolicy::reject);
  push(mailbox, message(1, ALYS_PRIORITY_BACKGROUND));
  push(mailbox, message(2, ALYS_PRIORITY_NORMAL));
  push(mailbox, message(3, ALYS_PRIORITY_NORMAL));

  // Whatever the priority, even consensus, a full `reject` mailbox refuses and drops nothing.
  for (std::uint32_t priority = 0; priority <= ALYS_PRIORITY_CONSENSUS + 2; ++priority) {
    std::optional<Envelope> dropped;
    CHECK(push(mailbox, message(100 + priority, priority), dropped) == Push::rejected);
    CHECK_FALSE(dropped.has_value());
    CHECK(mailbox.size() == 3);
  }
  CHECK(mailbox.size(ALYS_PRIORITY_BACKGROUND) == 1);
  CHECK(mailbox.size(ALYS_PRIORITY_NORMAL) == 2);
  CHECK(mailbox.size(ALYS_PRIORITY_HIGH) == 0);
  CHECK(mailbox.size(ALYS_PRIORITY_CONSENSUS) == 0);
  CHECK(drain(mailbox) == std::vector<std::uint64_t>{2, 3, 1});
}

TEST_CASE("a zero-capacity mailbox accepts nothing", "[mailbox]") {
  SECTION("reject") {
    Mailbox mailbox = make_mailbox(0, OverflowPolicy::reject);
    CHECK(push(mailbox, message(1, ALYS_PRIORITY_CONSENSUS)) == Push::rejected);
    CHECK(mailbox.empty());
  }
  SECTION("drop-oldest") {
    Mailbox mailbox = make_mailbox(0, OverflowPolicy::drop_oldest);
    std::optional<Envelope> dropped;
    CHECK(push(mailbox, message(1, ALYS_PRIORITY_CONSENSUS), dropped) == Push::dropped_incoming);
    REQUIRE(dropped.has_value());
    CHECK(dropped->correlation_id == 1);
    CHECK(mailbox.empty());
  }
}

TEST_CASE("drop-oldest accepts without dropping while there is room", "[mailbox]") {
  Mailbox mailbox = make_mailbox(2, OverflowPolicy::drop_oldest);
  std::optional<Envelope> dropped;
  CHECK(push(mailbox, message(1), dropped) == Push::accepted);
  CHECK(push(mailbox, message(2), dropped) == Push::accepted);
  CHECK_FALSE(dropped.has_value());
}

TEST_CASE("drop-oldest drops the oldest message of the lowest non-empty priority", "[mailbox]") {
  Mailbox mailbox = make_mailbox(4, OverflowPolicy::drop_oldest);
  push(mailbox, message(1, ALYS_PRIORITY_HIGH));
  push(mailbox, message(2, ALYS_PRIORITY_NORMAL));
  push(mailbox, message(3, ALYS_PRIORITY_NORMAL));
  push(mailbox, message(4, ALYS_PRIORITY_CONSENSUS));

  SECTION("an incoming message of a higher priority") {
    std::optional<Envelope> dropped;
    CHECK(push(mailbox, message(5, ALYS_PRIORITY_HIGH), dropped) == Push::accepted_dropped_oldest);
    REQUIRE(dropped.has_value());
    CHECK(dropped->correlation_id == 2);  // oldest of NORMAL, the lowest non-empty priority
    CHECK(dropped->type_id == 1002);
    CHECK(dropped->priority == ALYS_PRIORITY_NORMAL);
    CHECK(mailbox.size() == 4);
    CHECK(mailbox.size(ALYS_PRIORITY_NORMAL) == 1);
    CHECK(mailbox.size(ALYS_PRIORITY_HIGH) == 2);
    CHECK(drain(mailbox) == std::vector<std::uint64_t>{4, 1, 5, 3});
  }
  SECTION("an incoming message of the same priority as the lowest queued") {
    std::optional<Envelope> dropped;
    CHECK(push(mailbox, message(5, ALYS_PRIORITY_NORMAL), dropped) ==
          Push::accepted_dropped_oldest);
    REQUIRE(dropped.has_value());
    CHECK(dropped->correlation_id == 2);
    CHECK(mailbox.size() == 4);
    CHECK(drain(mailbox) == std::vector<std::uint64_t>{4, 1, 3, 5});
  }
  SECTION("an incoming consensus message") {
    std::optional<Envelope> dropped;
    CHECK(push(mailbox, message(5, ALYS_PRIORITY_CONSENSUS), dropped) ==
          Push::accepted_dropped_oldest);
    REQUIRE(dropped.has_value());
    CHECK(dropped->correlation_id == 2);
    CHECK(drain(mailbox) == std::vector<std::uint64_t>{4, 5, 1, 3});
  }
}

TEST_CASE("drop-oldest keeps dropping from the lowest lane until it is empty", "[mailbox]") {
  Mailbox mailbox = make_mailbox(3, OverflowPolicy::drop_oldest);
  push(mailbox, message(1, ALYS_PRIORITY_BACKGROUND));
  push(mailbox, message(2, ALYS_PRIORITY_BACKGROUND));
  push(mailbox, message(3, ALYS_PRIORITY_HIGH));

  std::vector<std::uint64_t> dropped_ids;
  for (std::uint64_t id = 10; id < 14; ++id) {
    std::optional<Envelope> dropped;
    CHECK(push(mailbox, message(id, ALYS_PRIORITY_CONSENSUS), dropped) ==
          Push::accepted_dropped_oldest);
    REQUIRE(dropped.has_value());
    dropped_ids.push_back(dropped->correlation_id);
    CHECK(mailbox.size() == 3);
  }
  // Background 1, 2 first, then HIGH 3, then the oldest consensus (10).
  CHECK(dropped_ids == std::vector<std::uint64_t>{1, 2, 3, 10});
  CHECK(drain(mailbox) == std::vector<std::uint64_t>{11, 12, 13});
}

TEST_CASE("drop-oldest drops the incoming message when its priority is lower than all queued",
          "[mailbox]") {
  Mailbox mailbox = make_mailbox(2, OverflowPolicy::drop_oldest);
  push(mailbox, message(1, ALYS_PRIORITY_HIGH));
  push(mailbox, message(2, ALYS_PRIORITY_CONSENSUS));

  SECTION("background") {
    std::optional<Envelope> dropped;
    Envelope incoming = message(3, ALYS_PRIORITY_BACKGROUND);
    incoming.payload = payload_of(pattern(64));
    CHECK(push(mailbox, std::move(incoming), dropped) == Push::dropped_incoming);
    REQUIRE(dropped.has_value());
    CHECK(dropped->correlation_id == 3);
    CHECK(dropped->priority == ALYS_PRIORITY_BACKGROUND);
    CHECK(bytes_of(dropped->payload) == pattern(64));
  }
  SECTION("normal") {
    std::optional<Envelope> dropped;
    CHECK(push(mailbox, message(3, ALYS_PRIORITY_NORMAL), dropped) == Push::dropped_incoming);
    REQUIRE(dropped.has_value());
    CHECK(dropped->correlation_id == 3);
  }
  CHECK(mailbox.size() == 2);
  CHECK(drain(mailbox) == std::vector<std::uint64_t>{2, 1});
}

TEST_CASE("priorities above consensus are clamped to consensus", "[mailbox]") {
  Mailbox mailbox = make_mailbox(10, OverflowPolicy::reject);
  push(mailbox, message(1, ALYS_PRIORITY_CONSENSUS));
  push(mailbox, message(2, ALYS_PRIORITY_CONSENSUS + 1));
  push(mailbox, message(3, 0xffffffffu));
  push(mailbox, message(4, ALYS_PRIORITY_HIGH));
  CHECK(mailbox.size(ALYS_PRIORITY_CONSENSUS) == 3);
  CHECK(mailbox.size(ALYS_PRIORITY_HIGH) == 1);

  // Clamped messages join the consensus lane in arrival order and carry the clamped priority.
  std::vector<std::uint64_t> ids;
  std::vector<std::uint32_t> priorities;
  while (!mailbox.empty()) {
    Envelope out = mailbox.pop();
    ids.push_back(out.correlation_id);
    priorities.push_back(out.priority);
  }
  CHECK(ids == std::vector<std::uint64_t>{1, 2, 3, 4});
  CHECK(priorities == std::vector<std::uint32_t>{ALYS_PRIORITY_CONSENSUS, ALYS_PRIORITY_CONSENSUS,
                                                 ALYS_PRIORITY_CONSENSUS, ALYS_PRIORITY_HIGH});
}

TEST_CASE("a clamped incoming message counts as consensus under drop-oldest", "[mailbox]") {
  Mailbox mailbox = make_mailbox(1, OverflowPolicy::drop_oldest);
  push(mailbox, message(1, ALYS_PRIORITY_CONSENSUS));
  std::optional<Envelope> dropped;
  CHECK(push(mailbox, message(2, 1000), dropped) == Push::accepted_dropped_oldest);
  REQUIRE(dropped.has_value());
  CHECK(dropped->correlation_id == 1);
  CHECK(drain(mailbox) == std::vector<std::uint64_t>{2});
}

TEST_CASE("an empty payload stays empty", "[mailbox][payload]") {
  Payload empty;
  CHECK(empty.size() == 0);
  Payload moved(std::move(empty));
  CHECK(moved.size() == 0);
  Payload from_null(nullptr, 0);
  CHECK(from_null.size() == 0);
}

TEST_CASE("inline and heap payloads keep their bytes through moves", "[mailbox][payload]") {
  // Sizes around the inline limit: 1 and 48 live inline, 49 and 4096 on the heap.
  for (std::size_t size : {std::size_t{1}, std::size_t{8}, Payload::kInline - 1, Payload::kInline,
                           Payload::kInline + 1, std::size_t{4096}}) {
    CAPTURE(size);
    const std::vector<std::uint8_t> bytes = pattern(size);
    Payload original = payload_of(bytes);
    REQUIRE(original.size() == size);
    CHECK(bytes_of(original) == bytes);
    CHECK(original.data() != bytes.data());  // an owned copy

    Payload constructed(std::move(original));
    CHECK(bytes_of(constructed) == bytes);
    CHECK(original.size() == 0);  // NOLINT(bugprone-use-after-move): moved-from is empty

    Payload assigned = payload_of(pattern(3));
    assigned = std::move(constructed);
    CHECK(bytes_of(assigned) == bytes);
    CHECK(constructed.size() == 0);  // NOLINT(bugprone-use-after-move)

    // Moving a heap payload keeps its buffer; an inline one is copied into the new object.
    const std::uint8_t* before = assigned.data();
    Payload again(std::move(assigned));
    if (size > Payload::kInline) {
      CHECK(again.data() == before);
    } else {
      CHECK(again.data() != before);
    }
    CHECK(bytes_of(again) == bytes);
  }
}

TEST_CASE("a heap payload assigned over an inline one and back keeps its bytes",
          "[mailbox][payload]") {
  Payload small = payload_of(pattern(10));
  Payload big = payload_of(pattern(200));
  small = std::move(big);
  CHECK(bytes_of(small) == pattern(200));

  Payload small_again = payload_of(pattern(20));
  small = std::move(small_again);
  CHECK(bytes_of(small) == pattern(20));
}

TEST_CASE("payloads survive the envelope moving through the mailbox", "[mailbox][payload]") {
  Mailbox mailbox = make_mailbox(10, OverflowPolicy::reject);
  for (std::uint64_t id = 0; id < 6; ++id) {
    Envelope envelope = message(id);
    envelope.payload = payload_of(pattern(id * 20));  // 0, 20, 40 inline; 60, 80, 100 heap
    push(mailbox, std::move(envelope));
  }
  for (std::uint64_t id = 0; id < 6; ++id) {
    Envelope out = mailbox.pop();
    CHECK(out.correlation_id == id);
    CHECK(bytes_of(out.payload) == pattern(id * 20));
    alys_message view = out.view();
    CHECK(view.payload_size == id * 20);
    CHECK(view.host_owned_payload == out.payload.data());
    CHECK(view.correlation_id == id);
    CHECK(view.priority == ALYS_PRIORITY_NORMAL);
  }
}

TEST_CASE("concurrent senders to a `reject` mailbox: never above capacity, each message once",
          "[mailbox][concurrency]") {
  constexpr std::size_t kCapacity = 100;
  Mailbox mailbox = make_mailbox(kCapacity, OverflowPolicy::reject);
  constexpr std::uint32_t kSenders = 4;
  constexpr std::uint64_t kPerSender = 50'000;
  std::atomic<std::uint64_t> refused{0};
  std::vector<std::thread> senders;
  for (std::uint32_t sender = 0; sender < kSenders; ++sender)
    senders.emplace_back([&, sender] {
      for (std::uint64_t sequence = 1; sequence <= kPerSender; ++sequence) {
        for (;;) {
          std::optional<Envelope> dropped;
          Envelope envelope = message(sequence, sender % 4);
          envelope.sender = sender;
          if (mailbox.push(std::move(envelope), dropped) == Push::accepted) break;
          refused.fetch_add(1, std::memory_order_relaxed);
          std::this_thread::yield();
        }
      }
    });

  std::vector<std::uint64_t> last(kSenders, 0);
  std::uint64_t received = 0;
  std::uint64_t out_of_order = 0;
  std::size_t largest = 0;
  while (received < kSenders * kPerSender) {
    largest = std::max(largest, mailbox.size());
    Envelope out;
    if (!mailbox.try_pop(out)) {
      std::this_thread::yield();
      continue;
    }
    ++received;
    if (out.correlation_id != last[out.sender] + 1) ++out_of_order;
    last[out.sender] = out.correlation_id;
  }
  for (auto& thread : senders) thread.join();
  CHECK(out_of_order == 0);
  CHECK(largest <= kCapacity);
  CHECK(refused.load() > 0);  // the bound was reached
  CHECK(mailbox.empty());
}

TEST_CASE("concurrent senders to a `drop-oldest` mailbox: every message popped or dropped once",
          "[mailbox][concurrency]") {
  constexpr std::size_t kCapacity = 50;
  Mailbox mailbox = make_mailbox(kCapacity, OverflowPolicy::drop_oldest);
  constexpr std::uint32_t kSenders = 4;
  constexpr std::uint64_t kPerSender = 30'000;
  std::atomic<bool> done{false};
  std::vector<std::vector<std::uint64_t>> dropped_by(kSenders);
  std::vector<std::thread> senders;
  for (std::uint32_t sender = 0; sender < kSenders; ++sender)
    senders.emplace_back([&, sender] {
      for (std::uint64_t sequence = 0; sequence < kPerSender; ++sequence) {
        std::optional<Envelope> dropped;
        // Ids unique across senders; priorities vary so drops hit every lane.
        Envelope envelope =
            message(sender * kPerSender + sequence, static_cast<std::uint32_t>(sequence % 4));
        mailbox.push(std::move(envelope), dropped);
        if (dropped) dropped_by[sender].push_back(dropped->correlation_id);
      }
    });
  std::thread stopper([&] {
    for (auto& thread : senders) thread.join();
    done.store(true);
  });

  std::vector<std::uint8_t> seen(kSenders * kPerSender, 0);
  std::size_t largest = 0;
  for (;;) {
    largest = std::max(largest, mailbox.size());
    Envelope out;
    if (mailbox.try_pop(out)) {
      ++seen[out.correlation_id];
      continue;
    }
    if (done.load() && mailbox.empty()) break;
    std::this_thread::yield();
  }
  stopper.join();
  for (const auto& ids : dropped_by)
    for (std::uint64_t id : ids) ++seen[id];
  std::size_t not_once = 0;
  for (std::uint8_t count : seen) not_once += count != 1;
  CHECK(not_once == 0);
  CHECK(largest <= kCapacity);
}

TEST_CASE("a deferred pop keeps its unit of the bound until released", "[mailbox]") {
  Mailbox mailbox = make_mailbox(2, OverflowPolicy::reject);
  push(mailbox, message(1));
  push(mailbox, message(2));
  Envelope out;
  REQUIRE(mailbox.try_pop_deferred(out));
  CHECK(out.correlation_id == 1);
  CHECK(mailbox.size() == 2);  // still counted: the batch is handling it
  CHECK(push(mailbox, message(3)) == Push::rejected);
  mailbox.release_deferred();
  CHECK(mailbox.size() == 1);
  CHECK(push(mailbox, message(3)) == Push::accepted);
  CHECK(drain(mailbox) == std::vector<std::uint64_t>{2, 3});
}
