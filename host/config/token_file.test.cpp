#include "host/config/token_file.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "temp_dir.hpp"

using alys::host::read_token_file;
namespace fs = std::filesystem;

namespace {

fs::path write(const alys::testing::TempDir& dir, const std::string& name,
               const std::string& content) {
  fs::path file = dir.path() / name;
  std::ofstream(file, std::ios::binary) << content;
  return file;
}

}  // namespace

TEST_CASE("the token is the first line without the whitespace around it", "[token_file]") {
  alys::testing::TempDir dir("token-file-read");
  for (const char* content :
       {"s3cret", "s3cret\n", "  s3cret\t\r\n", "s3cret\r\nsecond line\n", "\ts3cret \n\n"}) {
    INFO(content);
    auto token = read_token_file(write(dir, "token", content));
    REQUIRE(token.ok());
    CHECK(*token == "s3cret");
  }
  // Whitespace inside the token is part of it.
  CHECK(*read_token_file(write(dir, "inner", "two words\n")) == "two words");
}

TEST_CASE("an empty or blank token file fails, naming the file", "[token_file]") {
  alys::testing::TempDir dir("token-file-empty");
  const fs::path empty = write(dir, "empty", "");
  auto none = read_token_file(empty);
  REQUIRE_FALSE(none.ok());
  CHECK(none.status().code() == ALYS_ERR_INVALID);
  CHECK(none.status().message() == "token file " + empty.string() + " is empty");

  for (const char* content : {"\n", "   \r\n", " \t\nthe token on line 2\n"}) {
    INFO(content);
    const fs::path blank = write(dir, "blank", content);
    auto token = read_token_file(blank);
    REQUIRE_FALSE(token.ok());
    CHECK(token.status().message() == "token file " + blank.string() + " has a blank first line");
  }
}

TEST_CASE("a file that cannot be read fails, naming the file", "[token_file]") {
  alys::testing::TempDir dir("token-file-missing");
  const fs::path missing = dir.path() / "missing";
  auto absent = read_token_file(missing);
  REQUIRE_FALSE(absent.ok());
  CHECK(absent.status().code() == ALYS_ERR_NOT_FOUND);
  CHECK(absent.status().message().starts_with("cannot read token file " + missing.string() + ": "));

  auto directory = read_token_file(dir.path());
  REQUIRE_FALSE(directory.ok());
  CHECK(directory.status().message() ==
        "token file " + dir.path().string() + " is not a regular file");
}
