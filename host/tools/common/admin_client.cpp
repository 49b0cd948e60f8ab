#include "host/tools/common/admin_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include <cctype>
#include <charconv>
#include <utility>

namespace alys::host {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// Far above what /metrics of a large node writes; only guards against a runaway answer.
constexpr std::uint64_t kMaxAnswerBytes = 64ull * 1024 * 1024;

// Lower-case first letter, the way every other message of alys-ctl reads.
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

std::optional<std::uint16_t> parse_port(std::string_view text) {
  unsigned value = 0;
  const char* end = text.data() + text.size();
  auto [stop, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || stop != end || value == 0 || value > 65535)
    return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

}  // namespace

std::string AdminAddress::to_string() const {
  std::string port_text = std::to_string(port);
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + port_text;
  return host + ":" + port_text;
}

std::optional<AdminAddress> parse_admin_address(std::string_view text, std::string& error) {
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    std::size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      error = "expected [IPV6]:PORT, got '" + std::string(text) + "'";
      return std::nullopt;
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      error = "expected HOST:PORT, got '" + std::string(text) + "'";
      return std::nullopt;
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      error = "an IPv6 host goes in brackets, e.g. [::1]:8645; got '" + std::string(text) + "'";
      return std::nullopt;
    }
  }
  if (host.empty()) {
    error = "empty host in '" + std::string(text) + "'";
    return std::nullopt;
  }
  auto number = parse_port(port);
  if (!number) {
    error = "port must be 1 to 65535 in '" + std::string(text) + "'";
    return std::nullopt;
  }
  return AdminAddress{std::string(host), *number};
}

AdminClient::AdminClient(std::string host, std::uint16_t port, std::string token,
                         std::chrono::milliseconds timeout)
    : host_(std::move(host)), port_(port), token_(std::move(token)), timeout_(timeout) {}

AdminReply AdminClient::get(const std::string& path) const {
  return exchange(Method::get, path, {});
}

AdminReply AdminClient::post_json(const std::string& path, const std::string& body) const {
  return exchange(Method::post, path, body);
}

AdminReply AdminClient::exchange(Method method, const std::string& path,
                                 const std::string& body) const {
  AdminReply reply;
  auto fail = [&reply](AdminReply::Failure failure, std::string error) {
    reply.failure = failure;
    reply.error = std::move(error);
    return reply;
  };
  const std::string waited = std::to_string(timeout_.count()) + " ms";
  const auto deadline = std::chrono::steady_clock::now() + timeout_;

  asio::io_context io;
  beast::error_code ec;
  tcp::resolver resolver(io);
  auto endpoints =
      resolver.resolve(host_, std::to_string(port_), tcp::resolver::numeric_service, ec);
  if (ec)
    return fail(AdminReply::Failure::not_reachable,
                "cannot resolve '" + host_ + "': " + describe(ec));

  http::request<http::string_body> request(
      method == Method::get ? http::verb::get : http::verb::post, path, 11);
  request.set(http::field::host, AdminAddress{host_, port_}.to_string());
  request.set(http::field::user_agent, "alys-ctl");
  request.set(http::field::connection, "close");
  if (!token_.empty()) request.set(http::field::authorization, "Bearer " + token_);
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
        return fail(AdminReply::Failure::not_reachable, "no connection within " + waited);
      if (means_not_reachable(result))
        return fail(AdminReply::Failure::not_reachable, describe(result));
      return fail(AdminReply::Failure::other, describe(result));
    }
    if (result == beast::error::timeout)
      return fail(AdminReply::Failure::no_answer, "no answer within " + waited);
    if (result == http::error::end_of_stream || result == asio::error::eof ||
        result == asio::error::connection_reset || result == asio::error::broken_pipe)
      return fail(AdminReply::Failure::other, "the node closed the connection without an answer");
    return fail(AdminReply::Failure::other, "bad answer: " + describe(result));
  }
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);  // the node may have closed first

  reply.status = parser.get().result_int();
  reply.body = std::move(parser.get().body());
  return reply;
}

}  // namespace alys::host
