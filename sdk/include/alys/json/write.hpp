// alys/json/write.hpp — json::write: compact JSON text, always valid JSON (alys/json.hpp), and the
// UTF-8 and escaping rules the parser shares.
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

namespace alys::json {

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

}  // namespace alys::json
