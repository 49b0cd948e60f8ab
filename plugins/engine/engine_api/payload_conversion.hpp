// Between the chain's alys::ExecutionPayload (sdk/include/alys/domain/block.hpp) and the Engine
// API's ExecutionPayloadV2.
//
// Our struct lacks what an execution client needs to rebuild the Ethereum header and so to accept
// the payload: receiptsRoot, logsBloom, prevRandao, extraData and withdrawals (and, implied by
// those fields, the withdrawalsRoot). `to_domain` therefore loses them, and `from_domain` needs
// them handed in as PayloadExtras; it proves the result by recomputing the block hash. Until the
// SDK struct grows those fields, a backend keeps the full V2 payload beside the block.
#pragma once

#include <vector>

#include "alys/domain/block.hpp"
#include "alys/status.hpp"
#include "engine/engine_api/engine_types.hpp"

namespace alys::engine::engine_api {

// The V2 fields alys::ExecutionPayload has no place for.
struct PayloadExtras {
  Hash32 receipts_root{};
  Bloom logs_bloom{};
  Hash32 prev_randao{};
  Bytes extra_data;
  std::vector<Withdrawal> withdrawals;
  bool operator==(const PayloadExtras&) const = default;
};

PayloadExtras extras_of(const ExecutionPayloadV2& payload);

// block_hash is the Ethereum block hash (what geth knows the block by); transactions_root is
// computed from the transactions (the trie root in the header).
alys::ExecutionPayload to_domain(const ExecutionPayloadV2& payload);

// The V2 payload, or an error when the fields do not hash to payload.block_hash or
// payload.transactions_root is not the transactions' trie root.
Result<ExecutionPayloadV2> from_domain(const alys::ExecutionPayload& payload,
                                       const PayloadExtras& extras);

}  // namespace alys::engine::engine_api
