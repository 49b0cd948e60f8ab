// The one client of a node's admin endpoint (docs/admin-api.md), shared by alys-ctl and
// alys-miner: HTTP/1.1 with a bearer token and a deadline per request, and JSON-RPC 2.0 on top.
// Beast and Asio stay inside admin_client.cpp: they are slow to compile and nothing else in the
// tools needs them.
#pragma once

#include <boost/json.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "alys/status.hpp"
#include "host/config/host_port.hpp"

namespace alys::tools {

// What the Status code of a failed exchange means. Callers decide by these codes: "the node is
// not there" (kNameNotResolved, kNotReachable, kNoAnswer) apart from a broken exchange.

// The host names nothing.
inline constexpr std::int32_t kNameNotResolved = ALYS_ERR_INVALID;
// Refused, unreachable, or no connection in time.
inline constexpr std::int32_t kNotReachable = ALYS_ERR_NOT_FOUND;
// Connected, but no complete answer in time.
inline constexpr std::int32_t kNoAnswer = ALYS_ERR_TIMEOUT;
// The exchange broke off: a reset, a malformed or truncated HTTP answer.
inline constexpr std::int32_t kBrokenExchange = ALYS_ERR_FAILED;
// An HTTP answer, but not a JSON-RPC one (read_rpc_reply).
inline constexpr std::int32_t kNotJsonRpc = ALYS_ERR_TYPE;

struct HttpReply {
  unsigned status = 0;
  std::string body;
};

// A JSON-RPC error object.
struct RpcError {
  std::int64_t code = 0;
  std::string message;
  boost::json::object object;  // the whole error object, `data` included, as the node sent it
};

// A JSON-RPC 2.0 answer: exactly one of `result` and `error`.
struct RpcReply {
  unsigned http_status = 0;
  std::optional<boost::json::value> result;
  std::optional<RpcError> error;
};

// The body of a JSON-RPC 2.0 request. Every string is escaped as JSON requires (Boost.JSON writes
// it), whatever the method name or params hold.
std::string rpc_request_body(std::uint64_t id, std::string_view method,
                             const boost::json::value& params);

// Reads an HTTP answer as a JSON-RPC 2.0 answer. An HTTP 401 whose body is no JSON-RPC error
// reads as error kUnauthorized: the status alone says it. Anything else that is not a JSON-RPC
// answer (not JSON, neither result nor error, a batch, an error without an integer code and string
// message) fails with kNotJsonRpc, the message naming the HTTP status and the start of the body.
Result<RpcReply> read_rpc_reply(unsigned http_status, std::string_view body);

struct AdminClientOptions {
  host::HostPort address;
  std::string token;  // sent as `Authorization: Bearer <token>` when not empty
  // Bounds each request as a whole: resolve, connect, send and the complete answer.
  std::chrono::milliseconds timeout{10'000};
  std::string user_agent;  // the program, e.g. "alys-ctl/0.1.0"
};

// One request per connection: the admin API is used by hand and by scripts, a few requests at a
// time, so keeping connections alive would buy nothing. Not thread-safe (the request ids); one
// client per thread.
class AdminClient {
 public:
  explicit AdminClient(AdminClientOptions options);

  // The HTTP answer, whatever its status; fails only when none came (the codes above).
  Result<HttpReply> get(const std::string& path) const;
  Result<HttpReply> post_json(const std::string& path, const std::string& body) const;

  // A JSON-RPC call POSTed to `path`: the node's result or error, or a failure (the codes above).
  Result<RpcReply> call(std::string_view method, const boost::json::value& params,
                        const std::string& path = "/");

  const host::HostPort& address() const { return options_.address; }
  bool has_token() const { return !options_.token.empty(); }

 private:
  enum class Method { get, post };
  Result<HttpReply> exchange(Method method, const std::string& path, const std::string& body) const;

  AdminClientOptions options_;
  std::uint64_t next_id_ = 0;
};

}  // namespace alys::tools
