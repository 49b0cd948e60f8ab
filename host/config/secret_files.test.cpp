#include "host/config/secret_files.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

namespace fs = std::filesystem;
using namespace alys::host;
using alys::testing::TempDir;

namespace {

// A secret file in `dir` with permissions `mode`.
fs::path secret(const TempDir& dir, const std::string& name, fs::perms mode) {
  fs::path file = dir.write(name, "00\n");
  fs::permissions(file, mode, fs::perm_options::replace);
  return file;
}

std::string describe(const ConfigLoadResult& result) {
  std::string out;
  for (const ConfigError& e : result.errors) out += e.to_string() + "\n";
  return out.empty() ? "(no errors)" : out;
}

}  // namespace

TEST_CASE("key_file and names ending in _key_file name secret files", "[config][secret_files]") {
  CHECK(names_secret_file("key_file"));
  CHECK(names_secret_file("member_key_file"));
  CHECK(names_secret_file("a_key_file"));
  CHECK_FALSE(names_secret_file("_key_file_x"));
  CHECK_FALSE(names_secret_file("keyfile"));
  CHECK_FALSE(names_secret_file("key_files"));
  CHECK_FALSE(names_secret_file("monkey_file"));  // ends in "key_file", not in "_key_file"
  CHECK_FALSE(names_secret_file("file"));
  CHECK_FALSE(names_secret_file(""));
}

TEST_CASE("a secret file must exist, be regular and private to its owner",
          "[config][secret_files]") {
  TempDir dir("alys-secret");
  CHECK(check_secret_file(secret(dir, "owner.key", fs::perms::owner_read | fs::perms::owner_write))
            .ok());
  CHECK(check_secret_file(secret(dir, "read-only.key", fs::perms::owner_read)).ok());

  fs::path open = secret(dir, "open.key", fs::perms(0644));
  alys::Status problem = check_secret_file(open);
  REQUIRE_FALSE(problem.ok());
  CHECK(problem.message() ==
        "secret file " + open.string() +
            " is accessible by group or others (mode 0644); restrict it with: chmod "
            "600 " +
            open.string());
  // Any permission for group or others counts, not only reading.
  CHECK_FALSE(check_secret_file(secret(dir, "group-write.key", fs::perms(0620))).ok());
  CHECK_FALSE(check_secret_file(secret(dir, "others-exec.key", fs::perms(0601))).ok());

  CHECK(check_secret_file(dir.path() / "absent.key").message() ==
        "secret file not found: " + (dir.path() / "absent.key").string());
  CHECK(check_secret_file(dir.path()).message() ==
        "secret file is not a regular file: " + dir.path().string());

  std::vector<ConfigError> errors =
      check_secret_files({{"chain.key_file", {3, 12}, open},
                          {"other.key_file", {5, 1}, dir.path() / "read-only.key"}});
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].key == "chain.key_file");
  CHECK(errors[0].pos.line == 3);
  CHECK(errors[0].pos.column == 12);
  CHECK(errors[0].file.empty());
}

TEST_CASE("loading a config checks the secret files its role tables name",
          "[config][secret_files]") {
  TempDir dir("alys-secret-config");
  dir.write("a.so");
  secret(dir, "member.key", fs::perms(0600));
  secret(dir, "open.key", fs::perms(0644));
  const std::string plugins = "[plugins.chain]\nfile = \"a.so\"\n\n";  // lines 1-3
  auto load = [&](const std::string& role_table) {
    return load_config_text(plugins + role_table, dir.path() / "node.toml");
  };

  SECTION("a private file, named relative to the config's directory, passes") {
    ConfigLoadResult result = load("[chain]\nkey_file = \"member.key\"\n");
    INFO(describe(result));
    CHECK(result.errors.empty());
  }
  SECTION("a file open to others is an error at its key, in FILE:LINE:COL: KEY: MESSAGE form") {
    ConfigLoadResult result = load("[chain]\nkey_file = \"open.key\"\n");
    REQUIRE(result.errors.size() == 1);
    CHECK_FALSE(result.config);
    CHECK(result.errors[0].to_string() ==
          (dir.path() / "node.toml").string() + ":5:12: chain.key_file: secret file " +
              (dir.path() / "open.key").string() +
              " is accessible by group or others (mode 0644); restrict it with: chmod 600 " +
              (dir.path() / "open.key").string());
  }
  SECTION("subtables and arrays of tables are searched, other names are not") {
    ConfigLoadResult result = load(R"([chain]
signer.member_key_file = "missing.key"
backup_file = "open.key"
[[chain.peers]]
name = "p"
[[chain.peers]]
tls_key_file = "open.key"
)");
    INFO(describe(result));
    REQUIRE(result.errors.size() == 2);
    CHECK(result.errors[0].key == "chain.signer.member_key_file");
    CHECK(result.errors[0].pos.line == 5);
    CHECK(result.errors[0].message.find("secret file not found") != std::string::npos);
    CHECK(result.errors[1].key == "chain.peers[1].tls_key_file");
    CHECK(result.errors[1].pos.line == 10);
    CHECK(result.errors[1].message.find("(mode 0644)") != std::string::npos);
  }
  SECTION("a value that is not a path is an error") {
    ConfigLoadResult result = load("[chain]\nkey_file = 7\nnode_key_file = \"\"\n");
    INFO(describe(result));
    REQUIRE(result.errors.size() == 2);
    CHECK(result.errors[0].to_string().find(
              ":5:12: chain.key_file: expected the path of a secret file (a non-empty string), "
              "got integer") != std::string::npos);
    CHECK(result.errors[1].message.find("got an empty string") != std::string::npos);
  }
}

TEST_CASE("a client reading the config (alys-ctl) leaves the node's own files to the node",
          "[config][secret_files]") {
  // alys-ctl reads the admin address from the node's config as another user: the member key and
  // the admin token are the node's to read, and a client that cannot must still get the address.
  TempDir dir("alys-secret-client");
  dir.write("a.so");
  secret(dir, "open.key", fs::perms(0644));
  secret(dir, "open.token", fs::perms(0644));
  const std::string text =
      "[host]\nadmin_token_file = \"open.token\"\n"
      "[plugins.chain]\nfile = \"a.so\"\n[chain]\nkey_file = \"open.key\"\n";

  ConfigLoadResult node = load_config_text(text, dir.path() / "node.toml");
  INFO(describe(node));
  CHECK(node.errors.size() == 2);  // the token file and the key file, both open to others

  ConfigLoadResult client =
      load_config_text(text, dir.path() / "node.toml", {}, ConfigReader::client);
  INFO(describe(client));
  REQUIRE(client.config);
  CHECK(client.config->host.admin_token_file == dir.path() / "open.token");
}
