// What makes an Ethereum transaction a valid transfer for the embedded engine, and what it costs.
//
// The messages are geth's (or start with geth's words), because wallets such as ethers classify
// errors by them: "nonce too low", "insufficient funds", "replacement transaction underpriced".
// Each check returns an empty string when the transaction passes, otherwise the reason.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "alys/domain/eth_transaction.hpp"
#include "alys/domain/wei.hpp"
#include "engine/embedded/ledger.hpp"

namespace alys::engine::embedded {

// Gas of a value transfer; the embedded engine charges exactly this, whatever the gas limit, and
// charges a bridge call (bridge_call.hpp) the same.
inline constexpr std::uint64_t kTransferGas = 21'000;

// The chain's fixed execution parameters (from the engine's config).
struct ChainRules {
  std::uint64_t chain_id = 0;
  Wei base_fee = 1'000'000'000;
  std::uint64_t block_gas_limit = 30'000'000;
};

// Everything checkable without state: chain id, a recipient, no data except a well-formed call of
// the bridge contract (check_call_target), the gas limit against 21,000
// and the block gas limit, the fee cap against the base fee, the priority fee against the fee cap.
std::string check_transfer_shape(const eth::SignedTransaction& signed_tx, const ChainRules& rules);

// The sender's nonce is not below the account's, and the balance covers gas_limit * fee cap +
// value (what the sender may be charged at most, as geth checks it).
std::string check_sender_can_pay(const eth::SignedTransaction& signed_tx, const Account& sender);

// gas_limit * fee cap + value; nullopt when it does not fit in 128 bits (no balance covers it).
std::optional<Wei> max_cost(const eth::Transaction& tx);

// The price per gas actually paid: gas_price (legacy), or min(max fee, base fee + max priority fee)
// (type 2). REQUIRES fee cap >= base fee (check_transfer_shape).
Wei effective_gas_price(const eth::Transaction& tx, Wei base_fee);

// What the fee recipient earns per gas: effective price - base fee (the base fee is burned).
Wei effective_tip(const eth::Transaction& tx, Wei base_fee);

// "0x" + lowercase hex of an address, as the messages show it.
std::string address_text(const EthAddress& address);

}  // namespace alys::engine::embedded
