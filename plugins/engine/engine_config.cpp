#include "engine/engine_config.hpp"

#include <boost/json.hpp>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

namespace alys::engine {

namespace json = boost::json;

namespace {

constexpr std::string_view kBackends = "embedded";
constexpr std::string_view kKeys =
    "backend, chain_id, base_fee_wei, block_gas_limit, mempool_limit, mempool_max_per_sender, "
    "mempool_max_future_per_sender, mempool_lifetime_s, mempool_max_tx_bytes, "
    "mempool_max_access_list_entries, mempool_max_access_list_keys";

std::optional<std::uint64_t> unsigned_of(const json::value& value, const std::string& key,
                                         std::uint64_t minimum, ConfigProblems& problems) {
  std::uint64_t number = 0;
  if (value.is_uint64()) {
    number = value.as_uint64();
  } else if (value.is_int64() && value.as_int64() >= 0) {
    number = static_cast<std::uint64_t>(value.as_int64());
  } else {
    const std::string what = "must be a non-negative integer, got " + json::serialize(value);
    if (value.is_int64())
      problems.invalid(key, what);
    else
      problems.wrong_type(key, what);
    return std::nullopt;
  }
  if (number < minimum) {
    problems.invalid(
        key, "must be at least " + std::to_string(minimum) + ", got " + std::to_string(number));
    return std::nullopt;
  }
  return number;
}

std::optional<Wei> wei_of(const json::value& value, const std::string& key,
                          ConfigProblems& problems) {
  if (!value.is_string()) return unsigned_of(value, key, 0, problems);
  std::string_view text = value.as_string();
  bool decimal = !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
  auto parsed = decimal ? wei_parse(text) : std::nullopt;
  if (!parsed)
    problems.invalid(
        key, "must be a decimal number of wei below 2^128, got \"" + std::string(text) + "\"");
  return parsed;
}

}  // namespace

EngineConfig read_engine_config(std::string_view table_json, ConfigProblems& problems) {
  EngineConfig config;
  json::error_code error;
  json::value parsed = json::parse(table_json, error);
  if (error || !parsed.is_object()) {
    problems.invalid("", "the role table is not a JSON object");
    return config;
  }
  bool has_chain_id = false;
  for (const auto& [key_view, value] : parsed.as_object()) {
    const std::string key(key_view);
    if (key == "backend") {
      if (!value.is_string()) {
        problems.wrong_type(key, "must be a string");
        continue;
      }
      std::string backend(value.as_string());
      if (backend == "embedded")
        config.backend = backend;
      else
        problems.invalid(
            key, "unknown backend '" + backend + "'; valid backends: " + std::string(kBackends));
    } else if (key == "chain_id") {
      has_chain_id = true;
      if (auto v = unsigned_of(value, key, 1, problems)) config.rules.chain_id = *v;
    } else if (key == "base_fee_wei") {
      if (auto v = wei_of(value, key, problems)) config.rules.base_fee = *v;
    } else if (key == "block_gas_limit") {
      if (auto v = unsigned_of(value, key, embedded::kTransferGas, problems))
        config.rules.block_gas_limit = *v;
    } else if (key == "mempool_limit") {
      if (auto v = unsigned_of(value, key, 1, problems)) config.mempool_limit = *v;
    } else if (key == "mempool_max_per_sender") {
      if (auto v = unsigned_of(value, key, 1, problems)) config.mempool.max_pending_per_sender = *v;
    } else if (key == "mempool_max_future_per_sender") {
      if (auto v = unsigned_of(value, key, 0, problems)) config.mempool.max_future_per_sender = *v;
    } else if (key == "mempool_lifetime_s") {
      if (auto v = unsigned_of(value, key, 1, problems)) config.mempool.lifetime_s = *v;
    } else if (key == "mempool_max_tx_bytes") {
      if (auto v = unsigned_of(value, key, 1024, problems))
        config.mempool.max_transaction_bytes = *v;
    } else if (key == "mempool_max_access_list_entries") {
      if (auto v = unsigned_of(value, key, 0, problems))
        config.mempool.max_access_list_entries = *v;
    } else if (key == "mempool_max_access_list_keys") {
      if (auto v = unsigned_of(value, key, 0, problems)) config.mempool.max_access_list_keys = *v;
    } else if (key == "host") {
      // host.data_dir / host.config_dir: set by the host for every role; the engine needs neither.
    } else {
      problems.invalid(key, "unknown key (valid: " + std::string(kKeys) + ")");
    }
  }
  if (!has_chain_id) problems.missing("chain_id", "missing: the EIP-155 chain id is required");
  return config;
}

EngineConfig parse_engine_config(std::string_view table_json) {
  ConfigProblems problems;
  EngineConfig config = read_engine_config(table_json, problems);
  if (problems.empty()) return config;
  std::string message;
  for (const ConfigProblem& problem : problems.list())
    message += (message.empty() ? "[engine] " : "\n[engine] ") +
               (problem.key.empty() ? std::string() : problem.key + ": ") + problem.message;
  throw std::invalid_argument(message);
}

}  // namespace alys::engine
