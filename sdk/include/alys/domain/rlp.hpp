// Ethereum's Recursive Length Prefix encoding (Yellow Paper, appendix B).
//
// The decoder is strict: it refuses non-canonical forms (a single byte below 0x80 wrapped in a
// string header, a long form used for a short length, leading zeros in a length), lengths past the
// input, and trailing bytes. Such input is malformed for consensus and for transaction hashes.
// Lists nested more than 64 deep are refused too, so that hostile input cannot exhaust the stack
// (no Ethereum structure nests deeper than 4).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <vector>

#include "alys/codec.hpp"

namespace alys::rlp {

class RlpError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Item {
  bool is_list = false;
  Bytes bytes;              // a string's payload
  std::vector<Item> items;  // a list's elements
  ByteView encoded;  // the whole item as it appeared in the input (valid while the input lives)
};

// Exactly one item spanning all of `input`; throws RlpError with the reason.
Item decode(ByteView input);

// Integers as RLP wants them: big-endian, no leading zeros; throws RlpError when the string has
// a leading zero or does not fit.
std::uint64_t to_u64(const Item& item);

Bytes encode_string(ByteView bytes);
Bytes encode_u64(std::uint64_t value);
// `encoded_items` are already RLP-encoded; they are concatenated under one list header.
Bytes encode_list(const std::vector<Bytes>& encoded_items);

}  // namespace alys::rlp
