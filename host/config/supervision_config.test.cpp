// The supervision tree as config declares it (supervision_config.cpp).
#include <catch2/catch.hpp>

#include "host/config/config.hpp"
#include "host/config/config_test_fixture.hpp"

using namespace alys::host;
using namespace alys::host::testing;

TEST_CASE("without [supervision] one root supervises every role in file order", "[config]") {
  const Fixture f;
  // Declared out of alphabetical order: file order must win over TOML's sorted tables.
  const NodeConfig config = f.load_ok(R"([plugins.c]
file = "c.so"
[plugins.a]
file = "a.so"
[plugins.b]
file = "b.so"
)");
  std::vector<std::string> roles;
  for (const PluginConfig& p : config.plugins) roles.push_back(p.role);
  CHECK(roles == std::vector<std::string>{"c", "a", "b"});

  REQUIRE(config.supervisors.size() == 1);
  const SupervisorConfig& root = config.supervisors[0];
  CHECK(root.name == "root");
  CHECK(root.strategy == Strategy::one_for_one);
  CHECK(root.max_restarts == 5);
  CHECK(root.period_ms == 10000);
  CHECK(root.backoff_initial_ms == 10);
  CHECK(root.backoff_max_ms == 2000);
  CHECK(root.children == std::vector<std::string>{"c", "a", "b"});
  CHECK(config.role_tables.size() == 3);
}

TEST_CASE("nested supervision groups", "[config]") {
  const Fixture f;
  f.dir.write("d.so");
  const NodeConfig config = f.load_ok(R"([plugins.a]
file = "a.so"
[plugins.b]
file = "b.so"
[plugins.c]
file = "c.so"
[plugins.d]
file = "d.so"

[supervision]
strategy = "one_for_all"
max_restarts = 0
period_ms = 1
backoff_initial_ms = 0
backoff_max_ms = 0
children = ["a", "core"]

[supervision.groups.core]
strategy = "rest_for_one"
max_restarts = 3
children = ["b", "inner"]

[supervision.groups.inner]
children = ["d", "c"]
)");
  REQUIRE(config.supervisors.size() == 3);
  const SupervisorConfig& root = config.supervisors[0];
  CHECK(root.name == "root");
  CHECK(root.pos.line == 10);
  CHECK(root.strategy == Strategy::one_for_all);
  CHECK(root.max_restarts == 0);
  CHECK(root.period_ms == 1);
  CHECK(root.backoff_initial_ms == 0);
  CHECK(root.backoff_max_ms == 0);
  CHECK(root.children == std::vector<std::string>{"a", "core"});

  const SupervisorConfig& core = config.supervisors[1];
  CHECK(core.name == "core");
  CHECK(core.pos.line == 18);
  CHECK(core.strategy == Strategy::rest_for_one);
  CHECK(core.max_restarts == 3);
  CHECK(core.period_ms == 10000);
  CHECK(core.children == std::vector<std::string>{"b", "inner"});

  const SupervisorConfig& inner = config.supervisors[2];
  CHECK(inner.name == "inner");
  CHECK(inner.strategy == Strategy::one_for_one);
  CHECK(inner.children == std::vector<std::string>{"d", "c"});
}
