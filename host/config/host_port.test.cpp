#include "host/config/host_port.hpp"

#include <catch2/catch.hpp>

using alys::host::HostPort;
using alys::host::parse_host_port;
using alys::host::PortZero;

namespace {

// The message of the failure to read `text`; fails the test when it reads.
std::string failure(std::string_view text, PortZero port_zero = PortZero::refused) {
  auto parsed = parse_host_port(text, port_zero);
  INFO(text);
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.status().code() == ALYS_ERR_INVALID);
  CHECK(parsed.status().message().starts_with(
      "expected \"HOST:PORT\" (IPv6 as \"[::1]:8645\"), got \"" + std::string(text) + "\""));
  return parsed.status().message();
}

}  // namespace

TEST_CASE("IPv4 addresses, bracketed IPv6 addresses and hostnames read", "[host_port]") {
  struct Case {
    const char* text;
    const char* host;
    std::uint16_t port;
  };
  for (const Case& c :
       {Case{"127.0.0.1:8645", "127.0.0.1", 8645}, Case{"[::1]:8645", "::1", 8645},
        Case{"[fe80::1%eth0]:1", "fe80::1%eth0", 1}, Case{"localhost:65535", "localhost", 65535},
        Case{"node-1.example.org:80", "node-1.example.org", 80},
        Case{"alys_node:8645", "alys_node", 8645}, Case{"0.0.0.0:08645", "0.0.0.0", 8645}}) {
    INFO(c.text);
    auto parsed = parse_host_port(c.text);
    REQUIRE(parsed.ok());
    CHECK(parsed->host == c.host);
    CHECK(parsed->port == c.port);
  }
}

TEST_CASE("to_string restores the brackets of an IPv6 host", "[host_port]") {
  CHECK(HostPort{"::1", 8645}.to_string() == "[::1]:8645");
  CHECK(HostPort{"127.0.0.1", 1}.to_string() == "127.0.0.1:1");
  CHECK(parse_host_port("[::]:9")->to_string() == "[::]:9");
}

TEST_CASE("port 0 is for listeners only", "[host_port]") {
  CHECK(failure("127.0.0.1:0").ends_with(": port must be 1..65535"));
  auto listener = parse_host_port("0.0.0.0:0", PortZero::allowed);
  REQUIRE(listener.ok());
  CHECK(listener->port == 0);
  CHECK(failure("0.0.0.0:65536", PortZero::allowed).ends_with(": port must be 0..65535"));
}

TEST_CASE("every malformed address says what is wrong", "[host_port]") {
  CHECK(failure("localhost") ==
        "expected \"HOST:PORT\" (IPv6 as \"[::1]:8645\"), got \"localhost\"");
  CHECK(failure("").ends_with("got \"\""));
  CHECK(failure("::1:8645").ends_with(": an IPv6 host goes in brackets, e.g. [::1]:8645"));
  CHECK(failure("[::1]8645").ends_with(": no ':PORT' after ']'"));
  CHECK(failure("[::1]").ends_with(": no ':PORT' after ']'"));
  CHECK(failure("[::1:8645").ends_with(": no ']' after the IPv6 address"));
  CHECK(failure("[]:80").ends_with(": empty host"));
  CHECK(failure(":8645").ends_with(": empty host"));
  CHECK(failure("[127.0.0.1]:80").ends_with(": not an IPv6 address in brackets"));
  CHECK(failure("[fe80::1%]:80").ends_with(": not an IPv6 address in brackets"));
  CHECK(failure("256.1.1.1:80").ends_with(": not an IPv4 address"));
  CHECK(failure("1.2.3:80").ends_with(": not an IPv4 address"));
  CHECK(failure("my host:80").ends_with(": not a hostname or IPv4 address"));
  CHECK(failure("-host:80").ends_with(": not a hostname or IPv4 address"));
  CHECK(failure("a..b:80").ends_with(": not a hostname or IPv4 address"));
  for (const char* port : {"host:", "host:http", "host:-1", "host:+80", "host:80 ", "host:65536",
                           "host:99999999999"}) {
    CHECK(failure(port).ends_with(": port must be 1..65535"));
  }
}
