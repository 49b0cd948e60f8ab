#include "engine/embedded/pooled_transaction.hpp"

#include <catch2/catch.hpp>

#include "engine/testing/signed_transfers.hpp"

using namespace alys;
using namespace alys::engine::embedded;
using namespace alys::engine::testing;

namespace {

void require_same(const eth::SignedTransaction& rebuilt, const eth::SignedTransaction& decoded) {
  const eth::Transaction& a = rebuilt.tx;
  const eth::Transaction& b = decoded.tx;
  REQUIRE(a.type == b.type);
  REQUIRE(a.chain_id == b.chain_id);
  REQUIRE(a.nonce == b.nonce);
  REQUIRE(a.gas_price == b.gas_price);
  REQUIRE(a.max_priority_fee_per_gas == b.max_priority_fee_per_gas);
  REQUIRE(a.max_fee_per_gas == b.max_fee_per_gas);
  REQUIRE(a.gas_limit == b.gas_limit);
  REQUIRE(a.to == b.to);
  REQUIRE(a.value == b.value);
  REQUIRE(a.data == b.data);
  REQUIRE(a.access_list.size() == b.access_list.size());
  for (std::size_t i = 0; i < a.access_list.size(); ++i) {
    REQUIRE(a.access_list[i].address == b.access_list[i].address);
    REQUIRE(a.access_list[i].storage_keys == b.access_list[i].storage_keys);
  }
  REQUIRE(rebuilt.signature.r == decoded.signature.r);
  REQUIRE(rebuilt.signature.s == decoded.signature.s);
  REQUIRE(rebuilt.signature.recovery_id == decoded.signature.recovery_id);
  REQUIRE(rebuilt.sender == decoded.sender);
  REQUIRE(rebuilt.hash == decoded.hash);
  REQUIRE(rebuilt.raw == decoded.raw);
}

}  // namespace

TEST_CASE("a rebuilt transaction is the one the SDK decodes, without recovering its sender") {
  std::vector<eth::Transaction> variants;
  for (std::uint64_t chain_id : {1ull, 263634ull, 0xffff'ffffull}) {
    variants.push_back(legacy_transfer(chain_id, 0, address_of(9), 0, 1));
    variants.push_back(legacy_transfer(chain_id, 0xffff'ffff'ffff'fffeull, address_of(9),
                                       ~Wei{0} >> 1, 3 * kGwei));
    variants.push_back(eip1559_transfer(chain_id, 7, address_of(9), kEther, 30 * kGwei, kGwei));
  }
  eth::Transaction with_data = eip1559_transfer(5, 1, address_of(9), 0);
  with_data.data = {0xa9, 0x05, 0x9c, 0xbb, 0x00};
  with_data.gas_limit = 90'000;
  variants.push_back(with_data);
  eth::Transaction creation = legacy_transfer(5, 2, address_of(9), 1);
  creation.to.reset();
  creation.data = Bytes(300, 0x60);
  variants.push_back(creation);
  eth::Transaction with_list = eip1559_transfer(5, 3, address_of(9), 1);
  with_list.access_list = {{address_of(4), {Hash32{1}, Hash32{2}}}, {address_of(5), {}}};
  variants.push_back(with_list);

  std::uint8_t seed = 1;
  for (const eth::Transaction& tx : variants) {
    eth::SignedTransaction decoded = signed_tx(tx, seed++);
    require_same(rebuild_transaction(decoded.raw, decoded.sender, decoded.hash), decoded);
  }
}

TEST_CASE("damaged bytes are refused as DecodeError, never read past") {
  eth::SignedTransaction decoded =
      signed_tx(eip1559_transfer(5, 3, address_of(9), 1, 3 * kGwei, kGwei), 1);
  for (std::size_t size = 0; size < decoded.raw.size(); ++size) {
    INFO("cut at " << size);
    REQUIRE_THROWS_AS(
        rebuild_transaction(ByteView(decoded.raw).first(size), decoded.sender, decoded.hash),
        DecodeError);
  }
  Bytes other_type = decoded.raw;
  other_type[0] = 0x01;
  REQUIRE_THROWS_AS(rebuild_transaction(other_type, decoded.sender, decoded.hash), DecodeError);
}
