// The load of the chain benchmarks: a JSON-RPC batch of `count` signed EIP-1559 transfers from
// `key`, nonces from `first_nonce`, each to its own address (so no two collide in the pool).
#pragma once

#include <cstdint>
#include <string>

#include "alys/domain/eth_transaction.hpp"
#include "alys/domain/hash.hpp"

namespace alys::testing {

inline std::string transfer_batch(std::uint64_t chain_id, const SecretKey& key,
                                  std::uint64_t first_nonce, std::uint64_t count) {
  std::string body = "[";
  for (std::uint64_t i = 0; i < count; ++i) {
    eth::Transaction tx;
    tx.type = eth::TxType::eip1559;
    tx.chain_id = chain_id;
    tx.nonce = first_nonce + i;
    tx.max_fee_per_gas = 2'000'000'000;
    tx.max_priority_fee_per_gas = 1;
    tx.gas_limit = 21000;
    EthAddress to{};
    to[0] = 0xbe;
    to[18] = static_cast<std::uint8_t>(tx.nonce >> 8);
    to[19] = static_cast<std::uint8_t>(tx.nonce);
    tx.to = to;
    tx.value = 1 + tx.nonce;
    body += (i ? "," : "") + std::string(R"({"jsonrpc":"2.0","id":)") + std::to_string(i) +
            R"(,"method":"eth_sendRawTransaction","params":[")" +
            to_0x_hex(eth::sign_transaction(tx, key)) + R"("]})";
  }
  return body + "]";
}

}  // namespace alys::testing
