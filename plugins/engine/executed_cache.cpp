#include "engine/executed_cache.hpp"

#include <string>
#include <utility>

#include "engine/embedded/state_image.hpp"

namespace alys::engine {

using embedded::read_count;
using embedded::read_wei;
using embedded::write_wei;

void ExecutedCache::remember(PendingCommit pending) {
  Hash32 hash = pending.executed.payload.block_hash;
  if (by_hash_.count(hash) == 0) {
    order_.push_back(hash);
    if (order_.size() > kCapacity) {
      by_hash_.erase(order_.front());
      order_.pop_front();
    }
  }
  by_hash_[hash] = std::move(pending);
}

const PendingCommit* ExecutedCache::find(const Hash32& payload_hash) const {
  auto found = by_hash_.find(payload_hash);
  return found == by_hash_.end() ? nullptr : &found->second;
}

void ExecutedCache::clear() {
  by_hash_.clear();
  order_.clear();
}

void ExecutedCache::write_image(Writer& writer) const {
  writer.varint(order_.size());
  for (const Hash32& hash : order_) {
    const PendingCommit& pending = by_hash_.at(hash);
    const embedded::ExecutedPayload& executed = pending.executed;
    writer(pending.genesis, pending.mints, executed.payload);
    writer.varint(executed.accounts.size());
    for (const auto& [address, account] : executed.accounts) {
      writer.write(address);
      writer.write(account.nonce);
      write_wei(writer, account.balance);
    }
    writer(executed.block.summary, executed.block.transactions);
  }
}

void ExecutedCache::read_image(Reader& reader) {
  clear();
  try {
    std::size_t count = read_count(reader, 1, "executed payloads");
    if (count > kCapacity)
      throw DecodeError(std::to_string(count) + " executed payloads, more than the cache holds");
    for (std::size_t i = 0; i < count; ++i) {
      PendingCommit pending;
      embedded::ExecutedPayload& executed = pending.executed;
      reader.read(pending.genesis);
      reader.read(pending.mints);
      reader.read(executed.payload);
      std::size_t accounts = read_count(reader, 20 + 8 + 16, "changed accounts");
      for (std::size_t a = 0; a < accounts; ++a) {
        EthAddress address{};
        embedded::Account account;
        reader.read(address);
        reader.read(account.nonce);
        account.balance = read_wei(reader);
        if (!executed.accounts.empty() && !(executed.accounts.rbegin()->first < address))
          throw DecodeError("changed accounts out of order at " + to_0x_hex(address));
        executed.accounts.emplace_hint(executed.accounts.end(), address, account);
      }
      reader.read(executed.block.summary);
      reader.read(executed.block.transactions);
      Hash32 hash = executed.payload.block_hash;
      if (by_hash_.count(hash) != 0)
        throw DecodeError("executed payload " + to_0x_hex(hash) + " listed twice");
      order_.push_back(hash);
      by_hash_.emplace(hash, std::move(pending));
    }
  } catch (...) {
    clear();
    throw;
  }
}

}  // namespace alys::engine
