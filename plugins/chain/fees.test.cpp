#include "fees.hpp"

#include <catch2/catch.hpp>

using namespace alys;
using namespace alys::chain;

namespace {

EthAddress address(std::uint8_t last) {
  EthAddress out{};
  out[19] = last;
  return out;
}

}  // namespace

TEST_CASE("fee shares: 80% to the miner in whole gwei, the rest to the federation", "[fees]") {
  // 21000 gas at 2 gwei + 7 wei: 42,000 gwei and 147,000 wei.
  const FeeShares shares = fee_shares(Wei{42'000'000'147'000});
  CHECK(shares.miner_gwei == 33'600);
  CHECK(shares.federation_gwei == 8'400);
  CHECK(shares.burned_wei() == 147'000);
  // The miner's floor is taken first: 9 gwei gives it floor(7.2) = 7, the federation 2.
  const FeeShares odd = fee_shares(Wei{9} * kWeiPerGwei + 999'999'999);
  CHECK(odd.miner_gwei == 7);
  CHECK(odd.federation_gwei == 2);
  CHECK(odd.burned_wei() == 999'999'999);
  // 1.25 gwei: the miner's 80% is exactly 1 gwei, the federation's 0.25 gwei rounds to nothing.
  const FeeShares quarter = fee_shares(Wei{1'250'000'000});
  CHECK(quarter.miner_gwei == 1);
  CHECK(quarter.federation_gwei == 0);
  CHECK(quarter.burned_wei() == 250'000'000);
}

TEST_CASE("fee mints: miner first, then federation; zero amounts are not minted", "[fees]") {
  const auto mints = fee_mints(fee_shares(Wei{10} * kWeiPerGwei), address(1), address(2));
  REQUIRE(mints.size() == 2);
  CHECK(mints[0].to == address(1));
  CHECK(wei_from_be(mints[0].amount_wei) == Wei{8} * kWeiPerGwei);
  CHECK(mints[1].to == address(2));
  CHECK(wei_from_be(mints[1].amount_wei) == Wei{2} * kWeiPerGwei);
  CHECK(fee_mints(fee_shares(999'999'999), address(1), address(2)).empty());
  CHECK(fee_mints(fee_shares(0), address(1), address(2)).empty());
  const auto only_miner = fee_mints(fee_shares(Wei{1'250'000'000}), address(1), address(2));
  REQUIRE(only_miner.size() == 1);
  CHECK(only_miner[0].to == address(1));
}

TEST_CASE("the fee ledger: ranges, finalization, records and replays", "[fees]") {
  FeeLedger ledger;
  ledger.reset(0);
  ledger.add(1, 10);
  ledger.add(2, 20);
  ledger.add(3, 30);
  CHECK(ledger.next_height() == 4);
  CHECK(ledger.total(1, 3) == Wei{60});
  CHECK(ledger.total(2, 2) == Wei{20});
  CHECK_FALSE(ledger.total(1, 4));  // block 4 is not imported
  // A height recorded already (a block completed after a hot swap) changes nothing.
  ledger.add(3, 999);
  CHECK(ledger.total(3, 3) == Wei{30});

  ledger.finalized(2);
  CHECK(ledger.first_height() == 3);
  CHECK(ledger.total(3, 3) == Wei{30});
  // Finalized heights are paid: asked again (never, by the AuxPoW rules) they count nothing.
  CHECK(ledger.total(1, 3) == Wei{30});

  FeeLedger reloaded;
  reloaded.reset(100);
  reloaded.load(decode<FeeRecord>(encode(ledger.record())));
  CHECK(reloaded.first_height() == 3);
  CHECK(reloaded.next_height() == 4);
  CHECK(reloaded.total(3, 3) == Wei{30});
  // Big values keep every bit (128-bit wei through 32-byte records).
  const Wei big = (Wei{1} << 100) + 12345;
  reloaded.add(4, big);
  FeeLedger again;
  again.load(decode<FeeRecord>(encode(reloaded.record())));
  CHECK(again.total(3, 4) == big + 30);
}

TEST_CASE("the fee ledger without a record counts earlier blocks as zero", "[fees]") {
  FeeLedger ledger;
  ledger.reset(5);  // a chain that recorded no fees up to its head, 5
  CHECK(ledger.next_height() == 6);
  CHECK(ledger.total(1, 5) == Wei{0});
  ledger.add(6, 7);
  CHECK(ledger.total(1, 6) == Wei{7});
  ledger.finalized(3);
  CHECK(ledger.first_height() == 6);
  CHECK(ledger.total(4, 6) == Wei{7});
  ledger.finalized(6);
  CHECK(ledger.first_height() == 7);
  CHECK(ledger.next_height() == 7);
}
