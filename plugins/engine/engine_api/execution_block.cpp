#include "engine/engine_api/execution_block.hpp"

#include <string>

#include "alys/domain/keccak.hpp"
#include "alys/domain/rlp.hpp"

namespace alys::engine::engine_api {

namespace {

Hash32 keccak_of(const Bytes& bytes) { return keccak256(bytes); }

// A trie key as nibbles.
using Nibbles = std::vector<std::uint8_t>;

Nibbles nibbles_of(const Bytes& key) {
  Nibbles out;
  out.reserve(key.size() * 2);
  for (std::uint8_t b : key) {
    out.push_back(b >> 4);
    out.push_back(b & 0xf);
  }
  return out;
}

// Hex-prefix encoding (Yellow Paper appendix C) of nibbles[from, to).
Bytes hex_prefix(const Nibbles& nibbles, std::size_t from, std::size_t to, bool leaf) {
  std::size_t count = to - from;
  bool odd = count % 2 == 1;
  std::uint8_t flag = static_cast<std::uint8_t>((leaf ? 2 : 0) + (odd ? 1 : 0));
  Bytes out;
  std::size_t i = from;
  if (odd) {
    out.push_back(static_cast<std::uint8_t>(flag << 4 | nibbles[i]));
    ++i;
  } else {
    out.push_back(static_cast<std::uint8_t>(flag << 4));
  }
  for (; i < to; i += 2) out.push_back(static_cast<std::uint8_t>(nibbles[i] << 4 | nibbles[i + 1]));
  return out;
}

struct Entry {
  Nibbles key;
  const Bytes* value;
};

// rlp of the node holding `entries` (all sharing their first `depth` nibbles).
Bytes node_rlp(const std::vector<const Entry*>& entries, std::size_t depth);

// How a node is referenced from its parent: inline when its RLP is shorter than 32 bytes, by hash
// otherwise.
Bytes node_reference(const std::vector<const Entry*>& entries, std::size_t depth) {
  Bytes encoded = node_rlp(entries, depth);
  if (encoded.size() < 32) return encoded;
  Hash32 hash = keccak_of(encoded);
  return rlp::encode_string(hash);
}

Bytes node_rlp(const std::vector<const Entry*>& entries, std::size_t depth) {
  if (entries.size() == 1) {
    const Entry& only = *entries.front();
    return rlp::encode_list({rlp::encode_string(hex_prefix(only.key, depth, only.key.size(), true)),
                             rlp::encode_string(*only.value)});
  }
  // The longest prefix every key shares from `depth` on.
  std::size_t common = depth;
  for (;;) {
    bool same = true;
    for (const Entry* e : entries)
      if (e->key.size() <= common || e->key[common] != entries.front()->key[common]) same = false;
    if (!same) break;
    ++common;
  }
  if (common > depth) {
    return rlp::encode_list(
        {rlp::encode_string(hex_prefix(entries.front()->key, depth, common, false)),
         node_reference(entries, common)});
  }
  std::vector<Bytes> branch(17, rlp::encode_string({}));
  for (std::uint8_t nibble = 0; nibble < 16; ++nibble) {
    std::vector<const Entry*> below;
    for (const Entry* e : entries)
      if (e->key.size() > depth && e->key[depth] == nibble) below.push_back(e);
    if (!below.empty()) branch[nibble] = node_reference(below, depth + 1);
  }
  for (const Entry* e : entries)
    if (e->key.size() == depth) branch[16] = rlp::encode_string(*e->value);
  return rlp::encode_list(branch);
}

Bytes u256_rlp(const U256Be& value) {
  std::size_t first = 0;
  while (first < value.size() && value[first] == 0) ++first;
  return rlp::encode_string(ByteView(value.data() + first, value.size() - first));
}

}  // namespace

Hash32 empty_ommers_hash() { return keccak256(rlp::encode_list({})); }
Hash32 empty_trie_root() { return keccak256(rlp::encode_string({})); }

Hash32 ordered_trie_root(const std::vector<Bytes>& values) {
  if (values.empty()) return empty_trie_root();
  std::vector<Entry> entries;
  entries.reserve(values.size());
  for (std::size_t i = 0; i < values.size(); ++i)
    entries.push_back({nibbles_of(rlp::encode_u64(i)), &values[i]});
  std::vector<const Entry*> all;
  for (const Entry& e : entries) all.push_back(&e);
  return keccak_of(node_rlp(all, 0));
}

Bytes withdrawal_rlp(const Withdrawal& w) {
  return rlp::encode_list({rlp::encode_u64(w.index), rlp::encode_u64(w.validator_index),
                           rlp::encode_string(w.address), rlp::encode_u64(w.amount_gwei)});
}

Hash32 transactions_root(const std::vector<Bytes>& transactions) {
  return ordered_trie_root(transactions);
}

Hash32 withdrawals_root(const std::vector<Withdrawal>& withdrawals) {
  std::vector<Bytes> values;
  values.reserve(withdrawals.size());
  for (const auto& w : withdrawals) values.push_back(withdrawal_rlp(w));
  return ordered_trie_root(values);
}

Bytes header_rlp(const ExecutionPayloadV2& p) {
  const std::array<std::uint8_t, 8> kZeroNonce{};
  std::vector<Bytes> fields{rlp::encode_string(p.parent_hash),
                            rlp::encode_string(empty_ommers_hash()),
                            rlp::encode_string(p.fee_recipient),
                            rlp::encode_string(p.state_root),
                            rlp::encode_string(transactions_root(p.transactions)),
                            rlp::encode_string(p.receipts_root),
                            rlp::encode_string(p.logs_bloom),
                            rlp::encode_u64(0),  // difficulty
                            rlp::encode_u64(p.block_number),
                            rlp::encode_u64(p.gas_limit),
                            rlp::encode_u64(p.gas_used),
                            rlp::encode_u64(p.timestamp),
                            rlp::encode_string(p.extra_data),
                            rlp::encode_string(p.prev_randao),  // mixHash
                            rlp::encode_string(kZeroNonce),
                            u256_rlp(p.base_fee_per_gas)};
  if (p.withdrawals) fields.push_back(rlp::encode_string(withdrawals_root(*p.withdrawals)));
  return rlp::encode_list(fields);
}

Hash32 compute_block_hash(const ExecutionPayloadV2& payload) {
  return keccak256(header_rlp(payload));
}

}  // namespace alys::engine::engine_api
