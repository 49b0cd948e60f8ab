// alys-miner — a CPU merged miner for dev chains and tests (docs/mining.md): asks the node for
// work (createauxblock), builds and mines an AuxPoW that commits to it, submits it
// (submitauxblock), and goes on until stopped. The logic is in host/dev_miner.hpp.
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "alys/domain/hash.hpp"
#include "host/tools/alys-miner/dev_miner.hpp"

namespace {

using namespace alys::miner;

constexpr const char* kUsage = R"(usage:
  alys-miner --rpc URL --address ADDR [--commitment coinbase-script|coinbase-output]
             [--interval-ms N] [--once] [--max-attempts N]

Mines the node's unfinalized blocks: createauxblock ADDR, a parent block whose coinbase commits to
the answer's hash, the parent nonce ground until its SHA256d meets the answer's bits, then
submitauxblock. One line per submission and per change of state.

options:
  --rpc URL          the node's admin endpoint, http://HOST:PORT/ (its [host] admin_listen)
  --address ADDR     the fee recipient of the proofs, a 20-byte EVM address (0x + 40 hex digits)
  --commitment MODE  where the coinbase commits: coinbase-script (default) or coinbase-output;
                     must match the chain's [chain.auxpow] commitment
  --interval-ms N    wait N ms after a submission and between retries (default 1000, at least 1)
  --once             exit after the first submission
  --max-attempts N   hashes spent on one work unit before asking for fresh work
                     (default 16777216; 0: no limit)
  --help             this text

SIGINT or SIGTERM stops it (exit 0).

exit codes:
  0  stopped by a signal; --once: the proof was accepted
  1  the node refused the proof or the request for work, or answered something unreadable
  2  bad arguments
  3  --once: the node could not be reached, or could not take the request (it was stopping,
     or its chain actor restarting)
)";

struct CommandLine {
  std::string url_text;
  NodeUrl url;
  MinerOptions options;
};

std::optional<std::uint64_t> parse_number(std::string_view text) {
  std::uint64_t value = 0;
  const char* end = text.data() + text.size();
  auto [stop, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || stop != end) return std::nullopt;
  return value;
}

// nullopt with `error` set (empty for --help).
std::optional<CommandLine> parse(int argc, char** argv, std::string& error) {
  CommandLine line;
  bool have_url = false;
  bool have_address = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      error.clear();
      return std::nullopt;
    }
    if (arg == "--once") {
      line.options.once = true;
      continue;
    }
    const bool takes_value = arg == "--rpc" || arg == "--address" || arg == "--commitment" ||
                             arg == "--interval-ms" || arg == "--max-attempts";
    if (!takes_value) {
      error = "unknown argument '" + std::string(arg) + "'";
      return std::nullopt;
    }
    if (i + 1 >= argc) {
      error = std::string(arg) + " needs a value";
      return std::nullopt;
    }
    const std::string_view value = argv[++i];
    if (arg == "--rpc") {
      auto url = parse_node_url(value, error);
      if (!url) return std::nullopt;
      line.url = *url;
      line.url_text = std::string(value);
      have_url = true;
    } else if (arg == "--address") {
      if (!value.starts_with("0x") || !alys::fixed_from_hex<20>(value)) {
        error = "--address must be a 20-byte EVM address, 0x + 40 hex digits; got '" +
                std::string(value) + "'";
        return std::nullopt;
      }
      line.options.address = std::string(value);
      have_address = true;
    } else if (arg == "--commitment") {
      if (value == "coinbase-script") {
        line.options.commitment = alys::AuxPowCommitment::coinbase_script;
      } else if (value == "coinbase-output") {
        line.options.commitment = alys::AuxPowCommitment::coinbase_output;
      } else {
        error = "--commitment must be coinbase-script or coinbase-output; got '" +
                std::string(value) + "'";
        return std::nullopt;
      }
    } else if (arg == "--interval-ms") {
      auto number = parse_number(value);
      if (!number || *number == 0 || *number > 86'400'000) {
        error = "--interval-ms must be 1 to 86400000; got '" + std::string(value) + "'";
        return std::nullopt;
      }
      line.options.interval = std::chrono::milliseconds(*number);
    } else {
      auto number = parse_number(value);
      if (!number) {
        error = "--max-attempts must be a non-negative integer; got '" + std::string(value) + "'";
        return std::nullopt;
      }
      line.options.max_attempts = *number;
    }
  }
  if (!have_url || !have_address) {
    error = !have_url ? "--rpc URL is required" : "--address ADDR is required";
    return std::nullopt;
  }
  return line;
}

// SIGINT and SIGTERM are blocked in every thread and taken here, so that a stop lands between
// two steps of the miner (never inside an HTTP exchange or a hash).
class SignalWatcher {
 public:
  SignalWatcher(const sigset_t& signals, StopToken& stop)
      : thread_([this, signals, &stop] { watch(signals, stop); }) {}
  ~SignalWatcher() {
    done_.store(true);
    thread_.join();
  }
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

 private:
  void watch(const sigset_t& signals, StopToken& stop) {
    const timespec tick{0, 100'000'000};
    while (!done_.load()) {
      const int signal = sigtimedwait(&signals, nullptr, &tick);
      if (signal == SIGINT || signal == SIGTERM) stop.request_stop();
    }
  }

  std::atomic<bool> done_{false};
  std::thread thread_;
};

const char* commitment_name(alys::AuxPowCommitment commitment) {
  return commitment == alys::AuxPowCommitment::coinbase_script ? "coinbase-script"
                                                               : "coinbase-output";
}

}  // namespace

int main(int argc, char** argv) {
  std::string error;
  auto line = parse(argc, argv, error);
  if (!line) {
    if (error.empty()) {
      std::cout << kUsage;
      return static_cast<int>(MinerExit::stopped_or_accepted);
    }
    std::cerr << "alys-miner: " << error << "\n\n" << kUsage;
    return static_cast<int>(MinerExit::usage);
  }

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before the watcher thread: it inherits it

  std::cout << "alys-miner: node http://" << line->url.host << ":" << line->url.port
            << line->url.path << ", fee recipient " << line->options.address << ", commitment "
            << commitment_name(line->options.commitment) << std::endl;
  StopToken stop;
  SignalWatcher watcher(signals, stop);
  auto rpc = make_http_node_rpc(line->url, std::chrono::seconds(10));
  return static_cast<int>(run_miner(*rpc, line->options, stop, std::cout));
}
