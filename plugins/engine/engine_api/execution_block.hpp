// The Ethereum block hash of an Engine API payload, computed the way an execution client does:
// keccak256 of the RLP of the block header it implies (Yellow Paper §4.3 with the London, Paris
// and Shanghai additions). A payload whose blockHash this does not reproduce is one the execution
// client answers INVALID_BLOCK_HASH (or INVALID) for, so the check also proves that every field is
// understood.
#pragma once

#include <vector>

#include "alys/codec.hpp"
#include "alys/domain/hash.hpp"
#include "engine/engine_api/engine_types.hpp"

namespace alys::engine::engine_api {

// keccak256(rlp([])): the ommers hash of every post-merge block.
Hash32 empty_ommers_hash();
// The root of an empty trie, keccak256(rlp("")).
Hash32 empty_trie_root();

// The Merkle Patricia trie root of `values` keyed by rlp(index): transactionsRoot (values are the
// EIP-2718 encodings) and withdrawalsRoot (values are rlp(withdrawal)).
Hash32 ordered_trie_root(const std::vector<Bytes>& values);

// rlp([index, validatorIndex, address, amount]), the trie value of one withdrawal.
Bytes withdrawal_rlp(const Withdrawal& withdrawal);

Hash32 transactions_root(const std::vector<Bytes>& transactions);
Hash32 withdrawals_root(const std::vector<Withdrawal>& withdrawals);

// rlp(header): a Paris header when payload.withdrawals is nullopt, a Shanghai one (with
// withdrawalsRoot) otherwise. Difficulty 0, nonce 0, mixHash = prevRandao.
Bytes header_rlp(const ExecutionPayloadV2& payload);

// keccak256(header_rlp(payload)); compare with payload.block_hash.
Hash32 compute_block_hash(const ExecutionPayloadV2& payload);

}  // namespace alys::engine::engine_api
