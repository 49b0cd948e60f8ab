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
//
// Hand-over (hot swap): write_image() and read_image() carry every entry with its arrival number
// and the pool's arrival counter, so that selection order and replacement behave after a swap
// exactly as before it; the recovered sender and hash travel with each transaction, so reading an
// image recovers no signature. Reading is linear in the entries (see state_image.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "alys/codec.hpp"
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
  // A new limit applies to later additions; a pool already above it keeps what it holds.
  void set_max_transactions(std::size_t max_transactions) { max_transactions_ = max_transactions; }

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

  // The whole pool, in sender and nonce order (docs/engine.md, "Hot swap", for the layout).
  void write_image(Writer& writer) const;
  // Replaces the pool's contents with an image write_image() wrote; the limit stays this pool's.
  // Throws DecodeError naming what is wrong (bytes cut short, senders or nonces out of order, a
  // transaction pooled twice, an unknown transaction type), and the pool is empty then.
  void read_image(Reader& reader);

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
  // Keccak digests are uniform: their first eight bytes are a hash as good as any, and an
  // unordered index rebuilds in linear time when an image is read.
  struct DigestHash {
    std::size_t operator()(const Hash32& hash) const {
      std::size_t prefix = 0;
      std::memcpy(&prefix, hash.data(), sizeof prefix);
      return prefix;
    }
  };
  std::unordered_map<Hash32, Slot, DigestHash> by_hash_;
};

}  // namespace alys::engine::embedded
