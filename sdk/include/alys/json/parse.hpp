// alys/json/parse.hpp — json::parse: strict RFC 8259 (alys/json.hpp).
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

#include "alys/json/value.hpp"
#include "alys/json/write.hpp"
#include "alys/status.hpp"

namespace alys::json {

struct ParseOptions {
  // Arrays and objects nested deeper than this are refused (the parser and the writer recurse).
  std::size_t max_depth = 64;
};

// Parses one JSON text per RFC 8259, strictly. Refused, with Status code ALYS_ERR_INVALID and a
// message naming line and column: anything but one value surrounded by optional whitespace,
// trailing commas, comments, single quotes, unquoted keys, duplicate keys in an object, bad or
// unknown escapes, unescaped control characters in strings, invalid UTF-8, lone UTF-16 surrogates
// (\ud800 without its pair, or a low one alone), numbers with leading zeros, a leading '+', a bare
// '.', or too large for a double, NaN and Infinity, and nesting beyond `max_depth`. A number too
// small for a double reads as 0.
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
      // Parsed first and then moved in: g++ 12 -O2 warns (a false -Wmaybe-uninitialized) on
      // moving a default Value into the vector.
      Value value;
      if (!parse_value(value, depth)) return false;
      members.members_.emplace_back(std::move(key), std::move(value));
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
      // Too small for a double is a valid number that rounds to zero (1e-400), as every parser
      // reads it; too large has no double to stand for it.
      if (magnitude_below_one(first, last)) {
        out = Value(negative ? -0.0 : 0.0);
        return true;
      }
      at_ = start;
      return fail("number " + std::string(first, last) + " is out of the range of a double");
    }
    out = Value(value);
    return true;
  }

  // Whether a well-formed JSON number (as number() checked it) is below 1 in magnitude, judged
  // from its digits and exponent without converting it: its decimal exponent (the position of its
  // first significant digit) is negative.
  static bool magnitude_below_one(const char* first, const char* last) {
    if (first != last && *first == '-') ++first;
    const char* exponent_mark =
        std::find_if(first, last, [](char c) { return c == 'e' || c == 'E'; });
    // Digits before the point, without leading zeros; or, for 0.000ddd, minus the zeros after it.
    std::int64_t position = 0;
    const char* point = std::find(first, exponent_mark, '.');
    const char* digit = first;
    while (digit != point && *digit == '0') ++digit;
    if (digit != point) {
      position = point - digit;
    } else if (point != exponent_mark) {
      const char* fraction = point + 1;
      while (fraction != exponent_mark && *fraction == '0') ++fraction;
      if (fraction == exponent_mark) return true;  // all zeros
      position = -(fraction - (point + 1));
    } else {
      return true;  // "0"
    }
    if (exponent_mark != last) {
      const char* e = exponent_mark + 1;
      bool exponent_negative = *e == '-';
      if (*e == '+' || *e == '-') ++e;
      std::int64_t exponent = 0;
      for (; e != last; ++e) {
        exponent = std::min<std::int64_t>(exponent * 10 + (*e - '0'), 1'000'000'000);
      }
      position += exponent_negative ? -exponent : exponent;
    }
    return position <= 0;
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

}  // namespace alys::json
