#include "host/config/config.hpp"
#include "host/config/config_test_fixture.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;
using namespace alys::host;

using namespace alys::host::testing;

namespace {

struct BadCase {
  const char* what;
  const char* text;
  const char* expected;  // substring of ConfigError::to_string()
  int line;
};

// Each text starts on line 1 (no leading newline) so `line` can be read off the literal.
const BadCase kBadCases[] = {
    {"unknown key", R"([host]
wokers = 2
[plugins.a]
file = "a.so"
)",
     "host.wokers: unknown key", 2},
    {"wrong type", R"([host]
workers = "two"
[plugins.a]
file = "a.so"
)",
     "host.workers: expected integer, got string", 2},
    {"negative integer", R"([plugins.a]
file = "a.so"
health_interval_ms = -1
)",
     "plugins.a.health_interval_ms: must be >= 0, got -1", 3},
    {"missing plugin file", R"([plugins.a]
file = "a.so"
[plugins.gone]
file = "gone.so"
)",
     "plugins.gone.file: plugin file not found: ", 4},
    {"missing file key", R"([plugins.a]
file = "a.so"

[plugins.b]
restart = "transient"
)",
     "plugins.b.file: missing required key", 4},
    {"unknown role in requires", R"([plugins.a]
file = "a.so"
requires = ["ghost"]
)",
     "plugins.a.requires: unknown role 'ghost' in requires", 3},
    {"self require", R"([plugins.a]
file = "a.so"
requires = ["a"]
)",
     "a role cannot require itself", 3},
    {"requires cycle", R"([plugins.a]
file = "a.so"
requires = ["b"]
[plugins.b]
file = "b.so"
requires = ["a"]
)",
     "plugins.a.requires: requires cycle: a -> b -> a", 3},
    {"bad overflow policy", R"([mailbox]
overflow = "drop-newest"
[plugins.a]
file = "a.so"
)",
     "mailbox.overflow: must be one of reject, drop-oldest; got \"drop-newest\"", 2},
    {"bad per-plugin overflow policy", R"([plugins.a]
file = "a.so"
mailbox = { overflow = "block" }
)",
     "plugins.a.mailbox.overflow: must be one of reject, drop-oldest", 3},
    {"zero mailbox capacity", R"([mailbox]
capacity = 0
[plugins.a]
file = "a.so"
)",
     "mailbox.capacity: must be >= 1, got 0", 2},
    {"bad restart type", R"([plugins.a]
file = "a.so"
restart = "sometimes"
)",
     "plugins.a.restart: must be one of permanent, transient, temporary", 3},
    {"unknown top-level table", R"([plugins.a]
file = "a.so"

[b]
x = 1
)",
     "b: unknown table (not a configured role)", 4},
    {"unknown top-level key", R"(verbose = true
[plugins.a]
file = "a.so"
)",
     "verbose: unknown key", 1},
    {"bad role name", R"([plugins.Big]
file = "a.so"
)",
     "plugins.Big: invalid role name", 1},
    {"supervision child unknown", R"([plugins.a]
file = "a.so"
[supervision]
children = ["a", "ghost"]
)",
     "supervision.children: unknown child 'ghost'", 4},
    {"role missing from supervision tree", R"([plugins.a]
file = "a.so"
[plugins.b]
file = "b.so"
[plugins.c]
file = "c.so"
[supervision]
children = ["b"]
)",
     "supervision: roles missing from the supervision tree: a, c", 7},
    {"role supervised twice", R"([plugins.a]
file = "a.so"
[supervision]
children = ["a", "g"]
[supervision.groups.g]
children = ["a"]
)",
     "role 'a' is supervised twice", 6},
    {"group used twice", R"([plugins.a]
file = "a.so"
[supervision]
children = ["g", "g"]
[supervision.groups.g]
children = ["a"]
)",
     "group 'g' is used twice", 4},
    {"group under itself", R"([plugins.a]
file = "a.so"
[supervision]
children = ["a"]
[supervision.groups.g]
children = ["g"]
)",
     "supervision.groups.g.children: group 'g' is nested under itself", 6},
    {"groups nested in a loop", R"([plugins.a]
file = "a.so"
[supervision]
children = ["a"]
[supervision.groups.g]
children = ["h"]
[supervision.groups.h]
children = ["g"]
)",
     "group 'g' is nested under itself: g -> h -> g", 8},
    {"group not in the tree", R"([plugins.a]
file = "a.so"
[supervision]
children = ["a"]
[supervision.groups.g]
strategy = "one_for_all"
)",
     "supervision.groups.g: group 'g' is not a child of any supervisor", 5},
    {"bad strategy", R"([plugins.a]
file = "a.so"
[supervision]
strategy = "all_for_one"
children = ["a"]
)",
     "supervision.strategy: must be one of one_for_one, one_for_all, rest_for_one", 4},
    {"backoff cap below initial", R"([plugins.a]
file = "a.so"
[supervision]
backoff_initial_ms = 100
backoff_max_ms = 50
children = ["a"]
)",
     "supervision.backoff_max_ms: must be >= backoff_initial_ms (100), got 50", 5},
    {"bad admin_listen", R"([host]
admin_listen = "localhost"
[plugins.a]
file = "a.so"
)",
     "host.admin_listen: expected \"HOST:PORT\"", 2},
    {"admin_listen port out of range", R"([host]
admin_listen = "127.0.0.1:65536"
[plugins.a]
file = "a.so"
)",
     "port must be 0..65535", 2},
    {"bad log_level", R"([host]
log_level = "verbose"
[plugins.a]
file = "a.so"
)",
     "host.log_level: must be one of trace, debug, info, warn, error, critical, off; got "
     "\"verbose\"",
     2},
    {"a role table setting the host's keys", R"([plugins.a]
file = "a.so"
[a]
host = { data_dir = "/elsewhere" }
)",
     "a.host: reserved: the host sets host.data_dir and host.config_dir for every role", 4},
    {"no plugins", R"([host]
workers = 1
)",
     "plugins: no plugins configured", 0},
    {"syntax error", R"([plugins.a]
file = "a.so"
restart = = "permanent"
)",
     "", 3},
};

}  // namespace

TEST_CASE("bad configs name the problem and its line", "[config]") {
  const Fixture f;
  for (const BadCase& bad : kBadCases) {
    DYNAMIC_SECTION(bad.what) {
      const ConfigLoadResult result = f.load(bad.text);
      INFO(describe(result));
      CHECK_FALSE(result.config.has_value());
      const ConfigError* error = find_error(result, bad.expected);
      REQUIRE(error != nullptr);
      CHECK(error->pos.line == bad.line);
      CHECK(error->file == f.dir.path() / "node.toml");
    }
  }
}

TEST_CASE("a syntax error is a single error with a position", "[config]") {
  const Fixture f;
  const ConfigLoadResult result = f.load("[plugins.a]\nfile = \"a.so\"\nrestart = = 1\n");
  INFO(describe(result));
  REQUIRE(result.errors.size() == 1);
  CHECK(result.errors[0].pos.line == 3);
  CHECK(result.errors[0].pos.column > 0);
  CHECK(result.errors[0].key.empty());
}

TEST_CASE("every error is collected, in file order", "[config]") {
  const Fixture f;
  const ConfigLoadResult result = f.load(R"([supervision]
children = ["a", "nobody"]

[host]
log_level = "loud"
workers = -1

[plugins.a]
file = "a.so"
requires = ["ghost"]
colour = "red"
)");
  INFO(describe(result));
  CHECK_FALSE(result.config.has_value());
  REQUIRE(result.errors.size() == 5);
  std::vector<int> lines;
  for (const ConfigError& e : result.errors) lines.push_back(e.pos.line);
  CHECK(lines == std::vector<int>{2, 5, 6, 10, 11});
  CHECK(result.errors[4].key == "plugins.a.colour");
}

TEST_CASE("defaults fill everything a minimal config leaves out", "[config]") {
  const Fixture f;
  const NodeConfig config = f.load_ok("[plugins.a]\nfile = \"a.so\"\n");
  const fs::path dir = f.dir.path();

  CHECK(config.file == dir / "node.toml");
  CHECK(config.host.workers == 0);
  CHECK(config.host.data_dir == dir / "data");
  CHECK(config.host.log_level == "info");
  CHECK(config.host.admin_listen == "127.0.0.1:8645");
  CHECK(config.host.plugin_dir == dir);

  CHECK(config.default_mailbox.capacity == 10000);
  CHECK(config.default_mailbox.overflow == OverflowPolicy::reject);
  CHECK(config.default_mailbox.batch == 64);

  REQUIRE(config.plugins.size() == 1);
  const PluginConfig& a = config.plugins[0];
  CHECK(a.role == "a");
  CHECK(a.file == dir / "a.so");
  CHECK(a.pos.line == 1);
  CHECK(a.file_pos.line == 2);
  CHECK(a.backend.empty());
  CHECK(a.requires_roles.empty());
  CHECK(a.restart == RestartType::permanent);
  CHECK_FALSE(a.dedicated_thread);
  CHECK(a.health_interval_ms == 0);
  CHECK(a.mailbox.capacity == 10000);

  CHECK(config.find_plugin("a") == &config.plugins[0]);
  CHECK(config.find_plugin("b") == nullptr);

  REQUIRE(config.role_tables.count("a") == 1);
  std::int64_t value = 0;
  CHECK(config.role_tables.at("a")->get_int("limit", value) == RoleTable::Lookup::not_found);
  // Every role sees where the node keeps its files, to resolve its own relative paths.
  std::string role_dir;
  CHECK(config.role_tables.at("a")->get_string("host.data_dir", role_dir) ==
        RoleTable::Lookup::found);
  CHECK(role_dir == config.host.data_dir.string());
  CHECK(config.role_tables.at("a")->get_string("host.config_dir", role_dir) ==
        RoleTable::Lookup::found);
  CHECK(role_dir == config.file.parent_path().string());
}

TEST_CASE("every key read from the file", "[config]") {
  const Fixture f;
  const NodeConfig config = f.load_ok(R"([host]
workers = 3
log_level = "debug"
admin_listen = "[::1]:9000"

[plugins.a]
file = "a.so"

[plugins.b]
file = "b.so"
backend = "leveldb"
requires = ["a"]
restart = "transient"
dedicated_thread = true
health_interval_ms = 250
)");
  CHECK(config.host.workers == 3);
  CHECK(config.host.log_level == "debug");
  CHECK(config.host.admin_listen == "[::1]:9000");
  const PluginConfig* b = config.find_plugin("b");
  REQUIRE(b != nullptr);
  CHECK(b->backend == "leveldb");
  CHECK(b->requires_roles == std::vector<std::string>{"a"});
  CHECK(b->requires_pos.line == 12);
  CHECK(b->restart == RestartType::transient);
  CHECK(b->dedicated_thread);
  CHECK(b->health_interval_ms == 250);
}

TEST_CASE("admin_listen accepts HOST:PORT forms", "[config]") {
  const Fixture f;
  for (const char* good : {"0.0.0.0:0", "example.org:1", "[::1]:8645", "127.0.0.1:65535"}) {
    INFO(good);
    const ConfigLoadResult result = f.load(std::string("[host]\nadmin_listen = \"") + good +
                                           "\"\n[plugins.a]\nfile = \"a.so\"\n");
    INFO(describe(result));
    CHECK(result.errors.empty());
  }
  for (const char* bad :
       {":8645", "::1:8645", "[::1]8645", "[]:80", "host:", "host:http", "host:-1", "127.0.0.1"}) {
    INFO(bad);
    const ConfigLoadResult result = f.load(std::string("[host]\nadmin_listen = \"") + bad +
                                           "\"\n[plugins.a]\nfile = \"a.so\"\n");
    CHECK(find_error(result, "host.admin_listen: expected \"HOST:PORT\"") != nullptr);
  }
}

TEST_CASE("relative paths resolve against the config file's directory", "[config]") {
  const Fixture f;
  const fs::path dir = f.dir.path();
  f.dir.write("plugins/x.so");
  f.dir.write("plugins/sub/y.so");
  const fs::path elsewhere = f.dir.write("elsewhere/z.so");

  const NodeConfig config = f.load_ok(R"([host]
data_dir = "var/../state"
plugin_dir = "plugins/"

[plugins.x]
file = "x.so"
[plugins.y]
file = "./sub/y.so"
[plugins.z]
file = ")" + elsewhere.string() + R"("
)");
  CHECK(config.host.data_dir == dir / "state");
  CHECK(config.host.plugin_dir == dir / "plugins");
  CHECK(config.find_plugin("x")->file == dir / "plugins" / "x.so");
  CHECK(config.find_plugin("y")->file == dir / "plugins" / "sub" / "y.so");
  CHECK(config.find_plugin("z")->file == elsewhere);
}

TEST_CASE("a missing plugin file is reported with its absolute path", "[config]") {
  const Fixture f;
  const ConfigLoadResult result =
      f.load("[host]\nplugin_dir = \"lib\"\n[plugins.a]\nfile = \"a.so\"\n");
  const std::string expected = (f.dir.path() / "lib" / "a.so").string();
  INFO(describe(result));
  CHECK(find_error(result, "plugin file not found: " + expected) != nullptr);
}

TEST_CASE("load_config reads a real file", "[config]") {
  const Fixture f;
  const fs::path file = f.dir.write("conf/node.toml", "[plugins.a]\nfile = \"../a.so\"\n");
  const ConfigLoadResult result = load_config(file);
  INFO(describe(result));
  REQUIRE(result.config.has_value());
  CHECK(result.config->file == file);
  CHECK(result.config->plugins[0].file == f.dir.path() / "a.so");

  const ConfigLoadResult missing = load_config(f.dir.path() / "absent.toml");
  REQUIRE(missing.errors.size() == 1);
  CHECK_FALSE(missing.config.has_value());
  CHECK(missing.errors[0].to_string().find((f.dir.path() / "absent.toml").string()) == 0);
  CHECK(missing.errors[0].message.find("cannot read config file") != std::string::npos);
}

TEST_CASE("overrides replace host keys and resolve against the working directory", "[config]") {
  const Fixture f;
  f.dir.write("other/a.so");
  HostOverrides overrides;
  overrides.data_dir = "rel/data";
  overrides.plugin_dir = f.dir.path() / "other";
  overrides.log_level = "trace";
  overrides.admin_listen = "0.0.0.0:0";
  const NodeConfig config = f.load_ok(R"([host]
data_dir = "ignored"
log_level = "warn"
admin_listen = "127.0.0.1:1"
[plugins.a]
file = "a.so"
)",
                                      overrides);
  CHECK(config.host.data_dir == fs::current_path() / "rel" / "data");
  CHECK(config.host.plugin_dir == f.dir.path() / "other");
  CHECK(config.host.log_level == "trace");
  CHECK(config.host.admin_listen == "0.0.0.0:0");
  CHECK(config.plugins[0].file == f.dir.path() / "other" / "a.so");
}

TEST_CASE("override values are validated and named by their flag", "[config]") {
  const Fixture f;
  HostOverrides overrides;
  overrides.log_level = "loud";
  overrides.admin_listen = "nowhere";
  const ConfigLoadResult result = f.load("[plugins.a]\nfile = \"a.so\"\n", overrides);
  INFO(describe(result));
  CHECK_FALSE(result.config.has_value());
  REQUIRE(result.errors.size() == 2);
  CHECK(find_error(result, "--log-level: must be one of") != nullptr);
  CHECK(find_error(result, "--admin-listen: expected \"HOST:PORT\"") != nullptr);
}

TEST_CASE("per-plugin mailbox settings inherit unset keys from [mailbox]", "[config]") {
  const Fixture f;
  const NodeConfig config = f.load_ok(R"([mailbox]
capacity = 500
overflow = "drop-oldest"

[plugins.a]
file = "a.so"
mailbox = { batch = 8 }

[plugins.b]
file = "b.so"
[plugins.b.mailbox]
capacity = 3
overflow = "reject"

[plugins.c]
file = "c.so"
)");
  CHECK(config.default_mailbox.capacity == 500);
  CHECK(config.default_mailbox.overflow == OverflowPolicy::drop_oldest);
  CHECK(config.default_mailbox.batch == 64);

  const MailboxConfig& a = config.find_plugin("a")->mailbox;
  CHECK(a.capacity == 500);
  CHECK(a.overflow == OverflowPolicy::drop_oldest);
  CHECK(a.batch == 8);
  const MailboxConfig& b = config.find_plugin("b")->mailbox;
  CHECK(b.capacity == 3);
  CHECK(b.overflow == OverflowPolicy::reject);
  CHECK(b.batch == 64);
  const MailboxConfig& c = config.find_plugin("c")->mailbox;
  CHECK(c.capacity == 500);
  CHECK(c.overflow == OverflowPolicy::drop_oldest);
  CHECK(c.batch == 64);
}

TEST_CASE("ConfigError::to_string leaves out unknown parts", "[config]") {
  CHECK(ConfigError{"/etc/n.toml", {3, 7}, "host.workers", "bad"}.to_string() ==
        "/etc/n.toml:3:7: host.workers: bad");
  CHECK(ConfigError{"/etc/n.toml", {3, 7}, "", "bad"}.to_string() == "/etc/n.toml:3:7: bad");
  CHECK(ConfigError{"/etc/n.toml", {}, "plugins", "bad"}.to_string() ==
        "/etc/n.toml: plugins: bad");
  CHECK(ConfigError{{}, {}, "--log-level", "bad"}.to_string() == "--log-level: bad");
  CHECK(ConfigError{{}, {}, "", "bad"}.to_string() == "bad");
}

TEST_CASE("the example in docs/config.md is valid apart from its plugin files", "[config]") {
  std::ifstream doc(fs::path(ALYS_SOURCE_DIR) / "docs" / "config.md");
  REQUIRE(doc);
  std::stringstream all;
  all << doc.rdbuf();
  const std::string text = all.str();
  const std::size_t start = text.find("```toml\n");
  REQUIRE(start != std::string::npos);
  const std::size_t body = start + 8;
  const std::string example = text.substr(body, text.find("```", body) - body);

  const Fixture f;
  const ConfigLoadResult result = f.load(example);
  INFO(describe(result));
  REQUIRE_FALSE(result.errors.empty());
  for (const ConfigError& e : result.errors) {
    CHECK(e.message.find("plugin file not found") != std::string::npos);
  }
}
