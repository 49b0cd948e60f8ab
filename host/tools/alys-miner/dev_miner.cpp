#include "host/tools/alys-miner/dev_miner.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <iterator>
#include <mutex>
#include <stdexcept>
#include <utility>

#include "alys/domain/compact.hpp"
#include "alys/json_rpc.hpp"
#include "alys_version.hpp"

namespace alys::miner {

namespace {

namespace json = boost::json;

// Bitcoin Core's codes as the node's miner RPC uses them (docs/mining.md).
constexpr std::int64_t kNothingToFinalize = -1;  // RPC_MISC_ERROR: every block is final already
constexpr std::int64_t kInvalidParameter = -8;   // unknown or stale work
constexpr std::int64_t kNodeStarting = -10;      // RPC_IN_WARMUP

std::string shortened(std::string_view text, std::size_t limit = 200) {
  if (text.size() <= limit) return std::string(text);
  return std::string(text.substr(0, limit)) + "...";
}

const json::value& field(const json::object& object, std::string_view name) {
  const json::value* value = object.if_contains(name);
  if (!value)
    throw std::invalid_argument("createauxblock's answer has no '" + std::string(name) + "'");
  return *value;
}

std::string_view string_field(const json::object& object, std::string_view name) {
  const json::value& value = field(object, name);
  if (!value.is_string())
    throw std::invalid_argument("createauxblock's '" + std::string(name) + "' is not a string");
  return value.as_string();
}

std::uint64_t unsigned_field(const json::object& object, std::string_view name) {
  const json::value& value = field(object, name);
  if (value.is_uint64()) return value.as_uint64();
  if (value.is_int64() && value.as_int64() >= 0)
    return static_cast<std::uint64_t>(value.as_int64());
  throw std::invalid_argument("createauxblock's '" + std::string(name) +
                              "' is not a non-negative integer");
}

// A node that cannot serve the call right now but may in a moment: starting, or its chain actor
// stopping, restarting (the admin endpoint's "could not be delivered") or slow.
bool node_busy(const tools::RpcError& error) {
  return error.code == kNodeStarting || error.code == json_rpc::kOperationFailed ||
         error.code == json_rpc::kPluginTimeout;
}

// The exchange failed without a JSON-RPC answer, but a later one may get through.
bool node_unreachable(const Status& failure) {
  return failure.code() == tools::kNameNotResolved || failure.code() == tools::kNotReachable ||
         failure.code() == tools::kNoAnswer;
}

std::string describe(const tools::RpcError& error) {
  return error.message + " (code " + std::to_string(error.code) + ")";
}

// Where a grind is: time and nonce as one counter, so hashes are counted across a nonce wrap.
std::uint64_t grind_position(const AuxPow& auxpow) {
  return std::uint64_t{auxpow.parent.time} << 32 | auxpow.parent.nonce;
}

class HttpNodeRpc : public NodeRpc {
 public:
  HttpNodeRpc(const NodeUrl& url, std::chrono::milliseconds timeout)
      : client_(
            tools::AdminClientOptions{url.address, "", timeout, "alys-miner/" ALYS_NODE_VERSION}),
        path_(url.path) {}

  Result<tools::RpcReply> call(std::string_view method, const json::array& params) override {
    return client_.call(method, params, path_);
  }

 private:
  tools::AdminClient client_;
  std::string path_;
};

// One line per submission and per change of state; repeated states (a node that stays down,
// nothing to finalize for a while) are printed once.
class MinerLoop {
 public:
  MinerLoop(NodeRpc& rpc, const MinerOptions& options, const std::stop_token& stop,
            std::ostream& out)
      : rpc_(rpc), options_(options), stop_(stop), out_(out) {}

  MinerExit run() {
    while (!stop_.stop_requested()) {
      std::optional<MinerExit> done = round();
      if (done) return *done;
    }
    return stopped();
  }

 private:
  // One work unit: nullopt to go on.
  std::optional<MinerExit> round() {
    Result<tools::RpcReply> answer =
        rpc_.call("createauxblock", json::array{json::string(options_.address)});
    if (!answer.ok()) {
      const Status failure = answer.status();
      if (failure.code() == tools::kNotJsonRpc)
        return fail(MinerExit::refused, "createauxblock: " + failure.message());
      const std::string trouble =
          (node_unreachable(failure) ? "node unreachable: "
                                     : "the exchange with the node broke off: ") +
          failure.message();
      if (options_.once) return fail(MinerExit::unreachable, trouble);
      return wait(trouble + "; retrying every " + std::to_string(options_.interval.count()) +
                  " ms");
    }
    if (answer->error) {
      const tools::RpcError& error = *answer->error;
      if (error.code == kNothingToFinalize)
        return wait("nothing to finalize (every block is final); waiting for new blocks");
      if (node_busy(error))
        return wait("the node is busy: " + describe(error) + "; retrying every " +
                    std::to_string(options_.interval.count()) + " ms");
      return fail(MinerExit::refused, "createauxblock refused: " + describe(error));
    }
    AuxBlockWork work;
    try {
      work = parse_aux_block(*answer->result);
    } catch (const std::invalid_argument& error) {
      return fail(MinerExit::refused, std::string("cannot use the node's work: ") + error.what());
    }
    // The work a queued proof answers comes back until a block carries the proof: the proof is
    // sent again, not mined again (the node may have restarted and lost its queue meanwhile).
    if (last_accepted_ && last_accepted_->hash_display == work.hash_display)
      return submit(work, last_accepted_->proof, std::nullopt);
    last_state_.clear();

    MiningResult mined =
        mine_work(work, options_.commitment, options_.max_attempts, stop_,
                  [this, &work](std::uint64_t hashes, std::chrono::nanoseconds elapsed) {
                    out_ << "mining aux block " << work.hash_display << ": " << hashes
                         << " hashes, " << hash_rate(hashes, elapsed) << std::endl;
                  });
    if (stop_.stop_requested()) return stopped();
    const std::string effort =
        std::to_string(mined.hashes) + " hashes, " + hash_rate(mined.hashes, mined.elapsed);
    if (!mined.proof) {
      out_ << "no proof for aux block " << work.hash_display << " (bits " << bits_text(work.bits)
           << ") in " << effort << "; asking for fresh work" << std::endl;
      return std::nullopt;
    }
    return submit(work, *mined.proof, effort);
  }

  // `effort`: how the proof was mined; nullopt when it is the last accepted proof sent again.
  std::optional<MinerExit> submit(const AuxBlockWork& work, const AuxPow& proof,
                                  const std::optional<std::string>& effort) {
    const std::string what = (effort ? "submitted" : "resubmitted") +
                             std::string(" blocks up to ") + std::to_string(work.height - 1) +
                             " (aux block " + work.hash_display + ", bits " + bits_text(work.bits) +
                             (effort ? ", " + *effort : std::string()) + "): ";
    Result<tools::RpcReply> answer = rpc_.call("submitauxblock", submit_params(work, proof));
    const bool accepted =
        answer.ok() && answer->result && answer->result->is_bool() && answer->result->get_bool();
    if (!accepted) last_accepted_.reset();
    if (!answer.ok()) {
      const Status failure = answer.status();
      if (failure.code() == tools::kNotJsonRpc)
        return fail(MinerExit::refused, what + failure.message());
      out_ << what << "no answer: " << failure.message() << std::endl;
      if (options_.once) return MinerExit::unreachable;
      return pause();
    }
    if (answer->result) {
      if (!accepted)
        return fail(MinerExit::refused,
                    what + "unexpected answer " + shortened(json::serialize(*answer->result)));
      if (!effort)
        return wait("aux block " + work.hash_display + ": proof accepted, sent again every " +
                    std::to_string(options_.interval.count()) + " ms until a block carries it");
      ++accepted_;
      last_accepted_ = AcceptedProof{work.hash_display, proof};
      out_ << what << "accepted" << std::endl;
      if (options_.once) return MinerExit::stopped_or_accepted;
      return pause();
    }
    const tools::RpcError& error = *answer->error;
    if (node_busy(error)) {
      out_ << what << "not taken: " << describe(error) << std::endl;
      if (options_.once) return MinerExit::unreachable;
      return pause();
    }
    ++refused_;
    out_ << what << "refused: " << describe(error) << std::endl;
    // Unknown or stale work is a race with a finalization or a node restart: fresh work fixes it.
    // Any other refusal means this miner's proofs do not fit the chain (e.g. --commitment).
    if (error.code == kInvalidParameter && !options_.once) return pause();
    if (error.code != kInvalidParameter)
      out_ << "stopping: the node will refuse every proof built this way (check --commitment)"
           << std::endl;
    return MinerExit::refused;
  }

  static std::string bits_text(std::uint32_t bits) {
    char text[9];
    std::snprintf(text, sizeof text, "%08x", bits);
    return text;
  }

  std::optional<MinerExit> pause() {
    if (sleep_unless_stopped(stop_, options_.interval)) return stopped();
    return std::nullopt;
  }

  std::optional<MinerExit> wait(const std::string& state) {
    if (state != last_state_) {
      out_ << state << std::endl;
      last_state_ = state;
    }
    return pause();
  }

  MinerExit fail(MinerExit exit, const std::string& message) {
    out_ << message << std::endl;
    return exit;
  }

  MinerExit stopped() {
    out_ << "stopped: " << accepted_ << " accepted, " << refused_ << " refused" << std::endl;
    return MinerExit::stopped_or_accepted;
  }

  struct AcceptedProof {
    std::string hash_display;
    AuxPow proof;
  };

  NodeRpc& rpc_;
  const MinerOptions& options_;
  std::stop_token stop_;
  std::ostream& out_;
  std::string last_state_;
  std::optional<AcceptedProof> last_accepted_;
  std::uint64_t accepted_ = 0;
  std::uint64_t refused_ = 0;
};

}  // namespace

Result<NodeUrl> parse_node_url(std::string_view text) {
  constexpr std::string_view kScheme = "http://";
  if (!text.starts_with(kScheme)) {
    return Status::Invalid(
        text.starts_with("https://")
            ? "https is not supported: the admin endpoint speaks plain HTTP (on loopback)"
            : "expected http://HOST:PORT/, got '" + std::string(text) + "'");
  }
  std::string_view rest = text.substr(kScheme.size());
  const std::size_t slash = rest.find('/');
  Result<host::HostPort> address = host::parse_host_port(rest.substr(0, slash));
  if (!address.ok())
    return address.status().with_context("bad node URL '" + std::string(text) + "'");
  NodeUrl url{*address, "/"};
  if (slash != std::string_view::npos) url.path = std::string(rest.substr(slash));
  if (url.path.find_first_of("?# ") != std::string::npos)
    return Status::Invalid("bad node URL '" + std::string(text) +
                           "': no query, fragment or space in the path");
  return url;
}

std::unique_ptr<NodeRpc> make_http_node_rpc(const NodeUrl& url, std::chrono::milliseconds timeout) {
  return std::make_unique<HttpNodeRpc>(url, timeout);
}

AuxBlockWork parse_aux_block(std::string_view result_json) {
  json::error_code ec;
  const json::value parsed = json::parse(result_json, ec);
  if (ec)
    throw std::invalid_argument("createauxblock's answer is not JSON: " + shortened(result_json));
  return parse_aux_block(parsed);
}

AuxBlockWork parse_aux_block(const json::value& parsed) {
  if (!parsed.is_object()) throw std::invalid_argument("createauxblock's answer is not an object");
  const json::object& object = parsed.as_object();

  AuxBlockWork work;
  work.hash_display = std::string(string_field(object, "hash"));
  auto display = fixed_from_hex<32>(work.hash_display);
  if (!display)
    throw std::invalid_argument("createauxblock's 'hash' is not 64 hex digits: " +
                                shortened(work.hash_display));
  work.aux_hash = reversed(*display);

  const std::uint64_t chain_id = unsigned_field(object, "chainid");
  if (chain_id == 0 || chain_id > 0xffff)
    throw std::invalid_argument("createauxblock's 'chainid' " + std::to_string(chain_id) +
                                " is not a chain id (1 to 65535)");
  work.chain_id = static_cast<std::uint32_t>(chain_id);

  const std::string_view bits = string_field(object, "bits");
  auto bits_bytes = fixed_from_hex<4>(bits);
  if (!bits_bytes || bits.size() != 8)
    throw std::invalid_argument("createauxblock's 'bits' is not 8 hex digits: " + shortened(bits));
  work.bits = std::uint32_t{(*bits_bytes)[0]} << 24 | std::uint32_t{(*bits_bytes)[1]} << 16 |
              std::uint32_t{(*bits_bytes)[2]} << 8 | (*bits_bytes)[3];
  const CompactTarget target = decode_compact(work.bits);
  if (target.negative || target.overflow || target.target.is_zero())
    throw std::invalid_argument("createauxblock's 'bits' " + std::string(bits) +
                                " is no usable target (negative, overflowing or zero)");
  if (object.contains("_target")) {
    auto given = fixed_from_hex<32>(string_field(object, "_target"));
    if (!given || *given != target.target.to_le())
      throw std::invalid_argument("createauxblock's '_target' " +
                                  shortened(string_field(object, "_target")) +
                                  " is not the target of bits " + std::string(bits) +
                                  " (little-endian hex " + to_hex(target.target.to_le()) + ")");
  }

  work.height = unsigned_field(object, "height");
  if (work.height == 0)
    throw std::invalid_argument("createauxblock's 'height' is 0: genesis carries no proof");
  return work;
}

json::array submit_params(const AuxBlockWork& work, const AuxPow& auxpow) {
  return json::array{json::string(work.hash_display), json::string(to_hex(auxpow.serialize()))};
}

bool sleep_unless_stopped(const std::stop_token& stop, std::chrono::milliseconds duration) {
  std::mutex mutex;
  std::condition_variable_any woken;
  std::unique_lock lock(mutex);
  return woken.wait_for(lock, stop, duration, [] { return false; }) || stop.stop_requested();
}

MiningResult mine_work(const AuxBlockWork& work, AuxPowCommitment commitment,
                       std::uint64_t max_attempts, const std::stop_token& stop,
                       const std::function<void(std::uint64_t, std::chrono::nanoseconds)>& progress,
                       std::chrono::milliseconds progress_every) {
  using Clock = std::chrono::steady_clock;
  MiningResult result;
  AuxPow auxpow = make_auxpow(work.aux_hash, work.chain_id, commitment);
  const Clock::time_point start = Clock::now();
  Clock::time_point next_progress = start + progress_every;
  while (!stop.stop_requested() && (max_attempts == 0 || result.hashes < max_attempts)) {
    std::uint64_t round = kHashesPerRound;
    if (max_attempts != 0) round = std::min(round, max_attempts - result.hashes);
    const std::uint64_t before = grind_position(auxpow);
    const bool found = mine_auxpow(auxpow, work.bits, round);
    result.hashes += grind_position(auxpow) - before + (found ? 1 : 0);
    if (found) {
      result.proof = std::move(auxpow);
      break;
    }
    const Clock::time_point now = Clock::now();
    if (progress && now >= next_progress) {
      progress(result.hashes, now - start);
      next_progress = now + progress_every;
    }
  }
  result.elapsed = Clock::now() - start;
  return result;
}

std::string hash_rate(std::uint64_t hashes, std::chrono::nanoseconds elapsed) {
  if (elapsed.count() <= 0) return "-";
  const double per_second =
      static_cast<double>(hashes) * 1e9 / static_cast<double>(elapsed.count());
  static constexpr const char* kUnits[] = {"H/s", "kH/s", "MH/s", "GH/s"};
  double value = per_second;
  std::size_t unit = 0;
  while (value >= 1000 && unit + 1 < std::size(kUnits)) {
    value /= 1000;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, "%.2f %s", value, kUnits[unit]);
  return text;
}

MinerExit run_miner(NodeRpc& rpc, const MinerOptions& options, const std::stop_token& stop,
                    std::ostream& out) {
  return MinerLoop(rpc, options, stop, out).run();
}

}  // namespace alys::miner
