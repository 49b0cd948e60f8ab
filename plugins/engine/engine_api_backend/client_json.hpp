// What the engine-api backend reads from the execution client's `eth_*` answers (JSON-RPC on the
// authenticated port): block 0 as a payload, the fees a block's receipts paid, and the bridge's
// RequestPegOut logs. Strict: a missing or malformed field fails with a message naming it. Pure.
#pragma once

#include <boost/json/value.hpp>
#include <vector>

#include "alys/domain/wei.hpp"
#include "alys/schemas/engine.hpp"
#include "alys/status.hpp"
#include "engine/engine_api/engine_types.hpp"

namespace alys::engine::engine_api_backend {

// An eth_getBlockByNumber/ByHash answer (transactions as hashes) of a block without transactions
// (block 0) as the payload it is: every V2 field, withdrawals [] when the block has none. The
// caller checks compute_block_hash() against its hash.
Result<engine_api::ExecutionPayloadV2> payload_of_empty_block(const boost::json::value& block);

// eth_getBlockReceipts: the sum over the receipts of gasUsed x effectiveGasPrice (base fee and tip
// together, what the transactions paid for gas).
Result<Wei> fees_of_receipts(const boost::json::value& receipts);

// eth_getLogs filtered to the bridge's address and RequestPegOut's topic, for one block: the
// requests in log order; log_index is the log's index in its block, as the client numbers it.
Result<std::vector<PegOutRequested>> peg_outs_of_logs(const boost::json::value& logs);

}  // namespace alys::engine::engine_api_backend
