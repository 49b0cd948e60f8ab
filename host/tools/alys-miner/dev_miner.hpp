// alys-miner's logic (docs/mining.md): a CPU merged miner for dev chains and tests. It asks a node
// for work (createauxblock), builds a minimal AuxPoW committing to it, grinds the parent nonce to
// the work's bits and submits the proof (submitauxblock). The node is reached through NodeRpc, so
// everything here runs in unit tests against a scripted node; alys_miner_main.cpp is the CLI.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "alys/domain/auxpow.hpp"
#include "alys/domain/hash.hpp"

namespace alys::miner {

// --- the node -------------------------------------------------------------------------------

// One JSON-RPC exchange as the miner sees it.
struct RpcAnswer {
  enum class Kind {
    result,       // `result_json` holds the result
    error,        // the node answered a JSON-RPC error: `code`, `message`
    unreachable,  // no connection (refused, unreachable, timed out connecting), or no answer
    broken,       // the exchange broke off (connection reset, a truncated HTTP answer)
    malformed,    // an HTTP answer that is not JSON-RPC (the URL names something else)
  };
  Kind kind = Kind::result;
  std::string result_json;
  std::int64_t code = 0;
  std::string message;  // the node's error message, or what went wrong with the exchange
};

// The node's JSON-RPC endpoint. Implementations may block; they are called from one thread.
class NodeRpc {
 public:
  virtual ~NodeRpc() = default;
  // `params_json`: a JSON array.
  virtual RpcAnswer call(std::string_view method, std::string_view params_json) = 0;
};

// Reads a JSON-RPC 2.0 answer (an HTTP body): its result, or its error's code and message; an
// answer that is neither (not JSON, no result or error, a batch) is `malformed`, the message
// naming the HTTP status.
RpcAnswer parse_rpc_answer(unsigned http_status, std::string_view body);

// `http://HOST:PORT[/PATH]`, the node's admin endpoint. IPv6 hosts go in brackets.
struct NodeUrl {
  std::string host;
  std::uint16_t port = 0;
  std::string path = "/";
};
// nullopt with `error` set when `text` is not such a URL (https, no port, a bad port...).
std::optional<NodeUrl> parse_node_url(std::string_view text, std::string& error);

// NodeRpc over HTTP (host/admin_client.hpp), one connection per call.
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
AuxBlockWork parse_aux_block(std::string_view result_json);

// The JSON array of submitauxblock's params: [hash as the node gave it, the AuxPoW's hex].
std::string submit_params(const AuxBlockWork& work, const AuxPow& auxpow);

// Stops a miner from another thread (a signal watcher) and lets it sleep until stopped.
class StopToken {
 public:
  void request_stop();
  bool stop_requested() const { return stopped_.load(); }
  // Sleeps for `duration` or until a stop is requested; true when stopped.
  bool wait_for(std::chrono::milliseconds duration);

 private:
  std::atomic<bool> stopped_{false};
  std::mutex mutex_;
  std::condition_variable changed_;
};

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
    const StopToken& stop,
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
// answer it cannot read). Single-threaded; `rpc`, `out` and `stop` must outlive the call.
MinerExit run_miner(NodeRpc& rpc, const MinerOptions& options, StopToken& stop, std::ostream& out);

}  // namespace alys::miner
