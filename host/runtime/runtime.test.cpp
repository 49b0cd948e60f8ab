#include "host/runtime/runtime.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>

#include "probe.hpp"
#include "test_messages.hpp"

using namespace alys;
using namespace alys::host;
using alys::testing::actor;
using alys::testing::load_test_plugin;
using alys::testing::Probe;
using alys::testing::Received;

namespace {

// Asks `role` for its CountState through the probe and drives the runtime until the answer comes.
test::CountState query_count(Runtime& runtime, Probe& probe, const std::string& role,
                             Priority priority = Priority::consensus) {
  Address target = probe.context().resolve(role);
  std::uint64_t correlation = probe.context().request(target, test::GetCount{}, 60'000, priority);
  runtime.run_until_idle();
  auto reply = probe.inbox->find_correlation(correlation);
  REQUIRE(reply);
  REQUIRE(reply->kind == ALYS_KIND_REPLY);
  return reply->as<test::CountState>();
}

// Same, on a threaded runtime: waits (real time) for the reply.
test::CountState query_count_threaded(Probe& probe, const std::string& role) {
  Address target = probe.context().resolve(role);
  std::uint64_t correlation =
      probe.context().request(target, test::GetCount{}, 60'000, Priority::consensus);
  REQUIRE(probe.inbox->wait_until([&](const auto& items) {
    for (const auto& item : items)
      if (item.correlation_id == correlation) return true;
    return false;
  }));
  return probe.inbox->find_correlation(correlation)->as<test::CountState>();
}

}  // namespace

TEST_CASE("1,000,000 messages from 4 sender threads arrive exactly once, in per-sender order",
          "[runtime][concurrency]") {
  Runtime runtime(testing::threaded_options(2));
  Probe probe;
  runtime.add_actor(actor("probe", probe.library));
  runtime.add_actor(actor("counter", load_test_plugin("counter"),
                          MailboxConfig{4096, OverflowPolicy::reject, 64}));
  REQUIRE(runtime.start().ok());

  constexpr std::uint32_t kSenders = 4;
  constexpr std::uint64_t kPerSender = 250'000;
  Address counter = probe.context().resolve("counter");
  std::atomic<std::uint64_t> full_retries{0};
  std::atomic<std::uint64_t> unexpected_errors{0};
  std::vector<std::thread> senders;
  for (std::uint32_t sender = 0; sender < kSenders; ++sender) {
    senders.emplace_back([&, sender] {
      for (std::uint64_t sequence = 1; sequence <= kPerSender; ++sequence) {
        // The mailbox is bounded: a full one refuses, and this sender backs off and retries.
        for (;;) {
          Status status = probe.context().send(counter, test::Count{sender, sequence});
          if (status.ok()) break;
          if (status.code() != ALYS_ERR_MAILBOX_FULL) {  // Catch assertions are not thread-safe
            unexpected_errors.fetch_add(1, std::memory_order_relaxed);
            break;
          }
          full_retries.fetch_add(1, std::memory_order_relaxed);
          std::this_thread::yield();
        }
      }
    });
  }
  for (auto& thread : senders) thread.join();
  REQUIRE(unexpected_errors.load() == 0);

  test::CountState state;
  for (int attempt = 0; attempt < 600; ++attempt) {
    state = query_count_threaded(probe, "counter");
    if (state.total >= kSenders * kPerSender) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(state.total == kSenders * kPerSender);
  CHECK(state.order_violations == 0);
  CHECK(runtime.dead_letters().total() == 0);
  CHECK(runtime.cell("counter")->counters().rejected.load() == full_retries.load());
  runtime.shutdown();
  CHECK(runtime.wait() == kExitOk);
}

TEST_CASE(
    "with 100,000 background messages queued, a consensus message is handled in the next batch",
    "[runtime]") {
  Runtime runtime(testing::deterministic_options());
  Probe probe;
  runtime.add_actor(actor("probe", probe.library));
  runtime.add_actor(actor("counter", load_test_plugin("counter"),
                          MailboxConfig{200'000, OverflowPolicy::reject, 64}));
  REQUIRE(runtime.start().ok());
  Address counter = probe.context().resolve("counter");

  for (std::uint64_t sequence = 1; sequence <= 100'000; ++sequence)
    REQUIRE(probe.context().send(counter, test::Count{0, sequence}, Priority::background).ok());
  REQUIRE(probe.context().send(counter, test::Mark{}, Priority::consensus).ok());
  REQUIRE(runtime.cell("counter")->mailbox_depth() == 100'001);

  REQUIRE(runtime.run_one_batch());  // the counter's next batch
  CHECK(runtime.cell("counter")->mailbox_depth() == 100'001 - 64);

  // The query itself has consensus priority too: it is answered before the backlog drains.
  test::CountState state = query_count(runtime, probe, "counter");
  CHECK(state.mark_position == 0);  // handled first, before any of the backlog
  CHECK(state.total == 63);
  runtime.run_until_idle();
  state = query_count(runtime, probe, "counter");
  CHECK(state.total == 100'000);
  CHECK(state.order_violations == 0);
}

TEST_CASE("mailbox overflow: reject gives the sender an error, drop-oldest drops and counts",
          "[runtime]") {
  Runtime runtime(testing::deterministic_options());
  Probe probe;
  runtime.add_actor(actor("probe", probe.library));
  runtime.add_actor(
      actor("strict", load_test_plugin("counter"), MailboxConfig{10, OverflowPolicy::reject, 64}));
  runtime.add_actor(actor("lossy", load_test_plugin("counter"),
                          MailboxConfig{10, OverflowPolicy::drop_oldest, 64}));
  REQUIRE(runtime.start().ok());

  SECTION("reject") {
    Address strict = probe.context().resolve("strict");
    for (std::uint64_t i = 1; i <= 10; ++i)
      REQUIRE(probe.context().send(strict, test::Count{0, i}).ok());
    Status refused = probe.context().send(strict, test::Count{0, 11});
    CHECK(refused.code() == ALYS_ERR_MAILBOX_FULL);
    CHECK(runtime.cell("strict")->counters().rejected.load() == 1);
    runtime.run_until_idle();
    CHECK(query_count(runtime, probe, "strict").total == 10);
  }

  SECTION("drop-oldest drops the oldest message of the lowest priority") {
    Address lossy = probe.context().resolve("lossy");
    for (std::uint64_t i = 1; i <= 5; ++i)
      REQUIRE(probe.context().send(lossy, test::Count{1, i}, Priority::background).ok());
    for (std::uint64_t i = 1; i <= 5; ++i)
      REQUIRE(probe.context().send(lossy, test::Count{2, i}, Priority::high).ok());
    CHECK(probe.context().send(lossy, test::Count{2, 6}, Priority::high).ok());
    CHECK(runtime.cell("lossy")->counters().dropped.load() == 1);
    auto letters = runtime.dead_letters().recent();
    REQUIRE(letters.size() == 1);
    CHECK(letters[0].role == "lossy");
    CHECK(letters[0].priority == ALYS_PRIORITY_BACKGROUND);
    CHECK(letters[0].reason.find("drop-oldest") != std::string::npos);
    runtime.run_until_idle();
    test::CountState state = query_count(runtime, probe, "lossy");
    CHECK(state.total == 10);
    CHECK(state.order_violations == 1);  // sender 1 starts at 2: its first message was dropped
  }
}

TEST_CASE("a request gets its reply under its correlation id", "[runtime]") {
  Runtime runtime(testing::deterministic_options());
  Probe probe;
  runtime.add_actor(actor("probe", probe.library));
  runtime.add_actor(actor("echo", load_test_plugin("echo")));
  REQUIRE(runtime.start().ok());
  Address echo = probe.context().resolve("echo");

  std::uint64_t first = probe.context().request(echo, test::Echo{"first"}, 1000);
  std::uint64_t second = probe.context().request(echo, test::Echo{"second"}, 1000);
  REQUIRE(first != second);
  runtime.run_until_idle();
  auto a = probe.inbox->find_correlation(first);
  auto b = probe.inbox->find_correlation(second);
  REQUIRE(a);
  REQUIRE(b);
  CHECK(a->kind == ALYS_KIND_REPLY);
  CHECK(a->sender == echo);
  CHECK(a->as<test::Echo>().text == "first");
  CHECK(b->as<test::Echo>().text == "second");
  CHECK(runtime.request_counters().replies.load() == 2);

  // The deadline passes after the reply: no timeout follows.
  runtime.advance(5000);
  CHECK(runtime.request_counters().timeouts.load() == 0);
  CHECK(probe.inbox->items().size() == 2);
}

TEST_CASE("unanswered requests time out at their deadlines, in deadline order", "[runtime]") {
  Runtime runtime(testing::deterministic_options());
  Probe probe;
  runtime.add_actor(actor("probe", probe.library));
  // counter handles Count without answering: every request to it times out.
  runtime.add_actor(
      actor("counter", load_test_plugin("counter"), MailboxConfig{3, OverflowPolicy::reject, 64}));
  REQUIRE(runtime.start().ok());
  Address counter = probe.context().resolve("counter");

  std::uint64_t late = probe.context().request(counter, test::Count{0, 1}, 300);
  std::uint64_t early = probe.context().request(counter, test::Count{0, 2}, 100);
  std::uint64_t middle = probe.context().request(counter, test::Count{0, 3}, 200);
  // The mailbox is full: refused, so it never times out.
  CHECK_THROWS(probe.context().request(counter, test::Count{0, 4}, 50));
  auto timeouts = [&] {
    std::vector<std::uint64_t> ids;
    for (const auto& item : probe.inbox->items())
      if (item.kind == ALYS_KIND_TIMEOUT) ids.push_back(item.correlation_id);
    return ids;
  };
  runtime.advance(99);
  CHECK(timeouts().empty());
  runtime.advance(1);
  CHECK(timeouts() == std::vector<std::uint64_t>{early});
  runtime.advance(150);
  CHECK(timeouts() == std::vector<std::uint64_t>{early, middle});
  runtime.advance(1000);
  CHECK(timeouts() == std::vector<std::uint64_t>{early, middle, late});
  CHECK(runtime.request_counters().timeouts.load() == 3);
}

TEST_CASE("a request to slow times out; the late reply is discarded and counted",
          "[runtime][concurrency]") {
  Runtime runtime(testing::threaded_options(2));
  Probe probe;
  runtime.add_actor(actor("probe", probe.library));
  runtime.add_actor(actor("slow", load_test_plugin("slow")));
  REQUIRE(runtime.start().ok());
  Address slow = probe.context().resolve("slow");

  std::uint64_t correlation = probe.context().request(slow, test::Sleep{400}, 50);
  REQUIRE(probe.inbox->wait_until([&](const auto& items) { return !items.empty(); }));
  Received timeout = probe.inbox->items().front();
  CHECK(timeout.kind == ALYS_KIND_TIMEOUT);
  CHECK(timeout.type_id == ALYS_TYPE_TIMEOUT);
  CHECK(timeout.correlation_id == correlation);
  CHECK(timeout.sender == slow);

  // slow answers after ~400 ms: that reply must be discarded, counted, and never delivered.
  for (int i = 0; i < 200 && runtime.request_counters().late_replies.load() == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK(runtime.request_counters().late_replies.load() == 1);
  CHECK(runtime.request_counters().timeouts.load() == 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK(probe.inbox->items().size() == 1);
}

TEST_CASE("10,000 periodic 2-second ticks run on the virtual clock in under a second, in order",
          "[runtime][timers]") {
  Runtime runtime(testing::deterministic_options());
  Probe probe;
  runtime.add_actor(actor("probe", probe.library));
  runtime.add_actor(actor("counter", load_test_plugin("counter")));
  REQUIRE(runtime.start().ok());
  std::uint64_t start_ms = runtime.timers().now_ms();
  REQUIRE(probe.context().send(probe.context().resolve("counter"), test::StartTicking{2000}).ok());
  runtime.run_until_idle();

  auto wall_start = std::chrono::steady_clock::now();
  runtime.advance(10'000ull * 2000);
  auto wall = std::chrono::steady_clock::now() - wall_start;

  test::CountState state = query_count(runtime, probe, "counter");
  CHECK(state.ticks == 10'000);
  CHECK(state.tick_order_violations == 0);
  CHECK(state.last_tick_ms == start_ms + 10'000ull * 2000);
  CHECK(runtime.timers().now_ms() == start_ms + 10'000ull * 2000);
  CHECK(wall < std::chrono::seconds(1));
}

TEST_CASE("pub/sub delivers published events to subscribed roles only", "[runtime]") {
  Runtime runtime(testing::deterministic_options());
  Probe publisher;
  Probe subscriber;
  Probe bystander;
  runtime.add_actor(actor("publisher", publisher.library));
  runtime.add_actor(actor("subscriber", subscriber.library));
  runtime.add_actor(actor("bystander", bystander.library));
  REQUIRE(runtime.start().ok());

  subscriber.context().subscribe("chain.block_imported");
  REQUIRE(publisher.context().publish("chain.block_imported", test::Echo{"block 1"}).ok());
  REQUIRE(publisher.context().publish("chain.finalized", test::Echo{"nobody listens"}).ok());
  runtime.run_until_idle();

  auto events = subscriber.inbox->items();
  REQUIRE(events.size() == 1);
  CHECK(events[0].kind == ALYS_KIND_EVENT);
  CHECK(events[0].topic_id == topic_id("chain.block_imported"));
  CHECK(events[0].as<test::Echo>().text == "block 1");
  CHECK(bystander.inbox->items().empty());
}

TEST_CASE("an unhandled message type is dead-lettered and the actor carries on", "[runtime]") {
  Runtime runtime(testing::deterministic_options());
  Probe probe;
  runtime.add_actor(actor("probe", probe.library));
  runtime.add_actor(actor("echo", load_test_plugin("echo")));
  REQUIRE(runtime.start().ok());
  REQUIRE(probe.context().send(probe.context().resolve("echo"), test::Count{1, 1}).ok());
  runtime.run_until_idle();
  auto letters = runtime.dead_letters().recent();
  REQUIRE(letters.size() == 1);
  CHECK(letters[0].reason == "unhandled message type");
  CHECK(letters[0].type_id == type_id_of<test::Count>());
  CHECK(runtime.cell("echo")->state() == ActorState::running);
  CHECK(runtime.cell("echo")->counters().failures.load() == 0);
}

TEST_CASE("start order follows requires; shutdown stops in reverse", "[runtime]") {
  Runtime runtime(testing::deterministic_options());
  auto with_requires = [](host::ActorSpec spec, std::vector<std::string> roles) {
    spec.requires_roles = std::move(roles);
    return spec;
  };
  runtime.add_actor(with_requires(actor("chain", load_test_plugin("echo")), {"engine", "storage"}));
  runtime.add_actor(with_requires(actor("engine", load_test_plugin("echo")), {"storage"}));
  runtime.add_actor(actor("storage", load_test_plugin("echo")));
  REQUIRE(runtime.start().ok());
  CHECK(runtime.start_order() == std::vector<std::string>{"storage", "engine", "chain"});
  runtime.shutdown();
  CHECK(runtime.wait() == kExitOk);
  for (auto* cell : runtime.cells()) CHECK(cell->state() == ActorState::stopped);
}

TEST_CASE("a requires cycle is refused at start", "[runtime]") {
  Runtime runtime(testing::deterministic_options());
  auto a = actor("a", load_test_plugin("echo"));
  a.requires_roles = {"b"};
  auto b = actor("b", load_test_plugin("echo"));
  b.requires_roles = {"a"};
  runtime.add_actor(a);
  runtime.add_actor(b);
  alys::Status started = runtime.start();
  REQUIRE_FALSE(started.ok());
  CHECK(started.message().find("requires cycle") != std::string::npos);
}

TEST_CASE("a consensus message moves its actor ahead of actors already queued", "[runtime]") {
  Runtime runtime(testing::deterministic_options());
  Probe probe;
  runtime.add_actor(actor("probe", probe.library));
  runtime.add_actor(actor("a", load_test_plugin("counter")));
  runtime.add_actor(actor("b", load_test_plugin("counter")));
  REQUIRE(runtime.start().ok());
  runtime.run_until_idle();
  Address a = probe.context().resolve("a");
  Address b = probe.context().resolve("b");

  REQUIRE(probe.context().send(b, test::Count{0, 1}).ok());  // b queued first
  REQUIRE(probe.context().send(a, test::Count{0, 1}).ok());  // a queued behind b
  REQUIRE(probe.context().send(a, test::Mark{}, Priority::consensus).ok());

  REQUIRE(runtime.run_one_batch());
  CHECK(runtime.cell("a")->mailbox_depth() == 0);  // a ran first...
  CHECK(runtime.cell("b")->mailbox_depth() == 1);  // ...b still waits
  runtime.run_until_idle();
  CHECK(runtime.cell("b")->mailbox_depth() == 0);
}

TEST_CASE("a dedicated-thread actor blocking does not hold up the worker pool",
          "[runtime][concurrency]") {
  Runtime runtime(testing::threaded_options(1));  // one pool worker only
  Probe probe;
  runtime.add_actor(actor("probe", probe.library));
  ActorSpec slow = actor("slow", load_test_plugin("slow"));
  slow.dedicated_thread = true;
  runtime.add_actor(slow);
  runtime.add_actor(actor("echo", load_test_plugin("echo")));
  REQUIRE(runtime.start().ok());

  std::uint64_t sleeping =
      probe.context().request(probe.context().resolve("slow"), test::Sleep{500}, 10'000);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // slow is now inside its handler
  std::uint64_t echoed =
      probe.context().request(probe.context().resolve("echo"), test::Echo{"quick"}, 10'000);
  REQUIRE(probe.inbox->wait_until([](const auto& items) { return items.size() == 2; }));
  auto items = probe.inbox->items();
  CHECK(items[0].correlation_id == echoed);  // answered while slow still blocked its own thread
  CHECK(items[1].correlation_id == sleeping);
}

TEST_CASE("admin method names: lowercase start, camelCase allowed, host methods reserved",
          "[runtime]") {
  Runtime runtime(testing::threaded_options(1));
  Probe probe;
  runtime.add_actor(actor("probe", probe.library));
  REQUIRE(runtime.start().ok());
  const Address self = probe.context().resolve("probe");
  CHECK(runtime.rpc_methods().register_method(self, "eth_getBalance", 0).code() == ALYS_OK);
  CHECK(runtime.rpc_methods().register_method(self, "chain_status", 0).code() == ALYS_OK);
  CHECK(runtime.rpc_methods().register_method(self, "Eth_getBalance", 0).code() ==
        ALYS_ERR_INVALID);
  CHECK(runtime.rpc_methods().register_method(self, "eth-getBalance", 0).code() ==
        ALYS_ERR_INVALID);
  CHECK(runtime.rpc_methods().register_method(self, "", 0).code() == ALYS_ERR_INVALID);
  CHECK(runtime.rpc_methods().register_method(self, std::string(65, 'a'), 0).code() ==
        ALYS_ERR_INVALID);
  CHECK(runtime.rpc_methods().register_method(self, "node_status", 0).code() == ALYS_ERR_INVALID);
  REQUIRE(runtime.rpc_methods().find("eth_getBalance"));
  CHECK(runtime.rpc_methods().find("eth_getBalance")->address == self);
  runtime.shutdown();
}
