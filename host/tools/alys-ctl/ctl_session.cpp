#include "host/tools/alys-ctl/ctl_session.hpp"

#include <iostream>
#include <utility>

#include "alys/json_rpc.hpp"
#include "alys_version.hpp"
#include "host/config/config.hpp"
#include "host/config/token_file.hpp"
#include "host/tools/alys-ctl/output.hpp"

namespace alys::ctl {

Result<Target> resolve_target(const TargetOptions& options) {
  std::optional<host::NodeConfig> config;
  if (options.config) {
    host::ConfigLoadResult loaded =
        host::load_config(*options.config, {}, host::ConfigReader::client);
    if (!loaded.config) {
      std::string message = "cannot read admin settings from " + options.config->string() + ":";
      for (const auto& error : loaded.errors) message += "\n  " + error.to_string();
      return Status::Invalid(message);
    }
    config = std::move(loaded.config);
  }

  const std::string source = options.admin ? "--admin"
                             : config      ? config->file.string() + ": admin_listen"
                                           : "default address";
  const std::string text = options.admin ? *options.admin
                           : config      ? config->host.admin_listen
                                         : std::string(kDefaultAdmin);
  if (!options.admin && config && text.ends_with(":0"))
    return Status::Invalid(source + " is " + text +
                           ": the node picks its port at start; pass --admin HOST:PORT");
  Result<host::HostPort> address = host::parse_host_port(text);
  if (!address.ok()) return address.status().with_context(source);
  Target target{*address, ""};
  // A node listening on every interface is reached on loopback.
  if (target.address.host == "0.0.0.0") target.address.host = "127.0.0.1";
  if (target.address.host == "::") target.address.host = "::1";

  if (options.token_file) {
    Result<std::string> token = host::read_token_file(*options.token_file);
    if (!token.ok()) return token.status().with_context("--token-file");
    target.token = *token;
  } else if (config && !config->host.admin_token_file.empty() && options.needs_token) {
    // Only commands that need the token read it: the file is usually readable by the node's user
    // alone, and status or health should work for anyone who can reach the port.
    Result<std::string> token = host::read_token_file(config->host.admin_token_file);
    if (token.ok())
      target.token = *token;
    else
      std::cerr << "alys-ctl: warning: " << token.status().message()
                << " (admin_token_file); sending no token\n";
  }
  return target;
}

Session::Session(const Target& target, std::chrono::milliseconds timeout, bool json_output)
    : client_(tools::AdminClientOptions{target.address, target.token, timeout,
                                        "alys-ctl/" ALYS_NODE_VERSION}),
      where_(target.address.to_string()),
      json_(json_output) {}

Result<tools::RpcReply> Session::call(std::string_view method, json::value params) {
  return client_.call(method, params);
}

Result<tools::HttpReply> Session::get(const std::string& path) { return client_.get(path); }

int Session::report_failure(const Status& failure) const {
  switch (failure.code()) {
    case tools::kNameNotResolved:
      // A name that does not resolve is a wrong address, not a stopped node.
      std::cerr << "alys-ctl: cannot reach alysd at " << where_ << ": " << failure.message()
                << " (check --admin / admin_listen)\n";
      return kExitUnreachable;
    case tools::kNotReachable:
      std::cerr << "alys-ctl: cannot reach alysd at " << where_ << ": " << failure.message()
                << " \u2014 is the node running?\n";
      return kExitUnreachable;
    case tools::kNoAnswer:
      std::cerr << "alys-ctl: alysd at " << where_ << ": " << failure.message()
                << " (--timeout-ms N waits longer)\n";
      return kExitUnreachable;
    case tools::kNotJsonRpc:
      std::cerr << "alys-ctl: unexpected answer from alysd at " << where_ << ": "
                << failure.message() << "\n";
      return kExitNodeError;
    default:
      std::cerr << "alys-ctl: talking to alysd at " << where_ << ": " << failure.message() << "\n";
      return kExitNodeError;
  }
}

int Session::report_rpc_error(const std::string& what, const tools::RpcError& error,
                              std::string_view redundant_prefix) const {
  if (error.code == json_rpc::kUnauthorized) return report_unauthorized(error.message);
  if (json_) print_json(error.object);
  std::cerr << "alys-ctl: " << what << " failed: " << message_without(error, redundant_prefix)
            << " (error " << error.code << ")\n";
  return kExitNodeError;
}

int Session::report_unauthorized(std::string_view why) const {
  if (client_.has_token())
    std::cerr << "alys-ctl: unauthorized: the node refused the token (check --token-file / "
                 "admin_token_file)\n";
  else
    std::cerr << "alys-ctl: unauthorized: no token was sent (check --token-file / "
                 "admin_token_file)\n";
  if (!why.empty()) std::cerr << "alysd says: " << why << "\n";
  return kExitUnauthorized;
}

int Session::report_unexpected(const tools::HttpReply& reply) const {
  std::cerr << "alys-ctl: unexpected answer from alysd at " << where_ << " (HTTP " << reply.status
            << "): " << reply.body.substr(0, 200) << "\n";
  return kExitNodeError;
}

std::string message_without(const tools::RpcError& error, std::string_view prefix) {
  std::string message = error.message;
  if (!prefix.empty() && message.starts_with(prefix)) message.erase(0, prefix.size());
  return message;
}

}  // namespace alys::ctl
