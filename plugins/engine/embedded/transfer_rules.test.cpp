#include "engine/embedded/transfer_rules.hpp"

#include <catch2/catch.hpp>

#include "engine/testing/signed_transfers.hpp"

using namespace alys;
using namespace alys::engine::embedded;
using namespace alys::engine::testing;
using Catch::Matchers::Equals;
using Catch::Matchers::StartsWith;

namespace {

constexpr std::uint64_t kChainId = 212121;
const ChainRules kRules{kChainId, kGwei, 30'000'000};

std::string shape_of(const eth::Transaction& tx, std::uint8_t seed = 1) {
  return check_transfer_shape(signed_tx(tx, seed), kRules);
}

}  // namespace

TEST_CASE("a plain transfer of either type passes the shape checks") {
  CHECK(shape_of(legacy_transfer(kChainId, 0, address_of(2), 5)).empty());
  CHECK(shape_of(eip1559_transfer(kChainId, 0, address_of(2), 5)).empty());
  // A gas limit above 21,000 is fine (only 21,000 is charged), up to the block's limit.
  auto tx = legacy_transfer(kChainId, 0, address_of(2), 5);
  tx.gas_limit = 30'000'000;
  CHECK(shape_of(tx).empty());
}

TEST_CASE("the shape checks refuse with geth's messages") {
  const EthAddress to = address_of(2);
  CHECK_THAT(shape_of(legacy_transfer(1, 0, to, 5)),
             Equals("invalid chain id: expected 212121, got 1"));

  auto create = eip1559_transfer(kChainId, 0, to, 5);
  create.to.reset();
  create.gas_limit = 100'000;
  CHECK_THAT(shape_of(create),
             Equals("contract creation is not supported by the embedded engine (value transfers "
                    "only)"));

  auto with_data = legacy_transfer(kChainId, 0, to, 5);
  with_data.data = {0xa9, 0x05, 0x9c, 0xbb};
  CHECK_THAT(shape_of(with_data),
             Equals("transaction data is not supported by the embedded engine (value transfers "
                    "only)"));

  auto low_gas = legacy_transfer(kChainId, 0, to, 5);
  low_gas.gas_limit = 20'999;
  CHECK_THAT(shape_of(low_gas), Equals("intrinsic gas too low: gas 20999, minimum needed 21000"));

  auto high_gas = legacy_transfer(kChainId, 0, to, 5);
  high_gas.gas_limit = 30'000'001;
  CHECK_THAT(shape_of(high_gas), StartsWith("exceeds block gas limit"));

  const std::string sender = to_0x_hex(address_of(1));
  CHECK_THAT(shape_of(legacy_transfer(kChainId, 0, to, 5, kGwei - 1)),
             Equals("max fee per gas less than block base fee: address " + sender +
                    ", gasPrice: 999999999, baseFee: 1000000000"));
  CHECK_THAT(shape_of(eip1559_transfer(kChainId, 0, to, 5, kGwei - 1)),
             Equals("max fee per gas less than block base fee: address " + sender +
                    ", maxFeePerGas: 999999999, baseFee: 1000000000"));
  CHECK_THAT(shape_of(eip1559_transfer(kChainId, 0, to, 5, 2 * kGwei, 3 * kGwei)),
             Equals("max priority fee per gas higher than max fee per gas: address " + sender +
                    ", maxPriorityFeePerGas: 3000000000, maxFeePerGas: 2000000000"));
}

TEST_CASE("the sender must have the nonce and the funds for gas_limit * fee cap + value") {
  auto tx = signed_tx(legacy_transfer(kChainId, 4, address_of(2), 1000, 2 * kGwei), 1);
  const Wei cost = 21'000 * 2 * kGwei + 1000;
  CHECK(max_cost(tx.tx) == cost);
  CHECK(check_sender_can_pay(tx, Account{4, cost}).empty());
  CHECK(check_sender_can_pay(tx, Account{2, cost}).empty());  // a future nonce is admissible
  CHECK_THAT(check_sender_can_pay(tx, Account{5, cost}),
             Equals("nonce too low: next nonce 5, tx nonce 4"));
  CHECK_THAT(check_sender_can_pay(tx, Account{4, cost - 1}),
             Equals("insufficient funds for gas * price + value: balance 42000000000999, tx cost "
                    "42000000001000"));

  // The whole gas limit is reserved, as geth does, though only 21,000 will be charged.
  auto generous = legacy_transfer(kChainId, 0, address_of(2), 0, kGwei);
  generous.gas_limit = 100'000;
  CHECK(max_cost(generous) == 100'000 * kGwei);

  auto huge = legacy_transfer(kChainId, 0, address_of(2), ~Wei{0}, kGwei);
  CHECK_FALSE(max_cost(huge).has_value());
  CHECK_THAT(check_sender_can_pay(signed_tx(huge, 1), Account{0, ~Wei{0}}),
             StartsWith("insufficient funds for gas * price + value"));
}

TEST_CASE("the effective gas price and tip") {
  const Wei base = kGwei;
  auto legacy = legacy_transfer(kChainId, 0, address_of(2), 0, 3 * kGwei);
  CHECK(effective_gas_price(legacy, base) == 3 * kGwei);
  CHECK(effective_tip(legacy, base) == 2 * kGwei);

  // min(max fee, base fee + priority fee)
  auto capped = eip1559_transfer(kChainId, 0, address_of(2), 0, 2 * kGwei, 5 * kGwei);
  CHECK(effective_gas_price(capped, base) == 2 * kGwei);
  CHECK(effective_tip(capped, base) == kGwei);
  auto tipped = eip1559_transfer(kChainId, 0, address_of(2), 0, 10 * kGwei, 2 * kGwei);
  CHECK(effective_gas_price(tipped, base) == 3 * kGwei);
  auto untipped = eip1559_transfer(kChainId, 0, address_of(2), 0, 10 * kGwei, 0);
  CHECK(effective_gas_price(untipped, base) == base);
  CHECK(effective_tip(untipped, base) == 0);
}
