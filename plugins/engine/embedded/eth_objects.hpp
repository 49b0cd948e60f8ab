// The Ethereum JSON-RPC objects the engine answers with — transactions, receipts and blocks — with
// geth's field names and forms: quantities as minimal "0x" hex, data and hashes as "0x" hex,
// addresses in lowercase.
//
// Fields with no meaning for a chain without contracts, logs or proof of work have their empty
// forms: logs [], logsBloom of 256 zero bytes, sha3Uncles the hash of an empty RLP list, nonce,
// difficulty and mixHash zero. receiptsRoot is this engine's own commitment: keccak256 over, per
// transaction in block order, its hash (32) || status (1 byte, always 1) || cumulative gas used
// (8, big-endian). size is the byte size of the payload's codec encoding.
#pragma once

#include <boost/json/fwd.hpp>

#include "alys/domain/eth_transaction.hpp"
#include "alys/domain/wei.hpp"
#include "engine/embedded/block_history.hpp"

namespace alys::engine::embedded {

// A transaction; `included` and `block` are both nullptr for a pending one (blockHash, blockNumber
// and transactionIndex are null then, and gasPrice is the price at `base_fee`).
boost::json::object transaction_object(const eth::SignedTransaction& tx,
                                       const IncludedTransaction* included,
                                       const BlockSummary* block, Wei base_fee);

boost::json::object receipt_object(const eth::SignedTransaction& tx,
                                   const IncludedTransaction& included, const BlockSummary& block);

// `full`: transactions as objects, otherwise as hashes. Throws std::runtime_error when a
// transaction of the block is missing from `history` or does not decode (a corrupt store).
boost::json::object block_object(const BlockSummary& block, const BlockHistory& history, bool full);

Hash32 receipts_root(const BlockSummary& block);

// Decodes the raw bytes of an included transaction; throws std::runtime_error naming the hash.
eth::SignedTransaction decode_included(const Hash32& hash, const IncludedTransaction& included);

}  // namespace alys::engine::embedded
