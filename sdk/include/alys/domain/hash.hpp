// Fixed-size byte values of the chain: 32-byte hashes, 20-byte Ethereum addresses, and hex text.
//
// Byte order: a Hash32 holds a digest exactly as the hash function output it. Bitcoin's RPC shows
// block and transaction hashes byte-reversed ("display order"): use reversed() for that.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "alys/codec.hpp"

namespace alys {

using Hash32 = std::array<std::uint8_t, 32>;
using EthAddress = std::array<std::uint8_t, 20>;

// Lowercase hex without a prefix.
inline std::string to_hex(ByteView bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (std::uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xf]);
  }
  return out;
}

// "0x" + lowercase hex: the form Ethereum's JSON-RPC uses for data.
inline std::string to_0x_hex(ByteView bytes) { return "0x" + to_hex(bytes); }

// Accepts an optional "0x"/"0X" prefix and either case; nullopt for odd length or a non-hex digit.
inline std::optional<Bytes> from_hex(std::string_view text) {
  if (text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))
    text.remove_prefix(2);
  if (text.size() % 2 != 0) return std::nullopt;
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  Bytes out;
  out.reserve(text.size() / 2);
  for (std::size_t i = 0; i < text.size(); i += 2) {
    int hi = digit(text[i]);
    int lo = digit(text[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<std::uint8_t>(hi << 4 | lo));
  }
  return out;
}

// Exactly N bytes of hex (optional 0x prefix), or nullopt.
template <std::size_t N>
std::optional<std::array<std::uint8_t, N>> fixed_from_hex(std::string_view text) {
  auto bytes = from_hex(text);
  if (!bytes || bytes->size() != N) return std::nullopt;
  std::array<std::uint8_t, N> out{};
  for (std::size_t i = 0; i < N; ++i) out[i] = (*bytes)[i];
  return out;
}

template <std::size_t N>
std::array<std::uint8_t, N> reversed(const std::array<std::uint8_t, N>& bytes) {
  std::array<std::uint8_t, N> out{};
  for (std::size_t i = 0; i < N; ++i) out[i] = bytes[N - 1 - i];
  return out;
}

template <std::size_t N>
bool is_zero(const std::array<std::uint8_t, N>& bytes) {
  for (std::uint8_t b : bytes)
    if (b != 0) return false;
  return true;
}

}  // namespace alys
