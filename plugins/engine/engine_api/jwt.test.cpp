#include "engine/engine_api/jwt.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <string>

#include "temp_dir.hpp"

namespace ea = alys::engine::engine_api;

namespace {

alys::ByteView text_bytes(const std::string& text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

void write_file(const std::filesystem::path& path, const std::string& content) {
  std::ofstream(path, std::ios::binary) << content;
}

}  // namespace

TEST_CASE("every nimbus-eth2 HS256 vector is reproduced byte for byte") {
  std::ifstream in(ALYS_SOURCE_DIR "/tests/data/jwt_hs256_vectors.tsv");
  REQUIRE(in);
  std::string line;
  std::getline(in, line);  // provenance
  REQUIRE(line.rfind("# ", 0) == 0);
  std::getline(in, line);  // column names
  REQUIRE(line == "secret_ascii\tpayload_json\ttoken");
  int rows = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    auto tab1 = line.find('\t');
    auto tab2 = line.find('\t', tab1 + 1);
    REQUIRE(tab2 != std::string::npos);
    std::string secret = line.substr(0, tab1);
    std::string payload = line.substr(tab1 + 1, tab2 - tab1 - 1);
    std::string token = line.substr(tab2 + 1);
    INFO(payload);
    CHECK(ea::hs256_token(text_bytes(secret), payload) == token);
    ++rows;
  }
  CHECK(rows == 21);
}

TEST_CASE("engine_jwt signs {\"iat\":N} with the 32-byte secret") {
  ea::JwtSecret secret{};
  for (std::size_t i = 0; i < secret.size(); ++i) secret[i] = static_cast<std::uint8_t>(i);
  std::string token = ea::engine_jwt(secret, 1700000000);
  CHECK(token == ea::hs256_token(secret, R"({"iat":1700000000})"));
  CHECK(token.rfind("eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJpYXQiOjE3MDAwMDAwMDB9.", 0) == 0);
  CHECK(token.find('=') == std::string::npos);
}

TEST_CASE("base64url has no padding and uses - and _") {
  CHECK(ea::base64url(text_bytes("")).empty());
  CHECK(ea::base64url(text_bytes("f")) == "Zg");
  CHECK(ea::base64url(text_bytes("fo")) == "Zm8");
  CHECK(ea::base64url(text_bytes("foo")) == "Zm9v");
  const std::uint8_t high[] = {0xfb, 0xff, 0xbf};
  CHECK(ea::base64url(alys::ByteView(high, 3)) == "-_-_");
}

TEST_CASE("a secret file: 0x, either case and surrounding whitespace are accepted") {
  alys::testing::TempDir dir;
  std::string hex = "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF";
  for (const std::string& content : {hex, "0x" + hex, "  \n0X" + hex + "\n\n", hex + "\r\n"}) {
    write_file(dir.path() / "jwt.hex", content);
    auto secret = ea::load_jwt_secret(dir.path() / "jwt.hex");
    REQUIRE(secret.ok());
    CHECK((*secret)[0] == 0x00);
    CHECK((*secret)[15] == 0xff);
    CHECK((*secret)[31] == 0xff);
  }
}

TEST_CASE("a secret file's errors name the file and say why") {
  alys::testing::TempDir dir;
  auto path = dir.path() / "jwt.hex";
  auto error_of = [&](const std::string& content) {
    write_file(path, content);
    auto secret = ea::load_jwt_secret(path);
    REQUIRE_FALSE(secret.ok());
    return secret.status().message();
  };
  SECTION("missing") {
    auto secret = ea::load_jwt_secret(dir.path() / "nope.hex");
    REQUIRE_FALSE(secret.ok());
    CHECK(secret.status().code() == ALYS_ERR_NOT_FOUND);
    CHECK_THAT(secret.status().message(), Catch::Contains((dir.path() / "nope.hex").string()));
    CHECK_THAT(secret.status().message(), Catch::Contains("missing"));
  }
  SECTION("not hex") {
    std::string message = error_of(std::string(63, 'a') + "g");
    CHECK_THAT(message, Catch::Contains(path.string()));
    CHECK_THAT(message, Catch::Contains("not hex"));
    CHECK_THAT(message, Catch::Contains("character 64"));
  }
  SECTION("wrong length") {
    CHECK_THAT(
        error_of(std::string(40, 'a')),
        Catch::Contains("20 bytes, the Engine API needs 32") && Catch::Contains(path.string()));
    CHECK_THAT(error_of("0x" + std::string(66, '1')),
               Catch::Contains("33 bytes, the Engine API needs 32"));
    CHECK_THAT(error_of(std::string(63, 'a')), Catch::Contains("odd number of hex digits (63)"));
  }
  SECTION("empty") { CHECK_THAT(error_of(" \n"), Catch::Contains("empty")); }
  SECTION("a directory") {
    auto secret = ea::load_jwt_secret(dir.path());
    REQUIRE_FALSE(secret.ok());
    CHECK_THAT(secret.status().message(), Catch::Contains("is a directory"));
  }
  SECTION("a device, never read to its end") {
    auto secret = ea::load_jwt_secret("/dev/zero");
    REQUIRE_FALSE(secret.ok());
    CHECK_THAT(secret.status().message(), Catch::Contains("not a regular file"));
  }
  SECTION("a long file") {
    auto secret = ea::load_jwt_secret(dir.write("long.hex", std::string(4096, 'a')));
    REQUIRE_FALSE(secret.ok());
    CHECK_THAT(secret.status().message(), Catch::Contains("longer than 256 bytes"));
  }
  SECTION("unreadable") {
    if (::geteuid() == 0) {
      WARN("SKIP: root reads a file whatever its mode");
      return;
    }
    write_file(path, std::string(64, 'a'));
    std::filesystem::permissions(path, std::filesystem::perms::none);
    auto secret = ea::load_jwt_secret(path);
    REQUIRE_FALSE(secret.ok());
    CHECK_THAT(secret.status().message(), Catch::Contains("unreadable"));
  }
}
