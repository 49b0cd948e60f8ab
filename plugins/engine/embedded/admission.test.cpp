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
