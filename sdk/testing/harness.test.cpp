// The SDK harness against the in-tree test plugins: by file and linked in.
#include "alys/testing.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <string_view>

#include "test_messages.hpp"

using alys::testing::Harness;
using namespace alys::test;
using namespace std::chrono_literals;

namespace {
std::filesystem::path plugin(const std::string& name) {
  return std::filesystem::path(ALYS_TEST_PLUGIN_DIR) / ("alys_test_" + name + ".so");
}
}  // namespace

TEST_CASE("the harness drives a plugin through 1,000 virtual seconds of timers in under a second",
          "[harness]") {
  Harness harness;
  harness.add("counter", plugin("counter"));
  harness.start();
  std::uint64_t started = harness.now_ms();
  REQUIRE(harness.send("counter", StartTicking{100}).ok());  // 10,000 ticks in 1,000 s
  harness.run();

  auto wall = std::chrono::steady_clock::now();
  harness.advance(1000s);
  auto elapsed = std::chrono::steady_clock::now() - wall;

  std::uint64_t asked = harness.request("counter", GetCount{});
  harness.run();
  auto state = harness.reply_as<CountState>(asked);
  REQUIRE(state);
  CHECK(state->ticks == 10'000);
  CHECK(state->tick_order_violations == 0);
  CHECK(harness.now_ms() == started + 1'000'000);
  CHECK(elapsed < 1s);
}

TEST_CASE("the harness sends, requests, observes events, dead letters, metrics and admin methods",
          "[harness]") {
  Harness harness;
  harness.add("counter", plugin("counter")).add("worker", plugin("faulty"), "fail_health = false");
  harness.start();

  REQUIRE(harness.send("counter", Count{1, 1}).ok());
  std::uint64_t asked = harness.request("counter", GetCount{});
  CHECK_FALSE(harness.reply(asked));  // nothing runs until run()
  harness.run();
  CHECK(harness.reply_as<CountState>(asked)->total == 1);

  // A request nobody answers times out on the virtual clock.
  std::uint64_t unanswered = harness.request("worker", Work{1}, 500);
  harness.advance(499ms);
  CHECK_FALSE(harness.reply(unanswered));
  harness.advance(1ms);
  REQUIRE(harness.reply(unanswered));
  CHECK(harness.reply(unanswered)->kind == ALYS_KIND_TIMEOUT);
  CHECK(harness.metric("worker", "work_handled") == 1.0);

  REQUIRE(harness.send("worker", Poison{"harness"}).ok());
  harness.run();
  CHECK(harness.state("worker") == "failed");
  harness.advance(10ms);  // the node's default restart backoff
  auto letters = harness.dead_letters();
  REQUIRE(letters.size() == 1);
  CHECK(letters[0].reason.find("poisoned: harness") != std::string::npos);
  CHECK(harness.restarts("worker") == 1);
  CHECK(harness.state("worker") == "running");

  // A topic as the SDK's schemas define theirs (alys::chain::kBlockImportedTopic): a string_view.
  constexpr std::string_view kTopic = "test.topic";
  harness.subscribe(kTopic);
  harness.publish(kTopic, Echo{"to myself"});
  harness.run();
  auto events = harness.events(kTopic);
  REQUIRE(events.size() == 1);
  CHECK(events[0].as<Echo>().text == "to myself");

  CHECK(harness.call_rpc("counter_get") == R"({"total":1,"build":"counter-1.0.0"})");
  CHECK_THROWS_WITH(harness.call_rpc("no_such_method"), Catch::Contains("no plugin serves"));

  auto swapped = harness.swap("counter", plugin("counter_v2"));
  CHECK(swapped.ok);
  CHECK(swapped.mode == "state");
  std::uint64_t after = harness.request("counter", GetCount{});
  harness.run();
  CHECK(harness.reply_as<CountState>(after)->build == "counter-2.0.0");
  CHECK(harness.reply_as<CountState>(after)->total == 1);
}

TEST_CASE("the harness runs a plugin linked into the test binary", "[harness]") {
  // tests/plugins/echo.cpp is compiled into this test: its ALYS_PLUGIN exports are here.
  Harness harness;
  harness.add("echo", alys::testing::this_plugin());
  harness.start();
  std::uint64_t asked = harness.request("echo", Echo{"linked"});
  harness.run();
  REQUIRE(harness.reply_as<Echo>(asked));
  CHECK(harness.reply_as<Echo>(asked)->text == "linked");
}

TEST_CASE("the harness reports what it cannot do", "[harness]") {
  Harness harness;
  CHECK_THROWS_WITH(harness.add("future", plugin("abi_future")), Catch::Contains("ABI 2.0"));
  CHECK_THROWS_WITH(harness.add("bad", plugin("counter"), "this is = not toml ="),
                    Catch::Contains("not valid TOML"));
  harness.add("engine", plugin("faulty"), "fail_on_start = true");
  CHECK_THROWS_WITH(harness.start(), Catch::Contains("'engine' failed to start"));
}

TEST_CASE("the harness applies a node's rules: the role a plugin serves", "[harness]") {
  Harness harness;
  alys::testing::LinkedPlugin storage = alys::testing::this_plugin();
  std::snprintf(storage.manifest.role, sizeof storage.manifest.role, "storage");
  CHECK_THROWS_WITH(harness.add("chain", storage), Catch::Contains("serves role 'storage'"));
  CHECK_NOTHROW(harness.add("storage", storage));
}
