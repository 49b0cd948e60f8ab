#include "alys/domain/uint256.hpp"

#include <catch2/catch.hpp>
#include <stdexcept>

using namespace alys;

namespace {

U256 hex(std::string_view text) { return U256::from_be_hex(text); }

// Bitcoin's pow limit, 2^224 - 1.
constexpr const char* kBitcoinPowLimit =
    "00000000ffffffffffffffffffffffffffffffffffffffffffffffffffffffff";
constexpr const char* kMixed = "123456789abcdef0fedcba9876543210123456789abcdef0fedcba9876543210";

}  // namespace

// Expected values below were computed with Python's arbitrary-precision integers.

TEST_CASE("U256 reads and writes big-endian hex and little-endian bytes") {
  U256 value = hex(kMixed);
  CHECK(value.to_be_hex() == kMixed);
  Hash32 le = value.to_le();
  CHECK(le[0] == 0x10);
  CHECK(le[31] == 0x12);
  CHECK(U256::from_le(le) == value);
  CHECK(hex("00000000000000000000000000000000000000000000000000000000000000ff") == U256(255));
  CHECK(U256(0x0102030405060708).to_be_hex() ==
        "0000000000000000000000000000000000000000000000000102030405060708");
  CHECK(hex("ABCDEF0000000000000000000000000000000000000000000000000000000000").to_be_hex() ==
        "abcdef0000000000000000000000000000000000000000000000000000000000");
}

TEST_CASE("U256::from_be_hex refuses anything but 64 hex digits") {
  CHECK_THROWS_AS(hex(""), std::invalid_argument);
  CHECK_THROWS_AS(hex(std::string(63, '0')), std::invalid_argument);
  CHECK_THROWS_AS(hex(std::string(65, '0')), std::invalid_argument);
  CHECK_THROWS_AS(hex("0x" + std::string(62, '0')), std::invalid_argument);
  CHECK_THROWS_AS(hex(std::string(63, '0') + "g"), std::invalid_argument);
}

TEST_CASE("U256 bits and zero") {
  CHECK(U256().bits() == 0);
  CHECK(U256().is_zero());
  CHECK(U256(1).bits() == 1);
  CHECK(U256(0x80).bits() == 8);
  CHECK(U256(0x100000000).bits() == 33);
  CHECK(hex(kBitcoinPowLimit).bits() == 224);
  CHECK((U256(1) << 255).bits() == 256);
  CHECK_FALSE(U256(1).is_zero());
  CHECK(U256(0xdeadbeefcafe).low64() == 0xdeadbeefcafe);
}

TEST_CASE("U256 shifts across limbs, and 256 bits or more give zero") {
  U256 value = hex(kMixed);
  CHECK((value << 100).to_be_hex() ==
        "6543210123456789abcdef0fedcba98765432100000000000000000000000000");
  CHECK((value >> 77).to_be_hex() ==
        "0000000000000000000091a2b3c4d5e6f787f6e5d4c3b2a1908091a2b3c4d5e6");
  CHECK((value << 0) == value);
  CHECK((value >> 0) == value);
  CHECK(((U256(1) << 255) >> 255) == U256(1));
  CHECK((value << 256).is_zero());
  CHECK((value >> 256).is_zero());
  CHECK((value << 2016).is_zero());
  CHECK((U256(1) << 32) == U256(0x100000000));
}

TEST_CASE("U256 arithmetic wraps modulo 2^256 like arith_uint256") {
  U256 max = hex(std::string(64, 'f'));
  CHECK((max + U256(1)).is_zero());
  CHECK((U256() - U256(1)) == max);
  CHECK((max * 3).to_be_hex() == std::string(63, 'f') + "d");
  U256 square = hex(kMixed);
  square *= hex(kMixed);
  CHECK(square.to_be_hex() == "8a770c051e129e7687fa2255ea348b454495d294750df8ccdeec6cd7a44a4100");
  CHECK((hex(kMixed) * 0xfedcba9876543210).to_be_hex() ==
        "212849961ef529ccf10c0ce27bc7b523212849961ef529ccdeec6cd7a44a4100");
  CHECK((hex(kBitcoinPowLimit) * 1209600).to_be_hex() ==
        "001274ffffffffffffffffffffffffffffffffffffffffffffffffffffed8b00");
  U256 borrow_chain = U256(1) << 128;
  borrow_chain -= U256(1);
  CHECK(borrow_chain.to_be_hex() ==
        "00000000000000000000000000000000ffffffffffffffffffffffffffffffff");
}

TEST_CASE("U256 division truncates; division by zero throws") {
  CHECK((hex(kBitcoinPowLimit) / 600).to_be_hex() ==
        "00000000006d3a06d3a06d3a06d3a06d3a06d3a06d3a06d3a06d3a06d3a06d3a");
  CHECK((hex(kMixed) / 0xfedcba98).to_be_hex() ==
        "000000001249249251a1f57cdcc20d67afa33d14dab05c5bf7d1e1acc5584d59");
  U256 genesis_target = hex("00000000ffff0000000000000000000000000000000000000000000000000000");
  CHECK((genesis_target * 2054491 / 1209600).to_be_hex() ==
        "00000001b2ce680f70f70f70f70f70f70f70f70f70f70f70f70f70f70f70f70f");
  CHECK((U256(7) / 8).is_zero());
  CHECK((U256(8) / 8) == U256(1));
  U256 big = hex(kMixed);
  big /= hex("0000000000000000000000000000000000000000000000000000000100000000");
  CHECK(big == (hex(kMixed) >> 32));
  CHECK_THROWS_AS(U256(1) / 0, std::domain_error);
  U256 dividend(5);
  CHECK_THROWS_AS(dividend /= U256(), std::domain_error);
}

TEST_CASE("U256 orders by value, most significant limb first") {
  CHECK(U256(1) < U256(2));
  CHECK((U256(1) << 200) > (U256(0xffffffffffffffff) << 100));
  CHECK(hex(kBitcoinPowLimit) < (U256(1) << 224));
  CHECK(hex(kBitcoinPowLimit) >= hex(kBitcoinPowLimit));
  CHECK(U256(3) != U256(4));
  CHECK((U256(5) <=> U256(5)) == std::strong_ordering::equal);
}
