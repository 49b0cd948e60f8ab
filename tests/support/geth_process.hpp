// A real Geth for integration tests: found where `bash packaging/geth.sh install` put it,
// initialised from a genesis file, started on loopback ports chosen at run time with a JWT secret
// file, asked over its HTTP JSON-RPC, stopped by PID.
//
//   auto geth = find_geth();           // nullopt: SKIP (geth_missing_reason() says why)
//   geth_init(*geth, datadir, genesis, log);
//   GethOptions options;               // binary, datadir, jwt_secret, log; ports 0: chosen now
//   GethProcess node(options);
//   node.wait_ready();                 // HTTP RPC answers
//   node.rpc("eth_chainId");           // the result, or nullopt on an error answer
//   node.stop();                       // SIGTERM, SIGKILL after a grace period
//   GethProcess again(node.options()); // the same datadir, secret and ports (a restart)
//
// Flags are PEERS.md's: --syncmode full (snap mode answers SYNCING to every newPayload on a fresh
// chain), no discovery and no peers, the Engine API on --authrpc.port with the JWT secret, eth/net/
// web3 over --http. --port 0 and --ipcdisable keep several Geths of parallel tests apart (even with
// --maxpeers 0 Geth listens on *:30303; the IPC socket takes a path in the datadir). Needs
// ALYS_SOURCE_DIR (alys_add_test sets it). Not thread-safe.
#pragma once

#include <signal.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "child_process.hpp"
#include "loopback_http.hpp"

namespace alys::testing {

// Where packaging/geth.sh installs Geth ($ALYS_GETH wins: a Geth built elsewhere), or nullopt when
// it is not installed.
inline std::optional<std::filesystem::path> find_geth() {
  if (const char* given = std::getenv("ALYS_GETH"); given && *given) {
    if (std::filesystem::exists(given)) return std::filesystem::path(given);
    return std::nullopt;
  }
  // The script owns the pinned version and the cache layout; asking it keeps one source of both.
  const std::string command = "bash '" ALYS_SOURCE_DIR "/packaging/geth.sh' path 2>/dev/null";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return std::nullopt;
  std::string out;
  char buffer[512];
  while (std::fgets(buffer, sizeof buffer, pipe)) out += buffer;
  if (::pclose(pipe) != 0) return std::nullopt;
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  if (out.empty() || !std::filesystem::exists(out)) return std::nullopt;
  return std::filesystem::path(out);
}

inline std::string geth_missing_reason() {
  return "geth is not installed (bash packaging/geth.sh install, or ALYS_GETH=/path/to/geth)";
}

// A fresh Engine API secret: 32 random bytes as 64 hex digits, the form Geth reads (and writes
// itself when the file is missing, which would hide a wrong path: so the file always exists).
inline std::filesystem::path write_jwt_secret(const std::filesystem::path& file) {
  std::random_device random;
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (int i = 0; i < 32; ++i) {
    const unsigned byte = random() & 0xff;
    hex += kDigits[byte >> 4];
    hex += kDigits[byte & 0xf];
  }
  std::ofstream(file) << hex << "\n";
  std::filesystem::permissions(
      file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  return file;
}

// `geth init --datadir DATADIR GENESIS`, its output in `log`. The exit code (nullopt: it hung for
// a minute and was killed) and the output.
struct GethInit {
  std::optional<int> code;
  std::string output;
};
inline GethInit geth_init(const std::filesystem::path& binary, const std::filesystem::path& datadir,
                          const std::filesystem::path& genesis, const std::filesystem::path& log) {
  ChildProcess init({binary.string(), "init", "--datadir", datadir.string(), genesis.string()},
                    log);
  GethInit result;
  result.code = init.wait_exit(std::chrono::minutes(1));
  result.output = init.output();
  return result;
}

struct GethOptions {
  std::filesystem::path binary;
  std::filesystem::path datadir;         // already initialised (geth_init)
  std::filesystem::path jwt_secret;      // must exist (write_jwt_secret)
  std::filesystem::path log;             // Geth's stdout and stderr
  std::uint16_t authrpc_port = 0;        // 0: a free loopback port chosen now
  std::uint16_t http_port = 0;           // 0: likewise
  std::vector<std::string> extra_flags;  // appended: "--state.scheme", "hash", ...
};

class GethProcess {
 public:
  // Starts Geth; throws std::runtime_error when it cannot be spawned. REQUIRES the datadir was
  // initialised and the JWT file exists.
  explicit GethProcess(GethOptions options) : options_(std::move(options)) {
    if (!std::filesystem::exists(options_.jwt_secret))
      throw std::runtime_error("JWT secret file missing: " + options_.jwt_secret.string());
    if (options_.authrpc_port == 0) options_.authrpc_port = free_loopback_port();
    if (options_.http_port == 0) {
      do options_.http_port = free_loopback_port();
      while (options_.http_port == options_.authrpc_port);
    }
    std::vector<std::string> argv = {options_.binary.string(),
                                     "--datadir",
                                     options_.datadir.string(),
                                     "--syncmode",
                                     "full",
                                     "--nodiscover",
                                     "--maxpeers",
                                     "0",
                                     "--port",
                                     "0",
                                     "--ipcdisable",
                                     "--authrpc.addr",
                                     "127.0.0.1",
                                     "--authrpc.port",
                                     std::to_string(options_.authrpc_port),
                                     "--authrpc.jwtsecret",
                                     options_.jwt_secret.string(),
                                     "--http",
                                     "--http.addr",
                                     "127.0.0.1",
                                     "--http.port",
                                     std::to_string(options_.http_port),
                                     "--http.api",
                                     "eth,net,web3"};
    argv.insert(argv.end(), options_.extra_flags.begin(), options_.extra_flags.end());
    process_.emplace(std::move(argv), options_.log);
  }

  GethProcess(const GethProcess&) = delete;
  GethProcess& operator=(const GethProcess&) = delete;
  ~GethProcess() { stop(); }

  pid_t pid() const { return process_->pid(); }
  std::uint16_t authrpc_port() const { return options_.authrpc_port; }
  std::uint16_t http_port() const { return options_.http_port; }
  std::string http_url() const { return "http://127.0.0.1:" + std::to_string(http_port()); }
  std::string authrpc_url() const { return "http://127.0.0.1:" + std::to_string(authrpc_port()); }
  // With the ports actually used: a GethProcess made from them restarts this one in place.
  const GethOptions& options() const { return options_; }
  bool running() { return process_ && process_->running(); }
  std::string output() const { return process_ ? process_->output() : std::string(); }

  // The whole JSON-RPC answer from Geth's HTTP endpoint (no authentication), or nullopt when it
  // does not answer with JSON.
  std::optional<boost::json::object> call(const std::string& method,
                                          boost::json::array params = {}) {
    boost::json::object request{
        {"jsonrpc", "2.0"}, {"id", ++request_id_}, {"method", method}, {"params", params}};
    auto reply =
        http_request("127.0.0.1", http_port(), "POST", "/", boost::json::serialize(request));
    if (!reply || reply->status != 200) return std::nullopt;
    boost::json::error_code error;
    boost::json::value body = boost::json::parse(reply->body, error);
    if (error || !body.is_object()) return std::nullopt;
    return body.as_object();
  }

  // The `result` of a call, or nullopt on no answer or an error answer.
  std::optional<boost::json::value> rpc(const std::string& method, boost::json::array params = {}) {
    auto answer = call(method, std::move(params));
    if (!answer || !answer->contains("result")) return std::nullopt;
    return answer->at("result");
  }

  // Waits until the HTTP RPC answers eth_chainId; false when Geth exited first (output() says
  // why: a bad flag, a port taken, a datadir never initialised) or on time-out.
  bool wait_ready(std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (!running()) return false;
      if (rpc("eth_chainId")) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  // SIGTERM by PID (Geth flushes its state and exits), SIGKILL after `grace`. The exit code, as
  // ChildProcess reports it; nullopt when it was not running.
  std::optional<int> stop(std::chrono::milliseconds grace = std::chrono::seconds(30)) {
    if (!process_ || !process_->running()) return process_ ? process_->wait_exit({}) : std::nullopt;
    process_->signal(SIGTERM);
    if (auto code = process_->wait_exit(grace)) return code;
    return kill();
  }

  // SIGKILL by PID: a crash, as the recovery tests need it.
  std::optional<int> kill() {
    if (!process_) return std::nullopt;
    process_->signal(SIGKILL);
    return process_->wait_exit(std::chrono::seconds(30));
  }

 private:
  GethOptions options_;
  std::optional<ChildProcess> process_;
  std::uint64_t request_id_ = 0;
};

}  // namespace alys::testing
