#include "host/config/host_port.hpp"

#include <arpa/inet.h>

#include <charconv>

namespace alys::host {

namespace {

bool is_ipv4(const std::string& host) {
  in_addr address{};
  return inet_pton(AF_INET, host.c_str(), &address) == 1;
}

// An IPv6 address, optionally with a zone ("fe80::1%eth0"); inet_pton knows no zones.
bool is_ipv6(std::string_view host) {
  const std::size_t percent = host.find('%');
  if (percent != std::string_view::npos && percent + 1 == host.size()) return false;
  const std::string address(host.substr(0, percent));
  in6_addr parsed{};
  return inet_pton(AF_INET6, address.c_str(), &parsed) == 1;
}

// Letters, digits, '-', '_' and '.', in labels that are not empty (RFC 1123, plus the underscore
// that service names and container hostnames use).
bool is_hostname(std::string_view host) {
  if (host.empty() || host.front() == '.' || host.back() == '.' ||
      host.find("..") != std::string_view::npos)
    return false;
  for (char c : host) {
    const bool alphanumeric =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alphanumeric && c != '-' && c != '_' && c != '.') return false;
  }
  return host.front() != '-';
}

bool all_digits_and_dots(std::string_view host) {
  return host.find_first_not_of("0123456789.") == std::string_view::npos;
}

}  // namespace

std::string HostPort::to_string() const {
  const std::string port_text = std::to_string(port);
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + port_text;
  return host + ":" + port_text;
}

Result<HostPort> parse_host_port(std::string_view text, PortZero port_zero) {
  const std::string expected =
      "expected \"HOST:PORT\" (IPv6 as \"[::1]:8645\"), got \"" + std::string(text) + "\"";
  auto invalid = [&expected](std::string_view why) {
    return Status::Invalid(why.empty() ? expected : expected + ": " + std::string(why));
  };

  std::string_view host;
  std::string_view port;
  bool bracketed = false;
  if (!text.empty() && text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos) return invalid("no ']' after the IPv6 address");
    if (close + 1 >= text.size() || text[close + 1] != ':') return invalid("no ':PORT' after ']'");
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    bracketed = true;
  } else {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return invalid("");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos)
      return invalid("an IPv6 host goes in brackets, e.g. [::1]:8645");
  }

  if (host.empty()) return invalid("empty host");
  if (bracketed && !is_ipv6(host)) return invalid("not an IPv6 address in brackets");
  if (!bracketed) {
    if (all_digits_and_dots(host) && !is_ipv4(std::string(host)))
      return invalid("not an IPv4 address");
    if (!is_hostname(host)) return invalid("not a hostname or IPv4 address");
  }

  const unsigned lowest = port_zero == PortZero::allowed ? 0 : 1;
  unsigned value = 0;
  const char* end = port.data() + port.size();
  const auto [stop, ec] = std::from_chars(port.data(), end, value);
  if (port.empty() || ec != std::errc() || stop != end || value < lowest || value > 65535)
    return invalid("port must be " + std::to_string(lowest) + "..65535");
  return HostPort{std::string(host), static_cast<std::uint16_t>(value)};
}

}  // namespace alys::host
