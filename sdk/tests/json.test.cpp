#include "alys/json.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "alys/actor.hpp"
#include "alys/json_rpc.hpp"

namespace json = alys::json;

namespace {

// The value `text` parses to; fails the test when it is refused.
json::Value parsed(const std::string& text) {
  auto result = json::parse(text);
  INFO("input: " << text);
  if (!result.ok()) FAIL(result.status().message());
  return std::move(result).value();
}

// The message of the refusal of `text`; fails the test when it parses.
std::string refusal(const std::string& text, json::ParseOptions options = {}) {
  auto result = json::parse(text, options);
  INFO("input: " << text);
  REQUIRE_FALSE(result.ok());
  CHECK(result.status().code() == ALYS_ERR_INVALID);
  return result.status().message();
}

}  // namespace

TEST_CASE("JSON round trips keep kinds, values and key order", "[json]") {
  for (const char* text : {
           "null",
           "true",
           "false",
           "0",
           "-1",
           "1.5",
           "-0.25",
           "1.0",
           "1e+300",
           R"("")",
           R"("text")",
           "[]",
           "{}",
           R"([1,"two",3.5,null,true,[],{}])",
           R"({"z":1,"a":[{"b":null}],"m":"x"})",
       }) {
    INFO("input: " << text);
    CHECK(json::write(parsed(text)) == text);
  }
  // Whitespace is accepted wherever RFC 8259 allows it and not written back.
  CHECK(json::write(parsed(" \t\r\n{ \"a\" : [ 1 , 2 ] }\n")) == R"({"a":[1,2]})");

  json::Value built =
      json::Object{{"height", 7},       {"hash", "0xab"}, {"found", true},
                   {"parent", nullptr}, {"ratio", 0.5},   {"list", json::Array{1, "x"}}};
  std::string text = json::write(built);
  CHECK(text ==
        R"({"height":7,"hash":"0xab","found":true,"parent":null,"ratio":0.5,"list":[1,"x"]})");
  CHECK(parsed(text) == built);

  // A double that happens to be integral stays a double through a round trip.
  CHECK(json::write(json::Value(2.0)) == "2.0");
  CHECK(parsed("2.0").kind() == json::Kind::number);
  CHECK(parsed("2").kind() == json::Kind::integer);
  CHECK(parsed("2") != parsed("2.0"));
  // JSON has no NaN or infinity.
  CHECK(json::write(json::Value(std::numeric_limits<double>::infinity())) == "null");
}

TEST_CASE("JSON integers keep every int64 and uint64 exactly", "[json]") {
  const std::uint64_t max_u = std::numeric_limits<std::uint64_t>::max();
  const std::int64_t min_i = std::numeric_limits<std::int64_t>::min();
  const std::int64_t max_i = std::numeric_limits<std::int64_t>::max();

  json::Value big = parsed("18446744073709551615");
  CHECK(big.if_uint64() == max_u);
  CHECK_FALSE(big.if_int64());
  CHECK(json::write(big) == "18446744073709551615");
  CHECK(big == json::Value(max_u));

  json::Value low = parsed("-9223372036854775808");
  CHECK(low.if_int64() == min_i);
  CHECK_FALSE(low.if_uint64());
  CHECK(json::write(low) == "-9223372036854775808");

  // One representation per integer, however it was made.
  CHECK(parsed("9223372036854775807") == json::Value(max_i));
  CHECK(json::Value(std::uint64_t{5}) == json::Value(5));
  CHECK(json::Value(std::uint64_t{5}).if_int64() == 5);

  // Beyond 64 bits a number is still valid JSON: it becomes a double.
  json::Value huge = parsed("18446744073709551616");
  CHECK(huge.kind() == json::Kind::number);
  CHECK(huge.if_double() == 18446744073709551616.0);
  CHECK(parsed("-9223372036854775809").kind() == json::Kind::number);
}

TEST_CASE("the JSON writer escapes what it must and passes UTF-8 through", "[json]") {
  CHECK(json::write(json::Value("quote \" backslash \\ slash /")) ==
        R"("quote \" backslash \\ slash /")");
  CHECK(json::write(json::Value("\b\f\n\r\t")) == R"("\b\f\n\r\t")");
  CHECK(json::write(json::Value(std::string("\x01\x1f\x7f", 3))) == "\"\\u0001\\u001f\x7f\"");
  CHECK(json::write(json::Value(std::string("nul\0byte", 8))) == R"("nul\u0000byte")");
  CHECK(json::write(json::Value("é ✓ 😀")) == "\"é ✓ 😀\"");
  // Bytes that are not UTF-8 become U+FFFD, so the output is always valid JSON.
  CHECK(json::write(json::Value(std::string("a\xff"
                                            "b\xc3",
                                            4))) ==
        "\"a\xEF\xBF\xBD"
        "b\xEF\xBF\xBD\"");
  CHECK(json::write(json::Object{{"k\"ey", "v"}}) == R"({"k\"ey":"v"})");

  // Every escape reads back as the character it stands for.
  json::Value text = parsed(R"("\" \\ \/ \b \f \n \r \t \u0041 \u00e9 \u2713 \ud83d\ude00")");
  CHECK(*text.if_string() == "\" \\ / \b \f \n \r \t A é ✓ 😀");
  std::string controls;
  for (char c = 0; c < 0x20; ++c) controls += c;
  CHECK(*parsed(json::write(json::Value(controls))).if_string() == controls);
}

TEST_CASE("the JSON parser refuses what RFC 8259 does not allow", "[json]") {
  // Trailing commas.
  CHECK_THAT(refusal("[1,2,]"), Catch::Contains("trailing commas are not allowed"));
  CHECK_THAT(refusal(R"({"a":1,})"), Catch::Contains("trailing commas are not allowed"));
  CHECK_THAT(refusal("[,]"), Catch::Contains("expected a value"));
  // Comments.
  CHECK_THAT(refusal("[1] // note"), Catch::Contains("after the JSON value"));
  CHECK_THAT(refusal("/* note */ 1"), Catch::Contains("expected a value, got '/'"));
  CHECK_THAT(refusal("{\"a\": 1 # note\n}"), Catch::Contains("expected ',' or '}'"));
  // Bad escapes.
  CHECK_THAT(refusal(R"("\x41")"), Catch::Contains("invalid escape '\\x'"));
  CHECK_THAT(refusal(R"("\a")"), Catch::Contains("invalid escape"));
  CHECK_THAT(refusal(R"("\u12")"), Catch::Contains("4 hex digits"));
  CHECK_THAT(refusal(R"("\u12g4")"), Catch::Contains("4 hex digits"));
  CHECK_THAT(refusal("\"\\"), Catch::Contains("end of input"));
  // Lone surrogates, high without low, low alone, high followed by something else.
  CHECK_THAT(refusal(R"("\ud800")"), Catch::Contains("high surrogate \\ud800 not followed"));
  CHECK_THAT(refusal(R"("\ud800x")"), Catch::Contains("not followed by a low surrogate"));
  CHECK_THAT(refusal(R"("\ud800\u0041")"), Catch::Contains("not followed by a low surrogate"));
  CHECK_THAT(refusal(R"("\udc00")"), Catch::Contains("lone low surrogate \\udc00"));
  // Leading zeros and other malformed numbers.
  CHECK_THAT(refusal("01"), Catch::Contains("leading zero"));
  CHECK_THAT(refusal("-01"), Catch::Contains("leading zero"));
  CHECK_THAT(refusal("[00]"), Catch::Contains("leading zero"));
  CHECK_THAT(refusal("+1"), Catch::Contains("expected a value, got '+'"));
  CHECK_THAT(refusal(".5"), Catch::Contains("expected a value"));
  CHECK_THAT(refusal("1."), Catch::Contains("digit after '.'"));
  CHECK_THAT(refusal("1e"), Catch::Contains("exponent"));
  CHECK_THAT(refusal("-"), Catch::Contains("digit after '-'"));
  CHECK_THAT(refusal("1e999"), Catch::Contains("out of the range of a double"));
  CHECK_THAT(refusal("-12.5e400"), Catch::Contains("out of the range of a double"));
  // Too small for a double is still a number: it reads as zero, with its sign.
  for (const char* tiny : {"1e-400", "0.0001e-400", "123.45e-500", "-1e-400"}) {
    INFO(tiny);
    alys::Result<alys::json::Value> parsed = alys::json::parse(tiny);
    REQUIRE(parsed.ok());
    REQUIRE(parsed->if_double());
    CHECK(*parsed->if_double() == 0.0);
    CHECK(std::signbit(*parsed->if_double()) == (tiny[0] == '-'));
  }
  CHECK_THAT(refusal("NaN"), Catch::Contains("expected a value"));
  CHECK_THAT(refusal("-Infinity"), Catch::Contains("digit after '-'"));
  // Strings: raw control characters, single quotes, invalid UTF-8 (stray continuation, overlong,
  // an encoded surrogate, beyond U+10FFFF, truncated).
  CHECK_THAT(refusal("\"a\nb\""), Catch::Contains("control character U+000A"));
  CHECK_THAT(refusal("\"\t\""), Catch::Contains("control character U+0009"));
  CHECK_THAT(refusal("'a'"), Catch::Contains("expected a value, got '''"));
  for (const char* bad :
       {"\"\x80\"", "\"\xC0\xAF\"", "\"\xED\xA0\x80\"", "\"\xF4\x90\x80\x80\"", "\"\xE2\x9C\""}) {
    CHECK_THAT(refusal(bad), Catch::Contains("invalid UTF-8"));
  }
  // Objects: unquoted keys, missing colon, duplicate keys.
  CHECK_THAT(refusal("{a:1}"), Catch::Contains("expected a string key"));
  CHECK_THAT(refusal(R"({"a" 1})"), Catch::Contains("expected ':'"));
  CHECK_THAT(refusal(R"({"a":1,"b":2,"a":3})"), Catch::Contains("duplicate key \"a\""));
  // Structure.
  CHECK_THAT(refusal(""), Catch::Contains("unexpected end of input"));
  CHECK_THAT(refusal("   "), Catch::Contains("unexpected end of input"));
  CHECK_THAT(refusal("[1"), Catch::Contains("end of input in an array"));
  CHECK_THAT(refusal("[1 2]"), Catch::Contains("expected ',' or ']'"));
  CHECK_THAT(refusal("{\"a\":1"), Catch::Contains("end of input in an object"));
  CHECK_THAT(refusal("\"open"), Catch::Contains("end of input in a string"));
  CHECK_THAT(refusal("1 2"), Catch::Contains("after the JSON value"));
  CHECK_THAT(refusal("tru"), Catch::Contains("expected a value"));
  CHECK_THAT(refusal("nulls"), Catch::Contains("after the JSON value"));
}

TEST_CASE("JSON parse errors name the line and column", "[json]") {
  CHECK(refusal("{\n  \"a\": 1,\n  \"b\": tru\n}") ==
        "invalid JSON at line 3, column 8: expected a value, got 't'");
  CHECK(refusal("[1,2,]") ==
        "invalid JSON at line 1, column 6: expected a value, got ']' "
        "(trailing commas are not allowed)");
}

TEST_CASE("JSON nesting is bounded", "[json]") {
  auto nested = [](std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); };
  CHECK(parsed(nested(64)).is_array());
  CHECK_THAT(refusal(nested(65)), Catch::Contains("nested deeper than 64 levels"));
  CHECK_THAT(refusal(R"({"a":{"b":[1]}})", json::ParseOptions{.max_depth = 2}),
             Catch::Contains("nested deeper than 2 levels"));
  CHECK(json::parse(R"({"a":{"b":1}})", json::ParseOptions{.max_depth = 2}).ok());
  // Far beyond the limit the parser still answers instead of exhausting the stack.
  CHECK_THAT(refusal(std::string(1'000'000, '[')), Catch::Contains("nested deeper than 64"));
  // Scalars have no depth.
  CHECK(json::parse("1", json::ParseOptions{.max_depth = 0}).ok());
  CHECK_FALSE(json::parse("[]", json::ParseOptions{.max_depth = 0}).ok());
}

TEST_CASE("typed accessors name the key that was wrong", "[json]") {
  json::Value params = parsed(R"({"height": 7, "name": "x", "list": ["a", 2], "neg": -1,
                                   "big": 18446744073709551615, "ratio": 0.5, "flag": true})");
  json::Field root(params, "params");

  CHECK(root.get_uint64("height").value() == 7);
  CHECK(root.get_int64("neg").value() == -1);
  CHECK(root.get_uint64("big").value() == std::numeric_limits<std::uint64_t>::max());
  CHECK(root.get_string("name").value() == "x");
  CHECK(root.get_double("ratio").value() == 0.5);
  CHECK(root.get_double("height").value() == 7.0);
  CHECK(root.get_bool("flag").value());
  CHECK(root.get("list")->at(0)->as_string().value() == "a");
  CHECK(root.get("list")->elements()->size() == 2);
  CHECK(root.find("absent")->has_value() == false);
  CHECK(root.find("name").value()->as_string().value() == "x");

  auto message = [](const auto& result) {
    REQUIRE_FALSE(result.ok());
    CHECK(result.status().code() == ALYS_ERR_INVALID);
    return result.status().message();
  };
  CHECK(message(root.get("list")->at(1)->as_string()) ==
        "params.list[1]: expected a string, got an integer");
  CHECK(message(root.get_uint64("name")) ==
        "params.name: expected a non-negative integer, got a string");
  CHECK(message(root.get_uint64("neg")) == "params.neg: expected a non-negative integer, got -1");
  CHECK(message(root.get_int64("big")) ==
        "params.big: integer 18446744073709551615 is out of the range of a signed 64-bit integer");
  CHECK(message(root.get_int64("ratio")) == "params.ratio: expected an integer, got a number");
  CHECK(message(root.get_string("missing")) == "params: missing key \"missing\"");
  CHECK(message(root.get("list")->at(5)) == "params.list: expected at least 6 element(s), got 2");
  CHECK(message(root.get("name")->get("x")) == "params.name: expected an object, got a string");
  CHECK(message(root.get("name")->find("x")) == "params.name: expected an object, got a string");
  CHECK(message(root.at(0)) == "params: expected an array, got an object");
  CHECK(message(root.get_bool("height")) == "params.height: expected a boolean, got an integer");

  json::Value positional = parsed(R"([7])");
  CHECK(message(json::Field(positional, "params").at(0)->as_string()) ==
        "params[0]: expected a string, got an integer");
}

TEST_CASE("objects keep insertion order and unique keys", "[json]") {
  json::Object object{{"b", 1}, {"a", 2}, {"b", 3}};
  CHECK(object.size() == 2);
  CHECK(json::write(object) == R"({"b":3,"a":2})");
  object.set("c", "x").set("a", nullptr);
  CHECK(json::write(object) == R"({"b":3,"a":null,"c":"x"})");
  CHECK(object.erase("b"));
  CHECK_FALSE(object.erase("b"));
  CHECK_FALSE(object.contains("b"));
  CHECK(json::write(object) == R"({"a":null,"c":"x"})");
}

namespace {

// Actor::rpc_json compiles against the adapter json.hpp defines (the example plugin runs it).
class JsonMethods : public alys::Actor {
 public:
  explicit JsonMethods(alys::Context context) : Actor(context) {
    rpc_json("json_status", 0, [](const json::Field&) { return json::Object{{"ok", true}}; });
  }
};

// The code and message of the RpcError `call` throws; fails the test when it throws none.
template <class F>
std::pair<std::int32_t, std::string> rpc_error(F&& call) {
  try {
    call();
  } catch (const alys::RpcError& error) {
    return {error.code(), error.what()};
  }
  FAIL("no RpcError");
  return {};
}

}  // namespace

TEST_CASE("rpc_json parses params, writes results and answers failures with JSON-RPC codes",
          "[json]") {
  auto block = [](const json::Field& params) -> alys::Result<json::Value> {
    alys::Result<std::uint64_t> height = params.get_uint64("height");
    if (!height.ok()) return height.status();
    if (*height > 10)
      return alys::Status::NotFound("block " + std::to_string(*height) + " unknown");
    return json::Value(json::Object{{"height", *height}, {"name", "b\"7"}});
  };
  alys::detail::JsonRpcHandler<decltype(block)> handler{block};
  CHECK(handler(R"({"height": 7})") == R"({"height":7,"name":"b\"7"})");

  auto [invalid, why] = rpc_error([&] { (void)handler(R"({"height": "7"})"); });
  CHECK(invalid == alys::json_rpc::kInvalidParams);
  CHECK(why == "params.height: expected a non-negative integer, got a string");
  auto [failed, message] = rpc_error([&] { (void)handler(R"({"height": 11})"); });
  CHECK(failed == alys::json_rpc::kOperationFailed);
  CHECK(message == "block 11 unknown");
  auto [unparsed, parse_message] = rpc_error([&] { (void)handler("{"); });
  CHECK(unparsed == alys::json_rpc::kInvalidParams);
  CHECK(parse_message == "invalid JSON at line 1, column 2: unexpected end of input in an object");

  // A handler may return a plain value (an Object, a Value) when it cannot fail.
  auto status = [](const json::Field&) { return json::Object{{"ok", true}}; };
  alys::detail::JsonRpcHandler<decltype(status)> plain{status};
  CHECK(plain("{}") == R"({"ok":true})");
}
