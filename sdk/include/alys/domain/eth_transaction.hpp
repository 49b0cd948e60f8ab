// Ethereum signed transactions: legacy with EIP-155 replay protection, and EIP-1559 (type 2).
//
// decode_signed_transaction() checks everything that can be checked without state: canonical RLP,
// field count and sizes, EIP-155 v / type-2 y-parity, r and s in range with low s (EIP-2), and
// recovers the sender. State checks (chain id, nonce, balance, fees) are the engine's.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <vector>

#include "alys/codec.hpp"
#include "alys/domain/hash.hpp"
#include "alys/domain/secp256k1.hpp"
#include "alys/domain/wei.hpp"

namespace alys::eth {

class TransactionError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class TxType : std::uint8_t { legacy = 0, eip1559 = 2 };

struct AccessListEntry {
  EthAddress address{};
  std::vector<Hash32> storage_keys;
};

struct Transaction {
  TxType type = TxType::legacy;
  std::uint64_t chain_id = 0;
  std::uint64_t nonce = 0;
  Wei gas_price = 0;                 // legacy
  Wei max_priority_fee_per_gas = 0;  // type 2
  Wei max_fee_per_gas = 0;           // type 2
  std::uint64_t gas_limit = 0;
  std::optional<EthAddress> to;  // nullopt: contract creation
  Wei value = 0;
  Bytes data;
  std::vector<AccessListEntry> access_list;  // type 2
  // The fee cap per gas the sender accepts: gas_price (legacy) or max_fee_per_gas (type 2).
  Wei fee_cap() const { return type == TxType::legacy ? gas_price : max_fee_per_gas; }
};

struct SignedTransaction {
  Transaction tx;
  RecoverableSignature signature;
  EthAddress sender{};
  Hash32 hash{};  // keccak256 of the raw bytes (for type 2: including the type byte)
  Bytes raw;      // as received
};

// Throws TransactionError naming what is wrong: "RLP: ..." (malformed or non-canonical RLP),
// "<field>: ..." (a field of the wrong shape, an integer with a leading zero, a value needing more
// than 128 bits, a nonce, gas limit or chain id past 64 bits, `to` neither empty nor 20 bytes),
// "transaction type 0x01 is not supported" (any type but legacy and 0x02), "legacy transaction
// without EIP-155 replay protection is not accepted" (v = 27 or 28), "invalid signature: r out of
// range" / "... s out of range" (zero or >= n), "invalid signature: high s" (EIP-2), and
// "invalid signature" when no public key recovers.
SignedTransaction decode_signed_transaction(ByteView raw);

// The digest the sender signs (EIP-155 legacy, or 0x02 || rlp(...) for type 2). Throws
// TransactionError for a legacy transaction with an access list (only type 2 carries one).
Hash32 signing_hash(const Transaction& tx);

// Signs `tx` with `key` (RFC 6979, low s) and returns the raw bytes eth_sendRawTransaction takes:
// legacy with EIP-155 when tx.type is legacy, else type 2. Throws TransactionError as
// signing_hash() does, or for a legacy chain id too large for v.
Bytes sign_transaction(const Transaction& tx, const SecretKey& key);

}  // namespace alys::eth
