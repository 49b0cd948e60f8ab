#include "host/tools/common/admin_client.hpp"

#include <catch2/catch.hpp>

#include "alys/json_rpc.hpp"
#include "loopback_http.hpp"
#include "one_shot_http_server.hpp"

using namespace alys::tools;
using alys::testing::http_answer;
using alys::testing::OneShotServer;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

AdminClient client_for(std::uint16_t port, std::string token = "",
                       std::chrono::milliseconds timeout = 5s) {
  return AdminClient(
      AdminClientOptions{{"127.0.0.1", port}, std::move(token), timeout, "alys-test/1.2.3"});
}

std::string body_of(const std::string& request) {
  return request.substr(request.find("\r\n\r\n") + 4);
}

}  // namespace

TEST_CASE("request bodies escape what JSON needs escaped, and round-trip", "[admin_client]") {
  const std::string awkward = "quote \" backslash \\ newline \n tab \t nul " +
                              std::string(1, '\0') + " \x01 unicode \xc3\xa9";
  const std::string body = rpc_request_body(7, "method \"with\" quotes",
                                            json::array{awkward, json::object{{awkward, 1}}});
  const json::value parsed = json::parse(body);
  CHECK(parsed.at("jsonrpc") == "2.0");
  CHECK(parsed.at("id") == 7);
  CHECK(parsed.at("method") == "method \"with\" quotes");
  CHECK(parsed.at("params").at(0) == json::string(awkward));
  CHECK(parsed.at("params").at(1).as_object().contains(awkward));
}

TEST_CASE("a JSON-RPC call sends the method, escaped params, token and User-Agent",
          "[admin_client]") {
  OneShotServer server(http_answer(200, R"({"jsonrpc":"2.0","id":1,"result":{"ok":true}})"));
  AdminClient client = client_for(server.port(), "s3cret");
  auto reply = client.call("node_status", json::array{"a \"quoted\" value"});
  const std::string request = server.request();
  INFO(request);
  REQUIRE(reply.ok());
  REQUIRE(reply->result);
  CHECK(reply->result->at("ok") == true);
  CHECK_FALSE(reply->error);
  CHECK(request.starts_with("POST / HTTP/1.1\r\n"));
  CHECK(request.find("User-Agent: alys-test/1.2.3\r\n") != std::string::npos);
  CHECK(request.find("Authorization: Bearer s3cret\r\n") != std::string::npos);
  CHECK(request.find("Host: 127.0.0.1:" + std::to_string(server.port()) + "\r\n") !=
        std::string::npos);
  const json::value sent = json::parse(body_of(request));
  CHECK(sent.at("method") == "node_status");
  CHECK(sent.at("params").at(0) == "a \"quoted\" value");
}

TEST_CASE("no token, no Authorization header", "[admin_client]") {
  OneShotServer server(http_answer(200, "metrics text"));
  auto reply = client_for(server.port()).get("/metrics");
  const std::string request = server.request();
  REQUIRE(reply.ok());
  CHECK(reply->status == 200);
  CHECK(reply->body == "metrics text");
  CHECK(request.starts_with("GET /metrics HTTP/1.1\r\n"));
  CHECK(request.find("Authorization") == std::string::npos);
}

TEST_CASE("JSON-RPC answers: result, error with its code, and anything else", "[admin_client]") {
  auto error = read_rpc_reply(
      200, R"({"jsonrpc":"2.0","error":{"code":-32000,"message":"m","data":{"stage":"gate"}}})");
  REQUIRE(error.ok());
  REQUIRE(error->error);
  CHECK(error->error->code == alys::json_rpc::kOperationFailed);
  CHECK(error->error->message == "m");
  CHECK(error->error->object.at("data").at("stage") == "gate");
  CHECK_FALSE(error->result);

  auto null_result = read_rpc_reply(200, R"({"jsonrpc":"2.0","result":null,"id":1})");
  REQUIRE(null_result.ok());
  CHECK(null_result->result);

  // The status says "unauthorized" even when the body does not.
  auto unauthorized = read_rpc_reply(401, "no");
  REQUIRE(unauthorized.ok());
  CHECK(unauthorized->error->code == alys::json_rpc::kUnauthorized);

  for (const char* body : {"not json", "[{\"result\":1}]", "{}",
                           R"({"error":{"code":"x","message":"m"}})", R"({"error":{"code":1}})"}) {
    INFO(body);
    auto malformed = read_rpc_reply(404, body);
    REQUIRE_FALSE(malformed.ok());
    CHECK(malformed.status().code() == kNotJsonRpc);
    CHECK(malformed.status().message() == "HTTP 404, not a JSON-RPC answer: " + std::string(body));
  }
}

TEST_CASE("failed exchanges read by code: refused, no answer, broken off", "[admin_client]") {
  auto refused = client_for(alys::testing::free_loopback_port()).get("/health");
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == kNotReachable);
  CHECK(refused.status().message() == "connection refused");

  {
    OneShotServer silent("");
    auto waited = client_for(silent.port(), "", 200ms).get("/health");
    REQUIRE_FALSE(waited.ok());
    CHECK(waited.status().code() == kNoAnswer);
    CHECK(waited.status().message() == "no answer within 200 ms");
  }
  {
    OneShotServer truncated("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort");
    auto broken = client_for(truncated.port()).get("/health");
    REQUIRE_FALSE(broken.ok());
    CHECK(broken.status().code() == kBrokenExchange);
  }
}
