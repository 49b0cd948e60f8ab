#include "engine/embedded/mempool.hpp"

#include <queue>
#include <tuple>

#include "engine/embedded/transfer_rules.hpp"

namespace alys::engine::embedded {

namespace {

// The priority fee a sender offers at most: what a replacement has to raise besides the fee cap.
Wei tip_cap(const eth::Transaction& tx) {
  return tx.type == eth::TxType::legacy ? tx.gas_price : tx.max_priority_fee_per_gas;
}

// geth's price bump: strictly more, and at least old + 10% (rounded down, as geth's integer math).
bool bumped_enough(Wei old_value, Wei new_value) {
  return new_value > old_value && new_value >= old_value + old_value / 10;
}

}  // namespace

std::string Mempool::add(eth::SignedTransaction tx) {
  if (by_hash_.count(tx.hash) != 0) return "already known";
  auto& queue = by_sender_[tx.sender];
  auto existing = queue.find(tx.tx.nonce);
  if (existing != queue.end()) {
    const eth::Transaction& old = existing->second.tx.tx;
    if (!bumped_enough(old.fee_cap(), tx.tx.fee_cap()) ||
        !bumped_enough(tip_cap(old), tip_cap(tx.tx)))
      return "replacement transaction underpriced";
    by_hash_.erase(existing->second.tx.hash);
    by_hash_[tx.hash] = Slot{tx.sender, tx.tx.nonce};
    existing->second = Entry{std::move(tx), next_arrival_++};
    return {};
  }
  if (by_hash_.size() >= max_transactions_) {
    if (queue.empty()) by_sender_.erase(tx.sender);
    return "txpool is full";
  }
  by_hash_[tx.hash] = Slot{tx.sender, tx.tx.nonce};
  std::uint64_t nonce = tx.tx.nonce;
  queue.emplace(nonce, Entry{std::move(tx), next_arrival_++});
  return {};
}

const eth::SignedTransaction* Mempool::find(const Hash32& hash) const {
  auto slot = by_hash_.find(hash);
  if (slot == by_hash_.end()) return nullptr;
  return &by_sender_.at(slot->second.sender).at(slot->second.nonce).tx;
}

std::uint64_t Mempool::pending_nonce(const EthAddress& sender, std::uint64_t account_nonce) const {
  auto queue = by_sender_.find(sender);
  if (queue == by_sender_.end()) return account_nonce;
  std::uint64_t next = account_nonce;
  for (auto entry = queue->second.find(next); entry != queue->second.end() && entry->first == next;
       ++entry)
    ++next;
  return next;
}

std::vector<eth::SignedTransaction> Mempool::select(const AccountReader& state, Wei base_fee,
                                                    std::size_t max_count) const {
  // Each sender's executable run, in nonce order.
  std::vector<std::vector<const Entry*>> runs;
  for (const auto& [sender, queue] : by_sender_) {
    std::vector<const Entry*> run;
    std::uint64_t next = state.account(sender).nonce;
    for (auto entry = queue.find(next); entry != queue.end() && entry->first == next; ++entry) {
      if (entry->second.tx.tx.fee_cap() < base_fee) break;
      run.push_back(&entry->second);
      ++next;
    }
    if (!run.empty()) runs.push_back(std::move(run));
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
    heads.push(Head{effective_tip(entry->tx.tx, base_fee), entry->arrival, run, position});
  };
  for (std::size_t run = 0; run < runs.size(); ++run) push(run, 0);

  std::vector<eth::SignedTransaction> selected;
  while (!heads.empty() && selected.size() < max_count) {
    Head best = heads.top();
    heads.pop();
    selected.push_back(runs[best.run][best.position]->tx);
    if (best.position + 1 < runs[best.run].size()) push(best.run, best.position + 1);
  }
  return selected;
}

void Mempool::remove(const Hash32& hash) {
  auto slot = by_hash_.find(hash);
  if (slot == by_hash_.end()) return;
  auto queue = by_sender_.find(slot->second.sender);
  queue->second.erase(slot->second.nonce);
  if (queue->second.empty()) by_sender_.erase(queue);
  by_hash_.erase(slot);
}

void Mempool::drop_stale(const AccountReader& state) {
  for (auto queue = by_sender_.begin(); queue != by_sender_.end();) {
    std::uint64_t nonce = state.account(queue->first).nonce;
    auto& entries = queue->second;
    for (auto entry = entries.begin(); entry != entries.end() && entry->first < nonce;) {
      by_hash_.erase(entry->second.tx.hash);
      entry = entries.erase(entry);
    }
    queue = entries.empty() ? by_sender_.erase(queue) : std::next(queue);
  }
}

void Mempool::clear() {
  by_sender_.clear();
  by_hash_.clear();
}

}  // namespace alys::engine::embedded
