// Table checks by real plugin files (tests/plugins/picky.cpp, counter.cpp): the verdicts of a
// checking plugin, of one that declares no check and of a 1.0 plugin, and how they become config
// errors that point into the file.
#include "host/loading/table_check.hpp"

#include <catch2/catch.hpp>

#include "host/config/config_test_fixture.hpp"
#include "probe.hpp"

using namespace alys;
using namespace alys::host;
using alys::testing::load_test_plugin;
using alys::testing::TempDir;
using alys::testing::test_plugin;

namespace {

std::shared_ptr<const RoleTable> table(const std::string& toml) {
  auto parsed = parse_role_table(toml);
  REQUIRE(parsed.ok());
  return *parsed;
}

// A node config whose role `picky` runs the test plugin `plugin`, with `table` as its table.
NodeConfig node_config(const TempDir& dir, const std::string& plugin, const std::string& table) {
  ConfigLoadResult loaded = load_config_text(R"([host]
data_dir = "data"
plugin_dir = ")" + std::string(ALYS_TEST_PLUGIN_DIR) +
                                                 R"("

[plugins.picky]
file = "alys_test_)" + plugin + R"(.so"

[picky]
)" + table,
                                             dir.path() / "node.toml");
  INFO(alys::host::testing::describe(loaded));
  REQUIRE(loaded.config);
  return *loaded.config;
}

}  // namespace

TEST_CASE("a checking plugin accepts a good table and names every problem of a bad one",
          "[table_check]") {
  auto library = load_test_plugin("picky_checked");
  REQUIRE(library->check_config_entry() != nullptr);
  CHECK(check_role_table(*library, *table("limit = 100\n")).kind == TableVerdict::Kind::accepted);

  TableVerdict refused = check_role_table(*library, *table("limit = \"lots\"\nlimt = 3\n"));
  CHECK(refused.kind == TableVerdict::Kind::refused);
  REQUIRE(refused.problems.size() == 2);
  CHECK(refused.problems[0].key == "limit");
  CHECK(refused.problems[0].code == ALYS_ERR_TYPE);
  CHECK(refused.problems[0].message == "must be an integer");
  CHECK(refused.problems[1].key == "limt");
  CHECK(refused.problems[1].code == ALYS_ERR_INVALID);

  TableVerdict range = check_role_table(*library, *table("limit = 500\n"));
  REQUIRE(range.problems.size() == 1);
  CHECK(range.problems[0].message == "must be from 0 to 100, got 500");
}

TEST_CASE("a plugin without a check, or of ABI 1.0, leaves its table unchecked", "[table_check]") {
  TableVerdict unchecked = check_role_table(*load_test_plugin("picky"), *table("limit = 500\n"));
  CHECK(unchecked.kind == TableVerdict::Kind::unchecked);
  CHECK(unchecked.why_unchecked == "this plugin does not check its table");

  auto old = load_test_plugin("counter_abi_1_0");
  CHECK(old->manifest().abi_minor == 0);
  CHECK(old->functions().struct_size == 72);
  CHECK(old->check_config_entry() == nullptr);  // the entry past its table is never read
  TableVerdict v1_0 = check_role_table(*old, *table(""));
  CHECK(v1_0.kind == TableVerdict::Kind::unchecked);
  CHECK(v1_0.why_unchecked == "plugin ABI 1.0 has no table check (ABI 1.1 added it)");
}

TEST_CASE("check_role_tables loads each plugin and points at the keys in the file",
          "[table_check]") {
  TempDir dir("alys-table-check");
  NodeConfig config = node_config(dir, "picky_checked", "colour = 1\nlimit = 101\n");
  TableCheckReport report = check_role_tables(config, dir.path() / "copies");
  CHECK(report.warnings.empty());
  REQUIRE(report.errors.size() == 2);
  const std::string file = (dir.path() / "node.toml").string();
  CHECK(report.errors[0].to_string() == file + ":9:1: picky.colour: unknown key (valid: limit)");
  CHECK(report.errors[1].to_string() ==
        file + ":10:1: picky.limit: must be from 0 to 100, got 101");

  CHECK(check_role_tables(node_config(dir, "picky_checked", "limit = 3\n"), dir.path() / "copies")
            .errors.empty());

  TableCheckReport old =
      check_role_tables(node_config(dir, "counter_abi_1_0", "x = 1\n"), dir.path() / "copies");
  CHECK(old.errors.empty());
  REQUIRE(old.warnings.size() == 1);
  CHECK(old.warnings[0].to_string() ==
        file +
            ":6:1: plugins.picky.file: the [picky] table is not checked: plugin ABI 1.0 has no "
            "table check (ABI 1.1 added it)");
}
