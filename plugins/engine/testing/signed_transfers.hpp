// Test support: secp256k1 keys from a seed byte and Ethereum transfers they sign, so that the
// engine's tests exercise real signatures (alys::eth::sign_transaction).
#pragma once

#include <cstdint>
#include <stdexcept>

#include "alys/domain/eth_transaction.hpp"
#include "alys/domain/rlp.hpp"
#include "alys/domain/secp256k1.hpp"
#include "alys/domain/wei.hpp"

namespace alys::engine::testing {

inline constexpr Wei kGwei = 1'000'000'000;
inline constexpr Wei kEther = kGwei * kGwei;

// A valid secret key: 31 zero bytes and `seed` (non-zero).
inline SecretKey key_of(std::uint8_t seed) {
  std::array<std::uint8_t, 32> bytes{};
  bytes[31] = seed;
  auto key = SecretKey::from_bytes(bytes);
  if (!key) throw std::logic_error("seed 0 is not a key");
  return *key;
}

inline EthAddress address_of(const SecretKey& key) {
  return eth_address(key.uncompressed_public_key());
}

inline EthAddress address_of(std::uint8_t seed) { return address_of(key_of(seed)); }

inline eth::Transaction legacy_transfer(std::uint64_t chain_id, std::uint64_t nonce,
                                        const EthAddress& to, Wei value, Wei gas_price = kGwei) {
  eth::Transaction tx;
  tx.type = eth::TxType::legacy;
  tx.chain_id = chain_id;
  tx.nonce = nonce;
  tx.gas_price = gas_price;
  tx.gas_limit = 21'000;
  tx.to = to;
  tx.value = value;
  return tx;
}

inline eth::Transaction eip1559_transfer(std::uint64_t chain_id, std::uint64_t nonce,
                                         const EthAddress& to, Wei value, Wei max_fee = 2 * kGwei,
                                         Wei max_priority_fee = 0) {
  eth::Transaction tx;
  tx.type = eth::TxType::eip1559;
  tx.chain_id = chain_id;
  tx.nonce = nonce;
  tx.max_fee_per_gas = max_fee;
  tx.max_priority_fee_per_gas = max_priority_fee;
  tx.gas_limit = 21'000;
  tx.to = to;
  tx.value = value;
  return tx;
}

inline Bytes sign(const eth::Transaction& tx, std::uint8_t seed) {
  return eth::sign_transaction(tx, key_of(seed));
}

inline eth::SignedTransaction signed_tx(const eth::Transaction& tx, std::uint8_t seed) {
  return eth::decode_signed_transaction(sign(tx, seed));
}

// A signed type 2 transaction's raw bytes with its signature's r replaced by `r` (minimal
// big-endian; empty for zero): a signature that no longer verifies.
inline Bytes with_signature_r(const Bytes& raw, const Bytes& r) {
  if (raw.empty() || raw[0] != 0x02) throw std::logic_error("not a type 2 transaction");
  rlp::Item list = rlp::decode(ByteView(raw).subspan(1));
  std::vector<Bytes> fields;
  for (const rlp::Item& item : list.items)
    fields.emplace_back(item.encoded.begin(), item.encoded.end());
  fields.at(fields.size() - 2) = rlp::encode_string(r);
  Bytes out{0x02};
  Bytes body = rlp::encode_list(fields);
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

}  // namespace alys::engine::testing
