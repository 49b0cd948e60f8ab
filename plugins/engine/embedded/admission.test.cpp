#include "engine/embedded/admission.hpp"

#include <catch2/catch.hpp>

#include "engine/testing/signed_transfers.hpp"

using namespace alys;
using namespace alys::engine::embedded;
using namespace alys::engine::testing;
using Catch::Matchers::Equals;
using Catch::Matchers::StartsWith;

namespace {

constexpr std::uint64_t kChainId = 31337;

struct Fixture {
  ChainRules rules{kChainId, kGwei, 30'000'000};
  Ledger head;
  Mempool pool{3};

  Fixture() { head.set(address_of(1), Account{2, kEther}); }

  std::string refusal(const Bytes& raw) {
    try {
      admit_transaction(raw, rules, head, pool);
    } catch (const TransactionRejected& rejected) {
      return rejected.what();
    }
    return "admitted";
  }
};

}  // namespace

TEST_CASE("a valid transfer is admitted and answers its hash") {
  Fixture f;
  Bytes raw = sign(eip1559_transfer(kChainId, 2, address_of(2), kEther / 2), 1);
  Hash32 hash = admit_transaction(raw, f.rules, f.head, f.pool);
  CHECK(hash == eth::decode_signed_transaction(raw).hash);
  REQUIRE(f.pool.contains(hash));
  CHECK(f.pool.find(hash)->raw == raw);
}

TEST_CASE("each refusal keeps the pool unchanged and says why") {
  Fixture f;
  const EthAddress to = address_of(2);
  Bytes good = sign(eip1559_transfer(kChainId, 2, to, 1), 1);

  CHECK_THAT(f.refusal(Bytes{0x80, 0x01}), StartsWith("not a transaction"));
  CHECK_THAT(f.refusal(with_signature_r(good, {})), StartsWith("invalid signature"));
  CHECK_THAT(f.refusal(sign(legacy_transfer(5, 2, to, 1), 1)),
             Equals("invalid chain id: expected 31337, got 5"));
  auto with_data = eip1559_transfer(kChainId, 2, to, 1);
  with_data.data = {1};
  with_data.gas_limit = 30'000;
  CHECK_THAT(f.refusal(sign(with_data, 1)), StartsWith("transaction data is not supported"));
  CHECK_THAT(f.refusal(sign(eip1559_transfer(kChainId, 1, to, 1), 1)),
             Equals("nonce too low: next nonce 2, tx nonce 1"));
  // Sender 3 has nothing: not even the gas.
  CHECK_THAT(f.refusal(sign(eip1559_transfer(kChainId, 0, to, 0), 3)),
             Equals("insufficient funds for gas * price + value: balance 0, tx cost "
                    "42000000000000"));
  CHECK_THAT(f.refusal(sign(eip1559_transfer(kChainId, 2, to, kEther), 1)),
             StartsWith("insufficient funds for gas * price + value: balance 1000000000000000000"));
  CHECK(f.pool.size() == 0);
}

TEST_CASE("the pool's own refusals: duplicate, underpriced replacement, full") {
  Fixture f;
  const EthAddress to = address_of(2);
  Bytes first = sign(eip1559_transfer(kChainId, 2, to, 1), 1);
  admit_transaction(first, f.rules, f.head, f.pool);
  CHECK_THAT(f.refusal(first), Equals("already known"));
  CHECK_THAT(f.refusal(sign(eip1559_transfer(kChainId, 2, to, 2), 1)),
             Equals("replacement transaction underpriced"));
  admit_transaction(sign(eip1559_transfer(kChainId, 3, to, 1), 1), f.rules, f.head, f.pool);
  admit_transaction(sign(eip1559_transfer(kChainId, 4, to, 1), 1), f.rules, f.head, f.pool);
  CHECK_THAT(f.refusal(sign(eip1559_transfer(kChainId, 5, to, 1), 1)), Equals("txpool is full"));
  CHECK(f.pool.size() == 3);
}

namespace {

// A transfer of sender 1 at nonce 2 with an access list of `addresses` entries, each with
// `keys_each` storage keys.
Bytes with_access_list(std::size_t addresses, std::size_t keys_each) {
  auto tx = eip1559_transfer(kChainId, 2, address_of(2), 1);
  tx.gas_limit = 1'000'000;  // the list's gas, were it charged
  for (std::size_t i = 0; i < addresses; ++i) {
    eth::AccessListEntry& entry = tx.access_list.emplace_back();
    entry.address[19] = static_cast<std::uint8_t>(i);
    entry.storage_keys.resize(keys_each);
    for (std::size_t k = 0; k < keys_each; ++k)
      entry.storage_keys[k][31] = static_cast<std::uint8_t>(k);
  }
  return sign(tx, 1);
}

std::uint64_t refused(Mempool& pool, std::string_view reason) {
  MempoolTally tally = pool.take_tally();
  auto found = tally.refused.find(reason);
  return found == tally.refused.end() ? 0 : found->second;
}

}  // namespace

TEST_CASE("a transaction above the size limit is refused before it is decoded") {
  Fixture f;
  MempoolLimits limits;
  limits.max_transaction_bytes = 1024;
  f.pool.set_limits(limits);
  Bytes big = with_access_list(1, 40);  // 40 keys of 33 bytes: past 1 KiB
  REQUIRE(big.size() > 1024);
  CHECK_THAT(f.refusal(big), Equals("oversized data: transaction size " +
                                    std::to_string(big.size()) + ", limit 1024"));
  // Bytes that are no transaction at all are refused by size too: nothing was decoded.
  CHECK_THAT(f.refusal(Bytes(1025, 0xff)),
             Equals("oversized data: transaction size 1025, limit 1024"));
  CHECK(refused(f.pool, refusal::kOversized) == 2);
  // The default is geth's 128 KiB.
  CHECK(Mempool(1).limits().max_transaction_bytes == 128 * 1024);
  f.pool.set_limits(MempoolLimits{});
  CHECK_THAT(f.refusal(Bytes(128 * 1024 + 1, 0xff)),
             Equals("oversized data: transaction size 131073, limit 131072"));
  CHECK(f.pool.size() == 0);
}

TEST_CASE("an access list above its bounds is refused") {
  Fixture f;
  MempoolLimits limits;
  limits.max_access_list_entries = 2;
  limits.max_access_list_keys = 3;
  f.pool.set_limits(limits);
  CHECK_THAT(f.refusal(with_access_list(3, 0)),
             Equals("access list too large: 3 addresses and 0 storage keys, limit 2 addresses "
                    "and 3 storage keys"));
  CHECK_THAT(f.refusal(with_access_list(2, 2)),
             Equals("access list too large: 2 addresses and 4 storage keys, limit 2 addresses "
                    "and 3 storage keys"));
  CHECK(refused(f.pool, refusal::kAccessList) == 2);
  CHECK(f.pool.size() == 0);
  CHECK(f.refusal(with_access_list(1, 3)) == "admitted");
}

TEST_CASE("the sender's pooled transactions together must fit its balance") {
  Fixture f;  // sender 1: nonce 2, one ether
  const EthAddress to = address_of(2);
  admit_transaction(sign(eip1559_transfer(kChainId, 2, to, kEther / 2), 1), f.rules, f.head,
                    f.pool);
  // Each alone is affordable; both together are not (the gas on top of two halves).
  CHECK_THAT(f.refusal(sign(eip1559_transfer(kChainId, 3, to, kEther / 2), 1)),
             StartsWith("insufficient funds for the sender's pooled transactions: balance "
                        "1000000000000000000, cost of the other pooled ones 500042000000000000, "
                        "tx cost 500042000000000000"));
  CHECK(refused(f.pool, refusal::kSenderFunds) == 1);
  CHECK(f.refusal(sign(eip1559_transfer(kChainId, 3, to, kEther / 4), 1)) == "admitted");
}

TEST_CASE("per-sender limits on admission: executable run and nonce window") {
  Fixture f;
  f.pool.set_max_transactions(100);
  MempoolLimits limits;
  limits.max_pending_per_sender = 2;
  limits.max_future_per_sender = 1;
  f.pool.set_limits(limits);
  const EthAddress to = address_of(2);
  CHECK_THAT(f.refusal(sign(eip1559_transfer(kChainId, 4, to, 1), 1)),
             Equals("nonce too high: next nonce 2, tx nonce 4; the pool takes nonces at most 1 "
                    "beyond the sender's next one"));
  CHECK(f.refusal(sign(eip1559_transfer(kChainId, 2, to, 1), 1)) == "admitted");
  CHECK(f.refusal(sign(eip1559_transfer(kChainId, 3, to, 1), 1)) == "admitted");
  CHECK_THAT(f.refusal(sign(eip1559_transfer(kChainId, 4, to, 1), 1)),
             StartsWith("account limit exceeded: the pool already holds 2 executable "
                        "transactions from 0x"));
  MempoolTally tally = f.pool.take_tally();
  CHECK(tally.refused.at(refusal::kNonceGap) == 1);
  CHECK(tally.refused.at(refusal::kSenderPending) == 1);
}
