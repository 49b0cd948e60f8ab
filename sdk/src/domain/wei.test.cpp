#include "alys/domain/wei.hpp"

#include <catch2/catch.hpp>

#include "alys/domain/hash.hpp"

using namespace alys;

namespace {
const Wei kMax = ~Wei{0};
const Wei kTwoTo64 = static_cast<Wei>(1) << 64;
}  // namespace

TEST_CASE("a satoshi is 10^10 wei", "[wei]") {
  CHECK(wei_to_decimal(kWeiPerSatoshi) == "10000000000");
  // 21 million BTC fits with room to spare.
  const Wei all_bitcoin = static_cast<Wei>(21'000'000) * 100'000'000 * kWeiPerSatoshi;
  CHECK(wei_to_decimal(all_bitcoin) == "21000000000000000000000000");
  // About 2^84.1 (the header's bound): far below 2^128.
  CHECK(all_bitcoin > (static_cast<Wei>(1) << 84));
  CHECK(all_bitcoin < (static_cast<Wei>(1) << 85));
}

TEST_CASE("wei_from_be reads big-endian and refuses more than 128 bits", "[wei]") {
  CHECK(wei_from_be(Bytes{}) == Wei{0});
  CHECK(wei_from_be(Bytes{0x01, 0x00}) == Wei{256});
  CHECK(wei_from_be(Bytes{0x00, 0x00, 0x01, 0x00}) == Wei{256});  // leading zeros are allowed
  Bytes sixteen(16, 0xff);
  CHECK(wei_from_be(sixteen) == kMax);
  Bytes padded(32, 0x00);
  padded[16] = 0x80;  // 2^127 in a 32-byte word
  CHECK(wei_from_be(padded) == static_cast<Wei>(1) << 127);
  Bytes seventeen(17, 0x00);
  seventeen[0] = 0x01;  // 2^128
  CHECK_FALSE(wei_from_be(seventeen));
  Bytes word(32, 0x00);
  word[15] = 0x01;  // 2^128 in a 32-byte word
  CHECK_FALSE(wei_from_be(word));
}

TEST_CASE("wei_to_be32 writes the low 16 bytes and round-trips", "[wei]") {
  const Wei value = kTwoTo64 + 0x0102;
  auto word = wei_to_be32(value);
  CHECK(to_hex(word) == "0000000000000000000000000000000000000000000000010000000000000102");
  CHECK(wei_from_be(word) == value);
  CHECK(wei_from_be(wei_to_be32(kMax)) == kMax);
  CHECK(is_zero(wei_to_be32(0)));
}

TEST_CASE("wei_to_minimal_be has no leading zeros", "[wei]") {
  CHECK(wei_to_minimal_be(0).empty());
  CHECK(wei_to_minimal_be(1) == Bytes{0x01});
  CHECK(wei_to_minimal_be(256) == Bytes{0x01, 0x00});
  CHECK(wei_to_minimal_be(kMax) == Bytes(16, 0xff));
  CHECK(wei_from_be(wei_to_minimal_be(kTwoTo64)) == kTwoTo64);
}

TEST_CASE("decimal and QUANTITY text", "[wei]") {
  CHECK(wei_to_decimal(0) == "0");
  CHECK(wei_to_decimal(1'000'000'000'000'000'000ULL) == "1000000000000000000");
  CHECK(wei_to_decimal(kMax) == "340282366920938463463374607431768211455");
  CHECK(wei_to_quantity(0) == "0x0");
  CHECK(wei_to_quantity(255) == "0xff");
  CHECK(wei_to_quantity(kTwoTo64) == "0x10000000000000000");
  CHECK(wei_to_quantity(kMax) == "0xffffffffffffffffffffffffffffffff");
}

TEST_CASE("wei_parse reads decimal and QUANTITY, refusing overflow and junk", "[wei]") {
  CHECK(wei_parse("0") == Wei{0});
  CHECK(wei_parse("1000000000000000000") == Wei{1'000'000'000'000'000'000ULL});
  CHECK(wei_parse("340282366920938463463374607431768211455") == kMax);
  CHECK_FALSE(wei_parse("340282366920938463463374607431768211456"));  // 2^128
  CHECK(wei_parse("0x0") == Wei{0});
  CHECK(wei_parse("0xFF") == Wei{255});
  CHECK(wei_parse("0x10000000000000000") == kTwoTo64);
  CHECK(wei_parse("0xffffffffffffffffffffffffffffffff") == kMax);
  CHECK_FALSE(wei_parse("0x100000000000000000000000000000000"));  // 2^128
  CHECK_FALSE(wei_parse(""));
  CHECK_FALSE(wei_parse("-1"));
  CHECK_FALSE(wei_parse("1.5"));
  CHECK_FALSE(wei_parse("12a"));
  CHECK_FALSE(wei_parse("0xg"));
  CHECK_FALSE(wei_parse(" 1"));
}

TEST_CASE("decimal and QUANTITY text round-trip", "[wei]") {
  for (Wei value : {Wei{0}, Wei{1}, Wei{9}, Wei{10}, kWeiPerSatoshi, kTwoTo64 - 1, kTwoTo64,
                    kMax / 3, kMax - 1, kMax}) {
    CHECK(wei_parse(wei_to_decimal(value)) == value);
    CHECK(wei_parse(wei_to_quantity(value)) == value);
  }
}
