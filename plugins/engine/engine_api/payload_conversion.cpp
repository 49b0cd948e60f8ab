#include "engine/engine_api/payload_conversion.hpp"

#include "engine/engine_api/execution_block.hpp"

namespace alys::engine::engine_api {

alys::ExecutionPayload to_domain(const ExecutionPayloadV2& p) {
  alys::ExecutionPayload out;
  out.parent_hash = p.parent_hash;
  out.number = p.block_number;
  out.timestamp_s = p.timestamp;
  out.fee_recipient = p.fee_recipient;
  out.state_root = p.state_root;
  out.transactions_root = transactions_root(p.transactions);
  out.gas_limit = p.gas_limit;
  out.gas_used = p.gas_used;
  out.base_fee_per_gas = p.base_fee_per_gas;
  out.transactions = p.transactions;
  out.block_hash = p.block_hash;
  out.receipts_root = p.receipts_root;
  out.logs_bloom = p.logs_bloom;
  out.prev_randao = p.prev_randao;
  out.extra_data = p.extra_data;
  out.withdrawals = p.withdrawals.value_or(std::vector<Withdrawal>{});
  return out;
}

Result<ExecutionPayloadV2> from_domain(const alys::ExecutionPayload& d) {
  ExecutionPayloadV2 p;
  p.parent_hash = d.parent_hash;
  p.fee_recipient = d.fee_recipient;
  p.state_root = d.state_root;
  p.receipts_root = d.receipts_root;
  p.logs_bloom = d.logs_bloom;
  p.prev_randao = d.prev_randao;
  p.block_number = d.number;
  p.gas_limit = d.gas_limit;
  p.gas_used = d.gas_used;
  p.timestamp = d.timestamp_s;
  p.extra_data = d.extra_data;
  p.base_fee_per_gas = d.base_fee_per_gas;
  p.block_hash = d.block_hash;
  p.transactions = d.transactions;
  p.withdrawals = d.withdrawals;
  if (d.extra_data.size() > 32)
    return Status::Invalid("payload " + to_0x_hex(d.block_hash) + ": extra data of " +
                           std::to_string(d.extra_data.size()) + " bytes, at most 32");
  if (transactions_root(p.transactions) != d.transactions_root)
    return Status::Invalid("payload " + to_0x_hex(d.block_hash) +
                           ": transactions_root is not the trie root of its transactions");
  Hash32 computed = compute_block_hash(p);
  if (computed != d.block_hash)
    return Status::Invalid("payload " + to_0x_hex(d.block_hash) + ": its fields hash to " +
                           to_0x_hex(computed) + " (not an Ethereum block hash)");
  return p;
}

}  // namespace alys::engine::engine_api
