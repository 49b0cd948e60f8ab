#include "engine/engine_config.hpp"

#include <boost/json.hpp>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>

namespace alys::engine {

namespace json = boost::json;

namespace {

constexpr std::string_view kBackends = "embedded, engine-api";
// Keys both backends read: the chain id, and the genesis values (the embedded backend's rules;
// for engine-api, what alys-ctl writes into Geth's genesis).
constexpr std::string_view kCommonKeys = "backend, chain_id, base_fee_wei, block_gas_limit";
constexpr std::string_view kEmbeddedKeys =
    "mempool_limit, mempool_max_per_sender, mempool_max_future_per_sender, mempool_lifetime_s, "
    "mempool_max_tx_bytes, mempool_max_access_list_entries, mempool_max_access_list_keys";
constexpr std::string_view kEngineApiKeys =
    "engine_url, jwt_secret_file, engine_timeout_ms, build_wait_ms, replay_log_every";

bool listed(std::string_view list, std::string_view key) {
  std::size_t at = 0;
  while (at <= list.size()) {
    std::size_t end = list.find(", ", at);
    if (list.substr(at, end == std::string_view::npos ? end : end - at) == key) return true;
    if (end == std::string_view::npos) return false;
    at = end + 2;
  }
  return false;
}

// http://HOST:PORT with an optional trailing '/'; nothing else (no TLS: the Engine API runs on
// loopback or a private network, authenticated by the JWT).
bool parse_engine_url(std::string_view url, EngineApiSettings& out) {
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme)) return false;
  std::string_view rest = url.substr(kScheme.size());
  if (rest.ends_with('/')) rest.remove_suffix(1);
  const std::size_t colon = rest.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  std::string_view host = rest.substr(0, colon);
  std::string_view port = rest.substr(colon + 1);
  if (host.find_first_of("/?# ") != std::string_view::npos || port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string_view::npos)
    return false;
  const unsigned long number = std::stoul(std::string(port));
  if (number == 0 || number > 65535) return false;
  out.host = std::string(host);
  out.port = static_cast<std::uint16_t>(number);
  out.url = std::string(url);
  return true;
}

std::string config_dir_of(const json::object& table) {
  const json::value* host = table.if_contains("host");
  const json::value* dir =
      host != nullptr && host->is_object() ? host->as_object().if_contains("config_dir") : nullptr;
  return dir != nullptr && dir->is_string() ? std::string(dir->as_string()) : std::string();
}

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

std::string backend_of(std::string_view table_json) {
  json::error_code error;
  json::value parsed = json::parse(table_json, error);
  if (error || !parsed.is_object()) return std::string(kEmbeddedBackend);
  const json::value* backend = parsed.as_object().if_contains("backend");
  if (backend == nullptr || !backend->is_string()) return std::string(kEmbeddedBackend);
  return std::string(backend->as_string());
}

EngineConfig read_engine_config(std::string_view table_json, ConfigProblems& problems) {
  EngineConfig config;
  json::error_code error;
  json::value parsed = json::parse(table_json, error);
  if (error || !parsed.is_object()) {
    problems.invalid("", "the role table is not a JSON object");
    return config;
  }
  const json::object& table = parsed.as_object();
  // The backend first: it decides which of the other keys mean something.
  if (const json::value* value = table.if_contains("backend")) {
    if (!value->is_string()) {
      problems.wrong_type("backend", "must be a string");
    } else {
      std::string backend(value->as_string());
      if (backend == kEmbeddedBackend || backend == kEngineApiBackend)
        config.backend = backend;
      else
        problems.invalid("backend", "unknown backend '" + backend +
                                        "'; valid backends: " + std::string(kBackends));
    }
  }
  const bool engine_api = config.backend == kEngineApiBackend;
  const std::string own_keys =
      std::string(kCommonKeys) + ", " + std::string(engine_api ? kEngineApiKeys : kEmbeddedKeys);
  bool has_chain_id = false;
  bool has_secret = false;
  for (const auto& [key_view, value] : table) {
    const std::string key(key_view);
    if (key == "backend" || key == "host") {
      // backend: read above. host.data_dir / host.config_dir: set by the host for every role.
      continue;
    }
    if (!listed(kCommonKeys, key) && !listed(own_keys, key)) {
      const bool other = listed(engine_api ? kEmbeddedKeys : kEngineApiKeys, key);
      if (other)
        problems.invalid(
            key, "only the " + std::string(engine_api ? kEmbeddedBackend : kEngineApiBackend) +
                     " backend reads this key, and backend is \"" + config.backend + "\"");
      else
        problems.invalid(key, "unknown key (valid: " + own_keys + ")");
      continue;
    }
    if (key == "chain_id") {
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
    } else if (key == "engine_url") {
      if (!value.is_string())
        problems.wrong_type(key, "must be a string, e.g. \"http://127.0.0.1:8551\"");
      else if (!parse_engine_url(value.as_string(), config.engine_api))
        problems.invalid(key, "must be http://HOST:PORT (the execution client's authrpc), got \"" +
                                  std::string(value.as_string()) + "\"");
    } else if (key == "jwt_secret_file") {
      has_secret = true;
      if (!value.is_string() || value.as_string().empty()) {
        problems.wrong_type(key, "must be the path of the JWT secret file (a non-empty string)");
        continue;
      }
      std::filesystem::path path(std::string(value.as_string()));
      if (path.is_relative()) {
        const std::string dir = config_dir_of(table);
        if (dir.empty()) {
          problems.invalid(key, "\"" + path.string() +
                                    "\" is relative and there is no host.config_dir to resolve it "
                                    "against; give an absolute path");
          continue;
        }
        path = std::filesystem::path(dir) / path;
      }
      config.engine_api.jwt_secret_file = path.lexically_normal();
    } else if (key == "engine_timeout_ms") {
      if (auto v = unsigned_of(value, key, 1, problems)) config.engine_api.timeout_ms = *v;
    } else if (key == "build_wait_ms") {
      if (auto v = unsigned_of(value, key, 0, problems)) config.engine_api.build_wait_ms = *v;
    } else if (key == "replay_log_every") {
      if (auto v = unsigned_of(value, key, 1, problems)) config.engine_api.replay_log_every = *v;
    }
  }
  if (!has_chain_id) problems.missing("chain_id", "missing: the EIP-155 chain id is required");
  if (engine_api && !has_secret)
    problems.missing("jwt_secret_file",
                     "missing: the engine-api backend needs the JWT secret file the execution "
                     "client was started with (geth --authrpc.jwtsecret)");
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
