#include "engine/engine_config.hpp"

#include <boost/json.hpp>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace alys::engine {

namespace json = boost::json;

namespace {

constexpr std::string_view kBackends = "embedded";

[[noreturn]] void bad(std::string_view key, const std::string& what) {
  throw std::invalid_argument("[engine] " + std::string(key) + ": " + what);
}

std::uint64_t unsigned_of(const json::value& value, std::string_view key, std::uint64_t minimum) {
  std::uint64_t number = 0;
  if (value.is_uint64())
    number = value.as_uint64();
  else if (value.is_int64() && value.as_int64() >= 0)
    number = static_cast<std::uint64_t>(value.as_int64());
  else
    bad(key, "must be a non-negative integer, got " + json::serialize(value));
  if (number < minimum)
    bad(key, "must be at least " + std::to_string(minimum) + ", got " + std::to_string(number));
  return number;
}

Wei wei_of(const json::value& value, std::string_view key) {
  if (value.is_string()) {
    std::string_view text = value.as_string();
    bool decimal = !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
    auto parsed = decimal ? wei_parse(text) : std::nullopt;
    if (!parsed)
      bad(key, "must be a decimal number of wei below 2^128, got \"" + std::string(text) + "\"");
    return *parsed;
  }
  return unsigned_of(value, key, 0);
}

}  // namespace

EngineConfig parse_engine_config(std::string_view table_json) {
  json::error_code error;
  json::value parsed = json::parse(table_json, error);
  if (error || !parsed.is_object())
    throw std::invalid_argument("[engine]: the role table is not a JSON object");
  EngineConfig config;
  bool has_chain_id = false;
  for (const auto& [key, value] : parsed.as_object()) {
    if (key == "backend") {
      if (!value.is_string()) bad(key, "must be a string");
      config.backend = std::string(value.as_string());
      if (config.backend != "embedded")
        bad(key,
            "unknown backend '" + config.backend + "'; valid backends: " + std::string(kBackends));
    } else if (key == "chain_id") {
      config.rules.chain_id = unsigned_of(value, key, 1);
      has_chain_id = true;
    } else if (key == "base_fee_wei") {
      config.rules.base_fee = wei_of(value, key);
    } else if (key == "block_gas_limit") {
      config.rules.block_gas_limit = unsigned_of(value, key, embedded::kTransferGas);
    } else if (key == "mempool_limit") {
      config.mempool_limit = unsigned_of(value, key, 1);
    } else if (key == "host") {
      // host.data_dir / host.config_dir: set by the host for every role; the engine needs neither.
    } else {
      bad(key,
          "unknown key (valid: backend, chain_id, base_fee_wei, block_gas_limit, "
          "mempool_limit)");
    }
  }
  if (!has_chain_id) bad("chain_id", "missing: the EIP-155 chain id is required");
  return config;
}

}  // namespace alys::engine
