// alys/json.hpp — a small JSON reader and writer that is safe inside plugins.
//
// Admin methods take and return JSON text (Actor::rpc, alys/admin_rpc.hpp). A general-purpose JSON
// library in a plugin risks what section 5 of docs/plugin-guide.md warns about: static locals in
// inline functions and template statics (GNU-unique symbols that pin the plugin in memory), and
// exceptions as its error channel. This one is header-only, has no static locals and no globals,
// and fails with alys::Status / alys::Result (alys/status.hpp) instead of throwing.
//
//   json::Value    null, boolean, integer (every int64 and uint64 without loss), double, string,
//                  array, object (keys unique, kept in insertion order)
//   json::parse    strict RFC 8259: Result<Value>, a failure names line and column
//   json::write    compact JSON text; always valid JSON
//   json::Field    a value and the path that reached it ("params.height", "params[0]"), with typed
//                  accessors whose failures name that path: "params[0]: expected a string, got an
//                  integer"
//   Actor::rpc_json (alys/actor.hpp) admin methods in these terms: handlers get a Field, return a
//                  Value or a Result<Value>
//
// Thread-safety: none of its own; a Value is like a std::vector (const access from many threads is
// fine, any mutation needs exclusive access). Memory: parsing allocates in proportion to the input
// and never from a size the input declares; nesting is bounded by ParseOptions::max_depth.
#pragma once

#include <algorithm>
#include <charconv>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "alys/admin_rpc.hpp"
#include "alys/json_rpc.hpp"
#include "alys/status.hpp"

namespace alys::json {

class Value;
class Parser;

using Array = std::vector<Value>;

// The members of a JSON object: unique keys, in the order they were first set (or parsed).
// Lookups are linear, which suits the small objects of admin calls.
class Object {
 public:
  using Member = std::pair<std::string, Value>;

  Object() = default;
  // A repeated key keeps its first position and its last value, as set() does.
  Object(std::initializer_list<Member> members);

  // Sets `key` to `value`: replaces the value of an existing key in place, or appends the key.
  // Returns *this, so that calls chain.
  Object& set(std::string key, Value value);
  // nullptr when the key is absent.
  const Value* find(std::string_view key) const;
  Value* find(std::string_view key);
  bool contains(std::string_view key) const { return find(key) != nullptr; }
  // Removes `key`; false if it was absent.
  bool erase(std::string_view key);

  std::size_t size() const { return members_.size(); }
  bool empty() const { return members_.empty(); }
  std::vector<Member>::const_iterator begin() const { return members_.begin(); }
  std::vector<Member>::const_iterator end() const { return members_.end(); }

  // Same keys in the same order with equal values.
  friend bool operator==(const Object& a, const Object& b);

 private:
  friend class Parser;  // appends without the per-key search, then checks uniqueness once
  std::vector<Member> members_;
};

enum class Kind { null, boolean, integer, number, string, array, object };

// "null", "a boolean", "an integer", "a number", "a string", "an array", "an object".
constexpr const char* kind_name(Kind kind) noexcept {
  switch (kind) {
    case Kind::null:
      return "null";
    case Kind::boolean:
      return "a boolean";
    case Kind::integer:
      return "an integer";
    case Kind::number:
      return "a number";
    case Kind::string:
      return "a string";
    case Kind::array:
      return "an array";
    case Kind::object:
      return "an object";
  }
  return "an unknown kind";
}

class Value {
 public:
  Value() = default;                   // null
  Value(std::nullptr_t) {}             // NOLINT: implicit
  Value(bool value) : data_(value) {}  // NOLINT
  template <std::integral T>
  requires(!std::same_as<T, bool> && !std::same_as<T, char>) Value(T value) {  // NOLINT
    if constexpr (std::is_signed_v<T>) {
      data_ = static_cast<std::int64_t>(value);
    } else if (static_cast<std::uint64_t>(value) <=
               static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      data_ = static_cast<std::int64_t>(value);  // one representation per integer
    } else {
      data_ = static_cast<std::uint64_t>(value);
    }
  }
  Value(double value) : data_(value) {}                       // NOLINT
  Value(const char* text) : data_(std::string(text)) {}       // NOLINT
  Value(std::string text) : data_(std::move(text)) {}         // NOLINT
  Value(std::string_view text) : data_(std::string(text)) {}  // NOLINT
  Value(Array elements) : data_(std::move(elements)) {}       // NOLINT
  Value(Object members) : data_(std::move(members)) {}        // NOLINT

  Kind kind() const {
    switch (data_.index()) {
      case 0:
        return Kind::null;
      case 1:
        return Kind::boolean;
      case 2:
      case 3:
        return Kind::integer;
      case 4:
        return Kind::number;
      case 5:
        return Kind::string;
      case 6:
        return Kind::array;
      default:
        return Kind::object;
    }
  }
  bool is_null() const { return kind() == Kind::null; }
  bool is_bool() const { return kind() == Kind::boolean; }
  bool is_integer() const { return kind() == Kind::integer; }
  // An integer or a double.
  bool is_number() const { return kind() == Kind::integer || kind() == Kind::number; }
  bool is_string() const { return kind() == Kind::string; }
  bool is_array() const { return kind() == Kind::array; }
  bool is_object() const { return kind() == Kind::object; }

  // Direct access without messages (json::Field has the checked accessors). nullptr or nullopt
  // when the value is of another kind or, for the integers, out of the type's range.
  const bool* if_bool() const { return std::get_if<bool>(&data_); }
  std::optional<std::int64_t> if_int64() const {
    if (const auto* value = std::get_if<std::int64_t>(&data_)) return *value;
    return std::nullopt;
  }
  std::optional<std::uint64_t> if_uint64() const {
    if (const auto* value = std::get_if<std::uint64_t>(&data_)) return *value;
    if (const auto* value = std::get_if<std::int64_t>(&data_); value && *value >= 0)
      return static_cast<std::uint64_t>(*value);
    return std::nullopt;
  }
  // Any number; an integer beyond 2^53 may round.
  std::optional<double> if_double() const {
    if (const auto* value = std::get_if<double>(&data_)) return *value;
    if (const auto* value = std::get_if<std::int64_t>(&data_)) return static_cast<double>(*value);
    if (const auto* value = std::get_if<std::uint64_t>(&data_)) return static_cast<double>(*value);
    return std::nullopt;
  }
  const std::string* if_string() const { return std::get_if<std::string>(&data_); }
  const Array* if_array() const { return std::get_if<Array>(&data_); }
  Array* if_array() { return std::get_if<Array>(&data_); }
  const Object* if_object() const { return std::get_if<Object>(&data_); }
  Object* if_object() { return std::get_if<Object>(&data_); }

  // Same kind and value; objects compare their keys in order. An integer never equals a double.
  friend bool operator==(const Value& a, const Value& b) { return a.data_ == b.data_; }

 private:
  // Index 3 (uint64) holds only values above INT64_MAX, so each integer has one representation.
  std::variant<std::nullptr_t, bool, std::int64_t, std::uint64_t, double, std::string, Array,
               Object>
      data_;
};

inline bool operator==(const Object& a, const Object& b) { return a.members_ == b.members_; }

inline Object::Object(std::initializer_list<Member> members) {
  for (const Member& member : members) set(member.first, member.second);
}

inline Object& Object::set(std::string key, Value value) {
  if (Value* existing = find(key)) {
    *existing = std::move(value);
  } else {
    members_.emplace_back(std::move(key), std::move(value));
  }
  return *this;
}

inline const Value* Object::find(std::string_view key) const {
  for (const Member& member : members_)
    if (member.first == key) return &member.second;
  return nullptr;
}

inline Value* Object::find(std::string_view key) {
  for (Member& member : members_)
    if (member.first == key) return &member.second;
  return nullptr;
}

inline bool Object::erase(std::string_view key) {
  auto found = std::find_if(members_.begin(), members_.end(),
                            [key](const Member& member) { return member.first == key; });
  if (found == members_.end()) return false;
  members_.erase(found);
  return true;
}

namespace detail {

// The length of the well-formed UTF-8 sequence (RFC 3629) starting at text[at], or 0 when the
// bytes there are not one: a stray continuation byte, an overlong form, a UTF-16 surrogate, a code
// point above U+10FFFF or a truncated sequence.
// REQUIRES: at < text.size().
constexpr std::size_t utf8_sequence_length(std::string_view text, std::size_t at) noexcept {
  const auto byte = [&](std::size_t i) -> unsigned {
    return at + i < text.size() ? static_cast<unsigned char>(text[at + i]) : 0u;
  };
  const auto continuation = [&](std::size_t i) { return (byte(i) & 0xC0u) == 0x80u; };
  const unsigned lead = byte(0);
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return continuation(1) ? 2 : 0;
  if (lead >= 0xE0 && lead <= 0xEF) {
    const unsigned second = byte(1);
    const bool second_ok = lead == 0xE0   ? (second >= 0xA0 && second <= 0xBF)
                           : lead == 0xED ? (second >= 0x80 && second <= 0x9F)
                                          : continuation(1);
    return second_ok && continuation(2) ? 3 : 0;
  }
  if (lead >= 0xF0 && lead <= 0xF4) {
    const unsigned second = byte(1);
    const bool second_ok = lead == 0xF0   ? (second >= 0x90 && second <= 0xBF)
                           : lead == 0xF4 ? (second >= 0x80 && second <= 0x8F)
                                          : continuation(1);
    return second_ok && continuation(2) && continuation(3) ? 4 : 0;
  }
  return 0;
}

inline void append_utf8(std::string& out, std::uint32_t code_point) {
  if (code_point < 0x80) {
    out += static_cast<char>(code_point);
  } else if (code_point < 0x800) {
    out += static_cast<char>(0xC0 | (code_point >> 6));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  } else if (code_point < 0x10000) {
    out += static_cast<char>(0xE0 | (code_point >> 12));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code_point >> 18));
    out += static_cast<char>(0x80 | ((code_point >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  }
}

// `text` as a JSON string literal: quotes, backslashes and control characters escaped, valid UTF-8
// passed through as it is, and each byte that is not part of valid UTF-8 replaced by U+FFFD, so
// that the output is always valid JSON.
inline void write_string(std::string& out, std::string_view text) {
  constexpr std::string_view kHex = "0123456789abcdef";
  out += '"';
  for (std::size_t at = 0; at < text.size();) {
    const auto c = static_cast<unsigned char>(text[at]);
    if (c >= 0x80) {
      const std::size_t length = utf8_sequence_length(text, at);
      if (length == 0) {
        out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
        ++at;
      } else {
        out.append(text, at, length);
        at += length;
      }
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0x0F];
        } else {
          out += static_cast<char>(c);
        }
    }
    ++at;
  }
  out += '"';
}

template <class T>
void write_integer(std::string& out, T value) {
  char buffer[24];
  auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, value);
  (void)error;  // 24 characters hold every 64-bit integer
  out.append(buffer, end);
}

// The shortest text that reads back as the same double, with ".0" added when it would otherwise
// read back as an integer. JSON has no NaN or infinity: they are written as null.
inline void write_double(std::string& out, double value) {
  if (!std::isfinite(value)) {
    out += "null";
    return;
  }
  char buffer[32];
  auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, value);
  (void)error;  // 32 characters hold the shortest form of every double
  const std::string_view text(buffer, static_cast<std::size_t>(end - buffer));
  out += text;
  if (text.find_first_of(".eE") == std::string_view::npos) out += ".0";
}

}  // namespace detail

// Compact JSON text (no spaces), object keys in their order.
inline void write(std::string& out, const Value& value) {
  switch (value.kind()) {
    case Kind::null:
      out += "null";
      return;
    case Kind::boolean:
      out += *value.if_bool() ? "true" : "false";
      return;
    case Kind::integer:
      if (auto signed_value = value.if_int64()) {
        detail::write_integer(out, *signed_value);
      } else {
        detail::write_integer(out, *value.if_uint64());
      }
      return;
    case Kind::number:
      detail::write_double(out, *value.if_double());
      return;
    case Kind::string:
      detail::write_string(out, *value.if_string());
      return;
    case Kind::array: {
      out += '[';
      bool first = true;
      for (const Value& element : *value.if_array()) {
        if (!first) out += ',';
        first = false;
        write(out, element);
      }
      out += ']';
      return;
    }
    case Kind::object: {
      out += '{';
      bool first = true;
      for (const auto& [key, member] : *value.if_object()) {
        if (!first) out += ',';
        first = false;
        detail::write_string(out, key);
        out += ':';
        write(out, member);
      }
      out += '}';
      return;
    }
  }
}

inline std::string write(const Value& value) {
  std::string out;
  write(out, value);
  return out;
}

struct ParseOptions {
  // Arrays and objects nested deeper than this are refused (the parser and the writer recurse).
  std::size_t max_depth = 64;
};

// Parses one JSON text per RFC 8259, strictly. Refused, with Status code ALYS_ERR_INVALID and a
// message naming line and column: anything but one value surrounded by optional whitespace,
// trailing commas, comments, single quotes, unquoted keys, duplicate keys in an object, bad or
// unknown escapes, unescaped control characters in strings, invalid UTF-8, lone UTF-16 surrogates
// (\ud800 without its pair, or a low one alone), numbers with leading zeros, a leading '+', a bare
// '.', or out of the range of a double, NaN and Infinity, and nesting beyond `max_depth`.
// Integers keep every int64 and uint64 value exactly; integers beyond them become doubles.
class Parser {
 public:
  Parser(std::string_view text, ParseOptions options) : text_(text), options_(options) {}

  Result<Value> parse() {
    Value value;
    skip_whitespace();
    if (!parse_value(value, 0)) return error_;
    skip_whitespace();
    if (at_ != text_.size()) {
      fail("unexpected " + describe_next() + " after the JSON value");
      return error_;
    }
    return value;
  }

 private:
  bool parse_value(Value& out, std::size_t depth) {
    if (at_ == text_.size()) return fail("unexpected end of input, expected a value");
    switch (text_[at_]) {
      case '{':
        return parse_object(out, depth + 1);
      case '[':
        return parse_array(out, depth + 1);
      case '"': {
        std::string text;
        if (!parse_string(text)) return false;
        out = Value(std::move(text));
        return true;
      }
      case 't':
        return parse_literal("true", Value(true), out);
      case 'f':
        return parse_literal("false", Value(false), out);
      case 'n':
        return parse_literal("null", Value(), out);
      default:
        if (text_[at_] == '-' || is_digit(text_[at_])) return parse_number(out);
        return fail("expected a value, got " + describe_next());
    }
  }

  bool parse_literal(std::string_view literal, Value value, Value& out) {
    if (text_.substr(at_, literal.size()) != literal)
      return fail("expected a value, got " + describe_next());
    at_ += literal.size();
    out = std::move(value);
    return true;
  }

  bool enter(std::size_t depth) {
    if (depth > options_.max_depth)
      return fail("arrays and objects nested deeper than " + std::to_string(options_.max_depth) +
                  " levels");
    return true;
  }

  bool parse_array(Value& out, std::size_t depth) {
    if (!enter(depth)) return false;
    ++at_;  // '['
    Array elements;
    skip_whitespace();
    if (at_ < text_.size() && text_[at_] == ']') {
      ++at_;
      out = Value(std::move(elements));
      return true;
    }
    while (true) {
      skip_whitespace();
      if (at_ < text_.size() && text_[at_] == ']')
        return fail("expected a value, got ']' (trailing commas are not allowed)");
      elements.emplace_back();
      if (!parse_value(elements.back(), depth)) return false;
      skip_whitespace();
      if (at_ == text_.size()) return fail("unexpected end of input in an array");
      if (text_[at_] == ']') break;
      if (text_[at_] != ',') return fail("expected ',' or ']' in an array, got " + describe_next());
      ++at_;
    }
    ++at_;
    out = Value(std::move(elements));
    return true;
  }

  bool parse_object(Value& out, std::size_t depth) {
    if (!enter(depth)) return false;
    ++at_;  // '{'
    Object members;
    skip_whitespace();
    if (at_ < text_.size() && text_[at_] == '}') {
      ++at_;
      out = Value(std::move(members));
      return true;
    }
    while (true) {
      skip_whitespace();
      if (at_ == text_.size()) return fail("unexpected end of input in an object");
      if (text_[at_] == '}')
        return fail("expected a string key, got '}' (trailing commas are not allowed)");
      if (text_[at_] != '"') return fail("expected a string key, got " + describe_next());
      std::string key;
      if (!parse_string(key)) return false;
      skip_whitespace();
      if (at_ == text_.size() || text_[at_] != ':')
        return fail("expected ':' after an object key, got " + describe_next());
      ++at_;
      skip_whitespace();
      members.members_.emplace_back(std::move(key), Value());
      if (!parse_value(members.members_.back().second, depth)) return false;
      skip_whitespace();
      if (at_ == text_.size()) return fail("unexpected end of input in an object");
      if (text_[at_] == '}') break;
      if (text_[at_] != ',')
        return fail("expected ',' or '}' in an object, got " + describe_next());
      ++at_;
    }
    ++at_;
    // Duplicates make a lookup ambiguous (RFC 8259 leaves their meaning open): refuse them. Sorting
    // views keeps the check O(n log n) however many keys an input has.
    std::vector<std::string_view> keys;
    keys.reserve(members.members_.size());
    for (const auto& member : members.members_) keys.push_back(member.first);
    std::sort(keys.begin(), keys.end());
    auto repeated = std::adjacent_find(keys.begin(), keys.end());
    if (repeated != keys.end()) {
      std::string quoted;
      detail::write_string(quoted, *repeated);
      --at_;  // point at the closing brace of the object that repeats it
      return fail("duplicate key " + quoted + " in an object");
    }
    out = Value(std::move(members));
    return true;
  }

  bool parse_string(std::string& out) {
    ++at_;  // opening quote
    while (true) {
      if (at_ == text_.size()) return fail("unexpected end of input in a string");
      const auto c = static_cast<unsigned char>(text_[at_]);
      if (c == '"') {
        ++at_;
        return true;
      }
      if (c == '\\') {
        if (!parse_escape(out)) return false;
        continue;
      }
      if (c < 0x20) {
        constexpr std::string_view kHex = "0123456789ABCDEF";
        return fail(std::string("control character U+00") + kHex[c >> 4] + kHex[c & 0x0F] +
                    " in a string must be escaped");
      }
      if (c < 0x80) {
        out += static_cast<char>(c);
        ++at_;
        continue;
      }
      const std::size_t length = detail::utf8_sequence_length(text_, at_);
      if (length == 0) return fail("invalid UTF-8 in a string");
      out.append(text_, at_, length);
      at_ += length;
    }
  }

  bool parse_escape(std::string& out) {
    ++at_;  // backslash
    if (at_ == text_.size()) return fail("unexpected end of input in a string escape");
    const char c = text_[at_++];
    switch (c) {
      case '"':
        out += '"';
        return true;
      case '\\':
        out += '\\';
        return true;
      case '/':
        out += '/';
        return true;
      case 'b':
        out += '\b';
        return true;
      case 'f':
        out += '\f';
        return true;
      case 'n':
        out += '\n';
        return true;
      case 'r':
        out += '\r';
        return true;
      case 't':
        out += '\t';
        return true;
      case 'u':
        break;
      default:
        --at_;
        return fail("invalid escape '\\" + printable(c) + "' in a string");
    }
    std::uint32_t unit = 0;
    if (!parse_hex4(unit)) return false;
    if (unit >= 0xDC00 && unit <= 0xDFFF) {
      at_ -= 6;
      return fail("lone low surrogate \\u" + std::string(text_.substr(at_ + 2, 4)) +
                  " in a string");
    }
    if (unit >= 0xD800 && unit <= 0xDBFF) {
      std::uint32_t low = 0;
      if (text_.substr(at_, 2) != "\\u") {
        at_ -= 6;
        return fail("high surrogate \\u" + std::string(text_.substr(at_ + 2, 4)) +
                    " not followed by a low surrogate in a string");
      }
      at_ += 2;
      if (!parse_hex4(low)) return false;
      if (low < 0xDC00 || low > 0xDFFF) {
        at_ -= 12;
        return fail("high surrogate \\u" + std::string(text_.substr(at_ + 2, 4)) +
                    " not followed by a low surrogate in a string");
      }
      unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
    }
    detail::append_utf8(out, unit);
    return true;
  }

  bool parse_hex4(std::uint32_t& out) {
    for (std::size_t i = 0; i < 4; ++i) {
      const char c = at_ + i < text_.size() ? text_[at_ + i] : '\0';
      std::uint32_t digit = 0;
      if (c >= '0' && c <= '9') {
        digit = static_cast<std::uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        digit = static_cast<std::uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        digit = static_cast<std::uint32_t>(c - 'A' + 10);
      } else {
        at_ += i;
        return fail("expected 4 hex digits in a \\u escape, got " + describe_next());
      }
      out = out * 16 + digit;
    }
    at_ += 4;
    return true;
  }

  // number = [ "-" ] ( "0" / [1-9] *DIGIT ) [ "." 1*DIGIT ] [ ( "e" / "E" ) [ "+" / "-" ] 1*DIGIT ]
  bool parse_number(Value& out) {
    const std::size_t start = at_;
    const bool negative = text_[at_] == '-';
    if (negative) ++at_;
    if (at_ == text_.size() || !is_digit(text_[at_]))
      return fail("expected a digit after '-', got " + describe_next());
    if (text_[at_] == '0') {
      ++at_;
      if (at_ < text_.size() && is_digit(text_[at_])) {
        at_ = start;
        return fail("number with a leading zero");
      }
    } else {
      while (at_ < text_.size() && is_digit(text_[at_])) ++at_;
    }
    bool integral = true;
    if (at_ < text_.size() && text_[at_] == '.') {
      integral = false;
      ++at_;
      if (at_ == text_.size() || !is_digit(text_[at_]))
        return fail("expected a digit after '.', got " + describe_next());
      while (at_ < text_.size() && is_digit(text_[at_])) ++at_;
    }
    if (at_ < text_.size() && (text_[at_] == 'e' || text_[at_] == 'E')) {
      integral = false;
      ++at_;
      if (at_ < text_.size() && (text_[at_] == '+' || text_[at_] == '-')) ++at_;
      if (at_ == text_.size() || !is_digit(text_[at_]))
        return fail("expected a digit in the exponent, got " + describe_next());
      while (at_ < text_.size() && is_digit(text_[at_])) ++at_;
    }
    const char* first = text_.data() + start;
    const char* last = text_.data() + at_;
    if (integral) {
      if (negative) {
        std::int64_t value = 0;
        if (std::from_chars(first, last, value).ec == std::errc{}) {
          out = Value(value);
          return true;
        }
      } else {
        std::uint64_t value = 0;
        if (std::from_chars(first, last, value).ec == std::errc{}) {
          out = Value(value);
          return true;
        }
      }
      // Beyond 64 bits: kept as a double, like any other number.
    }
    double value = 0;
    if (std::from_chars(first, last, value).ec != std::errc{}) {
      at_ = start;
      return fail("number " + std::string(first, last) + " is out of the range of a double");
    }
    out = Value(value);
    return true;
  }

  void skip_whitespace() {
    while (at_ < text_.size() &&
           (text_[at_] == ' ' || text_[at_] == '\t' || text_[at_] == '\n' || text_[at_] == '\r'))
      ++at_;
  }

  static bool is_digit(char c) { return c >= '0' && c <= '9'; }

  static std::string printable(char c) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7F) return std::string(1, c);
    constexpr std::string_view kHex = "0123456789ABCDEF";
    return std::string("\\x") + kHex[byte >> 4] + kHex[byte & 0x0F];
  }

  std::string describe_next() const {
    if (at_ >= text_.size()) return "the end of the input";
    return "'" + printable(text_[at_]) + "'";
  }

  // Records the failure at the current position; returns false for `return fail(...)`.
  bool fail(const std::string& what) {
    std::size_t line = 1;
    std::size_t column = 1;
    for (std::size_t i = 0; i < at_ && i < text_.size(); ++i) {
      if (text_[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    error_ = Status::Invalid("invalid JSON at line " + std::to_string(line) + ", column " +
                             std::to_string(column) + ": " + what);
    return false;
  }

  std::string_view text_;
  ParseOptions options_;
  std::size_t at_ = 0;
  Status error_;
};

inline Result<Value> parse(std::string_view text, ParseOptions options = {}) {
  return Parser(text, options).parse();
}

// A value and the path that reached it, for accessors whose failures say what was wrong where:
// "params.height: expected an integer, got a string". The path of the root is its name
// ("params"); an object member adds ".key", an array element "[index]". Every failure is an
// ALYS_ERR_INVALID Status (Actor::rpc_json answers it with JSON-RPC -32602, invalid params).
//
// A Field refers to the Value it was made from: keep that Value alive while the Field is used.
class Field {
 public:
  Field(const Value& value, std::string path) : value_(&value), path_(std::move(path)) {}

  const Value& value() const { return *value_; }
  const std::string& path() const { return path_; }

  // The member `key` of this object. Fails when this is not an object or has no such member.
  Result<Field> get(std::string_view key) const {
    const Object* object = value_->if_object();
    if (object == nullptr) return mismatch("an object");
    const Value* member = object->find(key);
    if (member == nullptr)
      return Status::Invalid(path_ + ": missing key \"" + std::string(key) + "\"");
    return Field(*member, member_path(key));
  }
  // The member `key` of this object, or nullopt when it is absent. Fails when this is not an
  // object.
  Result<std::optional<Field>> find(std::string_view key) const {
    const Object* object = value_->if_object();
    if (object == nullptr) return mismatch("an object");
    const Value* member = object->find(key);
    if (member == nullptr) return std::optional<Field>();
    return std::optional<Field>(Field(*member, member_path(key)));
  }
  // Element `index` of this array. Fails when this is not an array or is too short.
  Result<Field> at(std::size_t index) const {
    const Array* array = value_->if_array();
    if (array == nullptr) return mismatch("an array");
    if (index >= array->size())
      return Status::Invalid(path_ + ": expected at least " + std::to_string(index + 1) +
                             " element(s), got " + std::to_string(array->size()));
    return Field((*array)[index], path_ + "[" + std::to_string(index) + "]");
  }
  // Every element of this array, each with its path.
  Result<std::vector<Field>> elements() const {
    const Array* array = value_->if_array();
    if (array == nullptr) return mismatch("an array");
    std::vector<Field> out;
    out.reserve(array->size());
    for (std::size_t i = 0; i < array->size(); ++i)
      out.emplace_back((*array)[i], path_ + "[" + std::to_string(i) + "]");
    return out;
  }

  Result<bool> as_bool() const {
    if (const bool* value = value_->if_bool()) return *value;
    return mismatch("a boolean");
  }
  Result<std::string> as_string() const {
    if (const std::string* value = value_->if_string()) return *value;
    return mismatch("a string");
  }
  Result<std::int64_t> as_int64() const {
    if (auto value = value_->if_int64()) return *value;
    if (value_->is_integer())
      return Status::Invalid(path_ + ": integer " + json::write(*value_) +
                             " is out of the range of a signed 64-bit integer");
    return mismatch("an integer");
  }
  Result<std::uint64_t> as_uint64() const {
    if (auto value = value_->if_uint64()) return *value;
    if (value_->is_integer())
      return Status::Invalid(path_ + ": expected a non-negative integer, got " +
                             json::write(*value_));
    return mismatch("a non-negative integer");
  }
  // Any number; an integer beyond 2^53 may round.
  Result<double> as_double() const {
    if (auto value = value_->if_double()) return *value;
    return mismatch("a number");
  }

  // get(key) then the conversion: the common case of a required member of a given type.
  Result<bool> get_bool(std::string_view key) const { return then(get(key), &Field::as_bool); }
  Result<std::string> get_string(std::string_view key) const {
    return then(get(key), &Field::as_string);
  }
  Result<std::int64_t> get_int64(std::string_view key) const {
    return then(get(key), &Field::as_int64);
  }
  Result<std::uint64_t> get_uint64(std::string_view key) const {
    return then(get(key), &Field::as_uint64);
  }
  Result<double> get_double(std::string_view key) const {
    return then(get(key), &Field::as_double);
  }

 private:
  template <class T>
  static Result<T> then(const Result<Field>& field, Result<T> (Field::*convert)() const) {
    if (!field.ok()) return field.status();
    return ((*field).*convert)();
  }

  std::string member_path(std::string_view key) const { return path_ + "." + std::string(key); }

  Status mismatch(const char* expected) const {
    return Status::Invalid(path_ + ": expected " + expected + ", got " + kind_name(value_->kind()));
  }

  const Value* value_;
  std::string path_;
};

}  // namespace alys::json

namespace alys::detail {

// What Actor::rpc_json registers with Actor::rpc: parses the params, calls the handler, writes its
// result. Failures leave as RpcError, which Actor's dispatch turns into the answer; they never
// leave the plugin.
template <class F>
struct JsonRpcHandler {
  F handler;

  std::string operator()(std::string_view params_json) {
    Result<json::Value> params = json::parse(params_json);
    if (!params.ok()) throw RpcError(json_rpc::kInvalidParams, params.status().message());
    const json::Field field(*params, "params");
    using Returned = std::decay_t<std::invoke_result_t<F&, const json::Field&>>;
    if constexpr (std::is_same_v<Returned, Result<json::Value>>) {
      Result<json::Value> result = handler(field);
      if (!result.ok())
        throw RpcError(result.status().code() == ALYS_ERR_INVALID ? json_rpc::kInvalidParams
                                                                  : json_rpc::kOperationFailed,
                       result.status().message());
      return json::write(*result);
    } else {
      return json::write(json::Value(handler(field)));
    }
  }
};

}  // namespace alys::detail
