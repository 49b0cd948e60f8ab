#include "alys/domain/hash.hpp"

#include <catch2/catch.hpp>

using namespace alys;

TEST_CASE("to_hex writes lowercase digits without a prefix", "[hash]") {
  const Bytes bytes{0x00, 0x01, 0x7f, 0x80, 0xab, 0xff};
  CHECK(to_hex(bytes) == "00017f80abff");
  CHECK(to_0x_hex(bytes) == "0x00017f80abff");
  CHECK(to_hex(Bytes{}).empty());
  CHECK(to_0x_hex(Bytes{}) == "0x");
}

TEST_CASE("from_hex accepts either case and an optional prefix", "[hash]") {
  const Bytes expected{0xde, 0xad, 0xbe, 0xef};
  CHECK(from_hex("deadbeef") == expected);
  CHECK(from_hex("DEADBEEF") == expected);
  CHECK(from_hex("0xDeAdBeEf") == expected);
  CHECK(from_hex("0XdeadBEEF") == expected);
  CHECK(from_hex("") == Bytes{});
  CHECK(from_hex("0x") == Bytes{});
}

TEST_CASE("from_hex refuses odd lengths and non-hex digits", "[hash]") {
  CHECK_FALSE(from_hex("abc"));
  CHECK_FALSE(from_hex("0xabc"));
  CHECK_FALSE(from_hex("zz"));
  CHECK_FALSE(from_hex("0g"));
  CHECK_FALSE(from_hex("0x0x00"));
  CHECK_FALSE(from_hex(" 00"));
}

TEST_CASE("hex round-trips every byte value", "[hash]") {
  Bytes all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<std::uint8_t>(i));
  CHECK(from_hex(to_hex(all)) == all);
  CHECK(from_hex(to_0x_hex(all)) == all);
}

TEST_CASE("fixed_from_hex needs exactly N bytes", "[hash]") {
  auto address = fixed_from_hex<20>("0x9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F");
  REQUIRE(address);
  CHECK((*address)[0] == 0x9d);
  CHECK((*address)[19] == 0x4f);
  CHECK_FALSE(fixed_from_hex<20>("0x9d8A62f656a8d1615C1294fd71e9CFb3E4855A"));      // 19 bytes
  CHECK_FALSE(fixed_from_hex<20>("0x9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F00"));  // 21 bytes
  CHECK_FALSE(fixed_from_hex<32>("not hex"));
}

TEST_CASE("reversed gives display order and is its own inverse", "[hash]") {
  Hash32 hash{};
  for (std::size_t i = 0; i < hash.size(); ++i) hash[i] = static_cast<std::uint8_t>(i);
  Hash32 display = reversed(hash);
  CHECK(display[0] == 31);
  CHECK(display[31] == 0);
  CHECK(reversed(display) == hash);
  // Bitcoin's genesis block hash, internal order -> the familiar display form.
  auto genesis_internal =
      fixed_from_hex<32>("6fe28c0ab6f1b372c1a6a246ae63f74f931e8365e15a089c68d6190000000000");
  REQUIRE(genesis_internal);
  CHECK(to_hex(reversed(*genesis_internal)) ==
        "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f");
}

TEST_CASE("is_zero is true only for all zero bytes", "[hash]") {
  Hash32 hash{};
  CHECK(is_zero(hash));
  for (std::size_t i = 0; i < hash.size(); ++i) {
    Hash32 one_set{};
    one_set[i] = 1;
    CHECK_FALSE(is_zero(one_set));
  }
  CHECK(is_zero(EthAddress{}));
}
