#include "storage/key_layout.hpp"

namespace alys::storage::keys {
namespace {

Bytes meta(std::string_view name) {
  Bytes key;
  key.reserve(1 + name.size());
  key.push_back(kMetaPrefix);
  key.insert(key.end(), name.begin(), name.end());
  return key;
}

}  // namespace

void append_big_endian(Bytes& out, std::uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8)
    out.push_back(static_cast<std::uint8_t>(value >> shift));
}

std::uint64_t read_big_endian(ByteView bytes) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < 8; ++i) value = value << 8 | bytes[i];
  return value;
}

Bytes block(const Hash32& hash) {
  Bytes key;
  key.reserve(1 + hash.size());
  key.push_back(kBlockPrefix);
  key.insert(key.end(), hash.begin(), hash.end());
  return key;
}

Bytes height(std::uint64_t value) {
  Bytes key;
  key.reserve(9);
  key.push_back(kHeightPrefix);
  append_big_endian(key, value);
  return key;
}

Bytes chain(ByteView chain_key) {
  Bytes key;
  key.reserve(1 + chain_key.size());
  key.push_back(kChainPrefix);
  key.insert(key.end(), chain_key.begin(), chain_key.end());
  return key;
}

Bytes engine(ByteView engine_key) {
  Bytes key;
  key.reserve(1 + engine_key.size());
  key.push_back(kEnginePrefix);
  key.insert(key.end(), engine_key.begin(), engine_key.end());
  return key;
}

Bytes format() { return meta("format"); }
Bytes head() { return meta("head"); }
Bytes finalized() { return meta("finalized"); }

}  // namespace alys::storage::keys
