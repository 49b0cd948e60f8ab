#include "engine/engine_api_backend/client_json.hpp"

#include <boost/json.hpp>
#include <string>

#include "alys/domain/hash.hpp"
#include "engine/embedded/bridge_call.hpp"
#include "engine/engine_api/engine_json.hpp"

namespace alys::engine::engine_api_backend {

namespace json = boost::json;

namespace {

struct FieldError {
  std::string message;
};

const json::string& text_field(const json::object& object, const char* name,
                               const std::string& where) {
  const json::value* value = object.if_contains(name);
  if (value == nullptr || !value->is_string())
    throw FieldError{where + name + ": missing or not a string"};
  return value->as_string();
}

std::uint64_t u64_field(const json::object& object, const char* name, const std::string& where) {
  auto parsed = engine_api::parse_quantity_u64(text_field(object, name, where));
  if (!parsed.ok()) throw FieldError{where + name + ": " + parsed.status().message()};
  return *parsed;
}

engine_api::U256Be u256_field(const json::object& object, const char* name,
                              const std::string& where) {
  auto parsed = engine_api::parse_quantity_u256(text_field(object, name, where));
  if (!parsed.ok()) throw FieldError{where + name + ": " + parsed.status().message()};
  return *parsed;
}

template <std::size_t N>
std::array<std::uint8_t, N> fixed_field(const json::object& object, const char* name,
                                        const std::string& where) {
  auto parsed = fixed_from_hex<N>(text_field(object, name, where));
  if (!parsed)
    throw FieldError{where + name + ": not " + std::to_string(N) + " bytes of 0x-prefixed hex"};
  return *parsed;
}

Bytes data_field(const json::object& object, const char* name, const std::string& where) {
  auto parsed = from_hex(text_field(object, name, where));
  if (!parsed) throw FieldError{where + name + ": not 0x-prefixed hex"};
  return *parsed;
}

const json::array& array_of(const json::value& value, const std::string& what) {
  if (!value.is_array()) throw FieldError{what + ": not an array"};
  return value.as_array();
}

const json::object& object_of(const json::value& value, const std::string& what) {
  if (!value.is_object()) throw FieldError{what + ": not an object"};
  return value.as_object();
}

}  // namespace

Result<engine_api::ExecutionPayloadV2> payload_of_empty_block(const json::value& block) {
  try {
    const json::object& b = object_of(block, "block");
    engine_api::ExecutionPayloadV2 p;
    const std::string where = "block.";
    p.parent_hash = fixed_field<32>(b, "parentHash", where);
    p.fee_recipient = fixed_field<20>(b, "miner", where);
    p.state_root = fixed_field<32>(b, "stateRoot", where);
    p.receipts_root = fixed_field<32>(b, "receiptsRoot", where);
    p.logs_bloom = fixed_field<256>(b, "logsBloom", where);
    p.prev_randao = fixed_field<32>(b, "mixHash", where);
    p.block_number = u64_field(b, "number", where);
    p.gas_limit = u64_field(b, "gasLimit", where);
    p.gas_used = u64_field(b, "gasUsed", where);
    p.timestamp = u64_field(b, "timestamp", where);
    p.extra_data = data_field(b, "extraData", where);
    p.base_fee_per_gas = u256_field(b, "baseFeePerGas", where);
    p.block_hash = fixed_field<32>(b, "hash", where);
    const json::value* transactions = b.if_contains("transactions");
    if (transactions == nullptr || !array_of(*transactions, "block.transactions").empty())
      return Status::Invalid("block " + std::to_string(p.block_number) +
                             " has transactions (or none listed): only an empty block converts");
    std::vector<Withdrawal> withdrawals;
    if (const json::value* listed = b.if_contains("withdrawals")) {
      const json::array& list = array_of(*listed, "block.withdrawals");
      for (std::size_t i = 0; i < list.size(); ++i) {
        const std::string at = "block.withdrawals[" + std::to_string(i) + "].";
        const json::object& w = object_of(list[i], at);
        withdrawals.push_back({u64_field(w, "index", at), u64_field(w, "validatorIndex", at),
                               fixed_field<20>(w, "address", at), u64_field(w, "amount", at)});
      }
    }
    p.withdrawals = std::move(withdrawals);
    return p;
  } catch (const FieldError& error) {
    return Status::Invalid(error.message);
  }
}

Result<Wei> fees_of_receipts(const json::value& receipts) {
  try {
    Wei total = 0;
    const json::array& list = array_of(receipts, "receipts");
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string at = "receipts[" + std::to_string(i) + "].";
      const json::object& r = object_of(list[i], at);
      const Wei gas = u64_field(r, "gasUsed", at);
      auto price = wei_from_be(u256_field(r, "effectiveGasPrice", at));
      if (!price) throw FieldError{at + "effectiveGasPrice: past 2^128 wei"};
      total += gas * *price;
    }
    return total;
  } catch (const FieldError& error) {
    return Status::Invalid(error.message);
  }
}

Result<std::vector<PegOutRequested>> peg_outs_of_logs(const json::value& logs) {
  try {
    std::vector<PegOutRequested> out;
    const json::array& list = array_of(logs, "logs");
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string at = "logs[" + std::to_string(i) + "].";
      const json::object& log = object_of(list[i], at);
      if (const json::value* removed = log.if_contains("removed");
          removed && removed->is_bool() && removed->as_bool())
        continue;
      std::vector<Hash32> topics;
      const json::value* listed = log.if_contains("topics");
      if (listed == nullptr) throw FieldError{at + "topics: missing"};
      for (const json::value& topic : array_of(*listed, at + "topics")) {
        auto hash = topic.is_string() ? fixed_from_hex<32>(topic.as_string()) : std::nullopt;
        if (!hash) throw FieldError{at + "topics: not 32-byte hex"};
        topics.push_back(*hash);
      }
      Bytes data = data_field(log, "data", at);
      embedded::DecodedPegOutLog decoded = embedded::decode_request_peg_out_log(topics, data);
      if (!decoded.error.empty()) throw FieldError{at + decoded.error};
      PegOutRequested request;
      request.transaction_hash = fixed_field<32>(log, "transactionHash", at);
      request.log_index = static_cast<std::uint32_t>(u64_field(log, "logIndex", at));
      request.evm_address = decoded.evm_address;
      request.bitcoin_address = std::move(decoded.bitcoin_address);
      request.value_wei = decoded.value_wei;
      out.push_back(std::move(request));
    }
    return out;
  } catch (const FieldError& error) {
    return Status::Invalid(error.message);
  }
}

}  // namespace alys::engine::engine_api_backend
