// The pool of transactions waiting for a payload, by sender and nonce.
//
// A sender's transactions are executable when their nonces run contiguously from the account's
// nonce; the others wait (future, or gapped). The pool's rules (docs/engine.md, "Mempool"; geth's
// legacypool for the semantics):
// - per sender, at most `max_pending_per_sender` executable transactions: one that would extend
//   a run already that long is refused ("account limit exceeded"); one that fills a gap is taken
//   while the run before it is below the limit, however long the run then becomes;
// - a future nonce more than `max_future_per_sender` beyond the sender's next nonce (the account's
//   nonce plus its contiguous pooled transactions) is refused ("nonce too high"), which keeps at
//   most that many gapped transactions per sender;
// - a sender's pooled transactions together, each its value plus gas limit x fee cap, never cost
//   more than its balance ("insufficient funds for the sender's pooled transactions");
// - a transaction with the same sender and nonce as a pooled one replaces it only when both its
//   fee cap and its priority fee (legacy: the gas price) are at least 10% higher, as geth requires;
// - at `max_transactions`, room is made by evicting another sender's gapped transaction first (the
//   sender with the most of them loses its highest nonce), and only for an executable newcomer;
//   failing that, another sender's executable transaction (the last of its run, with the lowest
//   effective tip) goes only if the newcomer's effective tip is strictly higher. A gapped newcomer
//   evicts nothing. Otherwise "txpool is full";
// - after each block (prune()): stale transactions (nonce below the account's) leave, and gapped
//   ones pooled longer than `lifetime_s` are evicted.
//
// The pool does not check a transaction against the chain's rules or its own cost against the
// balance: the caller admits it first (admission.hpp). Not thread-safe.
//
// Layout: flat and small, so that a hot swap hands the pool over within its pause budget (2 ms p99
// with 10,000 transactions, docs/engine.md "Hot swap"). An entry keeps only what the pool orders
// and replaces by (hash, sender, nonce, fee caps, arrival), in one vector of slots with no heap
// member; the raw transactions are in one byte arena; the (sender, nonce) order is one vector of
// slot numbers; the hash index is a DigestIndex over the slots. Reading an image costs a few
// allocations in all, not several per transaction. A transaction is rebuilt from its raw bytes,
// with the sender and hash recovered at admission, only when asked for (find, select), and so is
// its cost, once, when its sender's funds are next checked.
//
// Hand-over: write_image() and read_image() carry every entry with its arrival number and the
// pool's arrival counter, so that selection order and replacement behave after a swap exactly as
// before it; the recovered sender and hash travel with each transaction, so reading an image
// recovers no signature. The time each entry was pooled does not travel (the image keeps its
// layout): a read image counts every entry's lifetime from the reading.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "alys/codec.hpp"
#include "alys/domain/eth_transaction.hpp"
#include "engine/embedded/digest_index.hpp"
#include "engine/embedded/ledger.hpp"

namespace alys::engine::embedded {

// The pool's limits but its size ([engine] settings, docs/engine.md "Mempool"); geth's defaults
// where geth has one.
struct MempoolLimits {
  std::size_t max_pending_per_sender = 16;      // geth AccountSlots
  std::size_t max_future_per_sender = 64;       // geth AccountQueue
  std::uint64_t lifetime_s = 3 * 60 * 60;       // geth Lifetime: gapped transactions, 3 hours
  std::size_t max_transaction_bytes = 131'072;  // geth txMaxSize (128 KiB), checked on admission
  std::size_t max_access_list_entries = 64;     // checked on admission
  std::size_t max_access_list_keys = 1024;      // storage keys of all entries together
};

// Metric labels (engine_transactions_refused_total{reason=...}): why a transaction was refused.
namespace refusal {
inline constexpr std::string_view kOversized = "oversized";
inline constexpr std::string_view kAccessList = "access_list";
inline constexpr std::string_view kSenderPending = "sender_pending";
inline constexpr std::string_view kNonceGap = "nonce_gap";
inline constexpr std::string_view kSenderFunds = "sender_funds";
inline constexpr std::string_view kUnderpriced = "replacement_underpriced";
inline constexpr std::string_view kPoolFull = "pool_full";
inline constexpr std::array<std::string_view, 7> kAll{
    kOversized, kAccessList, kSenderPending, kNonceGap, kSenderFunds, kUnderpriced, kPoolFull};
}  // namespace refusal

// Metric labels (engine_transactions_evicted_total{reason=...}): why a pooled one left unmined.
namespace eviction {
inline constexpr std::string_view kStale = "stale";         // its nonce was used by another
inline constexpr std::string_view kLifetime = "lifetime";   // gapped for longer than lifetime_s
inline constexpr std::string_view kPoolFull = "pool_full";  // made room for a better one
// The sender's balance no longer covers it and the ones before it (a block moved funds out):
// it, and the sender's later ones that depend on it, go.
inline constexpr std::string_view kFunds = "funds";
inline constexpr std::array<std::string_view, 4> kAll{kStale, kLifetime, kPoolFull, kFunds};
}  // namespace eviction

// What the pool refused and evicted since the last Mempool::take_tally(), by reason: metrics.
struct MempoolTally {
  std::map<std::string_view, std::uint64_t> refused;
  std::map<std::string_view, std::uint64_t> evicted;
  bool empty() const { return refused.empty() && evicted.empty(); }
};

class Mempool {
 public:
  // Seconds on a clock that only moves forward; the pool compares differences only.
  using Clock = std::function<std::uint64_t()>;

  // The other limits are MempoolLimits' defaults; the clock is std::chrono::steady_clock.
  explicit Mempool(std::size_t max_transactions);

  // Empty on success; otherwise the reason (the pool is unchanged then, and the refusal counted,
  // but for "already known", the usual fate of gossip):
  // "already known", "replacement transaction underpriced", "account limit exceeded: ...",
  // "nonce too high: ...", "insufficient funds for the sender's pooled transactions: ...",
  // "txpool is full". `state` is the head's, `base_fee` the chain's (eviction compares effective
  // tips). REQUIRES the transaction was admitted against `state` (admission.hpp): its nonce is not
  // below the account's, its own cost fits in 128 bits.
  std::string add(const eth::SignedTransaction& tx, const AccountReader& state, Wei base_fee);
  // The same with no state to consult, for tests and tools that fill a pool directly: every
  // sender counts as an account at nonce 0 holding 2^128 - 1 wei, and the base fee as 0.
  std::string add(const eth::SignedTransaction& tx);

  bool contains(const Hash32& hash) const;
  // A copy of the pooled transaction; nullopt when not pooled.
  std::optional<eth::SignedTransaction> find(const Hash32& hash) const;
  std::size_t size() const { return order_.size(); }
  std::size_t max_transactions() const { return max_transactions_; }
  // A new limit applies to later additions; a pool already above it keeps what it holds.
  void set_max_transactions(std::size_t max_transactions) { max_transactions_ = max_transactions; }
  const MempoolLimits& limits() const { return limits_; }
  // New limits apply to later additions and prunes; nothing pooled is dropped for them at once.
  void set_limits(const MempoolLimits& limits) { limits_ = limits; }
  // For tests: a clock they move. REQUIRES a clock that never goes back.
  void set_clock(Clock clock) { clock_ = std::move(clock); }

  // Counts a refusal decided before the pool was asked (admission's size checks), so that all
  // refusals come out of take_tally(). REQUIRES `reason` is one of refusal::kAll (it is kept as a
  // view).
  void count_refusal(std::string_view reason) { ++tally_.refused[reason]; }
  // What was refused and evicted since the last call; starts a new count.
  MempoolTally take_tally() { return std::exchange(tally_, {}); }

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
  // payload, or replaced by another transaction with that nonce). Not counted as evictions.
  void drop_stale(const AccountReader& state);
  // After a block: drop_stale(), but counted as evictions ("stale": included ones are removed by
  // hash before this), and gapped transactions pooled longer than lifetime_s evicted.
  void prune(const AccountReader& state);
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
  // Fields ordered so that the 16-byte ones pack: 144 bytes (the image's record is separate).
  struct Entry {
    Hash32 hash{};
    EthAddress sender{};
    std::uint32_t raw_size = 0;
    std::uint64_t arrival = 0;
    std::uint64_t nonce = 0;
    std::uint64_t arena_offset = 0;
    // Not in the image: when it was pooled (clock_), and its cost once computed.
    std::uint64_t pooled_at = 0;
    eth::TxType type = eth::TxType::legacy;
    bool cost_known = false;
    Wei fee_cap = 0;  // gas price (legacy) or max fee per gas
    Wei tip_cap = 0;  // gas price (legacy) or max priority fee per gas
    Wei cost = 0;     // value + gas limit x fee cap
  };

  // A sender's pooled transactions against its account: [begin, end) in order_.
  struct SenderView {
    std::size_t begin = 0;
    std::size_t end = 0;
    std::uint64_t next_nonce = 0;  // the account's nonce plus the contiguous pooled ones
    std::size_t pending = 0;       // the contiguous ones
    std::size_t stale = 0;         // below the account's nonce (left until the next prune)
  };

  // What by_hash_ compares: the digest a slot holds.
  auto key_of() const {
    return [this](std::uint32_t slot) -> const Hash32& { return slots_[slot].hash; };
  }
  eth::SignedTransaction rebuild(const Entry& entry) const;
  // The first position in order_ whose (sender, nonce) is not below the given one.
  std::size_t position(const EthAddress& sender, std::uint64_t nonce) const;
  SenderView sender_view(const EthAddress& sender, std::uint64_t account_nonce) const;
  // The cost of the view's transactions with a nonce at or above `from`, computing unknown ones.
  Wei cost_of(Entry& entry);
  Wei pooled_cost(const SenderView& view, std::uint64_t from);
  // The checks of add() for a sender and nonce not pooled yet: a reason, or empty.
  std::string check_sender_room(const eth::SignedTransaction& tx, const SenderView& view);
  // Evicts one transaction of another sender for `tx`, by the rules above; false if none may go.
  bool make_room(const eth::SignedTransaction& tx, const AccountReader& state, Wei base_fee,
                 bool executable);
  std::string refuse(std::string_view reason, std::string message);
  void erase_at(std::size_t at);
  void release(std::uint32_t slot);
  void compact_arena_if_wasteful();

  std::size_t max_transactions_;
  MempoolLimits limits_;
  Clock clock_;
  MempoolTally tally_;
  std::uint64_t next_arrival_ = 0;
  std::vector<Entry> slots_;
  std::vector<std::uint32_t> free_slots_;
  std::vector<std::uint32_t> order_;  // the pooled slots by (sender, nonce)
  DigestIndex by_hash_;
  Bytes arena_;
  std::size_t arena_garbage_ = 0;  // raw bytes of replaced or removed entries still in the arena
};

}  // namespace alys::engine::embedded
