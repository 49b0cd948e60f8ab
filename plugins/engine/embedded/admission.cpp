#include "engine/embedded/admission.hpp"

#include <string>

#include "alys/domain/eth_transaction.hpp"

namespace alys::engine::embedded {

namespace {

// Empty, or why the access list is too large for the pool.
std::string check_access_list(const eth::Transaction& tx, const MempoolLimits& limits) {
  std::size_t keys = 0;
  for (const eth::AccessListEntry& entry : tx.access_list) keys += entry.storage_keys.size();
  if (tx.access_list.size() <= limits.max_access_list_entries &&
      keys <= limits.max_access_list_keys)
    return {};
  return "access list too large: " + std::to_string(tx.access_list.size()) + " addresses and " +
         std::to_string(keys) + " storage keys, limit " +
         std::to_string(limits.max_access_list_entries) + " addresses and " +
         std::to_string(limits.max_access_list_keys) + " storage keys";
}

}  // namespace

Hash32 admit_transaction(ByteView raw, const ChainRules& rules, const AccountReader& head,
                         Mempool& pool) {
  const MempoolLimits& limits = pool.limits();
  // Before decoding: a huge transaction would cost its parse and a signature recovery first.
  if (raw.size() > limits.max_transaction_bytes) {
    pool.count_refusal(refusal::kOversized);
    throw TransactionRejected("oversized data: transaction size " + std::to_string(raw.size()) +
                              ", limit " + std::to_string(limits.max_transaction_bytes));
  }
  eth::SignedTransaction tx;
  try {
    tx = eth::decode_signed_transaction(raw);
  } catch (const std::exception& error) {
    // TransactionError and RlpError both say what is malformed.
    throw TransactionRejected(error.what());
  }
  // geth answers a resent transaction this way before validating it again.
  if (pool.contains(tx.hash)) throw TransactionRejected("already known");
  if (std::string reason = check_access_list(tx.tx, limits); !reason.empty()) {
    pool.count_refusal(refusal::kAccessList);
    throw TransactionRejected(reason);
  }
  if (std::string reason = check_transfer_shape(tx, rules); !reason.empty())
    throw TransactionRejected(reason);
  if (std::string reason = check_sender_can_pay(tx, head.account(tx.sender)); !reason.empty())
    throw TransactionRejected(reason);
  Hash32 hash = tx.hash;
  if (std::string reason = pool.add(tx, head, rules.base_fee); !reason.empty())
    throw TransactionRejected(reason);
  return hash;
}

}  // namespace alys::engine::embedded
