#include "engine/engine_api/engine_json.hpp"

#include <stdexcept>
#include <utility>

namespace alys::engine::engine_api {

namespace json = boost::json;

std::string_view to_string(PayloadValidity status) {
  switch (status) {
    case PayloadValidity::kValid:
      return "VALID";
    case PayloadValidity::kInvalid:
      return "INVALID";
    case PayloadValidity::kSyncing:
      return "SYNCING";
    case PayloadValidity::kAccepted:
      return "ACCEPTED";
    case PayloadValidity::kInvalidBlockHash:
      return "INVALID_BLOCK_HASH";
  }
  return "UNKNOWN";
}

std::optional<PayloadValidity> payload_validity_from(std::string_view text) {
  for (auto status : {PayloadValidity::kValid, PayloadValidity::kInvalid, PayloadValidity::kSyncing,
                      PayloadValidity::kAccepted, PayloadValidity::kInvalidBlockHash})
    if (to_string(status) == text) return status;
  return std::nullopt;
}

std::string quantity_hex(std::uint64_t value) {
  static constexpr char kDigits[] = "0123456789abcdef";
  if (value == 0) return "0x0";
  std::string digits;
  for (; value != 0; value >>= 4) digits.insert(digits.begin(), kDigits[value & 0xf]);
  return "0x" + digits;
}

std::string quantity_hex(const U256Be& value) {
  std::string digits = to_hex(value);
  std::size_t first = digits.find_first_not_of('0');
  return first == std::string::npos ? "0x0" : "0x" + digits.substr(first);
}

std::string data_hex(ByteView bytes) { return to_0x_hex(bytes); }

namespace {

// Thrown inside this file only; the parse_* entry points turn it into a Status.
struct FieldError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The digits of a QUANTITY after checking its form; throws a reason without the path.
std::string_view quantity_digits(std::string_view text) {
  if (text.size() < 2 || text[0] != '0' || text[1] != 'x')
    throw FieldError("a quantity must start with 0x, got \"" + std::string(text) + "\"");
  std::string_view digits = text.substr(2);
  if (digits.empty()) throw FieldError("an empty quantity \"0x\" (zero is \"0x0\")");
  if (digits.size() > 1 && digits[0] == '0')
    throw FieldError("a quantity with a leading zero: \"" + std::string(text) + "\"");
  for (char c : digits)
    if (hex_digit(c) < 0) throw FieldError("not a hex quantity: \"" + std::string(text) + "\"");
  return digits;
}

std::uint64_t u64_of(std::string_view text) {
  std::string_view digits = quantity_digits(text);
  if (digits.size() > 16) throw FieldError("more than 64 bits: \"" + std::string(text) + "\"");
  std::uint64_t value = 0;
  for (char c : digits) value = value << 4 | static_cast<std::uint64_t>(hex_digit(c));
  return value;
}

U256Be u256_of(std::string_view text) {
  std::string_view digits = quantity_digits(text);
  if (digits.size() > 64) throw FieldError("more than 256 bits: \"" + std::string(text) + "\"");
  U256Be out{};
  std::size_t pos = 64 - digits.size();  // nibble index of the first digit in the 64-nibble number
  for (char c : digits) {
    auto nibble = static_cast<std::uint8_t>(hex_digit(c));
    out[pos / 2] |= pos % 2 == 0 ? static_cast<std::uint8_t>(nibble << 4) : nibble;
    ++pos;
  }
  return out;
}

Bytes data_of(std::string_view text) {
  if (text.size() < 2 || text[0] != '0' || text[1] != 'x')
    throw FieldError("DATA must start with 0x");
  if (text.size() % 2 != 0)
    throw FieldError("DATA with an odd number of hex digits (" + std::to_string(text.size() - 2) +
                     ")");
  auto bytes = from_hex(text);
  if (!bytes) throw FieldError("DATA that is not hex");
  return *bytes;
}

template <std::size_t N>
std::array<std::uint8_t, N> fixed_of(std::string_view text) {
  Bytes bytes = data_of(text);
  if (bytes.size() != N)
    throw FieldError(std::to_string(bytes.size()) + " bytes where " + std::to_string(N) +
                     " are required");
  std::array<std::uint8_t, N> out{};
  std::copy(bytes.begin(), bytes.end(), out.begin());
  return out;
}

// A view of one JSON object that knows its path, for error messages.
class Fields {
 public:
  Fields(const json::value& value, std::string path) : path_(std::move(path)) {
    if (!value.is_object()) throw FieldError(where("") + "expected an object");
    object_ = &value.get_object();
  }

  const json::value& required(std::string_view key) const {
    const json::value* value = object_->if_contains(key);
    if (value == nullptr) throw FieldError(where(key) + "missing");
    return *value;
  }
  bool has(std::string_view key) const { return object_->if_contains(key) != nullptr; }

  std::string_view string(std::string_view key) const {
    const json::value& value = required(key);
    if (!value.is_string()) throw FieldError(where(key) + "expected a string, got " + kind(value));
    return value.get_string();
  }

  template <class F>
  auto convert(std::string_view key, F&& f) const {
    std::string_view text = string(key);
    try {
      return f(text);
    } catch (const FieldError& e) {
      throw FieldError(where(key) + e.what());
    }
  }

  std::uint64_t u64(std::string_view key) const { return convert(key, u64_of); }
  U256Be u256(std::string_view key) const { return convert(key, u256_of); }
  Bytes data(std::string_view key) const { return convert(key, data_of); }
  template <std::size_t N>
  std::array<std::uint8_t, N> fixed(std::string_view key) const {
    return convert(key, fixed_of<N>);
  }

  const json::array& array(std::string_view key) const {
    const json::value& value = required(key);
    if (!value.is_array()) throw FieldError(where(key) + "expected an array, got " + kind(value));
    return value.get_array();
  }

  std::string child(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  }
  std::string where(std::string_view key) const {
    std::string path = key.empty() ? path_ : child(key);
    return path.empty() ? "" : path + ": ";
  }

  static std::string kind(const json::value& value) {
    switch (value.kind()) {
      case json::kind::null:
        return "null";
      case json::kind::bool_:
        return "a boolean";
      case json::kind::string:
        return "a string";
      case json::kind::array:
        return "an array";
      case json::kind::object:
        return "an object";
      default:
        return "a number";
    }
  }

 private:
  const json::object* object_ = nullptr;
  std::string path_;
};

Withdrawal withdrawal_of(const json::value& value, const std::string& path) {
  Fields f(value, path);
  Withdrawal w;
  w.index = f.u64("index");
  w.validator_index = f.u64("validatorIndex");
  w.address = f.fixed<20>("address");
  w.amount_gwei = f.u64("amount");
  return w;
}

std::vector<Withdrawal> withdrawals_of(const Fields& f, std::string_view key) {
  const json::array& items = f.array(key);
  std::vector<Withdrawal> out;
  out.reserve(items.size());
  for (std::size_t i = 0; i < items.size(); ++i)
    out.push_back(withdrawal_of(items[i], f.child(key) + "[" + std::to_string(i) + "]"));
  return out;
}

std::vector<Bytes> transactions_of(const Fields& f) {
  const json::array& items = f.array("transactions");
  std::vector<Bytes> out;
  out.reserve(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    std::string path = f.child("transactions") + "[" + std::to_string(i) + "]";
    if (!items[i].is_string())
      throw FieldError(path + ": expected a string, got " + Fields::kind(items[i]));
    try {
      out.push_back(data_of(items[i].get_string()));
    } catch (const FieldError& e) {
      throw FieldError(path + ": " + e.what());
    }
  }
  return out;
}

enum class WithdrawalsRule { kAbsent, kRequired, kOptional };

ExecutionPayloadV2 payload_of(const json::value& value, const std::string& path,
                              WithdrawalsRule rule) {
  Fields f(value, path);
  ExecutionPayloadV2 p;
  p.parent_hash = f.fixed<32>("parentHash");
  p.fee_recipient = f.fixed<20>("feeRecipient");
  p.state_root = f.fixed<32>("stateRoot");
  p.receipts_root = f.fixed<32>("receiptsRoot");
  p.logs_bloom = f.fixed<256>("logsBloom");
  p.prev_randao = f.fixed<32>("prevRandao");
  p.block_number = f.u64("blockNumber");
  p.gas_limit = f.u64("gasLimit");
  p.gas_used = f.u64("gasUsed");
  p.timestamp = f.u64("timestamp");
  p.extra_data = f.data("extraData");
  if (p.extra_data.size() > 32)
    throw FieldError(f.where("extraData") + std::to_string(p.extra_data.size()) +
                     " bytes, at most 32 are allowed");
  p.base_fee_per_gas = f.u256("baseFeePerGas");
  p.block_hash = f.fixed<32>("blockHash");
  p.transactions = transactions_of(f);
  bool present = f.has("withdrawals");
  if (rule == WithdrawalsRule::kAbsent && present)
    throw FieldError(f.where("withdrawals") + "not allowed in an ExecutionPayloadV1");
  if (rule == WithdrawalsRule::kRequired || present)
    p.withdrawals = withdrawals_of(f, "withdrawals");
  return p;
}

PayloadAttributesV2 attributes_of(const json::value& value, const std::string& path, bool v2) {
  Fields f(value, path);
  PayloadAttributesV2 a;
  a.timestamp = f.u64("timestamp");
  a.prev_randao = f.fixed<32>("prevRandao");
  a.suggested_fee_recipient = f.fixed<20>("suggestedFeeRecipient");
  if (v2) {
    a.withdrawals = withdrawals_of(f, "withdrawals");
  } else {
    if (f.has("withdrawals"))
      throw FieldError(f.where("withdrawals") + "not allowed in PayloadAttributesV1");
    a.withdrawals.reset();
  }
  return a;
}

PayloadStatusV1 status_of(const json::value& value, const std::string& path) {
  Fields f(value, path);
  PayloadStatusV1 s;
  std::string_view text = f.string("status");
  auto status = payload_validity_from(text);
  if (!status) throw FieldError(f.where("status") + "unknown status \"" + std::string(text) + "\"");
  s.status = *status;
  if (!f.required("latestValidHash").is_null())
    s.latest_valid_hash = f.fixed<32>("latestValidHash");
  // Some clients leave validationError out instead of sending null; the spec allows null only, but
  // nothing is lost by reading absence as null.
  if (f.has("validationError") && !f.required("validationError").is_null())
    s.validation_error = std::string(f.string("validationError"));
  return s;
}

template <class T, class F>
Result<T> guarded(F&& f) {
  try {
    return f();
  } catch (const FieldError& e) {
    return Status::Invalid(e.what());
  }
}

}  // namespace

Result<std::uint64_t> parse_quantity_u64(std::string_view text) {
  return guarded<std::uint64_t>([&] { return u64_of(text); });
}

Result<U256Be> parse_quantity_u256(std::string_view text) {
  return guarded<U256Be>([&] { return u256_of(text); });
}

json::object to_json(const Withdrawal& w) {
  return {{"index", quantity_hex(w.index)},
          {"validatorIndex", quantity_hex(w.validator_index)},
          {"address", data_hex(w.address)},
          {"amount", quantity_hex(w.amount_gwei)}};
}

json::array to_json(const std::vector<Withdrawal>& withdrawals) {
  json::array out;
  for (const auto& w : withdrawals) out.push_back(to_json(w));
  return out;
}

json::object to_json(const ExecutionPayloadV2& p) {
  json::array transactions;
  for (const auto& tx : p.transactions) transactions.push_back(json::string(data_hex(tx)));
  json::object out{{"parentHash", data_hex(p.parent_hash)},
                   {"feeRecipient", data_hex(p.fee_recipient)},
                   {"stateRoot", data_hex(p.state_root)},
                   {"receiptsRoot", data_hex(p.receipts_root)},
                   {"logsBloom", data_hex(p.logs_bloom)},
                   {"prevRandao", data_hex(p.prev_randao)},
                   {"blockNumber", quantity_hex(p.block_number)},
                   {"gasLimit", quantity_hex(p.gas_limit)},
                   {"gasUsed", quantity_hex(p.gas_used)},
                   {"timestamp", quantity_hex(p.timestamp)},
                   {"extraData", data_hex(p.extra_data)},
                   {"baseFeePerGas", quantity_hex(p.base_fee_per_gas)},
                   {"blockHash", data_hex(p.block_hash)},
                   {"transactions", std::move(transactions)}};
  if (p.withdrawals) out["withdrawals"] = to_json(*p.withdrawals);
  return out;
}

json::object to_json(const ForkchoiceStateV1& s) {
  return {{"headBlockHash", data_hex(s.head_block_hash)},
          {"safeBlockHash", data_hex(s.safe_block_hash)},
          {"finalizedBlockHash", data_hex(s.finalized_block_hash)}};
}

json::object to_json(const PayloadAttributesV2& a) {
  json::object out{{"timestamp", quantity_hex(a.timestamp)},
                   {"prevRandao", data_hex(a.prev_randao)},
                   {"suggestedFeeRecipient", data_hex(a.suggested_fee_recipient)}};
  if (a.withdrawals) out["withdrawals"] = to_json(*a.withdrawals);
  return out;
}

json::object to_json(const PayloadStatusV1& s) {
  json::object out{{"status", to_string(s.status)}};
  out["latestValidHash"] =
      s.latest_valid_hash ? json::value(data_hex(*s.latest_valid_hash)) : json::value(nullptr);
  out["validationError"] =
      s.validation_error ? json::value(*s.validation_error) : json::value(nullptr);
  return out;
}

json::object to_json(const ForkchoiceUpdatedResponse& r) {
  json::object out{{"payloadStatus", to_json(r.payload_status)}};
  out["payloadId"] = r.payload_id ? json::value(data_hex(*r.payload_id)) : json::value(nullptr);
  return out;
}

json::object to_json(const GetPayloadV2Response& r) {
  return {{"executionPayload", to_json(r.execution_payload)},
          {"blockValue", quantity_hex(r.block_value)}};
}

json::object to_json(const ExecutionPayloadBodyV1& body) {
  json::array transactions;
  for (const auto& tx : body.transactions) transactions.push_back(json::string(data_hex(tx)));
  json::object out{{"transactions", std::move(transactions)}};
  out["withdrawals"] =
      body.withdrawals ? json::value(to_json(*body.withdrawals)) : json::value(nullptr);
  return out;
}

Result<ExecutionPayloadV2> parse_execution_payload_v1(const json::value& value) {
  return guarded<ExecutionPayloadV2>(
      [&] { return payload_of(value, "", WithdrawalsRule::kAbsent); });
}

Result<ExecutionPayloadV2> parse_execution_payload_v2(const json::value& value) {
  return guarded<ExecutionPayloadV2>(
      [&] { return payload_of(value, "", WithdrawalsRule::kRequired); });
}

Result<ExecutionPayloadV2> parse_execution_payload_v1_or_v2(const json::value& value) {
  return guarded<ExecutionPayloadV2>(
      [&] { return payload_of(value, "", WithdrawalsRule::kOptional); });
}

Result<ForkchoiceStateV1> parse_forkchoice_state(const json::value& value) {
  return guarded<ForkchoiceStateV1>([&] {
    Fields f(value, "");
    return ForkchoiceStateV1{f.fixed<32>("headBlockHash"), f.fixed<32>("safeBlockHash"),
                             f.fixed<32>("finalizedBlockHash")};
  });
}

Result<PayloadAttributesV2> parse_payload_attributes_v1(const json::value& value) {
  return guarded<PayloadAttributesV2>([&] { return attributes_of(value, "", false); });
}

Result<PayloadAttributesV2> parse_payload_attributes_v2(const json::value& value) {
  return guarded<PayloadAttributesV2>([&] { return attributes_of(value, "", true); });
}

Result<PayloadStatusV1> parse_payload_status(const json::value& value) {
  return guarded<PayloadStatusV1>([&] { return status_of(value, ""); });
}

Result<ForkchoiceUpdatedResponse> parse_forkchoice_updated_response(const json::value& value) {
  return guarded<ForkchoiceUpdatedResponse>([&] {
    Fields f(value, "");
    ForkchoiceUpdatedResponse r;
    r.payload_status = status_of(f.required("payloadStatus"), "payloadStatus");
    if (!f.required("payloadId").is_null()) r.payload_id = f.fixed<8>("payloadId");
    return r;
  });
}

Result<GetPayloadV2Response> parse_get_payload_v2_response(const json::value& value) {
  return guarded<GetPayloadV2Response>([&] {
    Fields f(value, "");
    GetPayloadV2Response r;
    r.execution_payload =
        payload_of(f.required("executionPayload"), "executionPayload", WithdrawalsRule::kOptional);
    r.block_value = f.u256("blockValue");
    return r;
  });
}

Result<std::vector<std::optional<ExecutionPayloadBodyV1>>> parse_payload_bodies_v1(
    const json::value& value) {
  return guarded<std::vector<std::optional<ExecutionPayloadBodyV1>>>([&] {
    if (!value.is_array()) throw FieldError("expected an array of payload bodies");
    std::vector<std::optional<ExecutionPayloadBodyV1>> out;
    const json::array& items = value.get_array();
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (items[i].is_null()) {
        out.emplace_back();
        continue;
      }
      Fields f(items[i], "[" + std::to_string(i) + "]");
      ExecutionPayloadBodyV1 body;
      body.transactions = transactions_of(f);
      if (f.has("withdrawals") && !f.required("withdrawals").is_null())
        body.withdrawals = withdrawals_of(f, "withdrawals");
      out.emplace_back(std::move(body));
    }
    return out;
  });
}

}  // namespace alys::engine::engine_api
