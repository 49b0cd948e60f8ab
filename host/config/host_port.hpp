// "HOST:PORT" — the one reading of an address, for the node's `[host] admin_listen` (and
// --admin-listen) and for the tools that connect to it (alys-ctl --admin, alys-miner --rpc).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "alys/status.hpp"

namespace alys::host {

struct HostPort {
  std::string host;  // an IPv4 address, an IPv6 address (without brackets) or a hostname
  std::uint16_t port = 0;

  // Back in "HOST:PORT" form, brackets restored for IPv6: for messages and the HTTP Host field.
  std::string to_string() const;
};

// Port 0 means "let the system pick" to a listener; a client cannot know which port was picked.
enum class PortZero { refused, allowed };

// Reads "HOST:PORT": "127.0.0.1:8645", "[::1]:8645" (IPv6 always in brackets, a zone such as
// "%eth0" allowed), "localhost:8645". The port is decimal, 1..65535 (0..65535 with
// PortZero::allowed). Guarantees: on failure the Status is ALYS_ERR_INVALID and its message starts
// with `expected "HOST:PORT" (IPv6 as "[::1]:8645"), got "<text>"` and says what is wrong.
// Thread-safe (no state).
Result<HostPort> parse_host_port(std::string_view text, PortZero port_zero = PortZero::refused);

}  // namespace alys::host
