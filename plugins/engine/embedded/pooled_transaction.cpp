#include "engine/embedded/pooled_transaction.hpp"

#include <algorithm>
#include <string>

#include "alys/domain/rlp.hpp"

namespace alys::engine::embedded {

namespace {

using rlp::Item;

const Bytes& string_field(const Item& item) {
  if (item.is_list) throw DecodeError("pooled transaction: a list where a string belongs");
  return item.bytes;
}

template <class T>
T integer_field(const Item& item, std::size_t max_bytes) {
  const Bytes& bytes = string_field(item);
  if (bytes.size() > max_bytes) throw DecodeError("pooled transaction: an integer too long");
  T value = 0;
  for (std::uint8_t b : bytes) value = static_cast<T>(value << 8 | b);
  return value;
}

std::array<std::uint8_t, 32> scalar_field(const Item& item) {
  const Bytes& bytes = string_field(item);
  if (bytes.size() > 32) throw DecodeError("pooled transaction: a scalar longer than 32 bytes");
  std::array<std::uint8_t, 32> out{};
  std::copy(bytes.begin(), bytes.end(), out.end() - static_cast<std::ptrdiff_t>(bytes.size()));
  return out;
}

std::optional<EthAddress> to_field(const Item& item) {
  const Bytes& bytes = string_field(item);
  if (bytes.empty()) return std::nullopt;
  if (bytes.size() != 20) throw DecodeError("pooled transaction: `to` is not 20 bytes");
  EthAddress address{};
  std::copy(bytes.begin(), bytes.end(), address.begin());
  return address;
}

std::vector<eth::AccessListEntry> access_list_field(const Item& item) {
  if (!item.is_list) throw DecodeError("pooled transaction: the access list is not a list");
  std::vector<eth::AccessListEntry> entries;
  for (const Item& tuple : item.items) {
    if (!tuple.is_list || tuple.items.size() != 2 || !tuple.items[1].is_list ||
        string_field(tuple.items[0]).size() != 20)
      throw DecodeError("pooled transaction: a malformed access list entry");
    eth::AccessListEntry& entry = entries.emplace_back();
    std::copy(tuple.items[0].bytes.begin(), tuple.items[0].bytes.end(), entry.address.begin());
    for (const Item& key : tuple.items[1].items) {
      const Bytes& bytes = string_field(key);
      if (bytes.size() != 32) throw DecodeError("pooled transaction: a storage key not 32 bytes");
      std::copy(bytes.begin(), bytes.end(), entry.storage_keys.emplace_back().begin());
    }
  }
  return entries;
}

Item fields(ByteView bytes, std::size_t count) {
  Item list;
  try {
    list = rlp::decode(bytes);
  } catch (const rlp::RlpError& error) {
    throw DecodeError(std::string("pooled transaction: ") + error.what());
  }
  if (!list.is_list || list.items.size() != count)
    throw DecodeError("pooled transaction: not a list of " + std::to_string(count) + " fields");
  return list;
}

}  // namespace

eth::SignedTransaction rebuild_transaction(ByteView raw, const EthAddress& sender,
                                           const Hash32& hash) {
  if (raw.empty()) throw DecodeError("pooled transaction: no bytes");
  eth::SignedTransaction out;
  eth::Transaction& tx = out.tx;
  if (raw[0] >= 0xc0) {
    // legacy: [nonce, gas_price, gas_limit, to, value, data, v, r, s], v = chain_id * 2 + 35 + y
    Item list = fields(raw, 9);
    const auto& f = list.items;
    tx.type = eth::TxType::legacy;
    tx.nonce = integer_field<std::uint64_t>(f[0], 8);
    tx.gas_price = integer_field<Wei>(f[1], 16);
    tx.gas_limit = integer_field<std::uint64_t>(f[2], 8);
    tx.to = to_field(f[3]);
    tx.value = integer_field<Wei>(f[4], 16);
    tx.data = string_field(f[5]);
    const auto v = integer_field<std::uint64_t>(f[6], 8);
    if (v < 35) throw DecodeError("pooled transaction: v " + std::to_string(v));
    tx.chain_id = (v - 35) / 2;
    out.signature.recovery_id = static_cast<int>((v - 35) % 2);
    out.signature.r = scalar_field(f[7]);
    out.signature.s = scalar_field(f[8]);
  } else if (raw[0] == static_cast<std::uint8_t>(eth::TxType::eip1559)) {
    // 0x02 || [chain_id, nonce, max_priority_fee, max_fee, gas_limit, to, value, data,
    //          access_list, y_parity, r, s]
    Item list = fields(raw.subspan(1), 12);
    const auto& f = list.items;
    tx.type = eth::TxType::eip1559;
    tx.chain_id = integer_field<std::uint64_t>(f[0], 8);
    tx.nonce = integer_field<std::uint64_t>(f[1], 8);
    tx.max_priority_fee_per_gas = integer_field<Wei>(f[2], 16);
    tx.max_fee_per_gas = integer_field<Wei>(f[3], 16);
    tx.gas_limit = integer_field<std::uint64_t>(f[4], 8);
    tx.to = to_field(f[5]);
    tx.value = integer_field<Wei>(f[6], 16);
    tx.data = string_field(f[7]);
    tx.access_list = access_list_field(f[8]);
    const auto y_parity = integer_field<std::uint64_t>(f[9], 8);
    if (y_parity > 1) throw DecodeError("pooled transaction: y parity above 1");
    out.signature.recovery_id = static_cast<int>(y_parity);
    out.signature.r = scalar_field(f[10]);
    out.signature.s = scalar_field(f[11]);
  } else {
    throw DecodeError("pooled transaction: neither legacy nor type 2");
  }
  out.sender = sender;
  out.hash = hash;
  out.raw.assign(raw.begin(), raw.end());
  return out;
}

}  // namespace alys::engine::embedded
