#include "engine/embedded/transfer_rules.hpp"

#include <algorithm>

#include "engine/embedded/bridge_call.hpp"

namespace alys::engine::embedded {

std::string address_text(const EthAddress& address) { return to_0x_hex(address); }

std::string check_transfer_shape(const eth::SignedTransaction& signed_tx, const ChainRules& rules) {
  const eth::Transaction& tx = signed_tx.tx;
  if (tx.chain_id != rules.chain_id)
    return "invalid chain id: expected " + std::to_string(rules.chain_id) + ", got " +
           std::to_string(tx.chain_id);
  if (std::string reason = check_call_target(tx.to, tx.data, tx.value); !reason.empty())
    return reason;
  if (tx.gas_limit < kTransferGas)
    return "intrinsic gas too low: gas " + std::to_string(tx.gas_limit) + ", minimum needed " +
           std::to_string(kTransferGas);
  if (tx.gas_limit > rules.block_gas_limit)
    return "exceeds block gas limit: gas " + std::to_string(tx.gas_limit) + ", block gas limit " +
           std::to_string(rules.block_gas_limit);
  if (tx.type == eth::TxType::eip1559 && tx.max_priority_fee_per_gas > tx.max_fee_per_gas)
    return "max priority fee per gas higher than max fee per gas: address " +
           address_text(signed_tx.sender) +
           ", maxPriorityFeePerGas: " + wei_to_decimal(tx.max_priority_fee_per_gas) +
           ", maxFeePerGas: " + wei_to_decimal(tx.max_fee_per_gas);
  if (tx.fee_cap() < rules.base_fee)
    return "max fee per gas less than block base fee: address " + address_text(signed_tx.sender) +
           (tx.type == eth::TxType::legacy ? ", gasPrice: " : ", maxFeePerGas: ") +
           wei_to_decimal(tx.fee_cap()) + ", baseFee: " + wei_to_decimal(rules.base_fee);
  return {};
}

std::optional<Wei> max_cost(const eth::Transaction& tx) {
  const Wei max = ~Wei{0};
  const Wei fee_cap = tx.fee_cap();
  if (fee_cap != 0 && tx.gas_limit > max / fee_cap) return std::nullopt;
  Wei gas_cost = fee_cap * tx.gas_limit;
  if (tx.value > max - gas_cost) return std::nullopt;
  return gas_cost + tx.value;
}

std::string check_sender_can_pay(const eth::SignedTransaction& signed_tx, const Account& sender) {
  const eth::Transaction& tx = signed_tx.tx;
  if (tx.nonce < sender.nonce)
    return "nonce too low: next nonce " + std::to_string(sender.nonce) + ", tx nonce " +
           std::to_string(tx.nonce);
  auto cost = max_cost(tx);
  if (!cost)
    return "insufficient funds for gas * price + value: balance " + wei_to_decimal(sender.balance) +
           ", tx cost above 2^128 wei";
  if (*cost > sender.balance)
    return "insufficient funds for gas * price + value: balance " + wei_to_decimal(sender.balance) +
           ", tx cost " + wei_to_decimal(*cost);
  return {};
}

Wei effective_gas_price(const eth::Transaction& tx, Wei base_fee) {
  if (tx.type == eth::TxType::legacy) return tx.gas_price;
  // base_fee <= max_fee here, so the sum is at most max_fee + priority: no overflow when the
  // priority fee is first capped by what is left under the fee cap.
  Wei headroom = tx.max_fee_per_gas - base_fee;
  return base_fee + std::min(tx.max_priority_fee_per_gas, headroom);
}

Wei effective_tip(const eth::Transaction& tx, Wei base_fee) {
  return effective_gas_price(tx, base_fee) - base_fee;
}

}  // namespace alys::engine::embedded
