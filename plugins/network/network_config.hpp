// The `[network]` table of a node's config, read and checked. Keys and defaults are in
// docs/network.md ("Config").
#pragma once

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alys/config_check.hpp"
#include "alys/domain/secp256k1.hpp"

namespace alys::network {

// "host:port": a host name or IPv4/IPv6 literal ("[::1]:30333") and a port, 0 = any.
struct Endpoint {
  std::string host;
  std::uint16_t port = 0;
  std::string to_string() const;
};

// Parses "host:port"; nullopt with `why` set when it is not one.
std::optional<Endpoint> parse_endpoint(std::string_view text, std::string& why);

// A node this one accepts besides the chain spec's members, and dials when `address` is set.
struct ConfiguredPeer {
  XOnlyPublicKey key{};
  std::optional<Endpoint> address;
};

struct NetworkConfig {
  Endpoint listen{"127.0.0.1", 30333};
  std::filesystem::path key_file;  // absolute once read (relative ones against host.config_dir)
  std::vector<ConfiguredPeer> peers;
  std::uint32_t io_threads = 1;
  std::uint32_t max_peers = 64;
  std::uint64_t handshake_timeout_ms = 5000;
  std::uint64_t idle_timeout_ms = 20000;  // a connection silent this long is closed
  std::uint64_t dial_backoff_min_ms = 200;
  std::uint64_t dial_backoff_max_ms = 10000;
  std::uint64_t max_messages_per_second = 2000;   // per peer
  std::uint64_t max_bytes_per_second = 64 << 20;  // per peer
  std::uint64_t ban_seconds = 600;
  std::uint32_t sync_batch_blocks = 256;
  bool fault_injection = false;
};

// How often an idle connection is pinged: every 5 s, or a quarter of idle_timeout_ms when that is
// shorter, so that a live peer always answers within the timeout.
inline std::uint64_t ping_interval_ms(const NetworkConfig& config) {
  return std::min<std::uint64_t>(5000, config.idle_timeout_ms / 4);
}

// The one reader of the table, for the start and the host's check alike. Every problem goes to
// `problems`, its key relative to the table ("peers[1].public_key"); a refused value leaves the
// default. Reads no file (the key file is read at start). No state: safe on any thread.
NetworkConfig read_network_config(std::string_view table_json, ConfigProblems& problems);

}  // namespace alys::network
