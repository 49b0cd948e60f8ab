#include "engine/embedded/mempool.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <queue>
#include <tuple>

#include "engine/embedded/state_image.hpp"
#include "engine/embedded/transfer_rules.hpp"

namespace alys::engine::embedded {

// An image stores integers little-endian, as the codec does; entries are copied field by field.
static_assert(std::endian::native == std::endian::little,
              "the mempool image copies integers as they are in memory: little-endian hosts only");

namespace {

// geth's price bump: strictly more, and at least old + 10% (rounded down, as geth's integer math).
bool bumped_enough(Wei old_value, Wei new_value) {
  return new_value > old_value && new_value >= old_value + old_value / 10;
}

// The fields a selection compares, without the variable bytes.
eth::Transaction fee_fields(eth::TxType type, Wei gas_price, Wei max_priority, Wei max_fee) {
  eth::Transaction tx;
  tx.type = type;
  tx.gas_price = gas_price;
  tx.max_priority_fee_per_gas = max_priority;
  tx.max_fee_per_gas = max_fee;
  return tx;
}

Bytes encode_access_list(const std::vector<eth::AccessListEntry>& list) {
  if (list.empty()) return {};
  Writer writer;
  writer.varint(list.size());
  for (const eth::AccessListEntry& entry : list) writer(entry.address, entry.storage_keys);
  return writer.take();
}

std::vector<eth::AccessListEntry> decode_access_list(ByteView bytes) {
  std::vector<eth::AccessListEntry> list;
  if (bytes.empty()) return list;
  Reader reader(bytes);
  list.resize(read_count(reader, 20 + 1, "access list"));
  for (eth::AccessListEntry& entry : list) {
    reader.read(entry.address);
    reader.read(entry.storage_keys);
  }
  if (reader.remaining() != 0) throw DecodeError("access list followed by stray bytes");
  return list;
}

// One entry's fixed part in an image (docs/engine.md, "Hot swap"), written and read at fixed
// offsets: arrival 8, hash 32, sender 20, type 1, chain id 8, nonce 8, gas price 16, max priority
// fee 16, max fee 16, gas limit 8, has-to 1, to 20, value 16, r 32, s 32, recovery id 1, the offset
// of its variable bytes in the image's arena 8, the sizes of raw, data and access list 4 each.
constexpr std::size_t kRecordSize =
    8 + 32 + 20 + 1 + 8 + 8 + 16 * 3 + 8 + 1 + 20 + 16 + 64 + 1 + 8 + 12;

class RecordWriter {
 public:
  explicit RecordWriter(std::uint8_t* out) : out_(out) {}
  template <class T>
  RecordWriter& put(const T& value) {
    std::memcpy(out_, &value, sizeof value);
    out_ += sizeof value;
    return *this;
  }

 private:
  std::uint8_t* out_;
};

class RecordReader {
 public:
  explicit RecordReader(const std::uint8_t* in) : in_(in) {}
  template <class T>
  RecordReader& get(T& value) {
    std::memcpy(&value, in_, sizeof value);
    in_ += sizeof value;
    return *this;
  }

 private:
  const std::uint8_t* in_;
};

}  // namespace

std::string Mempool::add(const eth::SignedTransaction& tx) {
  if (contains(tx.hash)) return "already known";
  std::size_t at = position(tx.sender, tx.tx.nonce);
  const bool replaces = at < order_.size() && slots_[order_[at]].sender == tx.sender &&
                        slots_[order_[at]].nonce == tx.tx.nonce;
  if (replaces) {
    const Entry& old = slots_[order_[at]];
    const Wei tip =
        tx.tx.type == eth::TxType::legacy ? tx.tx.gas_price : tx.tx.max_priority_fee_per_gas;
    if (!bumped_enough(old.fee_cap(), tx.tx.fee_cap()) || !bumped_enough(old.tip_cap(), tip))
      return "replacement transaction underpriced";
  } else if (size() >= max_transactions_) {
    return "txpool is full";
  }

  Entry entry;
  entry.hash = tx.hash;
  entry.sender = tx.sender;
  entry.has_to = tx.tx.to.has_value();
  if (tx.tx.to) entry.to = *tx.tx.to;
  entry.r = tx.signature.r;
  entry.s = tx.signature.s;
  entry.recovery_id = static_cast<std::uint8_t>(tx.signature.recovery_id);
  entry.arrival = next_arrival_++;
  entry.chain_id = tx.tx.chain_id;
  entry.nonce = tx.tx.nonce;
  entry.gas_limit = tx.tx.gas_limit;
  entry.gas_price = tx.tx.gas_price;
  entry.max_priority_fee_per_gas = tx.tx.max_priority_fee_per_gas;
  entry.max_fee_per_gas = tx.tx.max_fee_per_gas;
  entry.value = tx.tx.value;
  entry.type = tx.tx.type;
  store_variable(entry, tx);

  if (replaces) {
    std::uint32_t slot = order_[at];
    by_hash_.erase(slots_[slot].hash);
    arena_garbage_ += slots_[slot].variable_size();
    slots_[slot] = entry;
    by_hash_.insert(entry.hash, slot);
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
    by_hash_.insert(entry.hash, slot);
  }
  compact_arena_if_wasteful();
  return {};
}

std::optional<eth::SignedTransaction> Mempool::find(const Hash32& hash) const {
  std::optional<std::uint32_t> slot = by_hash_.find(hash);
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
      if (entry.nonce != next || entry.fee_cap() < base_fee) break;
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
    eth::Transaction fees = fee_fields(entry->type, entry->gas_price,
                                       entry->max_priority_fee_per_gas, entry->max_fee_per_gas);
    heads.push(Head{effective_tip(fees, base_fee), entry->arrival, run, position});
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
  std::optional<std::uint32_t> slot = by_hash_.find(hash);
  if (!slot) return;
  const Entry& entry = slots_[*slot];
  order_.erase(order_.begin() + static_cast<std::ptrdiff_t>(position(entry.sender, entry.nonce)));
  release(*slot);
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

void Mempool::clear() {
  slots_.clear();
  free_slots_.clear();
  order_.clear();
  by_hash_.clear();
  arena_.clear();
  arena_garbage_ = 0;
}

void Mempool::write_image(Writer& writer) const {
  // The arena goes as it is, garbage and all, unless the garbage is worth leaving out: one copy
  // instead of one per entry.
  const bool as_is = arena_garbage_ * 8 <= arena_.size();
  const std::size_t arena_size = as_is ? arena_.size() : arena_.size() - arena_garbage_;
  writer.write(next_arrival_);
  writer.varint(order_.size());
  writer.varint(arena_size);
  Bytes& out = writer.bytes();
  std::size_t at = out.size();
  out.resize(at + order_.size() * kRecordSize + arena_size);
  std::uint8_t* records = out.data() + at;
  std::uint8_t* arena = records + order_.size() * kRecordSize;
  std::uint64_t offset = 0;
  for (std::uint32_t slot : order_) {
    const Entry& e = slots_[slot];
    if (!as_is) {
      std::memcpy(arena + offset, arena_.data() + e.arena_offset, e.variable_size());
    }
    RecordWriter(records)
        .put(e.arrival)
        .put(e.hash)
        .put(e.sender)
        .put(static_cast<std::uint8_t>(e.type))
        .put(e.chain_id)
        .put(e.nonce)
        .put(e.gas_price)
        .put(e.max_priority_fee_per_gas)
        .put(e.max_fee_per_gas)
        .put(e.gas_limit)
        .put(static_cast<std::uint8_t>(e.has_to))
        .put(e.to)
        .put(e.value)
        .put(e.r)
        .put(e.s)
        .put(e.recovery_id)
        .put(as_is ? e.arena_offset : offset)
        .put(e.raw_size)
        .put(e.data_size)
        .put(e.access_list_size);
    records += kRecordSize;
    offset += e.variable_size();
  }
  if (as_is && !arena_.empty()) std::memcpy(arena, arena_.data(), arena_.size());
}

void Mempool::read_image(Reader& reader) {
  clear();
  try {
    reader.read(next_arrival_);
    std::size_t count = read_count(reader, kRecordSize, "mempool entries");
    std::uint64_t arena_size = reader.varint();
    ByteView records = reader.take(count * kRecordSize);
    ByteView arena = reader.take(static_cast<std::size_t>(
        std::min<std::uint64_t>(arena_size, std::numeric_limits<std::size_t>::max())));
    arena_.assign(arena.begin(), arena.end());
    slots_.resize(count);
    order_.resize(count);
    by_hash_.reserve(count);
    std::size_t live = 0;
    for (std::size_t i = 0; i < count; ++i) {
      Entry& e = slots_[i];
      std::uint8_t type = 0;
      std::uint8_t has_to = 0;
      RecordReader(records.data() + i * kRecordSize)
          .get(e.arrival)
          .get(e.hash)
          .get(e.sender)
          .get(type)
          .get(e.chain_id)
          .get(e.nonce)
          .get(e.gas_price)
          .get(e.max_priority_fee_per_gas)
          .get(e.max_fee_per_gas)
          .get(e.gas_limit)
          .get(has_to)
          .get(e.to)
          .get(e.value)
          .get(e.r)
          .get(e.s)
          .get(e.recovery_id)
          .get(e.arena_offset)
          .get(e.raw_size)
          .get(e.data_size)
          .get(e.access_list_size);
      if (type != static_cast<std::uint8_t>(eth::TxType::legacy) &&
          type != static_cast<std::uint8_t>(eth::TxType::eip1559))
        throw DecodeError("pooled transaction of unknown type " + std::to_string(type));
      if (has_to > 1 || e.recovery_id > 1)
        throw DecodeError("pooled transaction " + to_0x_hex(e.hash) + " has a malformed flag");
      e.type = static_cast<eth::TxType>(type);
      e.has_to = has_to == 1;
      if (i > 0) {
        const Entry& previous = slots_[i - 1];
        if (std::tie(previous.sender, previous.nonce) >= std::tie(e.sender, e.nonce))
          throw DecodeError("mempool entries out of order at " + address_text(e.sender) +
                            " nonce " + std::to_string(e.nonce));
      }
      if (e.arrival >= next_arrival_)
        throw DecodeError("mempool entry arrived at " + std::to_string(e.arrival) +
                          ", not before the pool's counter " + std::to_string(next_arrival_));
      if (e.arena_offset > arena_.size() || e.variable_size() > arena_.size() - e.arena_offset)
        throw DecodeError("pooled transaction " + to_0x_hex(e.hash) +
                          " lies outside the image's arena");
      live += e.variable_size();
      if (e.access_list_size != 0)  // refused now rather than when the transaction is asked for
        (void)decode_access_list(ByteView(arena_).subspan(e.arena_offset + e.raw_size + e.data_size,
                                                          e.access_list_size));
      if (!by_hash_.insert(e.hash, static_cast<std::uint32_t>(i)))
        throw DecodeError("transaction " + to_0x_hex(e.hash) + " pooled twice");
      order_[i] = static_cast<std::uint32_t>(i);
    }
    if (live > arena_.size()) throw DecodeError("pooled transactions overlap in the image's arena");
    arena_garbage_ = arena_.size() - live;
  } catch (...) {
    clear();
    throw;
  }
}

eth::SignedTransaction Mempool::rebuild(const Entry& entry) const {
  eth::SignedTransaction signed_tx;
  eth::Transaction& tx = signed_tx.tx;
  tx.type = entry.type;
  tx.chain_id = entry.chain_id;
  tx.nonce = entry.nonce;
  tx.gas_price = entry.gas_price;
  tx.max_priority_fee_per_gas = entry.max_priority_fee_per_gas;
  tx.max_fee_per_gas = entry.max_fee_per_gas;
  tx.gas_limit = entry.gas_limit;
  if (entry.has_to) tx.to = entry.to;
  tx.value = entry.value;
  const std::uint8_t* bytes = arena_.data() + entry.arena_offset;
  signed_tx.raw.assign(bytes, bytes + entry.raw_size);
  bytes += entry.raw_size;
  tx.data.assign(bytes, bytes + entry.data_size);
  bytes += entry.data_size;
  tx.access_list = decode_access_list(ByteView(bytes, entry.access_list_size));
  signed_tx.signature.r = entry.r;
  signed_tx.signature.s = entry.s;
  signed_tx.signature.recovery_id = entry.recovery_id;
  signed_tx.sender = entry.sender;
  signed_tx.hash = entry.hash;
  return signed_tx;
}

void Mempool::store_variable(Entry& entry, const eth::SignedTransaction& tx) {
  Bytes access_list = encode_access_list(tx.tx.access_list);
  entry.arena_offset = arena_.size();
  entry.raw_size = static_cast<std::uint32_t>(tx.raw.size());
  entry.data_size = static_cast<std::uint32_t>(tx.tx.data.size());
  entry.access_list_size = static_cast<std::uint32_t>(access_list.size());
  arena_.insert(arena_.end(), tx.raw.begin(), tx.raw.end());
  arena_.insert(arena_.end(), tx.tx.data.begin(), tx.tx.data.end());
  arena_.insert(arena_.end(), access_list.begin(), access_list.end());
}

std::size_t Mempool::position(const EthAddress& sender, std::uint64_t nonce) const {
  auto found = std::lower_bound(order_.begin(), order_.end(), std::tie(sender, nonce),
                                [this](std::uint32_t slot, const auto& key) {
                                  const Entry& entry = slots_[slot];
                                  return std::tie(entry.sender, entry.nonce) < key;
                                });
  return static_cast<std::size_t>(found - order_.begin());
}

void Mempool::release(std::uint32_t slot) {
  by_hash_.erase(slots_[slot].hash);
  arena_garbage_ += slots_[slot].variable_size();
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
    const std::uint8_t* bytes = arena_.data() + entry.arena_offset;
    entry.arena_offset = compacted.size();
    compacted.insert(compacted.end(), bytes, bytes + entry.variable_size());
  }
  arena_ = std::move(compacted);
  arena_garbage_ = 0;
}

}  // namespace alys::engine::embedded
