#include "alys/domain/eth_transaction.hpp"

#include <algorithm>
#include <limits>
#include <string>

#include "alys/domain/keccak.hpp"
#include "alys/domain/rlp.hpp"

namespace alys::eth {
namespace {

using rlp::Item;

constexpr std::uint8_t kEip1559Type = 0x02;

// The curve order n, big-endian.
constexpr std::array<std::uint8_t, 32> kCurveOrder = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
    0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41};

std::string type_name(std::uint8_t type) {
  std::uint8_t byte[1] = {type};
  return "transaction type 0x" + to_hex(byte);
}

[[noreturn]] void fail(const std::string& field, const std::string& reason) {
  throw TransactionError(field + ": " + reason);
}

const Bytes& string_field(const Item& item, const char* name) {
  if (item.is_list) fail(name, "expected a string, got a list");
  return item.bytes;
}

// A canonical RLP integer: no leading zero byte, at most `max_bytes` bytes.
const Bytes& integer_field(const Item& item, const char* name, std::size_t max_bytes,
                           const char* too_long) {
  const Bytes& bytes = string_field(item, name);
  if (!bytes.empty() && bytes[0] == 0) fail(name, "integer with a leading zero");
  if (bytes.size() > max_bytes) fail(name, too_long);
  return bytes;
}

std::uint64_t u64_field(const Item& item, const char* name) {
  std::uint64_t value = 0;
  for (std::uint8_t b : integer_field(item, name, 8, "does not fit 64 bits"))
    value = value << 8 | b;
  return value;
}

Wei wei_field(const Item& item, const char* name) {
  Wei value = 0;
  for (std::uint8_t b : integer_field(item, name, 16, "needs more than 128 bits"))
    value = value << 8 | b;
  return value;
}

std::array<std::uint8_t, 32> scalar_field(const Item& item, const char* name) {
  const Bytes& bytes = integer_field(item, name, 32, "longer than 32 bytes");
  std::array<std::uint8_t, 32> out{};
  std::copy(bytes.begin(), bytes.end(), out.end() - static_cast<std::ptrdiff_t>(bytes.size()));
  return out;
}

std::optional<EthAddress> to_field(const Item& item) {
  const Bytes& bytes = string_field(item, "to");
  if (bytes.empty()) return std::nullopt;
  if (bytes.size() != 20)
    fail("to", "must be empty or 20 bytes, got " + std::to_string(bytes.size()));
  EthAddress address{};
  std::copy(bytes.begin(), bytes.end(), address.begin());
  return address;
}

std::vector<AccessListEntry> access_list_field(const Item& item) {
  if (!item.is_list) fail("access_list", "expected a list");
  std::vector<AccessListEntry> entries;
  for (const Item& tuple : item.items) {
    if (!tuple.is_list || tuple.items.size() != 2)
      fail("access_list", "each entry must be a list [address, storage_keys]");
    const Bytes& address = string_field(tuple.items[0], "access_list address");
    if (address.size() != 20) fail("access_list", "address must be 20 bytes");
    if (!tuple.items[1].is_list) fail("access_list", "storage keys must be a list");
    AccessListEntry& entry = entries.emplace_back();
    std::copy(address.begin(), address.end(), entry.address.begin());
    for (const Item& key : tuple.items[1].items) {
      const Bytes& bytes = string_field(key, "access_list storage key");
      if (bytes.size() != 32) fail("access_list", "storage key must be 32 bytes");
      std::copy(bytes.begin(), bytes.end(), entry.storage_keys.emplace_back().begin());
    }
  }
  return entries;
}

Bytes encode_wei(Wei value) { return rlp::encode_string(wei_to_minimal_be(value)); }

Bytes encode_scalar(const std::array<std::uint8_t, 32>& scalar) {
  std::size_t first = 0;
  while (first < scalar.size() && scalar[first] == 0) ++first;
  return rlp::encode_string(ByteView(scalar).subspan(first));
}

Bytes encode_to(const std::optional<EthAddress>& to) {
  return to ? rlp::encode_string(*to) : rlp::encode_string({});
}

Bytes encode_access_list(const std::vector<AccessListEntry>& access_list) {
  std::vector<Bytes> entries;
  for (const AccessListEntry& entry : access_list) {
    std::vector<Bytes> keys;
    for (const Hash32& key : entry.storage_keys) keys.push_back(rlp::encode_string(key));
    entries.push_back(
        rlp::encode_list({rlp::encode_string(entry.address), rlp::encode_list(keys)}));
  }
  return rlp::encode_list(entries);
}

// The fields the signature covers, before EIP-155's (chain_id, 0, 0) or the signature.
std::vector<Bytes> unsigned_fields(const Transaction& tx) {
  switch (tx.type) {
    case TxType::legacy:
      if (!tx.access_list.empty())
        throw TransactionError("an access list needs a type 2 transaction");
      return {rlp::encode_u64(tx.nonce), encode_wei(tx.gas_price), rlp::encode_u64(tx.gas_limit),
              encode_to(tx.to),          encode_wei(tx.value),     rlp::encode_string(tx.data)};
    case TxType::eip1559:
      return {rlp::encode_u64(tx.chain_id),
              rlp::encode_u64(tx.nonce),
              encode_wei(tx.max_priority_fee_per_gas),
              encode_wei(tx.max_fee_per_gas),
              rlp::encode_u64(tx.gas_limit),
              encode_to(tx.to),
              encode_wei(tx.value),
              rlp::encode_string(tx.data),
              encode_access_list(tx.access_list)};
  }
  throw TransactionError(type_name(static_cast<std::uint8_t>(tx.type)) + " is not supported");
}

Bytes typed_envelope(std::uint8_t type, const Bytes& payload) {
  // Sized up front: growing a one-byte vector by insert trips g++ 12's -Warray-bounds at -O2.
  Bytes out(payload.size() + 1);
  out[0] = type;
  std::copy(payload.begin(), payload.end(), out.begin() + 1);
  return out;
}

Item decode_rlp(ByteView bytes, std::size_t expected_fields, const char* kind) {
  Item list;
  try {
    list = rlp::decode(bytes);
  } catch (const rlp::RlpError& error) {
    throw TransactionError(error.what());
  }
  if (!list.is_list) throw TransactionError(std::string(kind) + ": expected an RLP list");
  if (list.items.size() != expected_fields)
    throw TransactionError(std::string(kind) + ": expected " + std::to_string(expected_fields) +
                           " fields, got " + std::to_string(list.items.size()));
  return list;
}

// legacy: rlp([nonce, gas_price, gas_limit, to, value, data, v, r, s]), v = chain_id * 2 + 35 + y.
SignedTransaction decode_legacy(ByteView raw) {
  Item list = decode_rlp(raw, 9, "legacy transaction");
  const auto& f = list.items;
  SignedTransaction out;
  Transaction& tx = out.tx;
  tx.type = TxType::legacy;
  tx.nonce = u64_field(f[0], "nonce");
  tx.gas_price = wei_field(f[1], "gas_price");
  tx.gas_limit = u64_field(f[2], "gas_limit");
  tx.to = to_field(f[3]);
  tx.value = wei_field(f[4], "value");
  tx.data = string_field(f[5], "data");
  const std::uint64_t v = u64_field(f[6], "v");
  if (v == 27 || v == 28)
    throw TransactionError("legacy transaction without EIP-155 replay protection is not accepted");
  if (v < 35) throw TransactionError("invalid signature: v " + std::to_string(v));
  tx.chain_id = (v - 35) / 2;
  out.signature.recovery_id = static_cast<int>((v - 35) % 2);
  out.signature.r = scalar_field(f[7], "r");
  out.signature.s = scalar_field(f[8], "s");
  return out;
}

// type 2: 0x02 || rlp([chain_id, nonce, max_priority_fee_per_gas, max_fee_per_gas, gas_limit, to,
// value, data, access_list, y_parity, r, s]).
SignedTransaction decode_eip1559(ByteView raw) {
  Item list = decode_rlp(raw.subspan(1), 12, "type 2 transaction");
  const auto& f = list.items;
  SignedTransaction out;
  Transaction& tx = out.tx;
  tx.type = TxType::eip1559;
  tx.chain_id = u64_field(f[0], "chain_id");
  tx.nonce = u64_field(f[1], "nonce");
  tx.max_priority_fee_per_gas = wei_field(f[2], "max_priority_fee_per_gas");
  tx.max_fee_per_gas = wei_field(f[3], "max_fee_per_gas");
  tx.gas_limit = u64_field(f[4], "gas_limit");
  tx.to = to_field(f[5]);
  tx.value = wei_field(f[6], "value");
  tx.data = string_field(f[7], "data");
  tx.access_list = access_list_field(f[8]);
  const std::uint64_t y_parity = u64_field(f[9], "y_parity");
  if (y_parity > 1)
    throw TransactionError("invalid signature: y_parity " + std::to_string(y_parity));
  out.signature.recovery_id = static_cast<int>(y_parity);
  out.signature.r = scalar_field(f[10], "r");
  out.signature.s = scalar_field(f[11], "s");
  return out;
}

bool in_scalar_range(const std::array<std::uint8_t, 32>& value) {
  return !is_zero(value) && value < kCurveOrder;  // big-endian arrays compare as numbers
}

}  // namespace

SignedTransaction decode_signed_transaction(ByteView raw) {
  if (raw.empty()) throw TransactionError("empty transaction");
  SignedTransaction out;
  if (raw[0] >= 0xc0) {
    out = decode_legacy(raw);
  } else if (raw[0] == kEip1559Type) {
    out = decode_eip1559(raw);
  } else if (raw[0] <= 0x7f) {
    throw TransactionError(type_name(raw[0]) + " is not supported");
  } else {
    throw TransactionError("not a transaction: neither an RLP list nor a typed envelope");
  }
  if (!in_scalar_range(out.signature.r))
    throw TransactionError("invalid signature: r out of range");
  if (!in_scalar_range(out.signature.s))
    throw TransactionError("invalid signature: s out of range");
  if (!ecdsa_is_low_s(out.signature.s)) throw TransactionError("invalid signature: high s");
  auto public_key = ecdsa_recover(signing_hash(out.tx), out.signature);
  if (!public_key) throw TransactionError("invalid signature");
  out.sender = eth_address(*public_key);
  out.hash = keccak256(raw);
  out.raw.assign(raw.begin(), raw.end());
  return out;
}

Hash32 signing_hash(const Transaction& tx) {
  std::vector<Bytes> fields = unsigned_fields(tx);
  if (tx.type == TxType::legacy) {
    // EIP-155: the chain id and two empty values stand in for v, r, s.
    fields.push_back(rlp::encode_u64(tx.chain_id));
    fields.push_back(rlp::encode_u64(0));
    fields.push_back(rlp::encode_u64(0));
    return keccak256(rlp::encode_list(fields));
  }
  return keccak256(typed_envelope(kEip1559Type, rlp::encode_list(fields)));
}

Bytes sign_transaction(const Transaction& tx, const SecretKey& key) {
  if (tx.type == TxType::legacy &&
      tx.chain_id > (std::numeric_limits<std::uint64_t>::max() - 36) / 2)
    throw TransactionError("chain_id: too large for an EIP-155 v");
  const RecoverableSignature signature = key.ecdsa_sign(signing_hash(tx));
  std::vector<Bytes> fields = unsigned_fields(tx);
  const auto y_parity = static_cast<std::uint64_t>(signature.recovery_id);
  if (tx.type == TxType::legacy) {
    fields.push_back(rlp::encode_u64(tx.chain_id * 2 + 35 + y_parity));
    fields.push_back(encode_scalar(signature.r));
    fields.push_back(encode_scalar(signature.s));
    return rlp::encode_list(fields);
  }
  fields.push_back(rlp::encode_u64(y_parity));
  fields.push_back(encode_scalar(signature.r));
  fields.push_back(encode_scalar(signature.s));
  return typed_envelope(kEip1559Type, rlp::encode_list(fields));
}

}  // namespace alys::eth
