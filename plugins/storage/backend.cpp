#include "storage/backend.hpp"

#include <algorithm>
#include <string_view>

#include "storage/key_layout.hpp"

namespace alys::storage {
namespace {

constexpr std::size_t kPointerSize = 8 + sizeof(Hash32);

Bytes encode_pointer(std::uint64_t height, const Hash32& hash) {
  Bytes value;
  value.reserve(kPointerSize);
  keys::append_big_endian(value, height);
  value.insert(value.end(), hash.begin(), hash.end());
  return value;
}

Hash32 hash_from(ByteView bytes) {
  Hash32 hash{};
  std::copy_n(bytes.begin(), hash.size(), hash.begin());
  return hash;
}

std::string hex(const Hash32& hash) { return to_0x_hex(hash); }

std::string text(ByteView bytes) {
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

bool starts_with(ByteView bytes, std::uint8_t prefix) {
  return !bytes.empty() && bytes.front() == prefix;
}

}  // namespace

void Backend::load() {
  const Bytes format_key = keys::format();
  std::optional<Bytes> format = get(format_key);
  if (!format) {
    bool empty = true;
    scan({}, [&empty](ByteView, ByteView) {
      empty = false;
      return false;
    });
    if (!empty)
      throw StoreFailure(describe() +
                         " is not an alys storage database (it has data but no format marker)");
    write({BatchWrite{format_key, Bytes(keys::kFormat.begin(), keys::kFormat.end())}});
  } else if (text(*format) != keys::kFormat) {
    throw StoreFailure(describe() + " holds format '" + text(*format) + "'; this build reads '" +
                       std::string(keys::kFormat) + "'");
  }
  head_ = read_pointer(keys::head(), "head");
  finalized_ = read_pointer(keys::finalized(), "finalized");
}

std::optional<ChainPointer> Backend::read_pointer(const Bytes& key, const char* name) const {
  std::optional<Bytes> value = get(key);
  if (!value) return std::nullopt;
  if (value->size() != kPointerSize)
    throw StoreFailure(describe() + " is corrupt: the " + name + " pointer has " +
                       std::to_string(value->size()) + " bytes, not " +
                       std::to_string(kPointerSize));
  return ChainPointer{keys::read_big_endian(*value), hash_from(ByteView(*value).subspan(8))};
}

std::optional<Hash32> Backend::canonical_hash(std::uint64_t height) const {
  std::optional<Bytes> value = get(keys::height(height));
  if (!value) return std::nullopt;
  if (value->size() != sizeof(Hash32))
    throw StoreFailure(describe() + " is corrupt: the index entry of height " +
                       std::to_string(height) + " has " + std::to_string(value->size()) +
                       " bytes, not 32");
  return hash_from(*value);
}

void Backend::validate(const CommitBlock& commit) const {
  const std::string at = "height " + std::to_string(commit.height);
  if (!head_) {
    if (commit.height != 0)
      throw Rejected("the database is empty: the first block must be at height 0, not " + at);
  } else if (commit.height > head_->height + 1) {
    throw Rejected(at + " does not extend the head at height " + std::to_string(head_->height) +
                   ": a commit is at most head + 1");
  } else if (commit.height <= head_->height && finalized_ && commit.height <= finalized_->height) {
    throw Rejected("cannot replace the block at " + at + ": blocks up to the finalized height " +
                   std::to_string(finalized_->height) + " are final");
  }

  if (commit.set_finalized) {
    const std::string finalized_at = "finalized height " + std::to_string(commit.finalized_height);
    if (commit.finalized_height > commit.height)
      throw Rejected(finalized_at + " is above the committed " + at);
    if (finalized_ && commit.finalized_height < finalized_->height)
      throw Rejected(finalized_at + " is below the current finalized height " +
                     std::to_string(finalized_->height));
    // Below the committed height the index is unchanged by this commit.
    std::optional<Hash32> canonical = commit.finalized_height == commit.height
                                          ? std::optional<Hash32>(commit.hash)
                                          : canonical_hash(commit.finalized_height);
    if (!canonical || *canonical != commit.finalized_hash)
      throw Rejected("finalized hash " + hex(commit.finalized_hash) +
                     " is not the canonical block at " + finalized_at +
                     (canonical ? " (that is " + hex(*canonical) + ")" : ""));
  }

  for (std::size_t i = 0; i < commit.engine_puts.size(); ++i)
    if (commit.engine_puts[i].key.empty())
      throw Rejected("engine put #" + std::to_string(i) + " has an empty key");
  for (std::size_t i = 0; i < commit.engine_deletes.size(); ++i)
    if (commit.engine_deletes[i].empty())
      throw Rejected("engine delete #" + std::to_string(i) + " has an empty key");
  for (std::size_t i = 0; i < commit.chain_puts.size(); ++i)
    if (commit.chain_puts[i].key.empty())
      throw Rejected("chain put #" + std::to_string(i) + " has an empty key");
}

std::uint64_t Backend::commit(const CommitBlock& commit) {
  if (write_failure_)
    throw StoreFailure(describe() + ": no more writes after a failed one (" + *write_failure_ +
                       "); restart the storage role to reopen the database");
  validate(commit);

  std::vector<BatchWrite> batch;
  Bytes block_value;
  block_value.reserve(8 + commit.block.size());
  keys::append_big_endian(block_value, commit.height);
  block_value.insert(block_value.end(), commit.block.begin(), commit.block.end());
  batch.push_back({keys::block(commit.hash), std::move(block_value)});
  batch.push_back({keys::height(commit.height), Bytes(commit.hash.begin(), commit.hash.end())});
  if (head_)
    for (std::uint64_t above = commit.height + 1; above <= head_->height; ++above)
      batch.push_back({keys::height(above), std::nullopt});
  batch.push_back({keys::head(), encode_pointer(commit.height, commit.hash)});
  if (commit.set_finalized)
    batch.push_back(
        {keys::finalized(), encode_pointer(commit.finalized_height, commit.finalized_hash)});
  for (const KeyValue& put : commit.engine_puts)
    batch.push_back({keys::engine(put.key), put.value});
  for (const Bytes& key : commit.engine_deletes) batch.push_back({keys::engine(key), std::nullopt});
  for (const KeyValue& put : commit.chain_puts) batch.push_back({keys::chain(put.key), put.value});

  std::uint64_t bytes = 0;
  for (const BatchWrite& one : batch) bytes += one.key.size() + (one.value ? one.value->size() : 0);

  try {
    write(batch);
  } catch (const StoreFailure& failure) {
    write_failure_ = failure.what();
    throw;
  }
  // Only now: the cached pointers follow the disk, never run ahead of it.
  head_ = ChainPointer{commit.height, commit.hash};
  if (commit.set_finalized)
    finalized_ = ChainPointer{commit.finalized_height, commit.finalized_hash};
  return bytes;
}

std::optional<StoredBlock> Backend::block_by_hash(const Hash32& hash) const {
  std::optional<Bytes> value = get(keys::block(hash));
  if (!value) return std::nullopt;
  if (value->size() < 8)
    throw StoreFailure(describe() + " is corrupt: the record of block " + hex(hash) + " has " +
                       std::to_string(value->size()) + " bytes, less than its height");
  StoredBlock found;
  found.height = keys::read_big_endian(*value);
  found.hash = hash;
  found.block.assign(value->begin() + 8, value->end());
  return found;
}

std::optional<StoredBlock> Backend::block_by_height(std::uint64_t height) const {
  if (!head_ || height > head_->height) return std::nullopt;
  std::optional<Hash32> hash = canonical_hash(height);
  if (!hash)
    throw StoreFailure(describe() + " is corrupt: no index entry for height " +
                       std::to_string(height) + " below the head at " +
                       std::to_string(head_->height));
  std::optional<StoredBlock> found = block_by_hash(*hash);
  if (!found)
    throw StoreFailure(describe() + " is corrupt: the index names block " + hex(*hash) +
                       " at height " + std::to_string(height) + " but it is not stored");
  if (found->height != height)
    throw StoreFailure(describe() + " is corrupt: block " + hex(*hash) + " is indexed at height " +
                       std::to_string(height) + " but recorded at " +
                       std::to_string(found->height));
  return found;
}

std::vector<StoredBlock> Backend::block_range(std::uint64_t from_height, std::uint32_t max_count,
                                              std::uint64_t max_bytes) const {
  std::vector<StoredBlock> blocks;
  if (!head_) return blocks;
  std::uint64_t total = 0;
  for (std::uint64_t height = from_height; height <= head_->height && blocks.size() < max_count;
       ++height) {
    std::optional<StoredBlock> block = block_by_height(height);
    if (!blocks.empty() && block->block.size() > max_bytes - std::min(total, max_bytes)) break;
    total += block->block.size();
    blocks.push_back(std::move(*block));
    if (height == UINT64_MAX) break;  // ++height would wrap to 0
  }
  return blocks;
}

std::uint64_t Backend::put_chain_state(const std::vector<KeyValue>& puts) {
  if (write_failure_)
    throw StoreFailure(describe() + ": no more writes after a failed one (" + *write_failure_ +
                       "); restart the storage role to reopen the database");
  std::vector<BatchWrite> batch;
  std::uint64_t bytes = 0;
  for (const KeyValue& put : puts) {
    if (put.key.empty()) throw Rejected("a chain state key is empty");
    batch.push_back({keys::chain(put.key), put.value});
    bytes += 1 + put.key.size() + put.value.size();
  }
  if (batch.empty()) return 0;
  try {
    write(batch);
  } catch (const StoreFailure& failure) {
    write_failure_ = failure.what();
    throw;
  }
  return bytes;
}

std::vector<KeyValue> Backend::chain_state() const {
  std::vector<KeyValue> entries;
  const Bytes first = keys::chain({});
  scan(first, [&](ByteView key, ByteView value) {
    if (!starts_with(key, keys::kChainPrefix)) return false;
    entries.push_back(
        KeyValue{Bytes(key.begin() + 1, key.end()), Bytes(value.begin(), value.end())});
    return true;
  });
  return entries;
}

EnginePage Backend::scan_engine(const std::optional<Bytes>& start_after,
                                std::uint32_t max_entries) const {
  EnginePage page;
  const Bytes first = keys::engine(start_after ? ByteView(*start_after) : ByteView());
  const bool skip_first = start_after.has_value();
  scan(first, [&](ByteView key, ByteView value) {
    if (!starts_with(key, keys::kEnginePrefix)) return false;
    if (skip_first && key.size() == first.size() &&
        std::equal(key.begin(), key.end(), first.begin()))
      return true;
    if (page.entries.size() == max_entries) {
      page.more = true;
      return false;
    }
    page.entries.push_back(
        KeyValue{Bytes(key.begin() + 1, key.end()), Bytes(value.begin(), value.end())});
    return true;
  });
  return page;
}

}  // namespace alys::storage
