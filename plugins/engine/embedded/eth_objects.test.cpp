#include "engine/embedded/eth_objects.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "alys/domain/keccak.hpp"
#include "engine/testing/signed_transfers.hpp"

using namespace alys;
using namespace alys::engine::embedded;
using namespace alys::engine::testing;
namespace json = boost::json;

namespace {

json::value ethers_vectors() {
  std::ifstream file(ALYS_SOURCE_DIR "/tests/data/ethers_signed_transactions.json");
  REQUIRE(file);
  std::stringstream text;
  text << file.rdbuf();
  return json::parse(text.str());
}

std::string str(const json::value& value) { return std::string(value.as_string()); }

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// "0x" + the decimal string's value in minimal hex.
std::string quantity_of_decimal(const json::value& value) {
  return wei_to_quantity(*wei_parse(str(value)));
}

std::string minimal(const std::string& hex32) {
  std::size_t first = hex32.find_first_not_of('0', 2);
  return first == std::string::npos ? "0x0" : "0x" + hex32.substr(first);
}

}  // namespace

TEST_CASE("transaction objects of ethers-signed transactions show what ethers reports") {
  json::value vectors = ethers_vectors();
  for (const json::value& vector : vectors.at("transactions").as_array()) {
    const json::object& v = vector.as_object();
    INFO(str(v.at("description")));
    Bytes raw = *from_hex(str(v.at("raw")));
    eth::SignedTransaction tx = eth::decode_signed_transaction(raw);
    json::object object = transaction_object(tx, nullptr, nullptr, 1);

    CHECK(str(object.at("hash")) == str(v.at("hash")));
    CHECK(str(object.at("from")) == lower(str(v.at("from"))));
    if (v.at("to").is_null())
      CHECK(object.at("to").is_null());
    else
      CHECK(str(object.at("to")) == lower(str(v.at("to"))));
    CHECK(str(object.at("nonce")) == quantity_of_decimal(v.at("nonce")));
    CHECK(str(object.at("value")) == quantity_of_decimal(v.at("value")));
    CHECK(str(object.at("gas")) == quantity_of_decimal(v.at("gas_limit")));
    CHECK(str(object.at("chainId")) == quantity_of_decimal(v.at("chain_id")));
    CHECK(str(object.at("input")) == str(v.at("data")));
    CHECK(str(object.at("r")) == minimal(str(v.at("r"))));
    CHECK(str(object.at("s")) == minimal(str(v.at("s"))));
    CHECK(object.at("blockHash").is_null());
    CHECK(object.at("blockNumber").is_null());
    CHECK(object.at("transactionIndex").is_null());
    const std::int64_t parity = v.at("y_parity").as_int64();
    if (v.at("type").as_int64() == 2) {
      CHECK(str(object.at("type")) == "0x2");
      CHECK(str(object.at("yParity")) == wei_to_quantity(static_cast<unsigned>(parity)));
      CHECK(str(object.at("v")) == wei_to_quantity(static_cast<unsigned>(parity)));
      CHECK(str(object.at("maxFeePerGas")) == quantity_of_decimal(v.at("max_fee_per_gas")));
      CHECK(str(object.at("maxPriorityFeePerGas")) ==
            quantity_of_decimal(v.at("max_priority_fee_per_gas")));
      const json::array& expected = v.at("access_list").as_array();
      const json::array& shown = object.at("accessList").as_array();
      REQUIRE(shown.size() == expected.size());
      for (std::size_t i = 0; i < shown.size(); ++i) {
        CHECK(str(shown[i].at("address")) == lower(str(expected[i].at("address"))));
        CHECK(shown[i].at("storageKeys") == expected[i].at("storageKeys"));
      }
    } else {
      CHECK(str(object.at("type")) == "0x0");
      CHECK_FALSE(object.contains("yParity"));
      CHECK_FALSE(object.contains("maxFeePerGas"));
      Wei chain_id = *wei_parse(str(v.at("chain_id")));
      CHECK(str(object.at("v")) == wei_to_quantity(chain_id * 2 + 35 + parity));
      CHECK(str(object.at("gasPrice")) == quantity_of_decimal(v.at("gas_price")));
    }
  }
}

TEST_CASE(
    "a pending type 2 transaction shows its price at the base fee; a mined one what it paid") {
  auto tx = signed_tx(eip1559_transfer(5, 0, address_of(2), 7, 10 * kGwei, 2 * kGwei), 1);
  CHECK(str(transaction_object(tx, nullptr, nullptr, kGwei).at("gasPrice")) ==
        wei_to_quantity(3 * kGwei));

  BlockSummary block;
  block.number = 12;
  block.hash[0] = 0xab;
  IncludedTransaction included{12, 3, tx.sender, wei_to_be32(2'500'000'000), tx.raw};
  json::object mined = transaction_object(tx, &included, &block, kGwei);
  CHECK(str(mined.at("gasPrice")) == "0x9502f900");
  CHECK(str(mined.at("blockHash")) == to_0x_hex(block.hash));
  CHECK(str(mined.at("blockNumber")) == "0xc");
  CHECK(str(mined.at("transactionIndex")) == "0x3");
}

TEST_CASE("a receipt: status 1, 21000 gas, cumulative gas by position, no logs") {
  auto tx = signed_tx(legacy_transfer(5, 0, address_of(2), 7, 3 * kGwei), 1);
  BlockSummary block;
  block.number = 4;
  block.hash[1] = 0xcd;
  IncludedTransaction included{4, 2, tx.sender, wei_to_be32(3 * kGwei), tx.raw};
  json::object receipt = receipt_object(tx, included, block);
  CHECK(json::serialize(receipt) == json::serialize(json::object{
                                        {"transactionHash", to_0x_hex(tx.hash)},
                                        {"transactionIndex", "0x2"},
                                        {"blockHash", to_0x_hex(block.hash)},
                                        {"blockNumber", "0x4"},
                                        {"from", to_0x_hex(address_of(1))},
                                        {"to", to_0x_hex(address_of(2))},
                                        {"cumulativeGasUsed", "0xf618"},  // 63000
                                        {"gasUsed", "0x5208"},
                                        {"effectiveGasPrice", "0xb2d05e00"},
                                        {"contractAddress", nullptr},
                                        {"logs", json::array()},
                                        {"logsBloom", "0x" + std::string(512, '0')},
                                        {"status", "0x1"},
                                        {"type", "0x0"},
                                    }));
}

TEST_CASE("a block object, with transaction hashes or full transactions") {
  auto tx = signed_tx(legacy_transfer(5, 0, address_of(2), 7), 1);
  BlockHistory history;
  CommittedBlock genesis;
  genesis.summary.hash[0] = 1;
  history.append(genesis);
  CommittedBlock next;
  BlockSummary& block = next.summary;
  block.number = 1;
  block.hash[0] = 2;
  block.parent_hash = genesis.summary.hash;
  block.timestamp_s = 1'700'000'002;
  block.fee_recipient = address_of(9);
  block.state_root[0] = 3;
  block.transactions_root[0] = 4;
  block.gas_limit = 30'000'000;
  block.gas_used = 21'000;
  block.base_fee_per_gas = wei_to_be32(kGwei);
  block.size_bytes = 321;
  block.transaction_hashes = {tx.hash};
  next.transactions = {IncludedTransaction{1, 0, tx.sender, wei_to_be32(kGwei), tx.raw}};
  history.append(next);

  json::object object = block_object(block, history, false);
  CHECK(str(object.at("number")) == "0x1");
  CHECK(str(object.at("hash")) == to_0x_hex(block.hash));
  CHECK(str(object.at("parentHash")) == to_0x_hex(genesis.summary.hash));
  CHECK(str(object.at("nonce")) == "0x0000000000000000");
  // keccak256(rlp([])) = keccak256(0xc0)
  CHECK(str(object.at("sha3Uncles")) == to_0x_hex(keccak256(Bytes{0xc0})));
  CHECK(str(object.at("logsBloom")).size() == 2 + 512);
  CHECK(str(object.at("transactionsRoot")) == to_0x_hex(block.transactions_root));
  CHECK(str(object.at("stateRoot")) == to_0x_hex(block.state_root));
  Bytes receipt(tx.hash.begin(), tx.hash.end());
  receipt.push_back(1);
  for (std::uint8_t b : {0, 0, 0, 0, 0, 0, 0x52, 0x08}) receipt.push_back(b);
  CHECK(str(object.at("receiptsRoot")) == to_0x_hex(keccak256(receipt)));
  CHECK(str(object.at("miner")) == to_0x_hex(address_of(9)));
  CHECK(str(object.at("difficulty")) == "0x0");
  CHECK(str(object.at("extraData")) == "0x");
  CHECK(str(object.at("size")) == "0x141");
  CHECK(str(object.at("gasLimit")) == "0x1c9c380");
  CHECK(str(object.at("gasUsed")) == "0x5208");
  CHECK(str(object.at("timestamp")) == "0x6553f102");
  CHECK(object.at("transactions") == json::array{json::string(to_0x_hex(tx.hash))});
  CHECK(object.at("uncles") == json::array());
  CHECK(str(object.at("baseFeePerGas")) == "0x3b9aca00");
  CHECK(str(object.at("mixHash")) == to_0x_hex(Hash32{}));

  json::object full = block_object(block, history, true);
  const json::array& transactions = full.at("transactions").as_array();
  REQUIRE(transactions.size() == 1);
  CHECK(str(transactions[0].at("hash")) == to_0x_hex(tx.hash));
  CHECK(str(transactions[0].at("blockNumber")) == "0x1");

  CHECK(receipts_root(genesis.summary) == keccak256(Bytes{}));
}
