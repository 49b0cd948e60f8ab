#include "engine/engine_api/engine_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include "engine/engine_api/engine_json.hpp"

namespace alys::engine::engine_api {

namespace json = boost::json;
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

// The one kept-alive connection of a client; used under EngineClient::mutex_ only.
struct EngineConnection {
  net::io_context ioc;
  beast::tcp_stream stream{ioc};
  beast::flat_buffer buffer;
  bool open = false;

  void close() {
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream.close();
    buffer.clear();
    open = false;
  }
};

bool EngineError::retryable() const {
  switch (kind) {
    case EngineErrorKind::kTransport:
    case EngineErrorKind::kTimeout:
      return true;
    case EngineErrorKind::kHttp:
      return http_status >= 500;
    case EngineErrorKind::kRpc:
      return rpc_code == kInternalError || rpc_code == kServerError;
    case EngineErrorKind::kUnauthorized:
    case EngineErrorKind::kMalformed:
      return false;
  }
  return false;
}

Status EngineError::status() const {
  switch (kind) {
    case EngineErrorKind::kTimeout:
      return Status::Timeout(message);
    case EngineErrorKind::kRpc:
      if (rpc_code == kMethodNotFound || rpc_code == kUnsupportedFork)
        return Status(ALYS_ERR_UNSUPPORTED, message);
      return Status::Invalid(message);
    case EngineErrorKind::kMalformed:
      return Status::Invalid(message);
    default:
      return Status::Failed(message);
  }
}

std::vector<std::string> engine_methods_we_use() {
  // Not engine_exchangeCapabilities itself: the spec tells both sides to leave it out.
  return {"engine_forkchoiceUpdatedV2", "engine_getPayloadV2", "engine_newPayloadV2",
          "engine_getPayloadBodiesByHashV1"};
}

EngineClient::EngineClient(EngineClientOptions options) : options_(std::move(options)) {
  if (!options_.unix_time_s) {
    options_.unix_time_s = [] {
      return std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
  }
}

EngineClient::EngineClient(EngineClient&& other) noexcept
    : options_(std::move(other.options_)), next_id_(other.next_id_.load()) {
  std::lock_guard lock(other.mutex_);
  connection_ = std::move(other.connection_);
}

EngineClient::~EngineClient() {
  if (connection_ && connection_->open) connection_->close();
}

Result<EngineClient> EngineClient::open(EngineClientOptions options) {
  auto secret = load_jwt_secret(options.jwt_secret_path);
  if (!secret.ok()) return secret.status();
  options.jwt_secret = *secret;
  return EngineClient(std::move(options));
}

namespace {

using Deadline = std::chrono::steady_clock::time_point;

// getPayload answers carry whole blocks; Beast's default limit for a string body is 8 MiB.
constexpr std::uint64_t kMaxAnswerBytes = 256ull << 20;

struct HttpAnswer {
  unsigned status = 0;
  std::string body;
};

struct Attempt {
  std::variant<HttpAnswer, EngineError> outcome;
  // The server had closed the kept-alive connection before it read our request (its idle
  // timeout): sending again on a new connection is safe.
  bool stale = false;
};

// One POST on `c` (connecting first when it is not open), everything done by `deadline`. Errors
// are kTransport/kTimeout without the method filled in; any error closes the connection, so a late
// answer can never be read as the next call's.
Attempt post(EngineConnection& c, const std::string& host, std::uint16_t port,
             const http::request<http::string_body>& request, Deadline deadline,
             std::chrono::milliseconds timeout) {
  const std::string where = host + ":" + std::to_string(port);
  const bool reused = c.open;
  boost::system::error_code failure;
  const char* stage = "sending to";
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxAnswerBytes);

  auto send_and_read = [&] {
    stage = "sending to";
    c.stream.expires_at(deadline);
    http::async_write(c.stream, request, [&](boost::system::error_code e, std::size_t) {
      if (e) {
        failure = e;
        return;
      }
      stage = "reading from";
      c.stream.expires_at(deadline);
      http::async_read(c.stream, c.buffer, parser,
                       [&](boost::system::error_code e2, std::size_t) { failure = e2; });
    });
  };

  if (!reused) {
    tcp::resolver::results_type endpoints;
    boost::system::error_code ec;
    auto address = net::ip::make_address(host, ec);
    if (!ec) {
      endpoints = tcp::resolver::results_type::create(tcp::endpoint(address, port), host,
                                                      std::to_string(port));
    } else {
      tcp::resolver resolver(c.ioc);
      endpoints = resolver.resolve(host, std::to_string(port), ec);
      if (ec)
        return {EngineError{EngineErrorKind::kTransport, 0, 0, "",
                            "resolving " + where + ": " + ec.message()}};
    }
    stage = "connecting to";
    c.stream.expires_at(deadline);
    c.stream.async_connect(endpoints, [&](boost::system::error_code e, const tcp::endpoint&) {
      if (e) {
        failure = e;
        return;
      }
      // The request goes out in one write; without this a small body can wait on Nagle.
      c.stream.socket().set_option(tcp::no_delay(true), e);
      c.open = true;
      send_and_read();
    });
  } else {
    send_and_read();
  }
  c.ioc.restart();
  c.ioc.run();

  if (failure) {
    c.close();
    bool closed = failure == http::error::end_of_stream || failure == net::error::eof ||
                  failure == net::error::connection_reset || failure == net::error::broken_pipe;
    bool stale = reused && closed && !parser.got_some();
    if (failure == beast::error::timeout)
      return {EngineError{EngineErrorKind::kTimeout, 0, 0, "",
                          std::string("no answer from ") + where + " within " +
                              std::to_string(timeout.count()) + " ms (" + stage + " it)"}};
    return {EngineError{EngineErrorKind::kTransport, 0, 0, "",
                        std::string(stage) + " " + where + ": " + failure.message()},
            stale};
  }
  http::response<http::string_body> response = parser.release();
  if (!response.keep_alive()) c.close();
  return {HttpAnswer{response.result_int(), std::move(response.body())}};
}

// A server's error text for a message: one line, not too long.
std::string trimmed(const std::string& body) {
  std::string text = body.substr(0, 200);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

}  // namespace

EngineResult<json::value> EngineClient::call(const std::string& method, json::array params,
                                             std::chrono::milliseconds timeout) const {
  std::uint64_t id = next_id_.fetch_add(1);
  json::object request{
      {"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", std::move(params)}};
  http::request<http::string_body> post_request{http::verb::post, "/", 11};
  post_request.set(http::field::host, options_.host + ":" + std::to_string(options_.port));
  post_request.set(http::field::content_type, "application/json");
  post_request.body() = json::serialize(request);
  post_request.prepare_payload();
  auto deadline = std::chrono::steady_clock::now() + timeout;

  std::lock_guard lock(mutex_);
  // Another call held the connection past this one's deadline: fail without touching the
  // connection, which is healthy and would be closed by a post that times out at once.
  if (std::chrono::steady_clock::now() >= deadline)
    return EngineError{EngineErrorKind::kTimeout, 0, 0, method,
                       method + ": no answer within " + std::to_string(timeout.count()) +
                           " ms (waited for another call on the connection)"};
  if (!connection_) connection_ = std::make_unique<EngineConnection>();
  post_request.set(http::field::authorization,
                   "Bearer " + engine_jwt(options_.jwt_secret, options_.unix_time_s()));
  Attempt attempt =
      post(*connection_, options_.host, options_.port, post_request, deadline, timeout);
  if (attempt.stale)
    attempt = post(*connection_, options_.host, options_.port, post_request, deadline, timeout);
  auto& sent = attempt.outcome;
  if (auto* error = std::get_if<EngineError>(&sent)) {
    error->method = method;
    error->message = method + ": " + error->message;
    return std::move(*error);
  }
  auto& answer = std::get<HttpAnswer>(sent);
  auto fail = [&](EngineErrorKind kind, std::string message, int rpc_code = 0) {
    return EngineError{kind, rpc_code, static_cast<int>(answer.status), method,
                       method + ": " + std::move(message)};
  };
  if (answer.status == 401) {
    std::string file = options_.jwt_secret_path.empty() ? std::string("(given in memory)")
                                                        : options_.jwt_secret_path.string();
    return fail(EngineErrorKind::kUnauthorized,
                "the execution client at " + options_.host + ":" + std::to_string(options_.port) +
                    " refused our JWT (HTTP 401: " + trimmed(answer.body) +
                    "): is it using the same secret as " + file +
                    " (geth --authrpc.jwtsecret), and are the clocks within 60 s?");
  }
  if (answer.status != 200)
    return fail(EngineErrorKind::kHttp,
                "HTTP " + std::to_string(answer.status) + ": " + trimmed(answer.body));
  boost::system::error_code ec;
  json::value reply = json::parse(answer.body, ec);
  if (ec || !reply.is_object())
    return fail(EngineErrorKind::kMalformed,
                "the answer is not a JSON object: " + answer.body.substr(0, 200));
  const json::object& object = reply.get_object();
  // One request per connection, so a different id is a confused server rather than a reordering.
  if (const json::value* answered = object.if_contains("id");
      answered == nullptr || !answered->is_number() || [&] {
        boost::system::error_code bad_number;
        const auto number = answered->to_number<std::uint64_t>(bad_number);
        return bad_number || number != id;
      }())
    return fail(EngineErrorKind::kMalformed,
                "the answer's id is not our request's " + std::to_string(id));
  if (const json::value* error = object.if_contains("error");
      error != nullptr && !error->is_null()) {
    int code = 0;
    std::string text;
    if (error->is_object()) {
      if (auto* c = error->get_object().if_contains("code"); c != nullptr && c->is_int64())
        code = static_cast<int>(c->get_int64());
      if (auto* m = error->get_object().if_contains("message"); m != nullptr && m->is_string())
        text = std::string(m->get_string());
    }
    return fail(EngineErrorKind::kRpc, "error " + std::to_string(code) + ": " + text, code);
  }
  const json::value* result = object.if_contains("result");
  if (result == nullptr)
    return fail(EngineErrorKind::kMalformed, "an answer without result or error");
  return *result;
}

namespace {

template <class T>
EngineResult<T> parsed(const std::string& method, EngineResult<json::value> raw,
                       Result<T> (*parse)(const json::value&)) {
  if (!raw.ok()) return raw.error();
  Result<T> value = parse(*raw);
  if (!value.ok())
    return EngineError{EngineErrorKind::kMalformed, 0, 200, method,
                       method + ": malformed result: " + value.status().message()};
  return std::move(value).value();
}

EngineError malformed(const std::string& method, const std::string& why) {
  return EngineError{EngineErrorKind::kMalformed, 0, 200, method, method + ": " + why};
}

}  // namespace

EngineResult<std::vector<std::string>> EngineClient::exchange_capabilities(
    const std::vector<std::string>& ours) const {
  const std::string method = "engine_exchangeCapabilities";
  json::array list;
  for (const auto& m : ours) list.emplace_back(m);
  auto raw = call(method, json::array{std::move(list)}, options_.timeouts.exchange_capabilities);
  if (!raw.ok()) return raw.error();
  if (!raw->is_array()) return malformed(method, "result is not an array");
  std::vector<std::string> theirs;
  for (const auto& item : raw->get_array()) {
    if (!item.is_string()) return malformed(method, "a capability that is not a string");
    theirs.emplace_back(item.get_string());
  }
  return theirs;
}

EngineResult<ForkchoiceUpdatedResponse> EngineClient::forkchoice_updated_v2(
    const ForkchoiceStateV1& state, const std::optional<PayloadAttributesV2>& attributes) const {
  const std::string method = "engine_forkchoiceUpdatedV2";
  json::array params{to_json(state)};
  if (attributes)
    params.emplace_back(to_json(*attributes));
  else
    params.emplace_back(nullptr);
  return parsed<ForkchoiceUpdatedResponse>(
      method, call(method, std::move(params), options_.timeouts.forkchoice_updated),
      &parse_forkchoice_updated_response);
}

EngineResult<GetPayloadV2Response> EngineClient::get_payload_v2(const PayloadId& id) const {
  const std::string method = "engine_getPayloadV2";
  return parsed<GetPayloadV2Response>(
      method, call(method, json::array{json::string(data_hex(id))}, options_.timeouts.get_payload),
      &parse_get_payload_v2_response);
}

EngineResult<PayloadStatusV1> EngineClient::new_payload_v2(
    const ExecutionPayloadV2& payload) const {
  const std::string method = "engine_newPayloadV2";
  return parsed<PayloadStatusV1>(
      method, call(method, json::array{to_json(payload)}, options_.timeouts.new_payload),
      &parse_payload_status);
}

EngineResult<std::vector<std::optional<ExecutionPayloadBodyV1>>>
EngineClient::get_payload_bodies_by_hash_v1(const std::vector<Hash32>& hashes) const {
  const std::string method = "engine_getPayloadBodiesByHashV1";
  json::array list;
  for (const auto& h : hashes) list.emplace_back(json::string(data_hex(h)));
  return parsed<std::vector<std::optional<ExecutionPayloadBodyV1>>>(
      method, call(method, json::array{std::move(list)}, options_.timeouts.get_payload_bodies),
      &parse_payload_bodies_v1);
}

EngineResult<std::uint64_t> EngineClient::chain_id() const {
  const std::string method = "eth_chainId";
  auto raw = call(method, json::array{}, options_.timeouts.eth);
  if (!raw.ok()) return raw.error();
  if (!raw->is_string()) return malformed(method, "result is not a string");
  auto id = parse_quantity_u64(raw->get_string());
  if (!id.ok()) return malformed(method, id.status().message());
  return *id;
}

EngineResult<std::optional<EthBlockSummary>> EngineClient::get_block_by_number(
    const std::string& tag) const {
  const std::string method = "eth_getBlockByNumber";
  auto raw = call(method, json::array{json::string(tag), false}, options_.timeouts.eth);
  if (!raw.ok()) return raw.error();
  if (raw->is_null()) return std::optional<EthBlockSummary>{};
  if (!raw->is_object()) return malformed(method, "result is not an object");
  const json::object& o = raw->get_object();
  auto text = [&](const char* key) -> std::optional<std::string_view> {
    const json::value* v = o.if_contains(key);
    if (v == nullptr || !v->is_string()) return std::nullopt;
    return std::string_view(v->get_string());
  };
  EthBlockSummary block;
  auto number = text("number");
  auto timestamp = text("timestamp");
  auto hash = text("hash");
  auto parent = text("parentHash");
  auto state_root = text("stateRoot");
  if (!number || !timestamp || !hash || !parent || !state_root)
    return malformed(method, "a block without number, timestamp, hash, parentHash or stateRoot");
  auto n = parse_quantity_u64(*number);
  auto t = parse_quantity_u64(*timestamp);
  auto h = fixed_from_hex<32>(*hash);
  auto p = fixed_from_hex<32>(*parent);
  auto s = fixed_from_hex<32>(*state_root);
  if (!n.ok() || !t.ok() || !h || !p || !s)
    return malformed(method, "a block field in a wrong form");
  block.number = *n;
  block.timestamp = *t;
  block.hash = *h;
  block.parent_hash = *p;
  block.state_root = *s;
  return std::optional<EthBlockSummary>(block);
}

}  // namespace alys::engine::engine_api
