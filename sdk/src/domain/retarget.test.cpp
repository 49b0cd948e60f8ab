#include "alys/domain/retarget.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include "alys/domain/bitcoin.hpp"
#include "alys/domain/compact.hpp"

using namespace alys;
namespace json = boost::json;

namespace {

json::value retarget_vectors() {
  std::ifstream file(ALYS_SOURCE_DIR "/tests/data/bitcoin_retarget_vectors.json");
  REQUIRE(file);
  std::stringstream text;
  text << file.rdbuf();
  return json::parse(text.str());
}

std::string str(const json::value& value, std::string_view key) {
  return std::string(value.at(key).as_string());
}

std::uint32_t bits_of(const json::value& value, std::string_view key) {
  return static_cast<std::uint32_t>(std::stoul(str(value, key), nullptr, 16));
}

std::int64_t int_of(const json::value& value, std::string_view key) {
  return value.at(key).to_number<std::int64_t>();
}

btc::BlockHeader header_of(const json::value& block) {
  auto bytes = from_hex(str(block, "header_hex"));
  REQUIRE(bytes);
  btc::BlockHeader header = btc::BlockHeader::parse(*bytes);
  CHECK(to_hex(reversed(header.hash())) == str(block, "hash"));
  return header;
}

RetargetParams bitcoin_params() {
  return {2016, 600, 4,
          U256::from_be_hex("00000000ffffffffffffffffffffffffffffffffffffffffffffffffffffffff")};
}

}  // namespace

TEST_CASE("next_bits reproduces Bitcoin Core's four pow_tests cases") {
  json::value vectors = retarget_vectors();
  const json::value& params = vectors.at("params");
  REQUIRE(int_of(params, "interval") == 2016);
  REQUIRE(int_of(params, "nPowTargetSpacing") == 600);
  REQUIRE(U256::from_be_hex(str(params, "powLimit")) == bitcoin_params().pow_limit);
  const json::array& cases = vectors.at("bitcoin_core_pow_tests").at("cases").as_array();
  REQUIRE(cases.size() == 4);
  for (const json::value& test : cases) {
    INFO(str(test, "name"));
    CHECK(next_bits(bitcoin_params(), bits_of(test, "pindexLast_nbits"),
                    int_of(test, "nFirstBlockTime"),
                    int_of(test, "pindexLast_time")) == bits_of(test, "expected"));
  }
}

TEST_CASE("next_bits reproduces 8 real mainnet retargets from their headers") {
  json::value vectors = retarget_vectors();
  const json::array& boundaries = vectors.at("summa_real_header_retargets").as_array();
  REQUIRE(boundaries.size() == 8);
  for (const json::value& boundary : boundaries) {
    const json::value& first = boundary.at("period_first");
    const json::value& last = boundary.at("period_last");
    const json::value& next = boundary.at("next_first");
    INFO("period ending at " << int_of(last, "height"));
    REQUIRE(int_of(last, "height") - int_of(first, "height") == 2015);
    // The inputs come from the real headers, not from the JSON's copies of their fields.
    btc::BlockHeader first_header = header_of(first);
    btc::BlockHeader last_header = header_of(last);
    btc::BlockHeader next_header = header_of(next);
    CHECK(first_header.time == int_of(first, "time"));
    CHECK(last_header.time == int_of(last, "time"));
    CHECK(last_header.bits == bits_of(last, "nbits"));
    CHECK(next_header.prev_block == last_header.hash());
    CHECK(std::int64_t{last_header.time} - first_header.time ==
          int_of(boundary, "actual_timespan"));
    std::uint32_t computed =
        next_bits(bitcoin_params(), last_header.bits, first_header.time, last_header.time);
    CHECK(computed == bits_of(boundary, "expected_new_nbits"));
    CHECK(computed == next_header.bits);
  }
}

TEST_CASE("next_bits clamps the measured timespan and caps at the pow limit") {
  RetargetParams params = bitcoin_params();
  const std::int64_t timespan = 2016 * 600;
  const std::uint32_t bits = 0x1b0404cb;
  const U256 target = decode_compact(bits).target;
  // Exactly on time: unchanged.
  CHECK(next_bits(params, bits, 0, timespan) == bits);
  // Faster than a quarter (even backwards in time): the target shrinks by exactly 4.
  std::uint32_t quarter = encode_compact(target * (timespan / 4) / timespan);
  CHECK(next_bits(params, bits, 0, 1) == quarter);
  CHECK(next_bits(params, bits, 1000, 0) == quarter);
  // Slower than 4x: grows by exactly 4.
  std::uint32_t fourfold = encode_compact(target * (timespan * 4) / timespan);
  CHECK(next_bits(params, bits, 0, timespan * 100) == fourfold);
  // Times far apart enough to overflow a subtraction still clamp.
  CHECK(next_bits(params, bits, INT64_MIN, INT64_MAX) == fourfold);
  CHECK(next_bits(params, bits, INT64_MAX, INT64_MIN) == quarter);
  // At the pow limit, slower blocks cannot make it easier.
  CHECK(next_bits(params, 0x1d00ffff, 0, timespan * 4) == 0x1d00ffffu);
}

TEST_CASE("next_bits with a dev chain's parameters does not wrap near 2^256") {
  // A regtest-like limit: 0x7fffff << 232. old * 4 would exceed 2^256 in arith_uint256.
  RetargetParams params{10, 2, 4, decode_compact(0x207fffff).target};
  CHECK(next_bits(params, 0x207fffff, 0, 20 * 4) == 0x207fffffu);
  CHECK(next_bits(params, 0x207fffff, 0, 20) == 0x207fffffu);
  CHECK(next_bits(params, 0x207fffff, 0, 10) ==
        encode_compact(decode_compact(0x207fffff).target / 2));
  params.pow_limit = U256::from_be_hex(std::string(64, 'f'));
  // 0x7fffff << 232 times 4 is 2^257 - 2^234: it is capped, not wrapped to a tiny target.
  CHECK(next_bits(params, 0x207fffff, 0, 80) == encode_compact(params.pow_limit));
}

TEST_CASE("next_bits refuses unusable parameters and bits") {
  RetargetParams params = bitcoin_params();
  CHECK_THROWS_AS(next_bits(params, 0x04923456, 0, 1), std::invalid_argument);  // negative
  CHECK_THROWS_AS(next_bits(params, 0xff123456, 0, 1), std::invalid_argument);  // overflow
  for (auto broken :
       {RetargetParams{0, 600, 4, params.pow_limit}, RetargetParams{2016, 0, 4, params.pow_limit},
        RetargetParams{2016, 600, 0, params.pow_limit}, RetargetParams{2016, 600, 4, U256()},
        RetargetParams{UINT64_MAX / 2, 600, 4, params.pow_limit},
        RetargetParams{1u << 31, 1u << 31, 4, params.pow_limit},
        RetargetParams{1, 3, 4, params.pow_limit}}) {
    CHECK_THROWS_AS(next_bits(broken, 0x1d00ffff, 0, 1), std::invalid_argument);
  }
}
