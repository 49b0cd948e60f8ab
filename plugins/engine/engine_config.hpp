// The engine role's settings (the `[engine]` table of a node's config).
//
//   backend          "embedded" (default; the only backend built so far)
//   chain_id         EIP-155 chain id; required, > 0
//   base_fee_wei     the fixed base fee per gas: an integer, or a decimal string for values past
//                    2^63; default 1000000000 (1 gwei)
//   block_gas_limit  gas limit of every payload; default 30000000, at least 21000
//   mempool_limit    transactions the mempool holds at most; default 10000, at least 1
//   mempool_max_per_sender            executable transactions per sender; default 16, at least 1
//   mempool_max_future_per_sender     how far beyond a sender's next nonce the pool takes one
//                                     (so gapped transactions per sender); default 64
//   mempool_lifetime_s                seconds a gapped transaction stays; default 10800, >= 1
//   mempool_max_tx_bytes              raw size of a transaction; default 131072, at least 1024
//   mempool_max_access_list_entries   addresses in a transaction's access list; default 64
//   mempool_max_access_list_keys      storage keys in it, all addresses together; default 1024
//   (embedded/mempool.hpp, MempoolLimits, for what each does; docs/engine.md "Mempool")
//
// Any other key is an error, as are wrong types and values out of range: the message names the key.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "alys/config_check.hpp"
#include "engine/embedded/mempool.hpp"
#include "engine/embedded/transfer_rules.hpp"

namespace alys::engine {

struct EngineConfig {
  std::string backend = "embedded";
  embedded::ChainRules rules;
  std::size_t mempool_limit = 10'000;
  embedded::MempoolLimits mempool;  // the rest of the pool's limits
};

// The one reader of the table, for the start and the table check alike. `table_json`: the role's
// table as JSON (Context::config_json()). Every problem goes to `problems`, its key relative to
// the table; where a value is refused the config keeps the default. No side effects, no state:
// safe on any thread.
EngineConfig read_engine_config(std::string_view table_json, ConfigProblems& problems);

// What the start uses: throws std::invalid_argument naming every problem, "[engine] KEY: WHAT"
// one per line.
EngineConfig parse_engine_config(std::string_view table_json);

}  // namespace alys::engine
