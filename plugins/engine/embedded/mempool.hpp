// The pool of transactions waiting for a payload, by sender and nonce.
//
// A sender's transactions are executable when their nonces run contiguously from the account's
// nonce; the others wait (future). The pool holds at most `max_transactions`; when it is full a new
// transaction is refused ("txpool is full"): nothing is evicted to make room. A transaction with
// the same sender and nonce as a pooled one replaces it only when both its fee cap and its
// priority fee (legacy: the gas price) are at least 10% higher, as geth requires.
//
// The pool does not check a transaction against the chain's rules or the sender's funds: the
// caller admits it first (admission.hpp). Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "alys/domain/eth_transaction.hpp"
#include "engine/embedded/ledger.hpp"

namespace alys::engine::embedded {

class Mempool {
 public:
  explicit Mempool(std::size_t max_transactions) : max_transactions_(max_transactions) {}

  // Empty on success, otherwise "already known", "replacement transaction underpriced" or "txpool
  // is full" (the pool is unchanged then).
  std::string add(eth::SignedTransaction tx);

  // nullptr when not pooled. Valid until the pool changes.
  const eth::SignedTransaction* find(const Hash32& hash) const;
  std::size_t size() const { return by_hash_.size(); }
  std::size_t max_transactions() const { return max_transactions_; }

  // The nonce the sender's next transaction should carry: the account's nonce plus the pooled
  // transactions that follow it contiguously.
  std::uint64_t pending_nonce(const EthAddress& sender, std::uint64_t account_nonce) const;

  // Up to `max_count` executable transactions against `state`, best effective tip first (then
  // earliest arrival), each sender's in nonce order. A sender's sequence stops at a transaction
  // whose fee cap is below `base_fee`.
  std::vector<eth::SignedTransaction> select(const AccountReader& state, Wei base_fee,
                                             std::size_t max_count) const;

  void remove(const Hash32& hash);
  // Removes the transactions whose nonce is below their sender's nonce in `state` (included in a
  // payload, or replaced by another transaction with that nonce).
  void drop_stale(const AccountReader& state);
  void clear();

 private:
  struct Entry {
    eth::SignedTransaction tx;
    std::uint64_t arrival = 0;
  };
  struct Slot {
    EthAddress sender{};
    std::uint64_t nonce = 0;
  };

  std::size_t max_transactions_;
  std::uint64_t next_arrival_ = 0;
  std::map<EthAddress, std::map<std::uint64_t, Entry>> by_sender_;
  std::map<Hash32, Slot> by_hash_;
};

}  // namespace alys::engine::embedded
