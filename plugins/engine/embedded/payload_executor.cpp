#include "engine/embedded/payload_executor.hpp"

#include <algorithm>
#include <limits>

#include "alys/domain/keccak.hpp"
#include "engine/embedded/bridge_call.hpp"

namespace alys::engine::embedded {

namespace {

std::string hex(const Hash32& hash) { return to_0x_hex(hash); }

std::string credit(LedgerOverlay& state, const EthAddress& to, Wei amount) {
  Account account = state.account(to);
  if (account.balance > ~Wei{0} - amount)
    return "the balance of " + address_text(to) + " would exceed 2^128 wei";
  account.balance += amount;
  state.set(to, account);
  return {};
}

std::string credit_mints(LedgerOverlay& state, const std::vector<Mint>& mints) {
  for (std::size_t i = 0; i < mints.size(); ++i) {
    auto amount = wei_from_be(mints[i].amount_wei);
    if (!amount)
      return "mint " + std::to_string(i) + " to " + address_text(mints[i].to) +
             " is above 2^128 wei";
    if (std::string reason = credit(state, mints[i].to, *amount); !reason.empty())
      return "mint " + std::to_string(i) + ": " + reason;
  }
  return {};
}

// Runs one transfer on `state`; on failure returns the reason and leaves `state` as it was.
std::string run_transfer(LedgerOverlay& state, const eth::SignedTransaction& signed_tx,
                         const ChainRules& rules, const EthAddress& fee_recipient,
                         Wei& effective_price) {
  if (std::string reason = check_transfer_shape(signed_tx, rules); !reason.empty()) return reason;
  const eth::Transaction& tx = signed_tx.tx;
  const Account sender_before = state.account(signed_tx.sender);
  if (tx.nonce > sender_before.nonce)
    return "nonce too high: next nonce " + std::to_string(sender_before.nonce) + ", tx nonce " +
           std::to_string(tx.nonce);
  if (std::string reason = check_sender_can_pay(signed_tx, sender_before); !reason.empty())
    return reason;
  if (sender_before.nonce == std::numeric_limits<std::uint64_t>::max())
    return "nonce has max value: address " + address_text(signed_tx.sender);

  const Wei price = effective_gas_price(tx, rules.base_fee);
  // price * 21000 + value <= max_cost <= balance: neither overflows nor underflows.
  Account sender = sender_before;
  sender.balance -= price * kTransferGas + tx.value;
  sender.nonce += 1;
  state.set(signed_tx.sender, sender);

  // A peg-out's value goes where the bridge contract forwards it: the burn address.
  const EthAddress recipient = value_recipient(*tx.to);
  const Account recipient_before = state.account(recipient);
  if (std::string reason = credit(state, recipient, tx.value); !reason.empty()) {
    state.set(signed_tx.sender, sender_before);
    return reason;
  }
  if (std::string reason = credit(state, fee_recipient, (price - rules.base_fee) * kTransferGas);
      !reason.empty()) {
    state.set(recipient, recipient_before);
    state.set(signed_tx.sender, sender_before);
    return reason;
  }
  effective_price = price;
  return {};
}

std::string base_fee_text(const std::array<std::uint8_t, 32>& be) {
  auto value = wei_from_be(be);
  return value ? wei_to_decimal(*value) : to_0x_hex(be);
}

}  // namespace

Hash32 transactions_root(const std::vector<Hash32>& transaction_hashes) {
  Bytes preimage;
  preimage.reserve(transaction_hashes.size() * 32);
  for (const Hash32& hash : transaction_hashes)
    preimage.insert(preimage.end(), hash.begin(), hash.end());
  return keccak256(preimage);
}

std::string PayloadExecutor::check_position(const ExecutionPayload& payload, bool genesis) const {
  if (genesis) {
    if (head_)
      return "a genesis payload is only valid before the first block; the engine's head is block " +
             std::to_string(head_->number) + " " + hex(head_->hash);
    if (payload.number != 0)
      return "genesis payload number " + std::to_string(payload.number) + ", expected 0";
    if (!is_zero(payload.parent_hash))
      return "genesis payload parent " + hex(payload.parent_hash) + ", expected zero";
    if (!payload.transactions.empty())
      return "a genesis payload carries no transactions; this one has " +
             std::to_string(payload.transactions.size());
    return {};
  }
  if (!head_) return "the engine has no head yet: the first payload must be a genesis";
  if (payload.parent_hash != head_->hash)
    return "payload parent " + hex(payload.parent_hash) + " is not the engine's head " +
           hex(head_->hash) + " (block " + std::to_string(head_->number) + ")";
  if (payload.number != head_->number + 1)
    return "payload number " + std::to_string(payload.number) + ", expected " +
           std::to_string(head_->number + 1);
  if (payload.timestamp_s < head_->timestamp_s)
    return "payload timestamp " + std::to_string(payload.timestamp_s) + " is before its parent's " +
           std::to_string(head_->timestamp_s);
  return {};
}

// The first of the fields only the engine-api backend fills that is not zero or empty ("" when none
// is): the embedded backend's block hash covers them, so one left unchecked would let an author
// put anything there.
std::string engine_api_field_set(const ExecutionPayload& payload) {
  if (payload.receipts_root != Hash32{}) return "receipts_root";
  if (payload.logs_bloom != std::array<std::uint8_t, 256>{}) return "logs_bloom";
  if (payload.prev_randao != Hash32{}) return "prev_randao";
  if (!payload.extra_data.empty()) return "extra_data";
  if (!payload.withdrawals.empty()) return "withdrawals";
  return {};
}

Wei fees_paid(const CommittedBlock& block) {
  Wei fees = 0;
  for (const IncludedTransaction& tx : block.transactions) {
    // Each product fits (the admission rules bound gas limit x fee cap below 2^128); the sum is
    // paid out of balances, but saturate rather than wrap should a test chain mint absurd ones.
    Wei paid = Wei{kTransferGas} * wei_from_be(tx.effective_gas_price).value_or(0);
    fees = paid > ~Wei{0} - fees ? ~Wei{0} : fees + paid;
  }
  return fees;
}

ExecutedPayload PayloadExecutor::seal(ExecutionPayload payload, const LedgerOverlay& overlay,
                                      const std::vector<eth::SignedTransaction>& included,
                                      const std::vector<Wei>& prices) const {
  ExecutedPayload executed;
  BlockSummary& summary = executed.block.summary;
  payload.transactions.clear();
  for (std::size_t i = 0; i < included.size(); ++i) {
    payload.transactions.push_back(included[i].raw);
    summary.transaction_hashes.push_back(included[i].hash);
    executed.block.transactions.push_back(
        IncludedTransaction{payload.number, static_cast<std::uint32_t>(i), included[i].sender,
                            wei_to_be32(prices[i]), included[i].raw});
  }
  payload.transactions_root = transactions_root(summary.transaction_hashes);
  payload.gas_used = kTransferGas * included.size();
  payload.state_root = overlay.state_root();
  payload.block_hash = payload_hash(payload);

  summary.number = payload.number;
  summary.hash = payload.block_hash;
  summary.parent_hash = payload.parent_hash;
  summary.timestamp_s = payload.timestamp_s;
  summary.fee_recipient = payload.fee_recipient;
  summary.state_root = payload.state_root;
  summary.transactions_root = payload.transactions_root;
  summary.gas_limit = payload.gas_limit;
  summary.gas_used = payload.gas_used;
  summary.base_fee_per_gas = payload.base_fee_per_gas;
  summary.size_bytes = encode(payload).size();
  executed.accounts = overlay.changes();
  executed.payload = std::move(payload);
  return executed;
}

BuildResult PayloadExecutor::build_genesis(std::uint64_t timestamp_ms,
                                           const std::vector<Mint>& alloc) const {
  BuildResult result;
  if (head_) {
    result.error = "the engine already has a head: block " + std::to_string(head_->number) + " " +
                   hex(head_->hash);
    return result;
  }
  LedgerOverlay overlay(state_);
  if (std::string reason = credit_mints(overlay, alloc); !reason.empty()) {
    result.error = "genesis allocation: " + reason;
    return result;
  }
  ExecutionPayload payload;
  payload.timestamp_s = timestamp_ms / 1000;
  payload.gas_limit = rules_.block_gas_limit;
  payload.base_fee_per_gas = wei_to_be32(rules_.base_fee);
  result.executed = seal(std::move(payload), overlay, {}, {});
  return result;
}

BuildResult PayloadExecutor::build(const BuildPayload& request,
                                   const std::vector<eth::SignedTransaction>& candidates) const {
  BuildResult result;
  if (!head_) {
    result.error = "the engine has no head yet: build the genesis first";
    return result;
  }
  ExecutionPayload payload;
  payload.parent_hash = request.parent_payload_hash;
  payload.number = head_->number + 1;
  payload.timestamp_s = request.timestamp_ms / 1000;
  payload.fee_recipient = request.fee_recipient;
  payload.gas_limit = rules_.block_gas_limit;
  payload.base_fee_per_gas = wei_to_be32(rules_.base_fee);
  if (std::string reason = check_position(payload, false); !reason.empty()) {
    result.error = reason;
    return result;
  }

  LedgerOverlay overlay(state_);
  if (std::string reason = credit_mints(overlay, request.mints); !reason.empty()) {
    result.error = reason;
    return result;
  }
  const std::size_t room =
      std::min<std::uint64_t>(request.max_transactions, rules_.block_gas_limit / kTransferGas);
  std::vector<eth::SignedTransaction> included;
  std::vector<Wei> prices;
  for (const eth::SignedTransaction& candidate : candidates) {
    if (included.size() >= room) break;
    if (candidate.tx.nonce > overlay.account(candidate.sender).nonce) continue;
    Wei price = 0;
    if (!run_transfer(overlay, candidate, rules_, payload.fee_recipient, price).empty()) {
      result.dropped.push_back(candidate.hash);
      continue;
    }
    included.push_back(candidate);
    prices.push_back(price);
  }
  result.executed = seal(std::move(payload), overlay, included, prices);
  return result;
}

ExecuteResult PayloadExecutor::execute(const ExecutePayload& request) const {
  ExecuteResult result;
  const ExecutionPayload& claimed = request.payload;
  if (std::string reason = check_position(claimed, request.genesis); !reason.empty()) {
    result.error = reason;
    return result;
  }
  if (std::string field = engine_api_field_set(claimed); !field.empty()) {
    result.error = "payload " + field +
                   " is set: an engine-api payload (this engine is the embedded backend, which "
                   "leaves the Engine API fields empty)";
    return result;
  }
  if (claimed.gas_limit != rules_.block_gas_limit) {
    result.error = "payload gas limit " + std::to_string(claimed.gas_limit) + ", expected " +
                   std::to_string(rules_.block_gas_limit);
    return result;
  }
  if (claimed.base_fee_per_gas != wei_to_be32(rules_.base_fee)) {
    result.error = "payload base fee " + base_fee_text(claimed.base_fee_per_gas) +
                   " wei, expected " + wei_to_decimal(rules_.base_fee);
    return result;
  }
  if (claimed.transactions.size() > claimed.gas_limit / kTransferGas) {
    result.error = "payload carries " + std::to_string(claimed.transactions.size()) +
                   " transactions: at 21000 gas each they exceed its gas limit " +
                   std::to_string(claimed.gas_limit);
    return result;
  }

  LedgerOverlay overlay(state_);
  if (std::string reason = credit_mints(overlay, request.mints); !reason.empty()) {
    result.error = reason;
    return result;
  }
  std::vector<eth::SignedTransaction> included;
  std::vector<Wei> prices;
  for (std::size_t i = 0; i < claimed.transactions.size(); ++i) {
    eth::SignedTransaction tx;
    try {
      tx = eth::decode_signed_transaction(claimed.transactions[i]);
    } catch (const std::exception& error) {
      result.error = "transaction " + std::to_string(i) + ": " + error.what();
      return result;
    }
    Wei price = 0;
    if (std::string reason = run_transfer(overlay, tx, rules_, claimed.fee_recipient, price);
        !reason.empty()) {
      result.error = "transaction " + std::to_string(i) + " " + hex(tx.hash) + ": " + reason;
      return result;
    }
    included.push_back(std::move(tx));
    prices.push_back(price);
  }

  ExecutedPayload executed = seal(claimed, overlay, included, prices);
  const ExecutionPayload& computed = executed.payload;
  if (claimed.gas_used != computed.gas_used)
    result.error = "payload gas used " + std::to_string(claimed.gas_used) + ", executed " +
                   std::to_string(computed.gas_used);
  else if (claimed.transactions_root != computed.transactions_root)
    result.error = "payload transactions root " + hex(claimed.transactions_root) + ", computed " +
                   hex(computed.transactions_root);
  else if (claimed.state_root != computed.state_root)
    result.error =
        "payload state root " + hex(claimed.state_root) + ", computed " + hex(computed.state_root);
  else if (claimed.block_hash != computed.block_hash)
    result.error =
        "payload block hash " + hex(claimed.block_hash) + ", computed " + hex(computed.block_hash);
  else
    result.executed = std::move(executed);
  return result;
}

}  // namespace alys::engine::embedded
