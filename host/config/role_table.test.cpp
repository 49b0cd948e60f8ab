// The TOML-backed role table (role_table.cpp) as a plugin reads it through the host API.
#include <catch2/catch.hpp>

#include "host/config/config.hpp"
#include "host/config/config_test_fixture.hpp"

using namespace alys::host;
using namespace alys::host::testing;

TEST_CASE("role tables expose the role's own settings", "[config]") {
  const Fixture f;
  const NodeConfig config = f.load_ok(R"([plugins.a]
file = "a.so"
backend = "leveldb"
[plugins.b]
file = "b.so"
backend = "rocksdb"

[a]
limit = 5
ratio = 0.5
enabled = true
name = "alpha"
nested.deep.value = 7

[b]
backend = "own"
)");
  using Lookup = RoleTable::Lookup;
  const RoleTable& a = *config.role_tables.at("a");
  std::int64_t i = 0;
  double d = 0;
  bool flag = false;
  std::string s;

  CHECK(a.get_int("limit", i) == Lookup::found);
  CHECK(i == 5);
  CHECK(a.get_double("limit", d) == Lookup::found);
  CHECK(d == 5.0);
  CHECK(a.get_double("ratio", d) == Lookup::found);
  CHECK(d == 0.5);
  CHECK(a.get_bool("enabled", flag) == Lookup::found);
  CHECK(flag);
  CHECK(a.get_string("name", s) == Lookup::found);
  CHECK(s == "alpha");
  CHECK(a.get_int("nested.deep.value", i) == Lookup::found);
  CHECK(i == 7);

  CHECK(a.get_int("name", i) == Lookup::wrong_type);
  CHECK(a.get_int("ratio", i) == Lookup::wrong_type);
  CHECK(a.get_bool("limit", flag) == Lookup::wrong_type);
  CHECK(a.get_string("nested.deep", s) == Lookup::wrong_type);
  CHECK(a.get_int("absent", i) == Lookup::not_found);
  CHECK(a.get_int("nested.absent.value", i) == Lookup::not_found);

  // The plugin sees its [plugins.<role>] backend unless its own table sets one.
  CHECK(a.get_string("backend", s) == Lookup::found);
  CHECK(s == "leveldb");
  CHECK(config.role_tables.at("b")->get_string("backend", s) == Lookup::found);
  CHECK(s == "own");

  const std::string json = a.to_json();
  CHECK(json.find("\"limit\" : 5") != std::string::npos);
  CHECK(json.find("\"name\" : \"alpha\"") != std::string::npos);
  CHECK(json.find("\"backend\" : \"leveldb\"") != std::string::npos);
  CHECK(json.find("\"value\" : 7") != std::string::npos);
}

TEST_CASE("a role's own table may not be a plain value", "[config]") {
  const Fixture f;
  const ConfigLoadResult result = f.load("a = 5\n[plugins.a]\nfile = \"a.so\"\n");
  INFO(describe(result));
  const ConfigError* error = find_error(result, "a: expected table, got integer");
  REQUIRE(error != nullptr);
  CHECK(error->pos.line == 1);
}

TEST_CASE("role tables know where each key is written", "[config]") {
  const Fixture f;
  const NodeConfig config = f.load_ok(R"([plugins.a]
file = "a.so"
[plugins.b]
file = "b.so"
backend = "x"

[a]
limit = 5
nested.deep.value = 7
list = [1, { inner = 2 }]

[a.auxpow]
interval = 3
)");
  const RoleTable& a = *config.role_tables.at("a");
  auto at = [&a](const std::string& key) {
    const SourcePos pos = a.position(key);
    return std::to_string(pos.line) + ":" + std::to_string(pos.column);
  };
  CHECK(at("") == "7:1");  // the [a] header
  CHECK(at("limit") == "8:1");
  CHECK(at("nested.deep.value") == "9:13");  // dotted keys: the last one
  CHECK(at("list[1]") == "10:12");
  CHECK(at("list[1].inner") == "10:14");
  CHECK(at("auxpow.interval") == "13:1");
  // Not written: the nearest enclosing key or table that is.
  CHECK(at("auxpow.chain_id") == at("auxpow"));
  CHECK(at("missing") == "7:1");
  CHECK(at("host.data_dir") == "7:1");  // the host adds it
  // A role without a table of its own in the file: nothing to point at.
  CHECK(config.role_tables.at("b")->position("backend").line == 0);
}
