// The engine role's settings (the `[engine]` table of a node's config).
//
//   backend          "embedded" (default) or "engine-api" (an execution client such as Geth,
//                    driven over the Engine API)
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
//   The mempool_* keys are the embedded backend's only.
//
// backend "engine-api" only (docs/engine.md, "The engine-api backend"):
//   engine_url             http://HOST:PORT of the execution client's authenticated Engine API
//                          port; default http://127.0.0.1:8551
//   jwt_secret_file        the JWT secret the execution client was started with; required;
//                          relative to the config file's directory (host.config_dir)
//   engine_timeout_ms      deadline of each call to the execution client; default 8000
//   build_wait_ms          ms between starting a build (forkchoiceUpdated with attributes) and
//                          fetching it (getPayload), for the client to fill it from its pool;
//                          default 250 (Geth answers with the empty payload until its first full
//                          build is done: under load a 0 ms wait gave empty blocks)
//   replay_log_every       replayed blocks between two progress lines; default 1000
//
// Any other key is an error, as are wrong types and values out of range: the message names the key.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "alys/config_check.hpp"
#include "engine/embedded/mempool.hpp"
#include "engine/embedded/transfer_rules.hpp"

namespace alys::engine {

inline constexpr std::string_view kEmbeddedBackend = "embedded";
inline constexpr std::string_view kEngineApiBackend = "engine-api";

// The engine-api backend's own settings.
struct EngineApiSettings {
  std::string url = "http://127.0.0.1:8551";  // as configured, for messages
  std::string host = "127.0.0.1";
  std::uint16_t port = 8551;
  std::filesystem::path jwt_secret_file;  // absolute once read with a host.config_dir
  std::uint64_t timeout_ms = 8'000;
  std::uint64_t build_wait_ms = 250;
  std::uint64_t replay_log_every = 1'000;
};

struct EngineConfig {
  std::string backend = std::string(kEmbeddedBackend);
  embedded::ChainRules rules;
  std::size_t mempool_limit = 10'000;
  embedded::MempoolLimits mempool;  // the rest of the pool's limits
  EngineApiSettings engine_api;     // backend "engine-api" only
};

// The backend a table names ("embedded" when it names none or not a string): what picks the
// actor's class before the table is read in full.
std::string backend_of(std::string_view table_json);

// The one reader of the table, for the start and the table check alike. `table_json`: the role's
// table as JSON (Context::config_json()). Every problem goes to `problems`, its key relative to
// the table; where a value is refused the config keeps the default. No side effects, no state:
// safe on any thread.
EngineConfig read_engine_config(std::string_view table_json, ConfigProblems& problems);

// What the start uses: throws std::invalid_argument naming every problem, "[engine] KEY: WHAT"
// one per line.
EngineConfig parse_engine_config(std::string_view table_json);

}  // namespace alys::engine
