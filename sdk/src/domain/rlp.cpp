#include "alys/domain/rlp.hpp"

#include <string>

namespace alys::rlp {
namespace {

constexpr std::size_t kMaxDepth = 64;

struct Header {
  bool is_list = false;
  std::size_t header_size = 0;
  std::size_t payload_size = 0;
};

// The big-endian length of a long-form header: 1 to 8 bytes, no leading zero, at least 56.
std::size_t read_long_length(ByteView input, std::size_t length_of_length) {
  if (input.size() < 1 + length_of_length) throw RlpError("RLP: input ends inside a length");
  if (input[1] == 0) throw RlpError("RLP: length with a leading zero");
  std::uint64_t length = 0;
  for (std::size_t i = 0; i < length_of_length; ++i) length = length << 8 | input[1 + i];
  if (length < 56) throw RlpError("RLP: long form used for a length below 56");
  if (length > input.size() - 1 - length_of_length)
    throw RlpError("RLP: length runs past the input");
  return static_cast<std::size_t>(length);
}

Header read_header(ByteView input) {
  if (input.empty()) throw RlpError("RLP: empty input");
  const std::uint8_t prefix = input[0];
  Header header;
  if (prefix < 0x80) {
    header.header_size = 0;
    header.payload_size = 1;
  } else if (prefix <= 0xb7) {
    header.header_size = 1;
    header.payload_size = prefix - 0x80u;
    if (header.payload_size > input.size() - 1) throw RlpError("RLP: string runs past the input");
    if (header.payload_size == 1 && input[1] < 0x80)
      throw RlpError("RLP: single byte below 0x80 wrapped in a string header");
  } else if (prefix <= 0xbf) {
    std::size_t length_of_length = prefix - 0xb7u;
    header.header_size = 1 + length_of_length;
    header.payload_size = read_long_length(input, length_of_length);
  } else if (prefix <= 0xf7) {
    header.is_list = true;
    header.header_size = 1;
    header.payload_size = prefix - 0xc0u;
    if (header.payload_size > input.size() - 1) throw RlpError("RLP: list runs past the input");
  } else {
    std::size_t length_of_length = prefix - 0xf7u;
    header.is_list = true;
    header.header_size = 1 + length_of_length;
    header.payload_size = read_long_length(input, length_of_length);
  }
  return header;
}

// Decodes the item at the start of `input` and returns how many bytes it took.
std::size_t decode_item(ByteView input, Item& item, std::size_t depth) {
  if (depth > kMaxDepth) throw RlpError("RLP: lists nested too deeply");
  Header header = read_header(input);
  const std::size_t total = header.header_size + header.payload_size;
  ByteView payload = input.subspan(header.header_size, header.payload_size);
  item.is_list = header.is_list;
  item.encoded = input.first(total);
  if (!header.is_list) {
    item.bytes.assign(payload.begin(), payload.end());
    return total;
  }
  while (!payload.empty()) {
    Item& element = item.items.emplace_back();
    payload = payload.subspan(decode_item(payload, element, depth + 1));
  }
  return total;
}

Bytes header_for(std::size_t payload_size, std::uint8_t short_base, std::uint8_t long_base) {
  if (payload_size < 56) return Bytes{static_cast<std::uint8_t>(short_base + payload_size)};
  Bytes length;
  for (std::size_t rest = payload_size; rest != 0; rest >>= 8)
    length.insert(length.begin(), static_cast<std::uint8_t>(rest));
  Bytes header{static_cast<std::uint8_t>(long_base + length.size())};
  header.insert(header.end(), length.begin(), length.end());
  return header;
}

}  // namespace

Item decode(ByteView input) {
  Item item;
  std::size_t used = decode_item(input, item, 0);
  if (used != input.size())
    throw RlpError("RLP: " + std::to_string(input.size() - used) + " trailing bytes");
  return item;
}

std::uint64_t to_u64(const Item& item) {
  if (item.is_list) throw RlpError("RLP: expected an integer, got a list");
  if (!item.bytes.empty() && item.bytes[0] == 0) throw RlpError("RLP: integer with a leading zero");
  if (item.bytes.size() > 8) throw RlpError("RLP: integer does not fit 64 bits");
  std::uint64_t value = 0;
  for (std::uint8_t b : item.bytes) value = value << 8 | b;
  return value;
}

Bytes encode_string(ByteView bytes) {
  if (bytes.size() == 1 && bytes[0] < 0x80) return Bytes{bytes[0]};
  Bytes out = header_for(bytes.size(), 0x80, 0xb7);
  out.insert(out.end(), bytes.begin(), bytes.end());
  return out;
}

Bytes encode_u64(std::uint64_t value) {
  Bytes minimal;
  for (; value != 0; value >>= 8) minimal.insert(minimal.begin(), static_cast<std::uint8_t>(value));
  return encode_string(minimal);
}

Bytes encode_list(const std::vector<Bytes>& encoded_items) {
  std::size_t payload_size = 0;
  for (const Bytes& element : encoded_items) payload_size += element.size();
  Bytes out = header_for(payload_size, 0xc0, 0xf7);
  out.reserve(out.size() + payload_size);
  for (const Bytes& element : encoded_items) out.insert(out.end(), element.begin(), element.end());
  return out;
}

}  // namespace alys::rlp
