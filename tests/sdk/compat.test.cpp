// Compatibility promises of the SDK: append-only message schemas work between plugins built
// against different versions of a schema, in both directions; a plugin built against SDK 1.0
// loads and runs in a host of a newer 1.x minor, where its table cannot be checked (the check
// came with 1.1) but everything else works.
#include <catch2/catch.hpp>

#include "alys/testing.hpp"
#include "greeter_messages.hpp"
#include "host/loading/table_check.hpp"
#include "host/runtime/host_api.hpp"
#include "host/runtime/runtime.hpp"
#include "probe.hpp"
#include "test_messages.hpp"

using alys::test::Relay;
using alys::test::Seen;
using alys::testing::Harness;

namespace {

std::filesystem::path plugin(const std::string& name) {
  return std::filesystem::path(ALYS_TEST_PLUGIN_DIR) / ("alys_test_" + name + ".so");
}

Seen relay(Harness& harness, const std::string& from, const std::string& to) {
  std::uint64_t asked = harness.request(from, Relay{to, "ana", "pt"});
  harness.run();
  auto seen = harness.reply_as<Seen>(asked);
  REQUIRE(seen);
  return *seen;
}

}  // namespace

TEST_CASE("a schema with appended fields: older decoders ignore them, newer ones default them",
          "[compat]") {
  Harness harness;
  harness.add("old", plugin("greeter_v1")).add("new", plugin("greeter_v2"));
  harness.start();

  SECTION("newer message, plugin built against the older schema") {
    Seen seen = relay(harness, "new", "old");  // v2 sends {name, language}; v1 decodes
    CHECK(seen.decoder_schema == 1);
    CHECK(seen.name == "ana");
    CHECK(seen.language.empty());  // v1 knows no language: the trailing field was ignored
  }
  SECTION("older message, plugin built against the newer schema") {
    Seen seen = relay(harness, "old", "new");  // v1 sends {name}; v2 decodes
    CHECK(seen.decoder_schema == 2);
    CHECK(seen.name == "ana");
    CHECK(seen.language.empty());  // absent in the older message: the default
  }
  CHECK(harness.dead_letters().empty());
}

TEST_CASE("a plugin exporting the 1.0 ABI loads and runs in a host of a newer 1.x minor",
          "[compat]") {
  // A 1.3 host: it accepts plugins up to 1.3 and hands out a host API table that grew (functions
  // appended after the 1.0 ones), as a newer minor may.
  struct HostApiV1_3 {
    alys_host_api v1_0;
    void (*appended[6])();
  };
  static HostApiV1_3 newer{};
  newer.v1_0 = *alys::host::host_api_table();
  newer.v1_0.struct_size = sizeof(HostApiV1_3);
  newer.v1_0.abi_minor = 3;

  alys::host::RuntimeOptions options = alys::testing::deterministic_options();
  options.abi_minor = 3;
  options.host_api = &newer.v1_0;
  alys::host::Runtime runtime(options);
  alys::testing::Probe probe;
  runtime.add_actor(alys::testing::actor("probe", probe.library));
  auto loaded =
      alys::host::PluginLibrary::load(plugin("counter_abi_1_0"), alys::testing::scratch_dir(), 3);
  REQUIRE(loaded.ok());
  auto counter = std::move(loaded).value();
  CHECK(counter->manifest().abi_minor == 0);  // exports what a build against SDK 1.0 exported
  CHECK(counter->functions().struct_size == 72);
  runtime.add_actor(alys::testing::actor("counter", counter));
  REQUIRE(runtime.start().ok());

  REQUIRE(probe.context().send(probe.context().resolve("counter"), alys::test::Count{1, 1}).ok());
  std::uint64_t asked =
      probe.context().request(probe.context().resolve("counter"), alys::test::GetCount{}, 1000);
  runtime.run_until_idle();
  auto reply = probe.inbox->find_correlation(asked);
  REQUIRE(reply);
  CHECK(reply->as<alys::test::CountState>().total == 1);
  CHECK(runtime.swap_and_wait("counter", plugin("counter_v2")).ok);  // swaps gate on 1.3 too
}

TEST_CASE("a 1.1 host checks the tables of 1.1 plugins and says a 1.0 plugin's cannot be",
          "[compat]") {
  auto table = alys::host::parse_role_table("anything = 1\n");
  REQUIRE(table.ok());
  auto old = alys::testing::load_test_plugin("counter_abi_1_0");
  CHECK(old->check_config_entry() == nullptr);  // its table ends before the entry: never read
  alys::host::TableVerdict unchecked = alys::host::check_role_table(*old, **table);
  CHECK(unchecked.kind == alys::host::TableVerdict::Kind::unchecked);
  CHECK(unchecked.why_unchecked == "plugin ABI 1.0 has no table check (ABI 1.1 added it)");

  auto current = alys::testing::load_test_plugin("picky_checked");
  CHECK(current->manifest().abi_minor == 2);
  alys::host::TableVerdict refused = alys::host::check_role_table(*current, **table);
  CHECK(refused.kind == alys::host::TableVerdict::Kind::refused);
  REQUIRE(refused.problems.size() == 1);
  CHECK(refused.problems[0].key == "anything");
}
