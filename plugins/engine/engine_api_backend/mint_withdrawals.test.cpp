#include "engine/engine_api_backend/mint_withdrawals.hpp"

#include <catch2/catch.hpp>

#include "alys/domain/hash.hpp"
#include "alys/domain/wei.hpp"

using namespace alys;
using namespace alys::engine::engine_api_backend;
using Catch::Matchers::Contains;

namespace {

Mint mint_of(const char* address, Wei wei) {
  return Mint{*fixed_from_hex<20>(address), wei_to_be32(wei)};
}

}  // namespace

TEST_CASE("mints become withdrawals indexed by position, in gwei") {
  const char* a = "0x1111111111111111111111111111111111111111";
  const char* b = "0x2222222222222222222222222222222222222222";
  // A peg-in of 12,345 sats is 12,345 x 10^10 wei = 123,450 gwei.
  auto converted = withdrawals_of({mint_of(a, 12'345 * kWeiPerSatoshi), mint_of(b, 1'000'000'000)});
  REQUIRE(std::holds_alternative<std::vector<Withdrawal>>(converted));
  const auto& list = std::get<std::vector<Withdrawal>>(converted);
  REQUIRE(list.size() == 2);
  CHECK(list[0] == Withdrawal{0, 0, *fixed_from_hex<20>(a), 123'450});
  CHECK(list[1] == Withdrawal{1, 0, *fixed_from_hex<20>(b), 1});
  CHECK(describe(list) ==
        std::string("[index 0: ") + a + " 123450 gwei, index 1: " + b + " 1 gwei]");
  auto none = withdrawals_of({});
  REQUIRE(std::holds_alternative<std::vector<Withdrawal>>(none));
  CHECK(std::get<std::vector<Withdrawal>>(none).empty());
}

TEST_CASE("a mint that is not whole gwei, or too large, is refused") {
  const char* a = "0x1111111111111111111111111111111111111111";
  auto fraction = withdrawals_of({mint_of(a, 10), mint_of(a, 1'000'000'001)});
  REQUIRE(std::holds_alternative<std::string>(fraction));
  CHECK_THAT(std::get<std::string>(fraction),
             Contains("mint 0") && Contains(a) && Contains("10 wei") && Contains("gwei"));
  auto huge = withdrawals_of({mint_of(a, (Wei{1} << 64) * 1'000'000'000)});
  REQUIRE(std::holds_alternative<std::string>(huge));
  CHECK_THAT(std::get<std::string>(huge), Contains("2^64-1 gwei"));
  // The largest that fits.
  auto largest = withdrawals_of({mint_of(a, Wei{~std::uint64_t{0}} * 1'000'000'000)});
  REQUIRE(std::holds_alternative<std::vector<Withdrawal>>(largest));
  CHECK(std::get<std::vector<Withdrawal>>(largest)[0].amount_gwei == ~std::uint64_t{0});
}
