#include "engine/embedded/admission.hpp"

#include <string>

#include "alys/domain/eth_transaction.hpp"

namespace alys::engine::embedded {

Hash32 admit_transaction(ByteView raw, const ChainRules& rules, const AccountReader& head,
                         Mempool& pool) {
  eth::SignedTransaction tx;
  try {
    tx = eth::decode_signed_transaction(raw);
  } catch (const std::exception& error) {
    // TransactionError and RlpError both say what is malformed.
    throw TransactionRejected(error.what());
  }
  // geth answers a resent transaction this way before validating it again.
  if (pool.contains(tx.hash)) throw TransactionRejected("already known");
  if (std::string reason = check_transfer_shape(tx, rules); !reason.empty())
    throw TransactionRejected(reason);
  if (std::string reason = check_sender_can_pay(tx, head.account(tx.sender)); !reason.empty())
    throw TransactionRejected(reason);
  Hash32 hash = tx.hash;
  if (std::string reason = pool.add(std::move(tx)); !reason.empty())
    throw TransactionRejected(reason);
  return hash;
}

}  // namespace alys::engine::embedded
