// The eth_* answers the engine-api backend reads, in the shapes Geth v1.17.10 sends them (block 0
// of a genesis written by alys-ctl; a receipt of a type-2 transfer; the bridge's RequestPegOut).
#include "engine/engine_api_backend/client_json.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "alys/domain/hash.hpp"
#include "engine/embedded/bridge_call.hpp"
#include "engine/engine_api/execution_block.hpp"

using namespace alys;
using namespace alys::engine;
using namespace alys::engine::engine_api_backend;
namespace json = boost::json;
using Catch::Matchers::Contains;

TEST_CASE("an empty block converts to a payload whose hash recomputes") {
  // A Shanghai block 0 with no withdrawals: its hash must come out of our header RLP.
  json::object block{{"parentHash", to_0x_hex(Hash32{})},
                     {"miner", to_0x_hex(EthAddress{})},
                     {"stateRoot", "0x" + std::string(64, '1')},
                     {"receiptsRoot", to_0x_hex(engine_api::empty_trie_root())},
                     {"logsBloom", "0x" + std::string(512, '0')},
                     {"mixHash", to_0x_hex(Hash32{})},
                     {"number", "0x0"},
                     {"gasLimit", "0x1c9c380"},
                     {"gasUsed", "0x0"},
                     {"timestamp", "0x6955b900"},
                     {"extraData", "0x"},
                     {"baseFeePerGas", "0x3b9aca00"},
                     {"hash", to_0x_hex(Hash32{})},
                     {"transactions", json::array{}},
                     {"withdrawals", json::array{}}};
  auto first = payload_of_empty_block(block);
  REQUIRE(first.ok());
  const Hash32 hash = engine_api::compute_block_hash(*first);
  block["hash"] = to_0x_hex(hash);
  auto payload = payload_of_empty_block(block);
  REQUIRE(payload.ok());
  CHECK(payload->block_hash == engine_api::compute_block_hash(*payload));
  CHECK(payload->timestamp == 1767225600);
  CHECK(payload->gas_limit == 30'000'000);
  REQUIRE(payload->withdrawals);
  CHECK(payload->withdrawals->empty());

  json::object with_tx = block;
  with_tx["transactions"] = json::array{to_0x_hex(hash)};
  CHECK_THAT(payload_of_empty_block(with_tx).status().message(), Contains("has transactions"));
  json::object missing = block;
  missing.erase("stateRoot");
  CHECK_THAT(payload_of_empty_block(missing).status().message(), Contains("block.stateRoot"));
}

TEST_CASE("fees are gas used times the effective price, summed over receipts") {
  json::array receipts{json::object{{"gasUsed", "0x5208"}, {"effectiveGasPrice", "0x3b9aca01"}},
                       json::object{{"gasUsed", "0xa410"}, {"effectiveGasPrice", "0x2"}}};
  auto fees = fees_of_receipts(receipts);
  REQUIRE(fees.ok());
  CHECK(*fees == Wei{21000} * 1'000'000'001 + Wei{42000} * 2);
  CHECK(*fees_of_receipts(json::array{}) == 0);
  CHECK_THAT(fees_of_receipts(json::array{json::object{{"gasUsed", "0x1"}}}).status().message(),
             Contains("effectiveGasPrice"));
}

TEST_CASE("RequestPegOut logs become peg-out requests") {
  // requestPegOut("bc1q...") with 1 ether from 0x7099...: data = abi.encode(bytes, uint256).
  const std::string btc = "bcrt1qexample";
  Bytes data(96, 0);
  data[31] = 0x40;  // offset of the bytes
  const auto value = wei_to_be32(Wei{1'000'000'000'000'000'000ULL});
  std::copy(value.begin(), value.end(), data.begin() + 32);
  data[95] = static_cast<std::uint8_t>(btc.size());
  Bytes padded(32, 0);
  std::copy(btc.begin(), btc.end(), padded.begin());
  data.insert(data.end(), padded.begin(), padded.end());
  const std::string sender = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8";
  json::array logs{json::object{
      {"address", "0xbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"},
      {"topics", json::array{json::string(to_0x_hex(embedded::request_peg_out_topic())),
                             json::string("0x000000000000000000000000" + sender.substr(2))}},
      {"data", to_0x_hex(data)},
      {"transactionHash", "0x" + std::string(64, 'e')},
      {"logIndex", "0x3"},
      {"removed", false}}};
  auto requests = peg_outs_of_logs(logs);
  REQUIRE(requests.ok());
  REQUIRE(requests->size() == 1);
  const PegOutRequested& r = requests->at(0);
  CHECK(to_0x_hex(r.evm_address) == sender);
  CHECK(std::string(r.bitcoin_address.begin(), r.bitcoin_address.end()) == btc);
  CHECK(r.value_wei == value);
  CHECK(r.log_index == 3);
  CHECK(r.transaction_hash[0] == 0xee);
}
