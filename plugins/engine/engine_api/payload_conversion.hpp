// Between the chain's alys::ExecutionPayload (sdk/include/alys/domain/block.hpp) and the Engine
// API's ExecutionPayloadV2. The domain struct carries every V2 field (transactions_root besides,
// the trie root of the transactions, which the Engine API leaves implied), so the conversion loses
// nothing: a payload built by one member's execution client goes to another member's as it was.
#pragma once

#include "alys/domain/block.hpp"
#include "alys/status.hpp"
#include "engine/engine_api/engine_types.hpp"

namespace alys::engine::engine_api {

// block_hash is the Ethereum block hash (what geth knows the block by); transactions_root is
// computed from the transactions (the trie root in the header).
alys::ExecutionPayload to_domain(const ExecutionPayloadV2& payload);

// The V2 payload, or an error when the fields do not hash to payload.block_hash, the extra data
// is longer than 32 bytes, or payload.transactions_root is not the transactions' trie root.
Result<ExecutionPayloadV2> from_domain(const alys::ExecutionPayload& payload);

}  // namespace alys::engine::engine_api
