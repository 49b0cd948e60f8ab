#include "engine/embedded/eth_objects.hpp"

#include <boost/json.hpp>
#include <stdexcept>
#include <string>

#include "alys/domain/keccak.hpp"
#include "engine/embedded/transfer_rules.hpp"

namespace alys::engine::embedded {

namespace json = boost::json;

namespace {

std::string quantity(Wei value) { return wei_to_quantity(value); }

template <std::size_t N>
std::string hex(const std::array<std::uint8_t, N>& bytes) {
  return to_0x_hex(bytes);
}

// r and s are 256-bit integers: minimal hex, as geth shows them.
std::string quantity_of_be(const std::array<std::uint8_t, 32>& bytes) {
  std::string digits = to_hex(bytes);
  std::size_t first = digits.find_first_not_of('0');
  return first == std::string::npos ? "0x0" : "0x" + digits.substr(first);
}

Wei wei_of(const std::array<std::uint8_t, 32>& be) { return wei_from_be(be).value_or(0); }

constexpr std::string_view kEmptyListHash =  // keccak256(rlp([]))
    "0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347";

std::string zero_bloom() { return "0x" + std::string(512, '0'); }

}  // namespace

eth::SignedTransaction decode_included(const Hash32& hash, const IncludedTransaction& included) {
  try {
    return eth::decode_signed_transaction(included.raw);
  } catch (const std::exception& error) {
    throw std::runtime_error("stored transaction " + to_0x_hex(hash) +
                             " does not decode: " + error.what());
  }
}

json::object transaction_object(const eth::SignedTransaction& signed_tx,
                                const IncludedTransaction* included, const BlockSummary* block,
                                Wei base_fee) {
  const eth::Transaction& tx = signed_tx.tx;
  const bool type2 = tx.type == eth::TxType::eip1559;
  json::object out;
  if (block && included) {
    out["blockHash"] = hex(block->hash);
    out["blockNumber"] = quantity(block->number);
    out["transactionIndex"] = quantity(included->index);
  } else {
    out["blockHash"] = nullptr;
    out["blockNumber"] = nullptr;
    out["transactionIndex"] = nullptr;
  }
  out["hash"] = hex(signed_tx.hash);
  out["type"] = quantity(static_cast<unsigned>(tx.type));
  out["chainId"] = quantity(tx.chain_id);
  out["nonce"] = quantity(tx.nonce);
  out["from"] = hex(signed_tx.sender);
  if (tx.to)
    out["to"] = hex(*tx.to);
  else
    out["to"] = nullptr;
  out["value"] = quantity(tx.value);
  out["gas"] = quantity(tx.gas_limit);
  Wei price = included                   ? wei_of(included->effective_gas_price)
              : tx.fee_cap() >= base_fee ? effective_gas_price(tx, base_fee)
                                         : tx.fee_cap();
  out["gasPrice"] = quantity(price);
  if (type2) {
    out["maxFeePerGas"] = quantity(tx.max_fee_per_gas);
    out["maxPriorityFeePerGas"] = quantity(tx.max_priority_fee_per_gas);
    json::array access_list;
    for (const auto& entry : tx.access_list) {
      json::array keys;
      for (const Hash32& key : entry.storage_keys) keys.emplace_back(hex(key));
      access_list.emplace_back(
          json::object{{"address", hex(entry.address)}, {"storageKeys", keys}});
    }
    out["accessList"] = std::move(access_list);
  }
  out["input"] = to_0x_hex(tx.data);
  const int parity = signed_tx.signature.recovery_id;
  if (type2) {
    out["v"] = quantity(static_cast<unsigned>(parity));
    out["yParity"] = quantity(static_cast<unsigned>(parity));
  } else {
    out["v"] = quantity(Wei{tx.chain_id} * 2 + 35 + static_cast<unsigned>(parity));
  }
  out["r"] = quantity_of_be(signed_tx.signature.r);
  out["s"] = quantity_of_be(signed_tx.signature.s);
  return out;
}

json::object receipt_object(const eth::SignedTransaction& signed_tx,
                            const IncludedTransaction& included, const BlockSummary& block) {
  json::object out;
  out["transactionHash"] = hex(signed_tx.hash);
  out["transactionIndex"] = quantity(included.index);
  out["blockHash"] = hex(block.hash);
  out["blockNumber"] = quantity(block.number);
  out["from"] = hex(signed_tx.sender);
  if (signed_tx.tx.to)
    out["to"] = hex(*signed_tx.tx.to);
  else
    out["to"] = nullptr;
  out["cumulativeGasUsed"] = quantity(Wei{kTransferGas} * (included.index + 1));
  out["gasUsed"] = quantity(kTransferGas);
  out["effectiveGasPrice"] = quantity(wei_of(included.effective_gas_price));
  out["contractAddress"] = nullptr;
  out["logs"] = json::array();
  out["logsBloom"] = zero_bloom();
  out["status"] = "0x1";
  out["type"] = quantity(static_cast<unsigned>(signed_tx.tx.type));
  return out;
}

Hash32 receipts_root(const BlockSummary& block) {
  Bytes preimage;
  for (std::size_t i = 0; i < block.transaction_hashes.size(); ++i) {
    const Hash32& hash = block.transaction_hashes[i];
    preimage.insert(preimage.end(), hash.begin(), hash.end());
    preimage.push_back(1);
    std::uint64_t cumulative = kTransferGas * (i + 1);
    for (int shift = 56; shift >= 0; shift -= 8)
      preimage.push_back(static_cast<std::uint8_t>(cumulative >> shift));
  }
  return keccak256(preimage);
}

json::object block_object(const BlockSummary& block, const BlockHistory& history, bool full) {
  json::object out;
  out["number"] = quantity(block.number);
  out["hash"] = hex(block.hash);
  out["parentHash"] = hex(block.parent_hash);
  out["nonce"] = "0x0000000000000000";
  out["sha3Uncles"] = kEmptyListHash;
  out["logsBloom"] = zero_bloom();
  out["transactionsRoot"] = hex(block.transactions_root);
  out["stateRoot"] = hex(block.state_root);
  out["receiptsRoot"] = hex(receipts_root(block));
  out["miner"] = hex(block.fee_recipient);
  out["difficulty"] = "0x0";
  out["extraData"] = "0x";
  out["size"] = quantity(block.size_bytes);
  out["gasLimit"] = quantity(block.gas_limit);
  out["gasUsed"] = quantity(block.gas_used);
  out["timestamp"] = quantity(block.timestamp_s);
  json::array transactions;
  for (const Hash32& hash : block.transaction_hashes) {
    if (!full) {
      transactions.emplace_back(hex(hash));
      continue;
    }
    const IncludedTransaction* included = history.transaction(hash);
    if (!included)
      throw std::runtime_error("transaction " + hex(hash) + " of block " +
                               std::to_string(block.number) + " is not indexed");
    transactions.emplace_back(transaction_object(decode_included(hash, *included), included, &block,
                                                 wei_of(block.base_fee_per_gas)));
  }
  out["transactions"] = std::move(transactions);
  out["uncles"] = json::array();
  out["baseFeePerGas"] = quantity(wei_of(block.base_fee_per_gas));
  out["mixHash"] = hex(Hash32{});
  return out;
}

}  // namespace alys::engine::embedded
