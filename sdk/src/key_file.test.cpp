#include "alys/key_file.hpp"

#include <sys/stat.h>

#include <catch2/catch.hpp>

#include <stdexcept>

#include "temp_dir.hpp"

using alys::load_key_file;

namespace {

std::string error_of(const std::filesystem::path& file) {
  try {
    load_key_file(file);
  } catch (const std::runtime_error& error) {
    return error.what();
  }
  return "";
}

}  // namespace

TEST_CASE("a key file with owner-only permissions loads", "[key_file]") {
  alys::testing::TempDir dir("chain-key");
  auto file = dir.write("member.key", "  0x" + std::string(63, '0') + "3\n");
  ::chmod(file.c_str(), 0600);
  auto key = load_key_file(file);
  CHECK(key.bytes()[31] == 3);
}

TEST_CASE("key files that are open to others, missing or malformed are refused", "[key_file]") {
  alys::testing::TempDir dir("chain-key-bad");
  auto open = dir.write("open.key", std::string(63, '0') + "3");
  ::chmod(open.c_str(), 0644);
  CHECK(error_of(open) == "key file " + open.string() +
                              " is accessible by group or others (mode 0644); restrict it with: "
                              "chmod 600 " +
                              open.string());
  CHECK(error_of(dir.path() / "absent.key") ==
        "key file " + (dir.path() / "absent.key").string() + " cannot be read: it does not exist");
  auto short_key = dir.write("short.key", "abcd");
  ::chmod(short_key.c_str(), 0600);
  CHECK(error_of(short_key).find("must hold a 32-byte secret key as 64 hex digits") !=
        std::string::npos);
  auto zero = dir.write("zero.key", std::string(64, '0'));
  ::chmod(zero.c_str(), 0600);
  CHECK(error_of(zero).find("holds no valid secp256k1 secret key") != std::string::npos);
}
