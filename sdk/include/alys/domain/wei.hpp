// Amounts of the execution layer in wei, as a 128-bit unsigned integer.
//
// 21 million BTC at 10^18 wei per BTC is about 2^84.1 wei, so 128 bits hold every balance with
// room for arithmetic; a transaction value that needs more than 128 bits is refused, not truncated.
// On the wire (schemas, RLP, JSON) amounts travel as big-endian bytes or hex quantities.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "alys/codec.hpp"

namespace alys {

__extension__ typedef unsigned __int128 Wei;

inline constexpr Wei kWeiPerSatoshi = 10'000'000'000ULL;  // 1 sat = 10^10 wei

// Big-endian, leading zeros allowed; nullopt when the value needs more than 128 bits.
inline std::optional<Wei> wei_from_be(ByteView bytes) {
  std::size_t first = 0;
  while (first < bytes.size() && bytes[first] == 0) ++first;
  if (bytes.size() - first > 16) return std::nullopt;
  Wei value = 0;
  for (std::size_t i = first; i < bytes.size(); ++i) value = value << 8 | bytes[i];
  return value;
}

inline std::array<std::uint8_t, 32> wei_to_be32(Wei value) {
  std::array<std::uint8_t, 32> out{};
  for (int i = 31; i >= 16; --i) {
    out[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(value);
    value >>= 8;
  }
  return out;
}

// Minimal big-endian bytes (empty for zero): RLP's form of an integer.
inline Bytes wei_to_minimal_be(Wei value) {
  Bytes out;
  while (value != 0) {
    out.push_back(static_cast<std::uint8_t>(value));
    value >>= 8;
  }
  std::reverse(out.begin(), out.end());
  return out;
}

inline std::string wei_to_decimal(Wei value) {
  if (value == 0) return "0";
  std::string out;
  while (value != 0) {
    out.push_back(static_cast<char>('0' + static_cast<int>(value % 10)));
    value /= 10;
  }
  std::reverse(out.begin(), out.end());
  return out;
}

// Ethereum JSON-RPC QUANTITY: "0x" + lowercase hex without leading zeros ("0x0" for zero).
inline std::string wei_to_quantity(Wei value) {
  if (value == 0) return "0x0";
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  while (value != 0) {
    out.push_back(kDigits[static_cast<int>(value & 0xf)]);
    value >>= 4;
  }
  out += "x0";
  std::reverse(out.begin(), out.end());
  return out;
}

// Decimal digits only, or a QUANTITY ("0x..."); nullopt on anything else or on overflow.
inline std::optional<Wei> wei_parse(std::string_view text) {
  if (text.empty()) return std::nullopt;
  const bool hex = text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
  if (hex) text.remove_prefix(2);
  const unsigned base = hex ? 16 : 10;
  const Wei max = ~Wei{0};
  Wei value = 0;
  for (char c : text) {
    unsigned digit;
    if (c >= '0' && c <= '9')
      digit = static_cast<unsigned>(c - '0');
    else if (hex && c >= 'a' && c <= 'f')
      digit = static_cast<unsigned>(c - 'a' + 10);
    else if (hex && c >= 'A' && c <= 'F')
      digit = static_cast<unsigned>(c - 'A' + 10);
    else
      return std::nullopt;
    if (value > (max - digit) / base) return std::nullopt;
    value = value * base + digit;
  }
  return value;
}

}  // namespace alys
