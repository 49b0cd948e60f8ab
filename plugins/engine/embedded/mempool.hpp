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
// Layout: flat and small, so that a hot swap hands the pool over within its pause budget (2 ms p99
// with 10,000 transactions, docs/engine.md "Hot swap"). An entry keeps only what the pool orders
// and replaces by (hash, sender, nonce, fee caps, arrival), in one vector of slots with no heap
// member; the raw transactions are in one byte arena; the (sender, nonce) order is one vector of
// slot numbers; the hash index is a DigestIndex over the slots. Reading an image costs a few
// allocations in all, not several per transaction. A transaction is rebuilt from its raw bytes,
// with the sender and hash recovered at admission, only when asked for (find, select).
//
// Hand-over: write_image() and read_image() carry every entry with its arrival number and the
// pool's arrival counter, so that selection order and replacement behave after a swap exactly as
// before it; the recovered sender and hash travel with each transaction, so reading an image
// recovers no signature.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "alys/codec.hpp"
#include "alys/domain/eth_transaction.hpp"
#include "engine/embedded/digest_index.hpp"
#include "engine/embedded/ledger.hpp"

namespace alys::engine::embedded {

class Mempool {
 public:
  explicit Mempool(std::size_t max_transactions) : max_transactions_(max_transactions) {}

  // Empty on success, otherwise "already known", "replacement transaction underpriced" or "txpool
  // is full" (the pool is unchanged then).
  std::string add(const eth::SignedTransaction& tx);

  bool contains(const Hash32& hash) const;
  // A copy of the pooled transaction; nullopt when not pooled.
  std::optional<eth::SignedTransaction> find(const Hash32& hash) const;
  std::size_t size() const { return order_.size(); }
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
  // transaction pooled twice, an unknown transaction type, raw bytes outside the arena or shared
  // by two records), and the pool is empty then. The raw bytes themselves are parsed only when a
  // transaction is asked for: their integrity is the image's checksum's (engine_state.hpp).
  void read_image(Reader& reader);

 private:
  // A pooled transaction: what the pool orders and replaces by, and where its raw bytes are in
  // the arena. Everything else is in the raw bytes (pooled_transaction.hpp rebuilds it).
  struct Entry {
    Hash32 hash{};
    EthAddress sender{};
    std::uint64_t arrival = 0;
    std::uint64_t nonce = 0;
    std::uint64_t arena_offset = 0;
    Wei fee_cap = 0;  // gas price (legacy) or max fee per gas
    Wei tip_cap = 0;  // gas price (legacy) or max priority fee per gas
    std::uint32_t raw_size = 0;
    eth::TxType type = eth::TxType::legacy;
  };

  // What by_hash_ compares: the digest a slot holds.
  auto key_of() const {
    return [this](std::uint32_t slot) -> const Hash32& { return slots_[slot].hash; };
  }
  eth::SignedTransaction rebuild(const Entry& entry) const;
  // The first position in order_ whose (sender, nonce) is not below the given one.
  std::size_t position(const EthAddress& sender, std::uint64_t nonce) const;
  void release(std::uint32_t slot);
  void compact_arena_if_wasteful();

  std::size_t max_transactions_;
  std::uint64_t next_arrival_ = 0;
  std::vector<Entry> slots_;
  std::vector<std::uint32_t> free_slots_;
  std::vector<std::uint32_t> order_;  // the pooled slots by (sender, nonce)
  DigestIndex by_hash_;
  Bytes arena_;
  std::size_t arena_garbage_ = 0;  // raw bytes of replaced or removed entries still in the arena
};

}  // namespace alys::engine::embedded
