// A small synchronous HTTP/1.1 client for the node's admin API (docs/admin-api.md), used by
// alys-ctl. Beast and Asio stay inside admin_client.cpp: they are slow to compile and nothing else
// in the client needs them.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace alys::host {

// "HOST:PORT" as in `[host] admin_listen`; an IPv6 host goes in brackets: "[::1]:8645".
struct AdminAddress {
  std::string host;  // without brackets
  std::uint16_t port = 0;

  // Back in "HOST:PORT" form, brackets restored for IPv6, for messages.
  std::string to_string() const;
};

// The address, or nullopt with `error` saying what is wrong. Port 0 is refused: it means "let the
// system pick" to the node, and a client cannot know which port was picked.
std::optional<AdminAddress> parse_admin_address(std::string_view text, std::string& error);

struct AdminReply {
  // Why no HTTP answer came. Callers tell the operator "the node is not there" (not_reachable,
  // no_answer) apart from a broken exchange (other).
  enum class Failure {
    none,           // `status` and `body` hold the answer
    not_reachable,  // refused, unreachable, name not resolved, or no connection in time
    no_answer,      // connected, but no complete answer before the timeout
    other,          // anything else: connection reset, malformed answer
  };

  Failure failure = Failure::none;
  std::string error;  // what went wrong, e.g. "connection refused"; empty when failure == none
  unsigned status = 0;
  std::string body;

  bool ok() const { return failure == Failure::none; }
};

// One request per connection: the admin API is used by hand and by scripts, a few requests at a
// time, so keeping connections alive would buy nothing.
class AdminClient {
 public:
  // `token` is sent as `Authorization: Bearer <token>` when non-empty. `timeout` bounds each
  // request as a whole: resolve, connect, send and the complete answer.
  AdminClient(std::string host, std::uint16_t port, std::string token,
              std::chrono::milliseconds timeout);

  AdminReply get(const std::string& path) const;
  AdminReply post_json(const std::string& path, const std::string& body) const;

 private:
  enum class Method { get, post };
  AdminReply exchange(Method method, const std::string& path, const std::string& body) const;

  std::string host_;
  std::uint16_t port_;
  std::string token_;
  std::chrono::milliseconds timeout_;
};

}  // namespace alys::host
