#include "network_config.hpp"

#include <boost/json.hpp>
#include <charconv>
#include <set>

#include "alys/domain/hash.hpp"

namespace alys::network {
namespace {

namespace json = boost::json;

constexpr std::string_view kKnown[] = {"listen",
                                       "key_file",
                                       "peers",
                                       "io_threads",
                                       "max_peers",
                                       "handshake_timeout_ms",
                                       "idle_timeout_ms",
                                       "dial_backoff_min_ms",
                                       "dial_backoff_max_ms",
                                       "max_messages_per_second",
                                       "max_bytes_per_second",
                                       "ban_seconds",
                                       "sync_batch_blocks",
                                       "fault_injection",
                                       "host"};

class Reader {
 public:
  Reader(const json::object& table, ConfigProblems& problems, std::string prefix = "")
      : table_(table), problems_(problems), prefix_(std::move(prefix)) {}

  std::string key(std::string_view name) const { return config_key(prefix_, name); }

  std::optional<std::string> string(const char* name) const {
    const json::value* value = table_.if_contains(name);
    if (value == nullptr) return std::nullopt;
    if (!value->is_string()) {
      problems_.wrong_type(key(name), "must be a string");
      return std::nullopt;
    }
    return std::string(value->as_string());
  }

  std::optional<bool> boolean(const char* name) const {
    const json::value* value = table_.if_contains(name);
    if (value == nullptr) return std::nullopt;
    if (!value->is_bool()) {
      problems_.wrong_type(key(name), "must be true or false");
      return std::nullopt;
    }
    return value->as_bool();
  }

  std::optional<std::uint64_t> integer(const char* name, std::uint64_t low,
                                       std::uint64_t high) const {
    const json::value* value = table_.if_contains(name);
    if (value == nullptr) return std::nullopt;
    if (!value->is_int64() && !value->is_uint64()) {
      problems_.wrong_type(key(name), "must be an integer");
      return std::nullopt;
    }
    const bool negative = value->is_int64() && value->as_int64() < 0;
    const std::uint64_t v = negative             ? 0
                            : value->is_uint64() ? value->as_uint64()
                                                 : static_cast<std::uint64_t>(value->as_int64());
    if (negative || v < low || v > high) {
      problems_.invalid(key(name), "must be from " + std::to_string(low) + " to " +
                                       std::to_string(high) + ", got " + json::serialize(*value));
      return std::nullopt;
    }
    return v;
  }

  std::string host_string(const char* name) const {
    const json::value* host = table_.if_contains("host");
    const json::value* v =
        host != nullptr && host->is_object() ? host->as_object().if_contains(name) : nullptr;
    return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
  }

  ConfigProblems& problems() const { return problems_; }

 private:
  const json::object& table_;
  ConfigProblems& problems_;
  std::string prefix_;
};

std::optional<XOnlyPublicKey> read_key(const Reader& r, const json::object& table) {
  const json::value* value = table.if_contains("public_key");
  if (value == nullptr) {
    r.problems().missing(r.key("public_key"), "required (the peer's x-only key, 64 hex digits)");
    return std::nullopt;
  }
  auto text = r.string("public_key");
  if (!text) return std::nullopt;
  auto bytes = fixed_from_hex<32>(*text);
  if (!bytes) {
    r.problems().invalid(r.key("public_key"), "must be 64 hex digits (an x-only public key)");
    return std::nullopt;
  }
  return *bytes;
}

void read_peers(const json::object& table, ConfigProblems& problems, NetworkConfig& config) {
  const json::value* value = table.if_contains("peers");
  if (value == nullptr) return;
  if (!value->is_array()) {
    problems.wrong_type("peers", "must be an array of tables {public_key, address}");
    return;
  }
  std::set<XOnlyPublicKey> seen;
  std::size_t index = 0;
  for (const json::value& item : value->as_array()) {
    const std::string prefix = "peers[" + std::to_string(index++) + "]";
    if (!item.is_object()) {
      problems.wrong_type(prefix, "must be a table {public_key, address}");
      continue;
    }
    const json::object& entry = item.as_object();
    Reader r(entry, problems, prefix);
    for (const auto& field : entry)
      if (field.key() != "public_key" && field.key() != "address")
        problems.invalid(r.key(field.key()), "unknown key (valid: public_key, address)");
    ConfiguredPeer peer;
    auto key = read_key(r, entry);
    if (auto address = r.string("address")) {
      std::string why;
      peer.address = parse_endpoint(*address, why);
      if (!peer.address)
        problems.invalid(r.key("address"), why);
      else if (peer.address->port == 0)
        problems.invalid(r.key("address"), "needs a port to dial (not 0)");
    }
    if (!key) continue;
    if (!seen.insert(*key).second) {
      problems.invalid(r.key("public_key"), "is listed twice");
      continue;
    }
    peer.key = *key;
    config.peers.push_back(std::move(peer));
  }
}

}  // namespace

std::string Endpoint::to_string() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::optional<Endpoint> parse_endpoint(std::string_view text, std::string& why) {
  Endpoint endpoint;
  std::string_view port;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      why = "must be \"[IPv6]:port\", got \"" + std::string(text) + "\"";
      return std::nullopt;
    }
    endpoint.host = std::string(text.substr(1, close - 1));
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon) {
      why = "must be \"host:port\", got \"" + std::string(text) + "\"";
      return std::nullopt;
    }
    endpoint.host = std::string(text.substr(0, colon));
    port = text.substr(colon + 1);
  }
  unsigned value = 0;
  auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (endpoint.host.empty() || port.empty() || error != std::errc() ||
      end != port.data() + port.size() || value > 65535) {
    why = "must be \"host:port\" with a port from 0 to 65535, got \"" + std::string(text) + "\"";
    return std::nullopt;
  }
  endpoint.port = static_cast<std::uint16_t>(value);
  return endpoint;
}

NetworkConfig read_network_config(std::string_view table_json, ConfigProblems& problems) {
  NetworkConfig config;
  json::error_code error;
  const json::value parsed = json::parse(table_json, error);
  if (error || !parsed.is_object()) {
    problems.invalid("", "the role table is not a JSON object");
    return config;
  }
  const json::object& table = parsed.as_object();
  for (const auto& entry : table) {
    bool known = false;
    for (std::string_view name : kKnown) known = known || entry.key() == name;
    if (!known)
      problems.invalid(
          std::string(entry.key()),
          "unknown key (valid: listen, key_file, peers, io_threads, max_peers, "
          "handshake_timeout_ms, idle_timeout_ms, dial_backoff_min_ms, dial_backoff_max_ms, "
          "max_messages_per_second, max_bytes_per_second, ban_seconds, "
          "sync_batch_blocks, fault_injection)");
  }
  const Reader r(table, problems);
  if (auto listen = r.string("listen")) {
    std::string why;
    if (auto endpoint = parse_endpoint(*listen, why))
      config.listen = *endpoint;
    else
      problems.invalid("listen", why);
  }
  if (auto file = r.string("key_file")) {
    std::filesystem::path path(*file);
    const std::string config_dir = r.host_string("config_dir");
    if (file->empty())
      problems.invalid("key_file", "must not be empty");
    else if (path.is_relative() && config_dir.empty())
      problems.invalid("key_file", "\"" + *file +
                                       "\" is relative and the host gives no config directory; "
                                       "give an absolute path");
    else
      config.key_file = path.is_relative() ? (std::filesystem::path(config_dir) / path) : path;
  } else if (!table.contains("key_file")) {
    problems.missing("key_file", "required (the node's secp256k1 key: 64 hex digits, chmod 600)");
  }
  read_peers(table, problems, config);
  config.io_threads = static_cast<std::uint32_t>(r.integer("io_threads", 1, 16).value_or(1));
  config.max_peers = static_cast<std::uint32_t>(r.integer("max_peers", 1, 4096).value_or(64));
  config.handshake_timeout_ms =
      r.integer("handshake_timeout_ms", 100, 120'000).value_or(config.handshake_timeout_ms);
  config.idle_timeout_ms =
      r.integer("idle_timeout_ms", 400, 3'600'000).value_or(config.idle_timeout_ms);
  config.dial_backoff_min_ms =
      r.integer("dial_backoff_min_ms", 10, 600'000).value_or(config.dial_backoff_min_ms);
  config.dial_backoff_max_ms =
      r.integer("dial_backoff_max_ms", 10, 3'600'000).value_or(config.dial_backoff_max_ms);
  if (config.dial_backoff_max_ms < config.dial_backoff_min_ms)
    problems.invalid("dial_backoff_max_ms", "must be at least dial_backoff_min_ms (" +
                                                std::to_string(config.dial_backoff_min_ms) + ")");
  config.max_messages_per_second =
      r.integer("max_messages_per_second", 1, 10'000'000).value_or(config.max_messages_per_second);
  config.max_bytes_per_second = r.integer("max_bytes_per_second", 1024, std::uint64_t{1} << 40)
                                    .value_or(config.max_bytes_per_second);
  config.ban_seconds = r.integer("ban_seconds", 0, 30ull * 24 * 3600).value_or(config.ban_seconds);
  config.sync_batch_blocks =
      static_cast<std::uint32_t>(r.integer("sync_batch_blocks", 1, 4096).value_or(256));
  config.fault_injection = r.boolean("fault_injection").value_or(false);
  return config;
}

}  // namespace alys::network
