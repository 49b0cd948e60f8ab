#include "engine/embedded/state_keys.hpp"

#include <algorithm>
#include <stdexcept>

namespace alys::engine::embedded {

namespace {

constexpr std::uint8_t kFormatTag = 'm';
constexpr std::uint8_t kHeadTag = 'h';
constexpr std::uint8_t kAccountTag = 'a';
constexpr std::uint8_t kBlockTag = 'b';
constexpr std::uint8_t kPayloadNumberTag = 'p';
constexpr std::uint8_t kTransactionTag = 't';

template <std::size_t N>
Bytes tagged(std::uint8_t tag, const std::array<std::uint8_t, N>& suffix) {
  Bytes key(1 + N);
  key[0] = tag;
  std::copy(suffix.begin(), suffix.end(), key.begin() + 1);
  return key;
}

template <std::size_t N>
std::array<std::uint8_t, N> suffix_of(const Bytes& key) {
  std::array<std::uint8_t, N> out{};
  std::copy(key.begin() + 1, key.end(), out.begin());
  return out;
}

struct PayloadNumber {
  std::uint64_t number = 0;
  ALYS_FIELDS(number)
};

template <class T>
T decode_value(const storage::KeyValue& entry, const char* what) {
  try {
    return decode<T>(entry.value);
  } catch (const DecodeError& error) {
    throw std::runtime_error(std::string("engine state key ") + to_0x_hex(entry.key) + " (" + what +
                             "): " + error.what());
  }
}

}  // namespace

Bytes format_key() { return Bytes{kFormatTag}; }
Bytes head_key() { return Bytes{kHeadTag}; }
Bytes account_key(const EthAddress& address) { return tagged(kAccountTag, address); }
Bytes block_key(std::uint64_t number) {
  std::array<std::uint8_t, 8> big_endian{};
  for (std::size_t i = 0; i < 8; ++i)
    big_endian[i] = static_cast<std::uint8_t>(number >> (8 * (7 - i)));
  return tagged(kBlockTag, big_endian);
}
Bytes payload_number_key(const Hash32& payload_hash) {
  return tagged(kPayloadNumberTag, payload_hash);
}
Bytes transaction_key(const Hash32& transaction_hash) {
  return tagged(kTransactionTag, transaction_hash);
}

StateWrites state_writes(const ExecutedPayload& executed, bool genesis, std::uint64_t chain_id) {
  StateWrites writes;
  auto put = [&writes](Bytes key, Bytes value) {
    writes.puts.push_back(storage::KeyValue{std::move(key), std::move(value)});
  };
  if (genesis)
    put(format_key(),
        encode(EngineFormat{std::string(kBackendName), kStateFormatVersion, chain_id}));
  for (const auto& [address, account] : executed.accounts) {
    if (account.empty())
      writes.deletes.push_back(account_key(address));
    else
      put(account_key(address), encode(StoredAccount{account.nonce, wei_to_be32(account.balance)}));
  }
  const BlockSummary& summary = executed.block.summary;
  put(head_key(), encode(HeadPointer{summary.hash, summary.number}));
  put(block_key(summary.number), encode(summary));
  put(payload_number_key(summary.hash), encode(PayloadNumber{summary.number}));
  for (std::size_t i = 0; i < executed.block.transactions.size(); ++i)
    put(transaction_key(summary.transaction_hashes[i]), encode(executed.block.transactions[i]));
  return writes;
}

StateLoader::StateLoader(Ledger& ledger, BlockHistory& history)
    : ledger_(ledger), history_(history) {
  ledger_.clear();
  history_.clear();
}

void StateLoader::add(const storage::KeyValue& entry) {
  ++entries_;
  const Bytes& key = entry.key;
  const std::uint8_t tag = key.empty() ? 0 : key[0];
  if (tag == kFormatTag && key.size() == 1) {
    format_ = decode_value<EngineFormat>(entry, "format");
  } else if (tag == kHeadTag && key.size() == 1) {
    head_ = decode_value<HeadPointer>(entry, "head");
  } else if (tag == kAccountTag && key.size() == 21) {
    auto stored = decode_value<StoredAccount>(entry, "account");
    auto balance = wei_from_be(stored.balance);
    if (!balance)
      throw std::runtime_error("engine state key " + to_0x_hex(key) + ": balance above 2^128 wei");
    Account account{stored.nonce, *balance};
    if (account.empty())
      throw std::runtime_error("engine state key " + to_0x_hex(key) + ": an empty account");
    ledger_.set(suffix_of<20>(key), account);
  } else if (tag == kBlockTag && key.size() == 9) {
    auto summary = decode_value<BlockSummary>(entry, "block");
    if (block_key(summary.number) != key)
      throw std::runtime_error("engine state key " + to_0x_hex(key) + " holds block " +
                               std::to_string(summary.number));
    history_.load_block(summary);
  } else if (tag == kPayloadNumberTag && key.size() == 33) {
    payload_numbers_.emplace_back(suffix_of<32>(key),
                                  decode_value<PayloadNumber>(entry, "payload number").number);
  } else if (tag == kTransactionTag && key.size() == 33) {
    history_.load_transaction(suffix_of<32>(key),
                              decode_value<IncludedTransaction>(entry, "transaction"));
  } else {
    throw std::runtime_error("engine state key " + to_0x_hex(key) +
                             " is not of the embedded engine's key space");
  }
}

std::string StateLoader::finish(std::uint64_t chain_id) const {
  if (entries_ == 0) return {};
  if (!format_) return "the engine state has no format record (key \"m\")";
  if (format_->backend != kBackendName || format_->format_version != kStateFormatVersion)
    return "the engine state was written by backend '" + format_->backend + "' format " +
           std::to_string(format_->format_version) + "; this is backend '" +
           std::string(kBackendName) + "' format " + std::to_string(kStateFormatVersion);
  if (format_->chain_id != chain_id)
    return "the engine state is for chain id " + std::to_string(format_->chain_id) +
           ", the config says " + std::to_string(chain_id);
  if (!head_) return "the engine state has no head pointer (key \"h\")";
  if (std::string reason = history_.check(); !reason.empty()) return "block history: " + reason;
  const BlockSummary* head = history_.head();
  if (!head || head->number != head_->number || head->hash != head_->payload_hash)
    return "the head pointer names block " + std::to_string(head_->number) + " " +
           to_0x_hex(head_->payload_hash) + ", but the last stored block is " +
           (head ? std::to_string(head->number) + " " + to_0x_hex(head->hash)
                 : std::string("none"));
  if (payload_numbers_.size() != history_.block_count())
    return "the payload hash index has " + std::to_string(payload_numbers_.size()) +
           " entries for " + std::to_string(history_.block_count()) + " blocks";
  for (const auto& [hash, number] : payload_numbers_) {
    const BlockSummary* block = history_.by_number(number);
    if (!block || block->hash != hash)
      return "the payload hash index maps " + to_0x_hex(hash) + " to block " +
             std::to_string(number) + ", which has another hash";
  }
  Hash32 root = ledger_.state_root();
  if (root != head->state_root)
    return "the stored accounts hash to state root " + to_0x_hex(root) + ", but head block " +
           std::to_string(head->number) + " has " + to_0x_hex(head->state_root);
  return {};
}

}  // namespace alys::engine::embedded
