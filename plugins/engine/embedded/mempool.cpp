#include "engine/embedded/mempool.hpp"

#include <algorithm>
#include <chrono>
#include <queue>
#include <tuple>

#include "engine/embedded/pooled_transaction.hpp"
#include "engine/embedded/transfer_rules.hpp"

namespace alys::engine::embedded {

namespace {

// geth's price bump: strictly more, and at least old + 10% (rounded down, as geth's integer math).
bool bumped_enough(Wei old_value, Wei new_value) {
  return new_value > old_value && new_value >= old_value + old_value / 10;
}

std::uint64_t steady_seconds() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
}

constexpr Wei kMaxWei = ~Wei{0};

// What add(tx) assumes of every sender.
class UnboundedAccounts final : public AccountReader {
 public:
  Account account(const EthAddress&) const override { return Account{0, kMaxWei}; }
};

Wei saturating_add(Wei a, Wei b) { return b > kMaxWei - a ? kMaxWei : a + b; }

Wei tip_cap(const eth::Transaction& tx) {
  return tx.type == eth::TxType::legacy ? tx.gas_price : tx.max_priority_fee_per_gas;
}

// The fee fields effective_tip() reads, from an entry's caps.
eth::Transaction fee_fields(eth::TxType type, Wei fee_cap, Wei tip) {
  eth::Transaction tx;
  tx.type = type;
  if (type == eth::TxType::legacy) {
    tx.gas_price = fee_cap;
  } else {
    tx.max_fee_per_gas = fee_cap;
    tx.max_priority_fee_per_gas = tip;
  }
  return tx;
}

}  // namespace

Mempool::Mempool(std::size_t max_transactions)
    : max_transactions_(max_transactions), clock_(steady_seconds) {}

std::string Mempool::add(const eth::SignedTransaction& tx, const AccountReader& state,
                         Wei base_fee) {
  // Not a refusal to count: the usual fate of gossip (the engine counts it apart).
  if (contains(tx.hash)) return "already known";
  const Account account = state.account(tx.sender);
  const SenderView view = sender_view(tx.sender, account.nonce);
  std::size_t at = position(tx.sender, tx.tx.nonce);
  const bool replaces = at < order_.size() && slots_[order_[at]].sender == tx.sender &&
                        slots_[order_[at]].nonce == tx.tx.nonce;
  if (replaces) {
    const Entry& old = slots_[order_[at]];
    if (!bumped_enough(old.fee_cap, tx.tx.fee_cap()) || !bumped_enough(old.tip_cap, tip_cap(tx.tx)))
      return refuse(refusal::kUnderpriced, "replacement transaction underpriced");
  } else if (std::string reason = check_sender_room(tx, view); !reason.empty()) {
    return reason;
  }

  // What the sender's pooled transactions may cost together, the replaced one left out: each is
  // charged at most its own cost, and all of them may run.
  const Wei cost = max_cost(tx.tx).value_or(kMaxWei);
  Wei pooled = pooled_cost(view, account.nonce);
  if (replaces && slots_[order_[at]].nonce >= account.nonce && pooled != kMaxWei)
    pooled -= slots_[order_[at]].cost;
  if (saturating_add(pooled, cost) > account.balance)
    return refuse(refusal::kSenderFunds,
                  "insufficient funds for the sender's pooled transactions: balance " +
                      wei_to_decimal(account.balance) + ", cost of the other pooled ones " +
                      (pooled == kMaxWei ? std::string("above 2^128") : wei_to_decimal(pooled)) +
                      ", tx cost " + wei_to_decimal(cost));

  if (!replaces && size() >= max_transactions_) {
    if (!make_room(tx, state, base_fee, tx.tx.nonce == view.next_nonce))
      return refuse(refusal::kPoolFull, "txpool is full");
    at = position(tx.sender, tx.tx.nonce);
  }

  Entry entry;
  entry.hash = tx.hash;
  entry.sender = tx.sender;
  entry.arrival = next_arrival_++;
  entry.nonce = tx.tx.nonce;
  entry.fee_cap = tx.tx.fee_cap();
  entry.tip_cap = tip_cap(tx.tx);
  entry.type = tx.tx.type;
  entry.arena_offset = arena_.size();
  entry.raw_size = static_cast<std::uint32_t>(tx.raw.size());
  entry.pooled_at = clock_();
  entry.cost_known = true;
  entry.cost = cost;
  arena_.insert(arena_.end(), tx.raw.begin(), tx.raw.end());

  if (replaces) {
    std::uint32_t slot = order_[at];
    by_hash_.erase(slots_[slot].hash, key_of());
    arena_garbage_ += slots_[slot].raw_size;
    slots_[slot] = entry;
    by_hash_.insert(entry.hash, slot, key_of());
  } else {
    std::uint32_t slot;
    if (!free_slots_.empty()) {
      slot = free_slots_.back();
      free_slots_.pop_back();
      slots_[slot] = entry;
    } else {
      slot = static_cast<std::uint32_t>(slots_.size());
      slots_.push_back(entry);
    }
    order_.insert(order_.begin() + static_cast<std::ptrdiff_t>(at), slot);
    by_hash_.insert(entry.hash, slot, key_of());
  }
  compact_arena_if_wasteful();
  return {};
}

std::string Mempool::add(const eth::SignedTransaction& tx) {
  return add(tx, UnboundedAccounts{}, 0);
}

std::string Mempool::check_sender_room(const eth::SignedTransaction& tx, const SenderView& view) {
  const std::uint64_t nonce = tx.tx.nonce;
  if (nonce == view.next_nonce && view.pending >= limits_.max_pending_per_sender)
    return refuse(refusal::kSenderPending,
                  "account limit exceeded: the pool already holds " + std::to_string(view.pending) +
                      " executable transactions from " + address_text(tx.sender) +
                      ", the most it takes from one sender; send more once some are included");
  if (nonce > view.next_nonce && nonce - view.next_nonce > limits_.max_future_per_sender)
    return refuse(refusal::kNonceGap,
                  "nonce too high: next nonce " + std::to_string(view.next_nonce) + ", tx nonce " +
                      std::to_string(nonce) + "; the pool takes nonces at most " +
                      std::to_string(limits_.max_future_per_sender) +
                      " beyond the sender's next one");
  return {};
}

Mempool::SenderView Mempool::sender_view(const EthAddress& sender,
                                         std::uint64_t account_nonce) const {
  SenderView view;
  view.begin = position(sender, 0);
  view.end = view.begin;
  view.next_nonce = account_nonce;
  for (; view.end < order_.size() && slots_[order_[view.end]].sender == sender; ++view.end) {
    const std::uint64_t nonce = slots_[order_[view.end]].nonce;
    if (nonce < account_nonce) {
      ++view.stale;
    } else if (nonce == view.next_nonce) {
      ++view.next_nonce;
      ++view.pending;
    }
  }
  return view;
}

// An image's entries carry no cost: computed once, from the raw transaction, when first needed.
Wei Mempool::cost_of(Entry& entry) {
  if (!entry.cost_known) {
    entry.cost = max_cost(rebuild(entry).tx).value_or(kMaxWei);
    entry.cost_known = true;
  }
  return entry.cost;
}

Wei Mempool::pooled_cost(const SenderView& view, std::uint64_t from) {
  Wei total = 0;
  for (std::size_t at = view.begin; at < view.end; ++at) {
    Entry& entry = slots_[order_[at]];
    if (entry.nonce < from) continue;
    total = saturating_add(total, cost_of(entry));
  }
  return total;
}

bool Mempool::make_room(const eth::SignedTransaction& tx, const AccountReader& state, Wei base_fee,
                        bool executable) {
  // A gapped newcomer would trade one waiting transaction for another: not worth an eviction.
  if (!executable) return false;
  auto tip_of = [base_fee](const Entry& entry) -> Wei {
    if (entry.fee_cap < base_fee) return 0;
    return effective_tip(fee_fields(entry.type, entry.fee_cap, entry.tip_cap), base_fee);
  };
  // One pass over the other senders: the one holding the most transactions that cannot run now
  // (gapped, or stale before a prune), and the cheapest last transaction of an executable run
  // (removing a run's last one leaves the rest executable).
  std::optional<std::size_t> waiting_victim;
  std::size_t most_waiting = 0;
  std::optional<std::size_t> run_victim;
  for (std::size_t at = 0; at < order_.size();) {
    const EthAddress sender = slots_[order_[at]].sender;
    const SenderView view = sender_view(sender, state.account(sender).nonce);
    at = view.end;
    if (sender == tx.sender) continue;
    const std::size_t waiting = view.end - view.begin - view.pending;
    if (waiting > most_waiting) {
      most_waiting = waiting;
      // The highest nonce when it is gapped, else a stale one (worth nothing).
      const bool last_gapped = slots_[order_[view.end - 1]].nonce > view.next_nonce;
      waiting_victim = last_gapped ? view.end - 1 : view.begin;
    }
    if (view.pending == 0) continue;
    const std::size_t tail = view.begin + view.stale + view.pending - 1;
    if (!run_victim) {
      run_victim = tail;
      continue;
    }
    const Entry& candidate = slots_[order_[tail]];
    const Entry& cheapest = slots_[order_[*run_victim]];
    // The lowest tip goes; on a tie the later arrival, as geth keeps the older.
    const Wei candidate_tip = tip_of(candidate), cheapest_tip = tip_of(cheapest);
    if (candidate_tip < cheapest_tip ||
        (candidate_tip == cheapest_tip && candidate.arrival > cheapest.arrival))
      run_victim = tail;
  }
  if (waiting_victim) {
    erase_at(*waiting_victim);
  } else if (run_victim && effective_tip(tx.tx, base_fee) > tip_of(slots_[order_[*run_victim]])) {
    erase_at(*run_victim);
  } else {
    return false;
  }
  ++tally_.evicted[eviction::kPoolFull];
  return true;
}

std::string Mempool::refuse(std::string_view reason, std::string message) {
  ++tally_.refused[reason];
  return message;
}

bool Mempool::contains(const Hash32& hash) const {
  return by_hash_.find(hash, key_of()).has_value();
}

std::optional<eth::SignedTransaction> Mempool::find(const Hash32& hash) const {
  std::optional<std::uint32_t> slot = by_hash_.find(hash, key_of());
  if (!slot) return std::nullopt;
  return rebuild(slots_[*slot]);
}

std::uint64_t Mempool::pending_nonce(const EthAddress& sender, std::uint64_t account_nonce) const {
  std::uint64_t next = account_nonce;
  for (std::size_t at = position(sender, account_nonce); at < order_.size(); ++at) {
    const Entry& entry = slots_[order_[at]];
    if (entry.sender != sender || entry.nonce != next) break;
    ++next;
  }
  return next;
}

std::vector<eth::SignedTransaction> Mempool::select(const AccountReader& state, Wei base_fee,
                                                    std::size_t max_count) const {
  // Each sender's executable run, in nonce order.
  std::vector<std::vector<const Entry*>> runs;
  for (std::size_t at = 0; at < order_.size();) {
    const EthAddress& sender = slots_[order_[at]].sender;
    std::size_t end = at;
    while (end < order_.size() && slots_[order_[end]].sender == sender) ++end;
    std::vector<const Entry*> run;
    std::uint64_t next = state.account(sender).nonce;
    for (std::size_t i = at; i < end; ++i) {
      const Entry& entry = slots_[order_[i]];
      if (entry.nonce < next) continue;
      if (entry.nonce != next || entry.fee_cap < base_fee) break;
      run.push_back(&entry);
      ++next;
    }
    if (!run.empty()) runs.push_back(std::move(run));
    at = end;
  }

  // The head of every run competes; taking one moves its sender's run on by one.
  struct Head {
    Wei tip;
    std::uint64_t arrival;
    std::size_t run;
    std::size_t position;
  };
  auto worse = [](const Head& a, const Head& b) {
    return std::tie(a.tip, b.arrival) < std::tie(b.tip, a.arrival);
  };
  std::priority_queue<Head, std::vector<Head>, decltype(worse)> heads(worse);
  auto push = [&](std::size_t run, std::size_t position) {
    const Entry* entry = runs[run][position];
    heads.push(
        Head{effective_tip(fee_fields(entry->type, entry->fee_cap, entry->tip_cap), base_fee),
             entry->arrival, run, position});
  };
  for (std::size_t run = 0; run < runs.size(); ++run) push(run, 0);

  std::vector<eth::SignedTransaction> selected;
  while (!heads.empty() && selected.size() < max_count) {
    Head best = heads.top();
    heads.pop();
    selected.push_back(rebuild(*runs[best.run][best.position]));
    if (best.position + 1 < runs[best.run].size()) push(best.run, best.position + 1);
  }
  return selected;
}

void Mempool::remove(const Hash32& hash) {
  std::optional<std::uint32_t> slot = by_hash_.find(hash, key_of());
  if (!slot) return;
  erase_at(position(slots_[*slot].sender, slots_[*slot].nonce));
  compact_arena_if_wasteful();
}

void Mempool::drop_stale(const AccountReader& state) {
  std::size_t kept = 0;
  for (std::size_t at = 0; at < order_.size();) {
    const EthAddress sender = slots_[order_[at]].sender;
    const std::uint64_t nonce = state.account(sender).nonce;
    for (; at < order_.size() && slots_[order_[at]].sender == sender; ++at) {
      if (slots_[order_[at]].nonce < nonce)
        release(order_[at]);
      else
        order_[kept++] = order_[at];
    }
  }
  order_.resize(kept);
  compact_arena_if_wasteful();
}

void Mempool::prune(const AccountReader& state) {
  const std::uint64_t now = clock_();
  std::size_t kept = 0;
  for (std::size_t at = 0; at < order_.size();) {
    const EthAddress sender = slots_[order_[at]].sender;
    const Account account = state.account(sender);
    std::uint64_t next = account.nonce;
    // The executable run, in nonce order, must stay affordable: from the first transaction the
    // balance cannot cover, the rest of the sender's could never run.
    Wei spent = 0;
    bool unaffordable = false;
    for (; at < order_.size() && slots_[order_[at]].sender == sender; ++at) {
      Entry& entry = slots_[order_[at]];
      std::string_view evicted;
      if (entry.nonce < account.nonce) {
        evicted = eviction::kStale;
      } else if (unaffordable) {
        evicted = eviction::kFunds;
      } else if (entry.nonce == next) {
        spent = saturating_add(spent, cost_of(entry));
        if (spent > account.balance) {
          unaffordable = true;
          evicted = eviction::kFunds;
        } else {
          ++next;
        }
      } else if (now > entry.pooled_at && now - entry.pooled_at > limits_.lifetime_s) {
        evicted = eviction::kLifetime;
      }
      if (evicted.empty()) {
        order_[kept++] = order_[at];
      } else {
        ++tally_.evicted[evicted];
        release(order_[at]);
      }
    }
  }
  order_.resize(kept);
  compact_arena_if_wasteful();
}

void Mempool::clear() {
  slots_.clear();
  free_slots_.clear();
  order_.clear();
  by_hash_.clear();
  arena_.clear();
  arena_garbage_ = 0;
}

eth::SignedTransaction Mempool::rebuild(const Entry& entry) const {
  return rebuild_transaction(ByteView(arena_).subspan(entry.arena_offset, entry.raw_size),
                             entry.sender, entry.hash);
}

std::size_t Mempool::position(const EthAddress& sender, std::uint64_t nonce) const {
  auto found = std::lower_bound(order_.begin(), order_.end(), std::tie(sender, nonce),
                                [this](std::uint32_t slot, const auto& key) {
                                  const Entry& entry = slots_[slot];
                                  return std::tie(entry.sender, entry.nonce) < key;
                                });
  return static_cast<std::size_t>(found - order_.begin());
}

void Mempool::erase_at(std::size_t at) {
  const std::uint32_t slot = order_[at];
  order_.erase(order_.begin() + static_cast<std::ptrdiff_t>(at));
  release(slot);
}

void Mempool::release(std::uint32_t slot) {
  by_hash_.erase(slots_[slot].hash, key_of());
  arena_garbage_ += slots_[slot].raw_size;
  free_slots_.push_back(slot);
}

void Mempool::compact_arena_if_wasteful() {
  // Rewriting the arena costs its live bytes: only once the garbage outweighs them (and is worth
  // a copy), so each byte is copied a bounded number of times over its life.
  constexpr std::size_t kMinGarbage = 1 << 20;
  if (arena_garbage_ < kMinGarbage || arena_garbage_ < arena_.size() - arena_garbage_) return;
  Bytes compacted;
  compacted.reserve(arena_.size() - arena_garbage_);
  for (std::uint32_t slot : order_) {
    Entry& entry = slots_[slot];
    const std::uint8_t* raw = arena_.data() + entry.arena_offset;
    entry.arena_offset = compacted.size();
    compacted.insert(compacted.end(), raw, raw + entry.raw_size);
  }
  arena_ = std::move(compacted);
  arena_garbage_ = 0;
}

}  // namespace alys::engine::embedded
