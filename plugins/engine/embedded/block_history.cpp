#include "engine/embedded/block_history.hpp"

#include <stdexcept>
#include <string>

#include "engine/embedded/state_image.hpp"

namespace alys::engine::embedded {

void BlockHistory::append(const CommittedBlock& block) {
  const BlockSummary& summary = block.summary;
  const BlockSummary* parent = head();
  std::uint64_t expected_number = parent ? parent->number + 1 : 0;
  Hash32 expected_parent = parent ? parent->hash : Hash32{};
  if (summary.number != expected_number || summary.parent_hash != expected_parent)
    throw std::logic_error("block " + std::to_string(summary.number) + " " +
                           to_0x_hex(summary.hash) + " does not extend the history's head " +
                           (parent ? std::to_string(parent->number) : std::string("(none)")));
  if (summary.transaction_hashes.size() != block.transactions.size())
    throw std::logic_error("block " + std::to_string(summary.number) + " lists " +
                           std::to_string(summary.transaction_hashes.size()) +
                           " transaction hashes but carries " +
                           std::to_string(block.transactions.size()) + " transactions");
  blocks_.emplace(summary.number, summary);
  numbers_by_hash_[summary.hash] = summary.number;
  for (std::size_t i = 0; i < block.transactions.size(); ++i)
    transactions_[summary.transaction_hashes[i]] = block.transactions[i];
}

void BlockHistory::load_block(const BlockSummary& summary) {
  blocks_[summary.number] = summary;
  numbers_by_hash_[summary.hash] = summary.number;
}

void BlockHistory::load_transaction(const Hash32& hash, const IncludedTransaction& transaction) {
  transactions_[hash] = transaction;
}

std::string BlockHistory::check() const {
  std::uint64_t expected_number = 0;
  Hash32 expected_parent{};
  std::size_t listed = 0;
  // The blocks by number, contiguous once checked: each transaction then finds its block without a
  // search, so that the check is linear in the history (it runs on every swap's restore).
  std::vector<const BlockSummary*> by_number;
  by_number.reserve(blocks_.size());
  for (const auto& [number, summary] : blocks_) {
    if (number != expected_number || summary.number != number)
      return "block " + std::to_string(expected_number) + " is missing";
    if (summary.parent_hash != expected_parent)
      return "block " + std::to_string(number) + " has parent " + to_0x_hex(summary.parent_hash) +
             ", but block " + std::to_string(number - 1) + " is " + to_0x_hex(expected_parent);
    listed += summary.transaction_hashes.size();
    by_number.push_back(&summary);
    expected_number = number + 1;
    expected_parent = summary.hash;
  }
  // Every hash indexed at the number of a block with that hash, one per block: then every block's
  // hash is indexed at its number.
  for (const auto& [hash, number] : numbers_by_hash_)
    if (number >= by_number.size() || by_number[number]->hash != hash)
      return "block hash " + to_0x_hex(hash) + " is indexed at number " + std::to_string(number) +
             ", which is another block's";
  if (numbers_by_hash_.size() != blocks_.size())
    return std::to_string(blocks_.size()) + " blocks but " +
           std::to_string(numbers_by_hash_.size()) +
           " block hashes: a block hash appears at two numbers";
  // Every indexed transaction at a distinct listed place, and as many as are listed: then every
  // listed one is indexed at its place too.
  for (const auto& [hash, transaction] : transactions_) {
    const std::vector<Hash32>* hashes =
        transaction.block_number < by_number.size()
            ? &by_number[transaction.block_number]->transaction_hashes
            : nullptr;
    if (hashes == nullptr || transaction.index >= hashes->size() ||
        (*hashes)[transaction.index] != hash)
      return "indexed transactions belong to no block: " + to_0x_hex(hash) + " at index " +
             std::to_string(transaction.index) + " of block " +
             std::to_string(transaction.block_number);
  }
  if (listed == transactions_.size()) return {};
  // Fewer indexed than listed: the first listed one missing, by a search (a failure path).
  for (const BlockSummary* summary : by_number)
    for (std::size_t i = 0; i < summary->transaction_hashes.size(); ++i) {
      auto found = transactions_.find(summary->transaction_hashes[i]);
      if (found == transactions_.end() || found->second.block_number != summary->number ||
          found->second.index != i)
        return "transaction " + to_0x_hex(summary->transaction_hashes[i]) + " of block " +
               std::to_string(summary->number) + " is not indexed at its place";
    }
  return std::to_string(listed) + " transactions listed, " + std::to_string(transactions_.size()) +
         " indexed";
}

void BlockHistory::clear() {
  blocks_.clear();
  numbers_by_hash_.clear();
  transactions_.clear();
}

void BlockHistory::write_image(Writer& writer) const {
  writer.varint(blocks_.size());
  for (const auto& [number, summary] : blocks_) writer.write(summary);
  writer.varint(numbers_by_hash_.size());
  for (const auto& [hash, number] : numbers_by_hash_) writer(hash, number);
  writer.varint(transactions_.size());
  for (const auto& [hash, transaction] : transactions_) writer(hash, transaction);
}

void BlockHistory::read_image(Reader& reader) {
  clear();
  try {
    std::size_t blocks = read_count(reader, 1, "blocks");
    for (std::size_t i = 0; i < blocks; ++i) {
      BlockSummary summary;
      reader.read(summary);
      if (!blocks_.empty() && blocks_.rbegin()->first >= summary.number)
        throw DecodeError("blocks out of order at " + std::to_string(summary.number));
      blocks_.emplace_hint(blocks_.end(), summary.number, std::move(summary));
    }
    std::size_t hashes = read_count(reader, 32 + 8, "block hashes");
    for (std::size_t i = 0; i < hashes; ++i) {
      Hash32 hash{};
      std::uint64_t number = 0;
      reader.read(hash);
      reader.read(number);
      if (!numbers_by_hash_.empty() && !(numbers_by_hash_.rbegin()->first < hash))
        throw DecodeError("block hashes out of order at " + to_0x_hex(hash));
      numbers_by_hash_.emplace_hint(numbers_by_hash_.end(), hash, number);
    }
    std::size_t transactions = read_count(reader, 32 + 1, "transactions");
    for (std::size_t i = 0; i < transactions; ++i) {
      Hash32 hash{};
      IncludedTransaction transaction;
      reader.read(hash);
      reader.read(transaction);
      if (!transactions_.empty() && !(transactions_.rbegin()->first < hash))
        throw DecodeError("transactions out of order at " + to_0x_hex(hash));
      transactions_.emplace_hint(transactions_.end(), hash, std::move(transaction));
    }
    if (numbers_by_hash_.size() != blocks_.size())
      throw DecodeError(std::to_string(blocks_.size()) + " blocks but " +
                        std::to_string(numbers_by_hash_.size()) + " block hashes");
    if (std::string problem = check(); !problem.empty()) throw DecodeError(problem);
  } catch (...) {
    clear();
    throw;
  }
}

const BlockSummary* BlockHistory::head() const {
  return blocks_.empty() ? nullptr : &blocks_.rbegin()->second;
}

const BlockSummary* BlockHistory::by_number(std::uint64_t number) const {
  auto found = blocks_.find(number);
  return found == blocks_.end() ? nullptr : &found->second;
}

const BlockSummary* BlockHistory::by_hash(const Hash32& hash) const {
  auto found = numbers_by_hash_.find(hash);
  return found == numbers_by_hash_.end() ? nullptr : by_number(found->second);
}

const IncludedTransaction* BlockHistory::transaction(const Hash32& hash) const {
  auto found = transactions_.find(hash);
  return found == transactions_.end() ? nullptr : &found->second;
}

}  // namespace alys::engine::embedded
