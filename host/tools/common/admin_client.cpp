#include "host/tools/common/admin_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include <cctype>
#include <utility>

#include "alys/json_rpc.hpp"

namespace alys::tools {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;

// Far above what /metrics of a large node writes; only guards against a runaway answer.
constexpr std::uint64_t kMaxAnswerBytes = 64ull * 1024 * 1024;

// Lower-case first letter, the way every other message of the tools reads.
std::string describe(const beast::error_code& ec) {
  if (ec == asio::error::connection_refused) return "connection refused";
  if (ec == asio::error::host_unreachable) return "host unreachable";
  if (ec == asio::error::network_unreachable) return "network unreachable";
  std::string text = ec.message();
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

bool means_not_reachable(const beast::error_code& ec) {
  return ec == asio::error::connection_refused || ec == asio::error::host_unreachable ||
         ec == asio::error::network_unreachable || ec == asio::error::timed_out ||
         ec == boost::system::errc::address_not_available;
}

std::string shortened(std::string_view text, std::size_t limit = 200) {
  if (text.size() <= limit) return std::string(text);
  return std::string(text.substr(0, limit)) + "...";
}

}  // namespace

std::string rpc_request_body(std::uint64_t id, std::string_view method, const json::value& params) {
  json::object request{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}};
  request["params"] = params;
  return json::serialize(request);
}

Result<RpcReply> read_rpc_reply(unsigned http_status, std::string_view body) {
  RpcReply reply;
  reply.http_status = http_status;
  json::error_code ec;
  const json::value parsed = json::parse(body, ec);
  const json::object* object = ec ? nullptr : parsed.if_object();
  if (object) {
    if (const json::value* error = object->if_contains("error"); error && error->is_object()) {
      const json::object& fields = error->get_object();
      const json::value* code = fields.if_contains("code");
      const json::value* message = fields.if_contains("message");
      if (code && code->is_int64() && message && message->is_string()) {
        reply.error = RpcError{code->get_int64(), std::string(message->get_string()), fields};
        return reply;
      }
    } else if (const json::value* result = object->if_contains("result")) {
      reply.result = *result;
      return reply;
    }
  }
  if (http_status == 401) {
    reply.error = RpcError{json_rpc::kUnauthorized, "HTTP 401 Unauthorized", {}};
    return reply;
  }
  return Status(kNotJsonRpc, "HTTP " + std::to_string(http_status) +
                                 ", not a JSON-RPC answer: " + shortened(body));
}

AdminClient::AdminClient(AdminClientOptions options) : options_(std::move(options)) {}

Result<HttpReply> AdminClient::get(const std::string& path) const {
  return exchange(Method::get, path, {});
}

Result<HttpReply> AdminClient::post_json(const std::string& path, const std::string& body) const {
  return exchange(Method::post, path, body);
}

Result<RpcReply> AdminClient::call(std::string_view method, const json::value& params,
                                   const std::string& path) {
  Result<HttpReply> reply = post_json(path, rpc_request_body(++next_id_, method, params));
  if (!reply.ok()) return reply.status();
  return read_rpc_reply(reply->status, reply->body);
}

Result<HttpReply> AdminClient::exchange(Method method, const std::string& path,
                                        const std::string& body) const {
  const std::string& host = options_.address.host;
  const std::string waited = std::to_string(options_.timeout.count()) + " ms";
  const auto deadline = std::chrono::steady_clock::now() + options_.timeout;

  asio::io_context io;
  beast::error_code ec;
  tcp::resolver resolver(io);
  auto endpoints = resolver.resolve(host, std::to_string(options_.address.port),
                                    tcp::resolver::numeric_service, ec);
  if (ec) return Status(kNameNotResolved, "cannot resolve '" + host + "': " + describe(ec));

  http::request<http::string_body> request(
      method == Method::get ? http::verb::get : http::verb::post, path, 11);
  request.set(http::field::host, options_.address.to_string());
  request.set(http::field::user_agent, options_.user_agent);
  request.set(http::field::connection, "close");
  if (!options_.token.empty()) request.set(http::field::authorization, "Bearer " + options_.token);
  if (method == Method::post) {
    request.set(http::field::content_type, "application/json");
    request.body() = body;
  }
  request.prepare_payload();

  // Asynchronous operations run to completion on this thread: that is how Beast puts a deadline on
  // connect, write and read (its synchronous calls have none).
  beast::tcp_stream stream(io);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxAnswerBytes);
  bool connected = false;
  beast::error_code result;

  stream.expires_at(deadline);
  stream.async_connect(endpoints, [&](beast::error_code connect_ec, const tcp::endpoint&) {
    if (connect_ec) {
      result = connect_ec;
      return;
    }
    connected = true;
    stream.expires_at(deadline);
    http::async_write(stream, request, [&](beast::error_code write_ec, std::size_t) {
      if (write_ec) {
        result = write_ec;
        return;
      }
      stream.expires_at(deadline);
      http::async_read(stream, buffer, parser,
                       [&](beast::error_code read_ec, std::size_t) { result = read_ec; });
    });
  });
  io.run();

  if (result) {
    if (!connected) {
      if (result == beast::error::timeout)
        return Status(kNotReachable, "no connection within " + waited);
      if (means_not_reachable(result)) return Status(kNotReachable, describe(result));
      return Status(kBrokenExchange, describe(result));
    }
    if (result == beast::error::timeout) return Status(kNoAnswer, "no answer within " + waited);
    if (result == http::error::end_of_stream || result == asio::error::eof ||
        result == asio::error::connection_reset || result == asio::error::broken_pipe)
      return Status(kBrokenExchange, "the node closed the connection without an answer");
    return Status(kBrokenExchange, "bad answer: " + describe(result));
  }
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);  // the node may have closed first

  return HttpReply{parser.get().result_int(), std::move(parser.get().body())};
}

}  // namespace alys::tools
