// Actor::request(...).then(...) and Actor::on_request (alys/request.hpp, alys/actor.hpp), with two
// actors linked into this test and run in the harness on its virtual clock: a client that asks
// when the test tells it to and reports how each request ended, and a server that answers each
// way a request can be answered.
#include "alys/request.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "alys/plugin.hpp"
#include "alys/testing.hpp"

using alys::testing::Harness;
using namespace std::chrono_literals;

namespace {

// How the server answers an Ask.
enum class Answering : std::uint8_t {
  with_value,       // Answer{value + 1}
  with_wrong_type,  // an Unrelated reply
  later,            // when the test sends Release
  never,
};

struct Ask {
  static constexpr std::string_view schema_name = "alys.test.request.Ask/1";
  Answering answering = Answering::with_value;
  std::uint64_t value = 0;
  ALYS_FIELDS(answering, value)
};

struct Answer {
  static constexpr std::string_view schema_name = "alys.test.request.Answer/1";
  std::uint64_t value = 0;
  ALYS_FIELDS(value)
};

struct Unrelated {
  static constexpr std::string_view schema_name = "alys.test.request.Unrelated/1";
  std::string text;
  ALYS_FIELDS(text)
};

// To the server: answer the requests held back (Answering::later) now.
struct Release {
  static constexpr std::string_view schema_name = "alys.test.request.Release/1";
  ALYS_FIELDS()
};

// To the client: ask `role` (or the address `address` when `role` is empty) an Ask.
struct Go {
  static constexpr std::string_view schema_name = "alys.test.request.Go/1";
  std::string role;
  std::uint32_t address = 0;
  Answering answering = Answering::with_value;
  std::uint64_t value = 0;
  std::uint64_t timeout_ms = 1000;
  ALYS_FIELDS(role, address, answering, value, timeout_ms)
};

// To the client: fail.
struct Crash {
  static constexpr std::string_view schema_name = "alys.test.request.Crash/1";
  ALYS_FIELDS()
};

// From the client to the test: how one request ended.
struct Outcome {
  static constexpr std::string_view schema_name = "alys.test.request.Outcome/1";
  bool has_value = false;
  std::uint64_t value = 0;
  std::int32_t code = ALYS_OK;
  std::string message;
  bool after_handler = false;  // the continuation ran after the handler that asked had returned
  ALYS_FIELDS(has_value, value, code, message, after_handler)
};

// Continuations of the client's requests that were destroyed, run or not. The client is linked
// into this test, so the test can see them (a plugin file could not share this).
int continuations_destroyed = 0;

// Captured by each continuation (continuations are copied, so through a shared_ptr): its
// destruction is the continuation's.
struct DestructionCounter {
  ~DestructionCounter() { ++continuations_destroyed; }
};

class Server : public alys::Actor {
 public:
  explicit Server(alys::Context context) : Actor(context) {
    on_request<Ask>([this](const Ask& ask, const alys::Envelope& envelope) {
      switch (ask.answering) {
        case Answering::with_value:
          (void)this->context().reply(envelope.correlation_id, Answer{ask.value + 1});
          break;
        case Answering::with_wrong_type:
          (void)this->context().reply(envelope.correlation_id, Unrelated{"not an answer"});
          break;
        case Answering::later:
          held_.push_back({envelope.correlation_id, ask.value + 1});
          break;
        case Answering::never:
          break;
      }
    });
    // A request whose handler returns its reply.
    on_request<Answer>(
        [](const Answer& doubled, const alys::Envelope&) { return Answer{doubled.value * 2}; });
    on<Release>([this](const Release&, const alys::Envelope&) {
      for (const auto& [correlation_id, value] : held_)
        (void)this->context().reply(correlation_id, Answer{value});
      held_.clear();
    });
  }

 private:
  std::vector<std::pair<std::uint64_t, std::uint64_t>> held_;
};

class Client : public alys::Actor {
 public:
  explicit Client(alys::Context context) : Actor(context) {
    on<Go>([this](const Go& go, const alys::Envelope&) {
      alys::Address to = go.role.empty() ? go.address : this->context().resolve(go.role);
      in_handler_ = true;
      request(to, Ask{go.answering, go.value}, go.timeout_ms)
          .then(
              [this, counter = std::make_shared<DestructionCounter>()](const Answer& answer) {
                report(Outcome{true, answer.value, ALYS_OK, "", !in_handler_});
              },
              [this](const alys::Status& error) {
                report(Outcome{false, 0, error.code(), error.message(), !in_handler_});
              });
      in_handler_ = false;
    });
    on<Crash>([](const Crash&, const alys::Envelope&) {
      throw alys::Error(ALYS_ERR_FAILED, "crashed on purpose");
    });
  }

 private:
  void report(const Outcome& outcome) { (void)context().send(context().resolve("test"), outcome); }

  bool in_handler_ = false;
};

constexpr alys_plugin_function_table kServerFunctions = alys::detail::make_function_table<Server>();
constexpr alys_plugin_function_table kClientFunctions = alys::detail::make_function_table<Client>();

alys::testing::LinkedPlugin linked(const char* name, const alys_plugin_function_table& functions) {
  return alys::testing::LinkedPlugin{
      alys::detail::make_manifest(alys::PluginInfo{.name = name, .version = "1.0.0"}), &functions};
}

void start(Harness& harness) {
  harness.add("server", linked("request-test-server", kServerFunctions));
  harness.add("client", linked("request-test-client", kClientFunctions));
  harness.start();
}

std::vector<Outcome> outcomes(const Harness& harness) {
  std::vector<Outcome> out;
  for (const auto& received : harness.received())
    if (received.is<Outcome>()) out.push_back(received.as<Outcome>());
  return out;
}

Go go_to_server(Answering answering, std::uint64_t value, std::uint64_t timeout_ms = 1000) {
  return Go{"server", 0, answering, value, timeout_ms};
}

}  // namespace

TEST_CASE("a reply of the expected schema reaches on_value, after the asking handler returned",
          "[request]") {
  Harness harness;
  start(harness);
  REQUIRE(harness.send("client", go_to_server(Answering::with_value, 41)).ok());
  harness.run();

  auto ended = outcomes(harness);
  REQUIRE(ended.size() == 1);
  CHECK(ended[0].has_value);
  CHECK(ended[0].value == 42);
  CHECK(ended[0].after_handler);
  CHECK(harness.dead_letters().empty());
}

TEST_CASE("a reply of another schema reaches on_error as ALYS_ERR_TYPE; the actor carries on",
          "[request]") {
  Harness harness;
  start(harness);
  REQUIRE(harness.send("client", go_to_server(Answering::with_wrong_type, 1)).ok());
  harness.run();

  auto ended = outcomes(harness);
  REQUIRE(ended.size() == 1);
  CHECK_FALSE(ended[0].has_value);
  CHECK(ended[0].code == ALYS_ERR_TYPE);
  CHECK_THAT(ended[0].message, Catch::Contains("the reply to alys.test.request.Ask/1 is not "
                                               "alys.test.request.Answer/1"));
  CHECK(harness.state("client") == "running");
  CHECK(harness.restarts("client") == 0);
  CHECK(harness.dead_letters().empty());
}

TEST_CASE("a request nobody answers reaches on_error as ALYS_ERR_TIMEOUT at its deadline",
          "[request]") {
  Harness harness;
  start(harness);
  REQUIRE(harness.send("client", go_to_server(Answering::never, 1, 500)).ok());
  harness.run();
  harness.advance(499ms);
  CHECK(outcomes(harness).empty());

  harness.advance(1ms);
  auto ended = outcomes(harness);
  REQUIRE(ended.size() == 1);
  CHECK_FALSE(ended[0].has_value);
  CHECK(ended[0].code == ALYS_ERR_TIMEOUT);
  CHECK_THAT(ended[0].message,
             Catch::Contains("no answer to alys.test.request.Ask/1 within 500 ms"));
  CHECK(ended[0].after_handler);
}

TEST_CASE("a request the host refuses reaches on_error after the asking handler returned",
          "[request]") {
  Harness harness;
  start(harness);
  REQUIRE(harness.send("client", Go{"", 0xfff0, Answering::with_value, 1, 1000}).ok());
  harness.run();

  auto ended = outcomes(harness);
  REQUIRE(ended.size() == 1);
  CHECK_FALSE(ended[0].has_value);
  CHECK(ended[0].code == ALYS_ERR_NO_SUCH_ROLE);
  CHECK_THAT(ended[0].message, Catch::Contains("alys.test.request.Ask/1 was not sent"));
  // Not inside then(): the handler that asked had finished.
  CHECK(ended[0].after_handler);
  // A refused request never also times out.
  harness.advance(2s);
  CHECK(outcomes(harness).size() == 1);
  CHECK(harness.state("client") == "running");
}

TEST_CASE("continuations waiting when the instance stops are dropped, never run", "[request]") {
  Harness harness;
  start(harness);
  continuations_destroyed = 0;
  REQUIRE(harness.send("client", go_to_server(Answering::later, 1, 60'000)).ok());
  REQUIRE(harness.send("client", go_to_server(Answering::never, 2, 1'000)).ok());
  harness.run();
  CHECK(continuations_destroyed == 0);

  REQUIRE(harness.send("client", Crash{}).ok());
  harness.run();
  CHECK(harness.state("client") == "failed");
  harness.advance(10ms);  // the restart backoff
  REQUIRE(harness.state("client") == "running");
  CHECK(harness.restarts("client") == 1);
  CHECK(continuations_destroyed == 2);  // released with the instance, not kept or leaked

  // The answer and the timeout reach the role's new instance, which asked nothing: ignored, not
  // run against the old instance, and not dead letters.
  REQUIRE(harness.send("server", Release{}).ok());
  harness.run();
  harness.advance(2s);
  CHECK(outcomes(harness).empty());
  auto letters = harness.dead_letters();
  REQUIRE(letters.size() == 1);
  CHECK_THAT(letters[0].reason, Catch::Contains("crashed on purpose"));
  CHECK(harness.state("client") == "running");

  // The new instance asks and is answered as usual.
  REQUIRE(harness.send("client", go_to_server(Answering::with_value, 7)).ok());
  harness.run();
  REQUIRE(outcomes(harness).size() == 1);
  CHECK(outcomes(harness)[0].value == 8);
}

TEST_CASE("on_request: a returned schema is the reply; a plain send is dead-lettered as invalid",
          "[request]") {
  Harness harness;
  start(harness);
  std::uint64_t asked = harness.request("server", Answer{21});
  harness.run();
  REQUIRE(harness.reply_as<Answer>(asked));
  CHECK(harness.reply_as<Answer>(asked)->value == 42);

  REQUIRE(harness.send("server", Answer{21}).ok());
  harness.run();
  auto letters = harness.dead_letters();
  REQUIRE(letters.size() == 1);
  CHECK_THAT(letters[0].reason,
             Catch::Contains("alys.test.request.Answer/1 must be sent as a request"));
  CHECK(harness.state("server") == "running");
  CHECK(harness.restarts("server") == 0);
}
