// The client against real loopback sockets (tests/support/one_shot_http_server.hpp): what it sends
// and how it classifies what comes back. The real execution client is in
// engine_client_geth.test.cpp.
#include "engine/engine_api/engine_client.hpp"

#include <atomic>
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>

#include "engine/engine_api/engine_json.hpp"
#include "loopback_http.hpp"
#include "one_shot_http_server.hpp"

namespace ea = alys::engine::engine_api;
namespace json = boost::json;
using alys::testing::OneShotServer;

namespace {

constexpr std::int64_t kNow = 1'800'000'000;

std::string http_response(int status, const std::string& reason, const std::string& body) {
  return "HTTP/1.1 " + std::to_string(status) + " " + reason +
         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n\r\n" + body;
}

// Every test makes a new client, whose first request has id 1.
std::string rpc_result(const std::string& result_json, int id = 1) {
  return http_response(
      200, "OK",
      R"({"jsonrpc":"2.0","id":)" + std::to_string(id) + R"(,"result":)" + result_json + "}");
}

std::string rpc_error(int code, const std::string& message) {
  return http_response(200, "OK",
                       R"({"jsonrpc":"2.0","id":1,"error":{"code":)" + std::to_string(code) +
                           R"(,"message":")" + message + R"("}})");
}

ea::EngineClient client_for(std::uint16_t port,
                            std::chrono::milliseconds timeout = std::chrono::milliseconds(2000)) {
  ea::EngineClientOptions options;
  options.port = port;
  for (std::size_t i = 0; i < options.jwt_secret.size(); ++i)
    options.jwt_secret[i] = static_cast<std::uint8_t>(0xa0 + i);
  options.jwt_secret_path = "/etc/alys/jwt.hex";
  options.unix_time_s = [] { return kNow; };
  options.timeouts.exchange_capabilities = timeout;
  options.timeouts.forkchoice_updated = timeout;
  options.timeouts.new_payload = timeout;
  options.timeouts.eth = timeout;
  return ea::EngineClient(std::move(options));
}

// Answers eth_chainId on loopback over kept-alive connections, closing each connection silently
// (no "Connection: close") after `answers_per_connection` answers, as a server's idle timeout does.
class KeepAliveServer {
 public:
  explicit KeepAliveServer(int answers_per_connection) : per_connection_(answers_per_connection) {
    listener_ = alys::testing::listen_on_loopback(port_, 4);
    thread_ = std::thread([this] { serve(); });
  }
  ~KeepAliveServer() {
    ::shutdown(listener_, SHUT_RDWR);
    ::close(listener_);
    thread_.join();
  }
  std::uint16_t port() const { return port_; }
  int connections() const { return connections_.load(); }

 private:
  void serve() {
    for (;;) {
      int connection = ::accept(listener_, nullptr, nullptr);
      if (connection < 0) return;
      ++connections_;
      std::string raw;
      char buffer[4096];
      for (int answered = 0; answered < per_connection_;) {
        std::size_t end = raw.find("\r\n\r\n");
        std::size_t length_at = raw.find("Content-Length: ");
        if (end != std::string::npos && length_at != std::string::npos) {
          std::size_t length = std::stoul(raw.substr(length_at + 16));
          if (raw.size() >= end + 4 + length) {
            json::value request = json::parse(raw.substr(end + 4, length));
            raw.erase(0, end + 4 + length);
            std::string body = R"({"jsonrpc":"2.0","id":)" + json::serialize(request.at("id")) +
                               R"(,"result":"0x405d2"})";
            std::string answer =
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                "Content-Length: " +
                std::to_string(body.size()) + "\r\n\r\n" + body;
            ::send(connection, answer.data(), answer.size(), MSG_NOSIGNAL);
            ++answered;
            continue;
          }
        }
        ssize_t n = ::recv(connection, buffer, sizeof buffer, 0);
        if (n <= 0) break;
        raw.append(buffer, static_cast<std::size_t>(n));
      }
      ::close(connection);
    }
  }

  int per_connection_;
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<int> connections_{0};
  std::thread thread_;
};

std::string body_of(const std::string& raw) { return raw.substr(raw.find("\r\n\r\n") + 4); }

}  // namespace

TEST_CASE("a call is a POST with a fresh HS256 bearer token and a JSON-RPC 2.0 body") {
  OneShotServer server(rpc_result(R"(["engine_newPayloadV2","engine_getPayloadV2"])"));
  auto client = client_for(server.port());
  auto capabilities = client.exchange_capabilities(ea::engine_methods_we_use());
  REQUIRE(capabilities.ok());
  CHECK(*capabilities == std::vector<std::string>{"engine_newPayloadV2", "engine_getPayloadV2"});
  std::string raw = server.request();
  CHECK(raw.rfind("POST / HTTP/1.1\r\n", 0) == 0);
  CHECK_THAT(raw, Catch::Contains("Authorization: Bearer " +
                                  ea::engine_jwt(client.options().jwt_secret, kNow) + "\r\n"));
  CHECK_THAT(raw, Catch::Contains("Content-Type: application/json"));
  json::object request = json::parse(body_of(raw)).as_object();
  CHECK(request.at("jsonrpc") == "2.0");
  CHECK(request.at("method") == "engine_exchangeCapabilities");
  CHECK(request.at("params").as_array().at(0).as_array().size() == 4);
}

TEST_CASE("forkchoiceUpdatedV2 sends null attributes and parses the payload id") {
  OneShotServer server(rpc_result(
      R"({"payloadStatus":{"status":"VALID","latestValidHash":"0x)" + std::string(64, '1') +
      R"(","validationError":null},"payloadId":"0x0065bd2db6663f59"})"));
  auto answer =
      client_for(server.port()).forkchoice_updated_v2(ea::ForkchoiceStateV1{}, std::nullopt);
  REQUIRE(answer.ok());
  CHECK(answer->payload_status.status == ea::PayloadValidity::kValid);
  REQUIRE(answer->payload_id);
  CHECK(alys::to_0x_hex(*answer->payload_id) == "0x0065bd2db6663f59");
  json::value params = json::parse(body_of(server.request())).at("params");
  CHECK(params.as_array().size() == 2);
  CHECK(params.as_array()[1].is_null());
}

TEST_CASE("HTTP 401: the JWT was refused, not retryable, the secret file is named") {
  OneShotServer server(http_response(401, "Unauthorized", "invalid token"));
  auto answer = client_for(server.port()).chain_id();
  REQUIRE_FALSE(answer.ok());
  CHECK(answer.error().kind == ea::EngineErrorKind::kUnauthorized);
  CHECK(answer.error().http_status == 401);
  CHECK_FALSE(answer.error().retryable());
  CHECK_THAT(answer.error().message, Catch::Contains("/etc/alys/jwt.hex") &&
                                         Catch::Contains("refused our JWT") &&
                                         Catch::Contains("invalid token"));
}

TEST_CASE("JSON-RPC errors keep their code; only internal and server errors retry") {
  struct Case {
    int code;
    bool retryable;
    std::int32_t status_code;
  };
  for (Case c : {Case{ea::kUnknownPayload, false, ALYS_ERR_INVALID},
                 Case{ea::kInvalidForkchoiceState, false, ALYS_ERR_INVALID},
                 Case{ea::kInvalidPayloadAttributes, false, ALYS_ERR_INVALID},
                 Case{ea::kUnsupportedFork, false, ALYS_ERR_UNSUPPORTED},
                 Case{ea::kMethodNotFound, false, ALYS_ERR_UNSUPPORTED},
                 Case{ea::kInvalidParams, false, ALYS_ERR_INVALID},
                 Case{ea::kInternalError, true, ALYS_ERR_INVALID}}) {
    INFO(c.code);
    OneShotServer server(rpc_error(c.code, "nope"));
    auto answer = client_for(server.port()).get_payload_v2(ea::PayloadId{});
    REQUIRE_FALSE(answer.ok());
    CHECK(answer.error().kind == ea::EngineErrorKind::kRpc);
    CHECK(answer.error().rpc_code == c.code);
    CHECK(answer.error().retryable() == c.retryable);
    CHECK(answer.error().status().code() == c.status_code);
    CHECK(answer.error().message ==
          "engine_getPayloadV2: error " + std::to_string(c.code) + ": nope");
  }
}

TEST_CASE("no answer within the call's timeout is a retryable timeout") {
  OneShotServer server("");  // accepts, reads, never answers
  auto started = std::chrono::steady_clock::now();
  auto answer = client_for(server.port(), std::chrono::milliseconds(300))
                    .new_payload_v2(ea::ExecutionPayloadV2{});
  auto took = std::chrono::steady_clock::now() - started;
  REQUIRE_FALSE(answer.ok());
  CHECK(answer.error().kind == ea::EngineErrorKind::kTimeout);
  CHECK(answer.error().retryable());
  CHECK(answer.error().status().code() == ALYS_ERR_TIMEOUT);
  CHECK_THAT(answer.error().message, Catch::Contains("within 300 ms"));
  CHECK(took >= std::chrono::milliseconds(290));
  CHECK(took < std::chrono::milliseconds(2000));
}

TEST_CASE("a refused connection is a retryable transport error") {
  std::uint16_t port = alys::testing::free_loopback_port();
  auto answer = client_for(port).chain_id();
  REQUIRE_FALSE(answer.ok());
  CHECK(answer.error().kind == ea::EngineErrorKind::kTransport);
  CHECK(answer.error().retryable());
  CHECK_THAT(answer.error().message,
             Catch::Contains("eth_chainId: connecting to 127.0.0.1:" + std::to_string(port)));
}

TEST_CASE("HTTP 5xx retries, a malformed result does not and names the field") {
  {
    OneShotServer server(http_response(503, "Service Unavailable", "busy"));
    auto answer = client_for(server.port()).chain_id();
    REQUIRE_FALSE(answer.ok());
    CHECK(answer.error().kind == ea::EngineErrorKind::kHttp);
    CHECK(answer.error().retryable());
  }
  {
    OneShotServer server(rpc_result(R"({"status":"VALID","latestValidHash":"0x12"})"));
    auto answer = client_for(server.port()).new_payload_v2(ea::ExecutionPayloadV2{});
    REQUIRE_FALSE(answer.ok());
    CHECK(answer.error().kind == ea::EngineErrorKind::kMalformed);
    CHECK_FALSE(answer.error().retryable());
    CHECK_THAT(
        answer.error().message,
        Catch::StartsWith("engine_newPayloadV2: malformed result: latestValidHash: 1 bytes"));
  }
  {
    OneShotServer server(rpc_result(R"("0x1")", 2));
    auto answer = client_for(server.port()).chain_id();
    REQUIRE_FALSE(answer.ok());
    CHECK(answer.error().kind == ea::EngineErrorKind::kMalformed);
    CHECK_THAT(answer.error().message, Catch::Contains("id is not our request's 1"));
  }
  {
    OneShotServer server(http_response(200, "OK", "not json"));
    auto answer = client_for(server.port()).chain_id();
    REQUIRE_FALSE(answer.ok());
    CHECK(answer.error().kind == ea::EngineErrorKind::kMalformed);
  }
}

TEST_CASE("open() refuses a bad secret file with the loader's message") {
  ea::EngineClientOptions options;
  options.jwt_secret_path = "/nonexistent/alys/jwt.hex";
  auto client = ea::EngineClient::open(options);
  REQUIRE_FALSE(client.ok());
  CHECK_THAT(client.status().message(), Catch::Contains("/nonexistent/alys/jwt.hex: missing"));
}

TEST_CASE("calls share one kept-alive connection") {
  KeepAliveServer server(100);
  auto client = client_for(server.port());
  for (int i = 0; i < 5; ++i) {
    auto id = client.chain_id();
    REQUIRE(id.ok());
    CHECK(*id == 263634);
  }
  CHECK(server.connections() == 1);
}

TEST_CASE("a connection the server closed while idle is replaced without an error") {
  KeepAliveServer server(1);
  auto client = client_for(server.port());
  for (int i = 0; i < 3; ++i) {
    auto id = client.chain_id();
    INFO(i);
    REQUIRE(id.ok());
  }
  CHECK(server.connections() == 3);
}
