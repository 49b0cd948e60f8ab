// The storage's key space, shared by every backend (so that they sort and behave the same).
//
// One flat, byte-ordered key space; the first byte of a key says what it holds:
//
//   'b' (0x62) + hash[32]          -> height[8, big-endian] + block bytes
//   'c' (0x63) + chain key         -> chain value (the chain role's own state, keys non-empty)
//   'e' (0x65) + engine key        -> engine value (the engine's own key space, keys non-empty)
//   'h' (0x68) + height[8, BE]     -> hash[32]      canonical chain: exactly heights 0..head
//   'm' (0x6d) + "format"          -> "alys.storage/1"
//   'm' (0x6d) + "head"            -> height[8, BE] + hash[32]
//   'm' (0x6d) + "finalized"       -> height[8, BE] + hash[32]
//
// Heights are big-endian so that byte order is numeric order. A block stays readable by hash
// after a replacement took its height away; only the height index forgets it. docs/storage.md
// describes the same layout for operators.
#pragma once

#include <cstdint>
#include <string_view>

#include "alys/codec.hpp"
#include "alys/domain/hash.hpp"

namespace alys::storage::keys {

constexpr std::uint8_t kBlockPrefix = 'b';
constexpr std::uint8_t kChainPrefix = 'c';
constexpr std::uint8_t kEnginePrefix = 'e';
constexpr std::uint8_t kHeightPrefix = 'h';
constexpr std::uint8_t kMetaPrefix = 'm';

// What the "format" key holds. A database with another value (a future layout) or without one
// (some other program's database) is refused on open.
constexpr std::string_view kFormat = "alys.storage/1";

Bytes block(const Hash32& hash);
Bytes height(std::uint64_t height);
Bytes engine(ByteView engine_key);
Bytes chain(ByteView chain_key);
Bytes format();
Bytes head();
Bytes finalized();

void append_big_endian(Bytes& out, std::uint64_t value);
// REQUIRES: bytes.size() >= 8. Reads the first 8 bytes.
std::uint64_t read_big_endian(ByteView bytes);

}  // namespace alys::storage::keys
