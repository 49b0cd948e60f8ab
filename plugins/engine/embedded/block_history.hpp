// The payloads the engine has committed, as Ethereum's JSON-RPC shows them: one summary per block
// and, for each included transaction, where it is and what it paid. Kept in memory for
// eth_getBlockBy*, eth_getTransactionByHash and eth_getTransactionReceipt; persisted through
// state_keys.hpp. Not thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "alys/codec.hpp"
#include "alys/domain/hash.hpp"

namespace alys::engine::embedded {

struct BlockSummary {
  std::uint64_t number = 0;
  Hash32 hash{};  // the payload's block_hash
  Hash32 parent_hash{};
  std::uint64_t timestamp_s = 0;
  EthAddress fee_recipient{};
  Hash32 state_root{};
  Hash32 transactions_root{};
  std::uint64_t gas_limit = 0;
  std::uint64_t gas_used = 0;
  std::array<std::uint8_t, 32> base_fee_per_gas{};  // big-endian
  std::uint64_t size_bytes = 0;                     // of the payload's codec encoding
  std::vector<Hash32> transaction_hashes;
  ALYS_FIELDS(number, hash, parent_hash, timestamp_s, fee_recipient, state_root, transactions_root,
              gas_limit, gas_used, base_fee_per_gas, size_bytes, transaction_hashes)
};

struct IncludedTransaction {
  std::uint64_t block_number = 0;
  std::uint32_t index = 0;  // in the block
  EthAddress sender{};
  std::array<std::uint8_t, 32> effective_gas_price{};  // big-endian
  Bytes raw;
  ALYS_FIELDS(block_number, index, sender, effective_gas_price, raw)
};

// A committed block and its transactions, in block order: transactions[i] is the one whose hash is
// summary.transaction_hashes[i].
struct CommittedBlock {
  BlockSummary summary;
  std::vector<IncludedTransaction> transactions;
};

class BlockHistory {
 public:
  // REQUIRES: the block is numbered one above the head (0 for the first block), its parent is the
  // head's hash, and it has one IncludedTransaction per hash. std::logic_error otherwise, and
  // nothing changes.
  void append(const CommittedBlock& block);

  // Loading from storage, in key order: blocks and transactions arrive separately. check()
  // verifies the whole once everything is in.
  void load_block(const BlockSummary& summary);
  void load_transaction(const Hash32& hash, const IncludedTransaction& transaction);
  // Blocks numbered 0..head without a gap, each one's parent the previous one's hash, each one's
  // hash indexed at its number (and no other hash), and every transaction of every block indexed at
  // its place (and none besides). Empty when consistent, otherwise the first inconsistency found.
  // Linear in the history, without a search (about 20 ns per block or transaction while the
  // history fits in cache, some 65 ns beyond): it runs on every hot swap's restore.
  std::string check() const;
  void clear();

  // nullptr when absent; valid until the history changes.
  const BlockSummary* head() const;
  const BlockSummary* by_number(std::uint64_t number) const;
  const BlockSummary* by_hash(const Hash32& hash) const;
  const IncludedTransaction* transaction(const Hash32& hash) const;
  std::size_t block_count() const { return blocks_.size(); }
  std::size_t transaction_count() const { return transactions_.size(); }

  // Hand-over (hot swap): blocks in number order, the hash index and the transactions in hash order
  // (docs/engine.md, "Hot swap").
  void write_image(Writer& writer) const;
  // Replaces the history with an image write_image() wrote, in linear time. Throws DecodeError
  // (bytes cut short, keys out of order, blocks and hash index of different sizes, or anything
  // check() finds), and the history is empty then.
  void read_image(Reader& reader);

 private:
  std::map<std::uint64_t, BlockSummary> blocks_;
  std::map<Hash32, std::uint64_t> numbers_by_hash_;
  std::map<Hash32, IncludedTransaction> transactions_;
};

}  // namespace alys::engine::embedded
