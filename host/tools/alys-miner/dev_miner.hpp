// alys-miner's logic (docs/mining.md): a CPU merged miner for dev chains and tests. It asks a node
// for work (createauxblock), builds a minimal AuxPoW committing to it, grinds the parent nonce to
// the work's bits and submits the proof (submitauxblock). The node is reached through NodeRpc, so
// everything here runs in unit tests against a scripted node; alys_miner_main.cpp is the CLI.
#pragma once

#include <boost/json.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <stop_token>
#include <string>
#include <string_view>

#include "alys/domain/auxpow.hpp"
#include "alys/domain/hash.hpp"
#include "alys/status.hpp"
#include "host/tools/common/admin_client.hpp"

namespace alys::miner {

// --- the node -------------------------------------------------------------------------------

// The node's JSON-RPC endpoint as the miner sees it. Implementations may block; they are called
// from one thread.
class NodeRpc {
 public:
  virtual ~NodeRpc() = default;
  // The node's result or JSON-RPC error; a failure when no JSON-RPC answer came, its code one of
  // admin_client.hpp's (tools::kNotReachable, tools::kNoAnswer, tools::kBrokenExchange,
  // tools::kNotJsonRpc...).
  virtual Result<tools::RpcReply> call(std::string_view method,
                                       const boost::json::array& params) = 0;
};

// `http://HOST:PORT[/PATH]`, the node's admin endpoint. IPv6 hosts go in brackets.
struct NodeUrl {
  host::HostPort address;
  std::string path = "/";
};
// The URL, or ALYS_ERR_INVALID saying what is wrong with `text` (https, no port, a bad port...).
Result<NodeUrl> parse_node_url(std::string_view text);

// NodeRpc over HTTP (tools::AdminClient), one connection per call, announcing itself as
// "alys-miner/<version>".
std::unique_ptr<NodeRpc> make_http_node_rpc(const NodeUrl& url, std::chrono::milliseconds timeout);

// --- work and proof --------------------------------------------------------------------------

// createauxblock's answer (docs/mining.md gives the byte order of every field).
struct AuxBlockWork {
  std::string hash_display;    // `hash` exactly as the node gave it: submitauxblock echoes it
  Hash32 aux_hash{};           // the same hash in internal order: what the coinbase commits to
  std::uint32_t chain_id = 0;  // `chainid`, 1..0xffff
  std::uint32_t bits = 0;      // `bits`, 8 hex digits
  std::uint64_t height = 0;    // the block that will carry the proof; it covers blocks below it
};

// Parses createauxblock's result. Throws std::invalid_argument naming the field that is missing
// or malformed, and when `_target` is not the target of `bits` (a node and miner that disagree on
// the target must not go on silently).
AuxBlockWork parse_aux_block(const boost::json::value& result);
AuxBlockWork parse_aux_block(std::string_view result_json);

// submitauxblock's params: [hash as the node gave it, the AuxPoW's hex].
boost::json::array submit_params(const AuxBlockWork& work, const AuxPow& auxpow);

// Sleeps for `duration` or until a stop is requested on `stop`; true when stopped.
bool sleep_unless_stopped(const std::stop_token& stop, std::chrono::milliseconds duration);

// The result of grinding one work unit.
struct MiningResult {
  std::optional<AuxPow> proof;  // nullopt: no nonce within the budget, or stopped
  std::uint64_t hashes = 0;
  std::chrono::nanoseconds elapsed{0};
};

// Builds make_auxpow(work.aux_hash, work.chain_id, commitment) and grinds it to work.bits, trying
// at most `max_attempts` parent hashes (0 = no limit). Checks `stop` between rounds of
// `kHashesPerRound` hashes; `progress` (if set) is called about every `progress_every` of
// grinding with the hashes so far and the time taken.
constexpr std::uint64_t kHashesPerRound = 1u << 16;
MiningResult mine_work(
    const AuxBlockWork& work, AuxPowCommitment commitment, std::uint64_t max_attempts,
    const std::stop_token& stop,
    const std::function<void(std::uint64_t, std::chrono::nanoseconds)>& progress = {},
    std::chrono::milliseconds progress_every = std::chrono::seconds(10));

// "1.23 MH/s"-style rate; "-" when no time was measured.
std::string hash_rate(std::uint64_t hashes, std::chrono::nanoseconds elapsed);

// --- the loop --------------------------------------------------------------------------------

struct MinerOptions {
  std::string address;  // the fee recipient, 0x + 40 hex digits, passed to createauxblock
  AuxPowCommitment commitment = AuxPowCommitment::coinbase_script;
  std::chrono::milliseconds interval{1000};  // pause after a submission and between retries
  bool once = false;                         // stop after the first submission
  std::uint64_t max_attempts = 1ull << 24;   // hashes per work unit before asking for fresh work
};

// How run_miner ended; alys-miner exits with these numbers.
enum class MinerExit : int {
  stopped_or_accepted = 0,  // a stop was requested, or (--once) the submission was accepted
  refused = 1,              // the node refused the proof or the work request, or answered nonsense
  usage = 2,                // (the CLI's: bad arguments)
  unreachable = 3,          // (--once) the node could not be reached or could not take the call
};

// The miner loop: createauxblock → mine → submitauxblock, one line on `out` per submission and
// per change of state (waiting for blocks, node unreachable...), errors included. Keeps going
// through "nothing to finalize", "the chain is starting", a node that is down or restarting, and
// stale work; stops on `stop`, after the first submission with `once`, or on an answer that shows
// the miner cannot work with this node (an invalid proof, a work request refused for good, an
// answer it cannot read). What to do with an error is decided by its code (docs/mining.md), never
// by its message. Single-threaded; `rpc` and `out` must outlive the call; a stop may be requested
// from any thread.
MinerExit run_miner(NodeRpc& rpc, const MinerOptions& options, const std::stop_token& stop,
                    std::ostream& out);

}  // namespace alys::miner
