// alys-ctl's connection to a node: where it is and which token to send (from --admin,
// --token-file and the node's config), and the exchanges of one command with their failures
// reported the way alys-ctl's exit codes document them.
#pragma once

#include <boost/json.hpp>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "alys/status.hpp"
#include "host/tools/common/admin_client.hpp"

namespace alys::ctl {

namespace json = boost::json;

// Scripts branch on these; --help documents them.
enum ExitCode : int {
  kExitOk = 0,
  kExitNodeError = 1,
  kExitUsage = 2,
  kExitUnreachable = 3,
  kExitUnauthorized = 4,
};

inline constexpr std::string_view kDefaultAdmin = "127.0.0.1:8645";

// Where to connect and with which token.
struct Target {
  host::HostPort address;
  std::string token;
};

// What the command line says about the target.
struct TargetOptions {
  std::optional<std::filesystem::path> config;
  std::optional<std::string> admin;
  std::optional<std::filesystem::path> token_file;
  bool needs_token = false;  // the command is mutating: read the config's token file for it
};

// --admin and --token-file win over the config's admin_listen and admin_token_file; without
// either, kDefaultAdmin and no token. Fails (a usage error) with the message alys-ctl prints when
// the config, the address or the token file cannot be read. A config token file that cannot be
// read only warns on stderr: the node will say whether it needed the token.
Result<Target> resolve_target(const TargetOptions& options);

// The exchanges of one command with one node. Not thread-safe.
class Session {
 public:
  Session(const Target& target, std::chrono::milliseconds timeout, bool json_output);

  bool json_output() const { return json_; }
  const std::string& where() const { return where_; }

  Result<tools::RpcReply> call(std::string_view method, json::value params);
  Result<tools::HttpReply> get(const std::string& path);

  // Each prints what went wrong on stderr and returns the exit code to end with.
  // A failed exchange: no (JSON-RPC) answer.
  int report_failure(const Status& failure) const;
  // The node's JSON-RPC error for `what` ("restart of counter"); its message without
  // `redundant_prefix`, which repeats what alys-ctl says in front of it.
  int report_rpc_error(const std::string& what, const tools::RpcError& error,
                       std::string_view redundant_prefix = "") const;
  // `why` is the node's own message: it tells a wrong token from a node that has mutating methods
  // disabled (no admin_token_file).
  int report_unauthorized(std::string_view why) const;
  int report_unexpected(const tools::HttpReply& reply) const;

 private:
  tools::AdminClient client_;
  std::string where_;
  bool json_;
};

// The node's error message without `prefix` (alysd writes "restart of 'counter' failed: ..."
// where alys-ctl writes "restart of counter failed: ...").
std::string message_without(const tools::RpcError& error, std::string_view prefix);

}  // namespace alys::ctl
