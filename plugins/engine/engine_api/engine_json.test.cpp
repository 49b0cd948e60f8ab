#include "engine/engine_api/engine_json.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "alys/domain/uint256.hpp"
#include "engine/engine_api/engine_client.hpp"
#include "engine/engine_api/execution_block.hpp"
#include "engine/engine_api/payload_conversion.hpp"

namespace ea = alys::engine::engine_api;
namespace json = boost::json;

namespace {

const std::filesystem::path kCases = ALYS_SOURCE_DIR "/tests/data/engine_api_besu_shanghai";

json::object load_case(const std::string& name) {
  std::ifstream in(kCases / name);
  REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  return json::parse(text.str()).as_object();
}

const json::value& param(const json::object& recorded, std::size_t i) {
  return recorded.at("request").at("params").as_array().at(i);
}

const json::value& result(const json::object& recorded) {
  return recorded.at("response").at("result");
}

std::string method_of(const json::object& recorded) {
  return std::string(recorded.at("request").at("method").as_string());
}

template <class T>
T must(alys::Result<T> result) {
  INFO(result.status().to_string());
  REQUIRE(result.ok());
  return std::move(result).value();
}

alys::U256 u256(const ea::U256Be& be) { return alys::U256::from_be_hex(alys::to_hex(be)); }

}  // namespace

TEST_CASE("every recorded Besu exchange parses and re-serializes to the same JSON") {
  int checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kCases)) {
    std::string name = entry.path().filename().string();
    if (name == "genesis.json" || entry.path().extension() != ".json") continue;
    json::object recorded = load_case(name);
    std::string method = method_of(recorded);
    INFO(name << " " << method);
    bool rejected = recorded.at("response").as_object().contains("error");
    if (method == "engine_forkchoiceUpdatedV1" || method == "engine_forkchoiceUpdatedV2") {
      CHECK(json::value(ea::to_json(must(ea::parse_forkchoice_state(param(recorded, 0))))) ==
            param(recorded, 0));
      const json::value& attributes = param(recorded, 1);
      if (!attributes.is_null()) {
        auto parsed = method.back() == '1' ? ea::parse_payload_attributes_v1(attributes)
                                           : ea::parse_payload_attributes_v2(attributes);
        if (rejected) {
          REQUIRE_FALSE(parsed.ok());
          CHECK(parsed.status().message() == "withdrawals: missing");
        } else {
          CHECK(json::value(ea::to_json(must(std::move(parsed)))) == attributes);
        }
      }
      if (!rejected)
        CHECK(json::value(ea::to_json(must(
                  ea::parse_forkchoice_updated_response(result(recorded))))) == result(recorded));
    } else if (method == "engine_getPayloadV1") {
      CHECK(json::value(ea::to_json(must(ea::parse_execution_payload_v1(result(recorded))))) ==
            result(recorded));
    } else if (method == "engine_getPayloadV2") {
      CHECK(json::value(ea::to_json(must(ea::parse_get_payload_v2_response(result(recorded))))) ==
            result(recorded));
    } else if (method == "engine_newPayloadV1" || method == "engine_newPayloadV2") {
      auto parsed = method.back() == '1' ? ea::parse_execution_payload_v1(param(recorded, 0))
                                         : ea::parse_execution_payload_v2(param(recorded, 0));
      if (rejected) {
        REQUIRE_FALSE(parsed.ok());
        CHECK(parsed.status().message() == "withdrawals: expected an array, got null");
      } else {
        CHECK(json::value(ea::to_json(must(std::move(parsed)))) == param(recorded, 0));
        CHECK(json::value(ea::to_json(must(ea::parse_payload_status(result(recorded))))) ==
              result(recorded));
      }
    } else {
      REQUIRE(method == "eth_getBalance");
      continue;
    }
    if (rejected)
      CHECK(recorded.at("response").at("error").at("code").as_int64() == ea::kInvalidParams);
    ++checked;
  }
  CHECK(checked == 12);
}

TEST_CASE("every recorded payload's fields hash to its blockHash") {
  struct Source {
    const char* file;
    bool is_param;
    bool v2;
  };
  int hashed = 0;
  for (Source s : {Source{"02_paris_getPayloadV1.json", false, false},
                   Source{"03_paris_newPayloadV1.json", true, false},
                   Source{"08_shanghai_getPayloadV2.json", false, true},
                   Source{"10_shanghai_newPayloadV2.json", true, true},
                   Source{"14_shanghai_newPayloadV2_push0_tx.json", true, true}}) {
    INFO(s.file);
    json::object recorded = load_case(s.file);
    const json::value& source =
        s.is_param ? param(recorded, 0)
                   : (s.v2 ? result(recorded).at("executionPayload") : result(recorded));
    ea::ExecutionPayloadV2 payload = s.v2 ? must(ea::parse_execution_payload_v2(source))
                                          : must(ea::parse_execution_payload_v1(source));
    CHECK(alys::to_0x_hex(ea::compute_block_hash(payload)) == alys::to_0x_hex(payload.block_hash));
    ++hashed;
    // A field changed is a different block.
    payload.gas_used += 1;
    CHECK(ea::compute_block_hash(payload) != payload.block_hash);
  }
  CHECK(hashed == 5);
}

TEST_CASE("the recorded withdrawals credited amount x 1e9 wei") {
  // Genesis gives address 1 a balance; block 2 (case 10) withdrew 1 gwei to it and 2 to address 2.
  json::object genesis = load_case("genesis.json");
  std::string alloc = std::string(genesis.at("alloc")
                                      .at("0xa94f5374fce5edbc8e2a8697c15331677e6ebf0b")
                                      .at("balance")
                                      .as_string());
  auto start = must(ea::parse_quantity_u256(alloc));
  auto payload =
      must(ea::parse_execution_payload_v2(param(load_case("10_shanghai_newPayloadV2.json"), 0)));
  REQUIRE(payload.withdrawals->size() == 2);
  auto balance1 = must(ea::parse_quantity_u256(std::string(
      result(load_case("12_shanghai_withdrawals_address1_latest_balance.json")).as_string())));
  auto balance2 = must(ea::parse_quantity_u256(std::string(
      result(load_case("13_shanghai_withdrawals_address2_latest_balance.json")).as_string())));
  CHECK(u256(balance1) ==
        u256(start) + alys::U256((*payload.withdrawals)[0].amount_gwei) * 1'000'000'000);
  CHECK(u256(balance2) == alys::U256((*payload.withdrawals)[1].amount_gwei) * 1'000'000'000);
}

TEST_CASE("quantities: no leading zeros, 0x0 for zero, 0x required") {
  CHECK(ea::quantity_hex(std::uint64_t{0}) == "0x0");
  CHECK(ea::quantity_hex(std::uint64_t{0x1ca35ef}) == "0x1ca35ef");
  CHECK(ea::quantity_hex(ea::U256Be{}) == "0x0");
  ea::U256Be seven{};
  seven[31] = 7;
  CHECK(ea::quantity_hex(seven) == "0x7");
  CHECK(*ea::parse_quantity_u64("0x0") == 0);
  CHECK(*ea::parse_quantity_u64("0xffffffffffffffff") == UINT64_MAX);
  CHECK(*ea::parse_quantity_u64("0xAB") == 0xab);
  for (const char* bad : {"0x", "0x01", "00x1", "1", "0xg", "0x10000000000000000", ""}) {
    INFO(bad);
    CHECK_FALSE(ea::parse_quantity_u64(bad).ok());
  }
  CHECK(ea::parse_quantity_u256("0x" + std::string(64, 'f')).ok());
  CHECK_FALSE(ea::parse_quantity_u256("0x1" + std::string(64, '0')).ok());
  CHECK(ea::data_hex(alys::Bytes{}) == "0x");
}

TEST_CASE("a malformed payload field is an error that names it") {
  json::value good = param(load_case("10_shanghai_newPayloadV2.json"), 0);
  auto error_with = [&](const char* key, json::value replacement) {
    json::value bad = good;
    if (replacement.is_null() && std::string(key) != "withdrawals")
      bad.as_object().erase(key);
    else
      bad.as_object()[key] = std::move(replacement);
    auto parsed = ea::parse_execution_payload_v2(bad);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.status().code() == ALYS_ERR_INVALID);
    return parsed.status().message();
  };
  CHECK(error_with("stateRoot", nullptr) == "stateRoot: missing");
  CHECK_THAT(error_with("gasUsed", "0x00"),
             Catch::StartsWith("gasUsed: a quantity with a leading zero"));
  CHECK_THAT(error_with("blockNumber", 2), Catch::StartsWith("blockNumber: expected a string"));
  CHECK_THAT(error_with("parentHash", "0x1234"), Catch::StartsWith("parentHash: 2 bytes where 32"));
  CHECK_THAT(error_with("feeRecipient", "0xabc"),
             Catch::StartsWith("feeRecipient: DATA with an odd"));
  CHECK_THAT(error_with("extraData", json::string("0x" + std::string(66, '0'))),
             Catch::StartsWith("extraData: 33 bytes, at most 32"));
  CHECK_THAT(error_with("transactions", json::array{"0x01", 5}),
             Catch::StartsWith("transactions[1]: expected a string"));
  json::value w = good.at("withdrawals");
  w.as_array()[1].as_object()["amount"] = "0x";
  CHECK_THAT(error_with("withdrawals", w),
             Catch::StartsWith("withdrawals[1].amount: an empty quantity"));
  CHECK_FALSE(ea::parse_execution_payload_v1(good).ok());  // V1 has no withdrawals
  CHECK(ea::parse_execution_payload_v1_or_v2(good).ok());
}

TEST_CASE("payload status, forkchoice answer and attributes: forms the spec requires") {
  ea::PayloadStatusV1 syncing{ea::PayloadValidity::kSyncing, std::nullopt, std::nullopt};
  CHECK(json::serialize(ea::to_json(syncing)) ==
        R"({"status":"SYNCING","latestValidHash":null,"validationError":null})");
  json::value bad =
      json::parse(R"({"status":"MAYBE","latestValidHash":null,"validationError":null})");
  CHECK(ea::parse_payload_status(bad).status().message() == "status: unknown status \"MAYBE\"");
  for (auto s : {"VALID", "INVALID", "SYNCING", "ACCEPTED", "INVALID_BLOCK_HASH"})
    CHECK(ea::to_string(*ea::payload_validity_from(s)) == s);
  json::value no_id = json::parse(
      R"({"payloadStatus":{"status":"VALID","latestValidHash":null,"validationError":null}})");
  CHECK(ea::parse_forkchoice_updated_response(no_id).status().message() == "payloadId: missing");
  json::value short_id = json::parse(
      R"({"payloadStatus":{"status":"VALID","latestValidHash":null,"validationError":null},"payloadId":"0x01"})");
  CHECK_THAT(ea::parse_forkchoice_updated_response(short_id).status().message(),
             Catch::StartsWith("payloadId: 1 bytes where 8"));
  ea::PayloadAttributesV2 attributes;  // V2 by default: withdrawals [] rather than null or absent
  CHECK(json::serialize(ea::to_json(attributes).at("withdrawals")) == "[]");
}

TEST_CASE("alys::ExecutionPayload carries every V2 field and converts back") {
  auto payload = must(ea::parse_execution_payload_v2(
      param(load_case("14_shanghai_newPayloadV2_push0_tx.json"), 0)));
  alys::ExecutionPayload domain = ea::to_domain(payload);
  CHECK(domain.number == 3);
  CHECK(domain.transactions.size() == 1);
  CHECK(domain.block_hash == payload.block_hash);
  CHECK(domain.receipts_root == payload.receipts_root);
  CHECK(domain.prev_randao == payload.prev_randao);
  auto back = must(ea::from_domain(domain));
  CHECK(back == payload);
  alys::ExecutionPayload wrong = domain;
  wrong.extra_data = {1};
  auto refused = ea::from_domain(wrong);
  REQUIRE_FALSE(refused.ok());
  CHECK_THAT(refused.status().message(), Catch::Contains("its fields hash to"));
  wrong = domain;
  wrong.extra_data.assign(33, 0);
  CHECK_THAT(ea::from_domain(wrong).status().message(), Catch::Contains("at most 32"));
  domain.transactions_root[0] ^= 1;
  CHECK_THAT(ea::from_domain(domain).status().message(), Catch::Contains("transactions_root"));
}

TEST_CASE("ordered trie roots: empty, and the withdrawals root of a 200-entry list changes") {
  CHECK(alys::to_0x_hex(ea::empty_trie_root()) ==
        "0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421");
  CHECK(alys::to_0x_hex(ea::empty_ommers_hash()) ==
        "0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347");
  std::vector<ea::Withdrawal> many(200);
  for (std::size_t i = 0; i < many.size(); ++i) many[i].index = i;
  alys::Hash32 root = ea::withdrawals_root(many);
  many[150].amount_gwei = 1;
  CHECK(ea::withdrawals_root(many) != root);
}
