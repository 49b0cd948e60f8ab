// The engine role's settings (the `[engine]` table of a node's config).
//
//   backend          "embedded" (default; the only backend built so far)
//   chain_id         EIP-155 chain id; required, > 0
//   base_fee_wei     the fixed base fee per gas: an integer, or a decimal string for values past
//                    2^63; default 1000000000 (1 gwei)
//   block_gas_limit  gas limit of every payload; default 30000000, at least 21000
//   mempool_limit    transactions the mempool holds at most; default 10000, at least 1
//
// Any other key is an error, as are wrong types and values out of range: the message names the key.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "engine/embedded/transfer_rules.hpp"

namespace alys::engine {

struct EngineConfig {
  std::string backend = "embedded";
  embedded::ChainRules rules;
  std::size_t mempool_limit = 10'000;
};

// `table_json`: the role's table as JSON (Context::config_json()). Throws std::invalid_argument
// naming the key and what is wrong.
EngineConfig parse_engine_config(std::string_view table_json);

}  // namespace alys::engine
