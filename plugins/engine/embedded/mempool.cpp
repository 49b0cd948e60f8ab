#include "engine/embedded/mempool.hpp"

#include <queue>
#include <tuple>

#include "engine/embedded/state_image.hpp"
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

// The fixed part of a pooled entry in an image, at the least: arrival, hash, type, chain id, nonce,
// three fee fields, gas limit, has-to, value, data and access-list counts, r, s, recovery id, raw
// length. Used to refuse counts the bytes cannot hold.
constexpr std::size_t kMinEntryBytes =
    8 + 32 + 1 + 8 + 8 + 16 * 3 + 8 + 1 + 16 + 1 + 1 + 64 + 1 + 1;

void write_transaction(Writer& writer, const eth::SignedTransaction& signed_tx) {
  const eth::Transaction& tx = signed_tx.tx;
  writer.write(static_cast<std::uint8_t>(tx.type));
  writer.write(tx.chain_id);
  writer.write(tx.nonce);
  write_wei(writer, tx.gas_price);
  write_wei(writer, tx.max_priority_fee_per_gas);
  write_wei(writer, tx.max_fee_per_gas);
  writer.write(tx.gas_limit);
  writer.write(tx.to.has_value());
  if (tx.to) writer.write(*tx.to);
  write_wei(writer, tx.value);
  writer.write(tx.data);
  writer.varint(tx.access_list.size());
  for (const eth::AccessListEntry& entry : tx.access_list) {
    writer.write(entry.address);
    writer.write(entry.storage_keys);
  }
  writer.write(signed_tx.signature.r);
  writer.write(signed_tx.signature.s);
  writer.write(static_cast<std::uint8_t>(signed_tx.signature.recovery_id));
  writer.write(signed_tx.raw);
}

void read_transaction(Reader& reader, eth::SignedTransaction& signed_tx) {
  eth::Transaction& tx = signed_tx.tx;
  std::uint8_t type = 0;
  reader.read(type);
  if (type != static_cast<std::uint8_t>(eth::TxType::legacy) &&
      type != static_cast<std::uint8_t>(eth::TxType::eip1559))
    throw DecodeError("pooled transaction of unknown type " + std::to_string(type));
  tx.type = static_cast<eth::TxType>(type);
  reader.read(tx.chain_id);
  reader.read(tx.nonce);
  tx.gas_price = read_wei(reader);
  tx.max_priority_fee_per_gas = read_wei(reader);
  tx.max_fee_per_gas = read_wei(reader);
  reader.read(tx.gas_limit);
  bool has_to = false;
  reader.read(has_to);
  if (has_to) {
    EthAddress to{};
    reader.read(to);
    tx.to = to;
  }
  tx.value = read_wei(reader);
  reader.read(tx.data);
  tx.access_list.resize(read_count(reader, 20 + 1, "access list"));
  for (eth::AccessListEntry& entry : tx.access_list) {
    reader.read(entry.address);
    reader.read(entry.storage_keys);
  }
  reader.read(signed_tx.signature.r);
  reader.read(signed_tx.signature.s);
  std::uint8_t recovery_id = 0;
  reader.read(recovery_id);
  if (recovery_id > 1) throw DecodeError("pooled transaction with recovery id above 1");
  signed_tx.signature.recovery_id = recovery_id;
  reader.read(signed_tx.raw);
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

void Mempool::write_image(Writer& writer) const {
  writer.write(next_arrival_);
  writer.varint(by_sender_.size());
  for (const auto& [sender, queue] : by_sender_) {
    writer.write(sender);
    writer.varint(queue.size());
    for (const auto& [nonce, entry] : queue) {
      writer.write(entry.arrival);
      writer.write(entry.tx.hash);
      write_transaction(writer, entry.tx);
    }
  }
}

void Mempool::read_image(Reader& reader) {
  clear();
  try {
    reader.read(next_arrival_);
    std::size_t senders = read_count(reader, 20 + 1 + kMinEntryBytes, "mempool senders");
    for (std::size_t s = 0; s < senders; ++s) {
      EthAddress sender{};
      reader.read(sender);
      if (!by_sender_.empty() && !(by_sender_.rbegin()->first < sender))
        throw DecodeError("mempool senders out of order at " + address_text(sender));
      std::size_t count = read_count(reader, kMinEntryBytes, "mempool entries");
      if (count == 0) throw DecodeError("mempool sender " + address_text(sender) + " has no entry");
      auto& queue =
          by_sender_.emplace_hint(by_sender_.end(), sender, std::map<std::uint64_t, Entry>{})
              ->second;
      by_hash_.reserve(by_hash_.size() + count);
      for (std::size_t i = 0; i < count; ++i) {
        Entry entry;
        reader.read(entry.arrival);
        reader.read(entry.tx.hash);
        read_transaction(reader, entry.tx);
        entry.tx.sender = sender;
        std::uint64_t nonce = entry.tx.tx.nonce;
        if (!queue.empty() && queue.rbegin()->first >= nonce)
          throw DecodeError("mempool nonces of " + address_text(sender) + " out of order at " +
                            std::to_string(nonce));
        if (entry.arrival >= next_arrival_)
          throw DecodeError("mempool entry arrived at " + std::to_string(entry.arrival) +
                            ", not before the pool's counter " + std::to_string(next_arrival_));
        if (!by_hash_.emplace(entry.tx.hash, Slot{sender, nonce}).second)
          throw DecodeError("transaction " + to_0x_hex(entry.tx.hash) + " pooled twice");
        queue.emplace_hint(queue.end(), nonce, std::move(entry));
      }
    }
  } catch (...) {
    clear();
    throw;
  }
}

}  // namespace alys::engine::embedded
