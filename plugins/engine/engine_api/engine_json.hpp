// Engine API objects (engine_types.hpp) to and from Boost.JSON, in the spec's encodings
// (execution-apis, src/engine/common.md "Encoding"): QUANTITY is "0x" + lowercase hex without
// leading zeros ("0x0" for zero), DATA is "0x" + an even number of lowercase hex digits.
//
// Parsing is strict the way geth's hexutil is: a missing field, a wrong JSON type, a quantity with
// a leading zero or without 0x, DATA of odd or wrong length, a null where the spec wants a value
// all fail with a Status (ALYS_ERR_INVALID) whose message starts with the field's path, e.g.
// "executionPayload.withdrawals[1].amount: ...". Fields the spec does not list are ignored, so a
// newer client's additions do not break us. Thread-safe: every function is pure.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alys/status.hpp"
#include "engine/engine_api/engine_types.hpp"

namespace alys::engine::engine_api {

std::string quantity_hex(std::uint64_t value);
std::string quantity_hex(const U256Be& value);
std::string data_hex(ByteView bytes);
Result<std::uint64_t> parse_quantity_u64(std::string_view text);
Result<U256Be> parse_quantity_u256(std::string_view text);

boost::json::object to_json(const Withdrawal& withdrawal);
boost::json::array to_json(const std::vector<Withdrawal>& withdrawals);
// V1 or V2 by whether `withdrawals` is set.
boost::json::object to_json(const ExecutionPayloadV2& payload);
boost::json::object to_json(const ForkchoiceStateV1& state);
// V1 or V2 by whether `withdrawals` is set.
boost::json::object to_json(const PayloadAttributesV2& attributes);
boost::json::object to_json(const PayloadStatusV1& status);
boost::json::object to_json(const ForkchoiceUpdatedResponse& response);
boost::json::object to_json(const GetPayloadV2Response& response);
boost::json::object to_json(const ExecutionPayloadBodyV1& body);

// ExecutionPayloadV1: `withdrawals` must be absent; the result has none.
Result<ExecutionPayloadV2> parse_execution_payload_v1(const boost::json::value& json);
// ExecutionPayloadV2: `withdrawals` must be an array (null and absent are errors, as Besu and geth
// answer -32602 for them).
Result<ExecutionPayloadV2> parse_execution_payload_v2(const boost::json::value& json);
// What getPayloadV2 may return: a V1 payload for a pre-Shanghai timestamp, V2 after.
Result<ExecutionPayloadV2> parse_execution_payload_v1_or_v2(const boost::json::value& json);
Result<ForkchoiceStateV1> parse_forkchoice_state(const boost::json::value& json);
Result<PayloadAttributesV2> parse_payload_attributes_v1(const boost::json::value& json);
// `withdrawals` required and not null.
Result<PayloadAttributesV2> parse_payload_attributes_v2(const boost::json::value& json);
Result<PayloadStatusV1> parse_payload_status(const boost::json::value& json);
Result<ForkchoiceUpdatedResponse> parse_forkchoice_updated_response(const boost::json::value& json);
Result<GetPayloadV2Response> parse_get_payload_v2_response(const boost::json::value& json);
// getPayloadBodiesByHashV1's answer: one entry per requested hash, nullopt for an unknown block.
Result<std::vector<std::optional<ExecutionPayloadBodyV1>>> parse_payload_bodies_v1(
    const boost::json::value& json);

}  // namespace alys::engine::engine_api
