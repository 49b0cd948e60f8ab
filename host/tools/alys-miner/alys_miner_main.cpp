// alys-miner — a CPU merged miner for dev chains and tests (docs/mining.md): asks the node for
// work (createauxblock), builds and mines an AuxPoW that commits to it, submits it
// (submitauxblock), and goes on until stopped. The logic is in dev_miner.hpp.
#include <pthread.h>
#include <signal.h>

#include <charconv>
#include <chrono>
#include <iostream>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>

#include "alys/domain/hash.hpp"
#include "host/tools/alys-miner/dev_miner.hpp"
#include "host/tools/common/command_line.hpp"

namespace {

using namespace alys::miner;
namespace po = alys::tools::program_options;

constexpr const char* kUsageHead = R"(usage:
  alys-miner --rpc URL --address ADDR [--commitment coinbase-script|coinbase-output]
             [--interval-ms N] [--once] [--max-attempts N]

Mines the node's unfinalized blocks: createauxblock ADDR, a parent block whose coinbase commits to
the answer's hash, the parent nonce ground until its SHA256d meets the answer's bits, then
submitauxblock. One line per submission and per change of state.

)";

constexpr const char* kUsageTail = R"(
SIGINT or SIGTERM stops it (exit 0).

exit codes:
  0  stopped by a signal; --once: the proof was accepted
  1  the node refused the proof or the request for work, or answered something unreadable
  2  bad arguments
  3  --once: the node could not be reached, or could not take the request (it was stopping,
     or its chain actor restarting)
)";

po::options_description options() {
  po::options_description described("options", alys::tools::kHelpWidth);
  described.add_options()  //
      ("rpc", po::value<std::string>()->value_name("URL"),
       "the node's admin endpoint, http://HOST:PORT/ (its [host] admin_listen)")  //
      ("address", po::value<std::string>()->value_name("ADDR"),
       "the fee recipient of the proofs, a 20-byte EVM address (0x + 40 hex digits)")  //
      ("commitment", po::value<std::string>()->value_name("MODE"),
       "where the coinbase commits: coinbase-script (default) or coinbase-output; must match "
       "the chain's [chain.auxpow] commitment")  //
      ("interval-ms", po::value<std::string>()->value_name("N"),
       "wait N ms after a submission and between retries (default 1000, at least 1)")  //
      ("once", po::bool_switch(), "exit after the first submission")                   //
      ("max-attempts", po::value<std::string>()->value_name("N"),
       "hashes spent on one work unit before asking for fresh work (default 16777216; 0: no "
       "limit)")  //
      ("help,h", po::bool_switch(), "this text");
  return described;
}

std::string usage() { return kUsageHead + alys::tools::describe_options(options()) + kUsageTail; }

struct CommandLine {
  bool help = false;
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

alys::Result<CommandLine> parse(const std::vector<std::string>& args) {
  auto parsed = alys::tools::parse_command_line(args, options(), {}, "argument");
  if (!parsed.ok()) return parsed.status();
  const po::variables_map& values = *parsed;
  CommandLine line;
  if (values["help"].as<bool>()) {
    line.help = true;
    return line;
  }
  if (!values.count("rpc")) return alys::Status::Invalid("--rpc URL is required");
  if (!values.count("address")) return alys::Status::Invalid("--address ADDR is required");

  auto url = parse_node_url(values["rpc"].as<std::string>());
  if (!url.ok()) return url.status();
  line.url = *url;

  const std::string& address = values["address"].as<std::string>();
  if (!address.starts_with("0x") || !alys::fixed_from_hex<20>(address))
    return alys::Status::Invalid(
        "--address must be a 20-byte EVM address, 0x + 40 hex digits; got '" + address + "'");
  line.options.address = address;

  if (values.count("commitment")) {
    const std::string& mode = values["commitment"].as<std::string>();
    if (mode == "coinbase-script")
      line.options.commitment = alys::AuxPowCommitment::coinbase_script;
    else if (mode == "coinbase-output")
      line.options.commitment = alys::AuxPowCommitment::coinbase_output;
    else
      return alys::Status::Invalid(
          "--commitment must be coinbase-script or coinbase-output; got '" + mode + "'");
  }
  if (values.count("interval-ms")) {
    const std::string& text = values["interval-ms"].as<std::string>();
    auto number = parse_number(text);
    if (!number || *number == 0 || *number > 86'400'000)
      return alys::Status::Invalid("--interval-ms must be 1 to 86400000; got '" + text + "'");
    line.options.interval = std::chrono::milliseconds(*number);
  }
  if (values.count("max-attempts")) {
    const std::string& text = values["max-attempts"].as<std::string>();
    auto number = parse_number(text);
    if (!number)
      return alys::Status::Invalid("--max-attempts must be a non-negative integer; got '" + text +
                                   "'");
    line.options.max_attempts = *number;
  }
  line.options.once = values["once"].as<bool>();
  return line;
}

// SIGINT and SIGTERM are blocked in every thread and taken here, so that a stop lands between
// two steps of the miner (never inside an HTTP exchange or a hash). The watcher's own stop (its
// jthread's, requested on destruction) ends it.
class SignalWatcher {
 public:
  SignalWatcher(const sigset_t& signals, std::stop_source miner)
      : thread_([signals, miner](std::stop_token done) mutable { watch(signals, miner, done); }) {}

 private:
  static void watch(const sigset_t& signals, std::stop_source& miner, const std::stop_token& done) {
    const timespec tick{0, 100'000'000};
    while (!done.stop_requested()) {
      const int signal = sigtimedwait(&signals, nullptr, &tick);
      if (signal == SIGINT || signal == SIGTERM) miner.request_stop();
    }
  }

  std::jthread thread_;
};

const char* commitment_name(alys::AuxPowCommitment commitment) {
  return commitment == alys::AuxPowCommitment::coinbase_script ? "coinbase-script"
                                                               : "coinbase-output";
}

}  // namespace

int main(int argc, char** argv) {
  auto line = parse(alys::tools::arguments_of(argc, argv));
  if (!line.ok()) {
    std::cerr << "alys-miner: " << line.status().message() << "\n\n" << usage();
    return static_cast<int>(MinerExit::usage);
  }
  if (line->help) {
    std::cout << usage();
    return static_cast<int>(MinerExit::stopped_or_accepted);
  }

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before the watcher thread: it inherits it

  std::cout << "alys-miner: node http://" << line->url.address.to_string() << line->url.path
            << ", fee recipient " << line->options.address << ", commitment "
            << commitment_name(line->options.commitment) << std::endl;
  // On the heap: g++ 12 at -O2 warns that a std::stop_source on the stack "may be used
  // uninitialized" in its own constructor (a false positive of <stop_token>'s inlined code).
  auto stop = std::make_unique<std::stop_source>();
  SignalWatcher watcher(signals, *stop);
  auto rpc = make_http_node_rpc(line->url, std::chrono::seconds(10));
  return static_cast<int>(run_miner(*rpc, line->options, stop->get_token(), std::cout));
}
