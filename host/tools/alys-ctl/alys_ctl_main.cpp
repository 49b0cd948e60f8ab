// alys-ctl — the command-line client of a node's admin API (docs/admin-api.md): status, plugins,
// health and metrics, hot reload of a plugin, restart of an actor, shutdown. And one offline tool
// for miners: verify-auxpow judges an AuxPoW without a node (docs/auxpow.md).
#include <boost/json.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "host/tools/common/admin_client.hpp"
#include "host/tools/alys-ctl/output.hpp"
#include "host/tools/alys-ctl/verify_auxpow.hpp"
#include "host/config/config.hpp"

namespace {

using namespace alys::host;
using namespace alys::ctl;
namespace json = boost::json;

// Scripts branch on these; --help documents them.
enum ExitCode : int {
  kExitOk = 0,
  kExitNodeError = 1,
  kExitUsage = 2,
  kExitUnreachable = 3,
  kExitUnauthorized = 4,
};

constexpr const char* kUsage = R"(usage:
  alys-ctl [--config FILE | --admin HOST:PORT] [--token-file FILE] [--json] [--timeout-ms N]
           COMMAND [ARGS]

commands:
  status             the node and every actor: state, restarts, mailbox depth, plugin version
  plugins            the plugin serving each role: name, version, ABI, state schema, file
  health             GET /health: node and per-actor health
  metrics            GET /metrics: Prometheus text, printed as is
  reload ROLE FILE   hot-swap ROLE to the plugin FILE (relative to the current directory);
                     answers after the swap and its trial period
  restart ROLE       restart ROLE's actor with fresh state; its mailbox is kept
  shutdown           stop the node in order (it exits 0)
  call METHOD [JSON] call an admin method a plugin registered, with JSON params (an object or an
                     array; default {}), and print its result
  verify-auxpow --chain-id N --bits HEX [--commitment coinbase-script|coinbase-output]
                [--no-strict-chain-id] BLOCKHASH AUXPOWHEX
                     offline, no node: judge a merged-mining proof for the block hash BLOCKHASH
                     (display order, as RPC shows it) by Namecoin's rules and check that the
                     parent's SHA256d meets --bits (the child's nBits, e.g. 0x1b00b269); prints
                     `valid`, or `invalid: REASON` and exits 1. --chain-id: decimal or 0x hex;
                     --no-strict-chain-id allows a parent carrying our chain id. With --json:
                     {"valid":true} or {"valid":false,"reason":"..."}

reload, restart, shutdown and plugin methods registered as mutating need the node's token; the
others do not. `call` sends the token when it has one.

options:
  --config FILE      the node's config: admin_listen and admin_token_file are read from its [host]
  --admin HOST:PORT  the admin address; IPv6 in brackets: [::1]:8645
  --token-file FILE  the file whose first line is the token
  --json             print the JSON result as is (for health: the body), for scripts
  --timeout-ms N     wait at most N ms for an answer (default 10000; reload: 120000)
  --help             this text

--admin and --token-file win over --config. Without either: 127.0.0.1:8645 and no token.

exit codes:
  0  success (verify-auxpow: valid)
  1  the node answered with an error (failed reload, unknown role, not healthy for `health`),
     or the exchange with it broke off; verify-auxpow: invalid
  2  usage error (also: an unreadable --config or --token-file; for verify-auxpow a malformed
     hash, hex, flag or AuxPoW)
  3  node not reachable (not running, wrong address, or no answer within the timeout)
  4  unauthorized: the node refused the token (or none was given)
)";

constexpr std::chrono::milliseconds kDefaultTimeout{10'000};
// A reload answers only after the swap and its trial period ([host] swap_trial_ms).
constexpr std::chrono::milliseconds kDefaultReloadTimeout{120'000};
constexpr const char* kDefaultAdmin = "127.0.0.1:8645";

struct CommandSpec {
  std::string_view name;
  std::size_t args;
  std::string_view arg_names;
  bool mutating;                  // needs the token
  std::size_t optional_args = 0;  // more arguments it may take
  bool offline = false;           // needs no node; parses its own options
};

constexpr CommandSpec kCommands[] = {
    {"status", 0, "", false},
    {"plugins", 0, "", false},
    {"health", 0, "", false},
    {"metrics", 0, "", false},
    {"reload", 2, "ROLE FILE", true},
    {"restart", 1, "ROLE", true},
    {"shutdown", 0, "", true},
    {"call", 1, "METHOD [JSON]", true, 1},
    {"verify-auxpow", 0, "", false, 0, true},
};

struct CommandLine {
  std::optional<std::filesystem::path> config;
  std::optional<std::string> admin;
  std::optional<std::filesystem::path> token_file;
  bool json = false;
  bool help = false;
  std::optional<std::chrono::milliseconds> timeout;
  const CommandSpec* command = nullptr;
  std::vector<std::string> args;  // the command's; for an offline command every word after it
};

void usage_error(const std::string& message) {
  std::cerr << "alys-ctl: " << message << "\n(alys-ctl --help for usage)\n";
}

std::optional<CommandLine> parse(int argc, char** argv) {
  CommandLine line;
  std::vector<std::string> words;
  bool options_done = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (options_done || arg.size() < 2 || arg[0] != '-') {
      words.push_back(arg);
      // An offline command's options are its own: hand it the rest of the line untouched.
      if (words.size() == 1 && arg == "verify-auxpow") {
        words.insert(words.end(), argv + i + 1, argv + argc);
        break;
      }
      continue;
    }
    if (arg == "--") {
      options_done = true;
      continue;
    }
    if (arg == "--help" || arg == "-h") {
      line.help = true;
      return line;
    }
    if (arg == "--json") {
      line.json = true;
      continue;
    }
    if (arg != "--config" && arg != "--admin" && arg != "--token-file" && arg != "--timeout-ms") {
      usage_error("unknown option '" + arg + "'");
      return std::nullopt;
    }
    if (i + 1 >= argc) {
      usage_error(arg + " needs a value");
      return std::nullopt;
    }
    std::string value = argv[++i];
    if (arg == "--config") {
      line.config = value;
    } else if (arg == "--admin") {
      line.admin = value;
    } else if (arg == "--token-file") {
      line.token_file = value;
    } else {
      std::size_t used = 0;
      long long ms = -1;
      try {
        ms = std::stoll(value, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != value.size() || ms <= 0) {
        usage_error("--timeout-ms needs a positive number of milliseconds, got '" + value + "'");
        return std::nullopt;
      }
      line.timeout = std::chrono::milliseconds(ms);
    }
  }
  if (words.empty()) {
    usage_error("no command given");
    return std::nullopt;
  }
  auto spec = std::find_if(std::begin(kCommands), std::end(kCommands),
                           [&](const CommandSpec& c) { return c.name == words.front(); });
  if (spec == std::end(kCommands)) {
    usage_error("unknown command '" + words.front() + "'");
    return std::nullopt;
  }
  line.command = &*spec;
  line.args.assign(words.begin() + 1, words.end());
  if (spec->offline) return line;
  if (line.args.size() < spec->args || line.args.size() > spec->args + spec->optional_args) {
    std::string expected = spec->args == 0
                               ? std::string(spec->name) + " takes no arguments"
                               : std::string(spec->name) + " needs " + std::string(spec->arg_names);
    usage_error(expected);
    return std::nullopt;
  }
  return line;
}

// The first line of `file`, without surrounding whitespace; nullopt with `error` if the file cannot
// be read or that line is empty.
std::optional<std::string> read_token(const std::filesystem::path& file, std::string& error) {
  std::ifstream in(file);
  if (!in) {
    error = "cannot read token file " + file.string();
    return std::nullopt;
  }
  std::string token;
  std::getline(in, token);
  constexpr const char* kSpace = " \t\r\n\v\f";
  std::size_t first = token.find_first_not_of(kSpace);
  if (first == std::string::npos) {
    error = "token file " + file.string() + " is empty";
    return std::nullopt;
  }
  token = token.substr(first, token.find_last_not_of(kSpace) - first + 1);
  return token;
}

// Where to connect and with which token.
struct Target {
  AdminAddress address;
  std::string token;
};

std::optional<Target> resolve_target(const CommandLine& line) {
  std::optional<NodeConfig> config;
  if (line.config) {
    ConfigLoadResult loaded = load_config(*line.config);
    if (!loaded.config) {
      std::cerr << "alys-ctl: cannot read admin settings from " << line.config->string() << ":\n";
      for (const auto& error : loaded.errors) std::cerr << "  " << error.to_string() << "\n";
      return std::nullopt;
    }
    config = std::move(loaded.config);
  }

  Target target;
  std::string error;
  std::string source = line.admin ? "--admin"
                       : config   ? config->file.string() + ": admin_listen"
                                  : "default address";
  std::string text = line.admin ? *line.admin : config ? config->host.admin_listen : kDefaultAdmin;
  if (!line.admin && config && text.ends_with(":0")) {
    std::cerr << "alys-ctl: " << source << " is " << text
              << ": the node picks its port at start; pass --admin HOST:PORT\n";
    return std::nullopt;
  }
  auto address = parse_admin_address(text, error);
  if (!address) {
    std::cerr << "alys-ctl: " << source << ": " << error << "\n";
    return std::nullopt;
  }
  // A node listening on every interface is reached on loopback.
  if (address->host == "0.0.0.0") address->host = "127.0.0.1";
  if (address->host == "::") address->host = "::1";
  target.address = *address;

  if (line.token_file) {
    auto token = read_token(*line.token_file, error);
    if (!token) {
      std::cerr << "alys-ctl: --token-file: " << error << "\n";
      return std::nullopt;
    }
    target.token = *token;
  } else if (config && !config->host.admin_token_file.empty() && line.command->mutating) {
    // Only commands that need the token read it: the file is usually readable by the node's user
    // alone, and status or health should work for anyone who can reach the port.
    auto token = read_token(config->host.admin_token_file, error);
    if (token)
      target.token = *token;
    else
      std::cerr << "alys-ctl: warning: " << error << " (admin_token_file); sending no token\n";
  }
  return target;
}

// --- talking to the node ----------------------------------------------------------------------

// The answer to one JSON-RPC call. When neither result nor error is set, the failure has been
// reported already and `exit_code` says which.
struct RpcAnswer {
  std::optional<json::value> result;
  std::optional<json::object> error;  // the JSON-RPC error object
  int exit_code = kExitOk;
};

class Session {
 public:
  Session(const Target& target, std::chrono::milliseconds timeout, bool json_output)
      : client_(target.address.host, target.address.port, target.token, timeout),
        where_(target.address.to_string()),
        has_token_(!target.token.empty()),
        json_(json_output) {}

  bool json_output() const { return json_; }
  const std::string& where() const { return where_; }

  RpcAnswer call(const std::string& method, json::object params) const {
    return call_with(method, json::value(std::move(params)));
  }

  RpcAnswer call_with(const std::string& method, json::value params) const {
    json::object request{{"jsonrpc", "2.0"}, {"id", 1}, {"method", method}};
    request["params"] = std::move(params);
    AdminReply reply = client_.post_json("/", json::serialize(request));
    RpcAnswer answer;
    if (!reply.ok()) {
      answer.exit_code = report_transport(reply);
      return answer;
    }
    json::error_code ec;
    json::value body = json::parse(reply.body, ec);
    const json::object* object = ec ? nullptr : body.if_object();
    const json::value* error = object ? object->if_contains("error") : nullptr;
    const json::value* result = object ? object->if_contains("result") : nullptr;
    bool unauthorized_error =
        error && error->is_object() && text(error->get_object(), "code") == "-32001";
    if (reply.status == 401 || unauthorized_error) {
      answer.exit_code = report_unauthorized(
          unauthorized_error ? text(error->get_object(), "message") : std::string());
      return answer;
    }
    if (error && error->is_object()) {
      answer.error = error->get_object();
      answer.exit_code = kExitNodeError;
      return answer;
    }
    if (!result) {
      answer.exit_code = report_unexpected(reply);
      return answer;
    }
    answer.result = *result;
    return answer;
  }

  // GET `path`; the reply when an HTTP answer came, else nullopt with `exit_code` set.
  std::optional<AdminReply> get(const std::string& path, int& exit_code) const {
    AdminReply reply = client_.get(path);
    if (!reply.ok()) {
      exit_code = report_transport(reply);
      return std::nullopt;
    }
    if (reply.status == 401) {
      exit_code = report_unauthorized("");
      return std::nullopt;
    }
    return reply;
  }

  int report_unexpected(const AdminReply& reply) const {
    std::string start = reply.body.substr(0, 200);
    std::cerr << "alys-ctl: unexpected answer from alysd at " << where_ << " (HTTP " << reply.status
              << "): " << start << "\n";
    return kExitNodeError;
  }

 private:
  int report_transport(const AdminReply& reply) const {
    switch (reply.failure) {
      case AdminReply::Failure::not_reachable:
        // A name that does not resolve is a wrong address, not a stopped node.
        std::cerr << "alys-ctl: cannot reach alysd at " << where_ << ": " << reply.error
                  << (reply.error.starts_with("cannot resolve") ? " (check --admin / admin_listen)"
                                                                : " \u2014 is the node running?")
                  << "\n";
        return kExitUnreachable;
      case AdminReply::Failure::no_answer:
        std::cerr << "alys-ctl: alysd at " << where_ << ": " << reply.error
                  << " (--timeout-ms N waits longer)\n";
        return kExitUnreachable;
      default:
        std::cerr << "alys-ctl: talking to alysd at " << where_ << ": " << reply.error << "\n";
        return kExitNodeError;
    }
  }

  // `why` is the node's own message: it tells a wrong token from a node that has mutating methods
  // disabled (no admin_token_file).
  int report_unauthorized(const std::string& why) const {
    if (has_token_)
      std::cerr << "alys-ctl: unauthorized: the node refused the token (check --token-file / "
                   "admin_token_file)\n";
    else
      std::cerr << "alys-ctl: unauthorized: no token was sent (check --token-file / "
                   "admin_token_file)\n";
    if (!why.empty()) std::cerr << "alysd says: " << why << "\n";
    return kExitUnauthorized;
  }
  AdminClient client_;
  std::string where_;
  bool has_token_;
  bool json_;
};

// The node's error message without `prefix`, which repeats what alys-ctl already says in front of
// it (alysd writes "restart of 'counter' failed: ..." where alys-ctl writes "restart of counter
// failed: ...").
std::string message_without(const json::object& error, const std::string& prefix) {
  std::string message = text(error, "message");
  if (!prefix.empty() && message.starts_with(prefix)) message.erase(0, prefix.size());
  return message;
}

// Prints a JSON-RPC error for `what` ("restart of counter") and returns the exit code.
int report_rpc_error(const Session& session, const std::string& what, const json::object& error,
                     const std::string& redundant_prefix = "") {
  if (session.json_output()) print_json(error);
  std::cerr << "alys-ctl: " << what << " failed: " << message_without(error, redundant_prefix)
            << " (error " << text(error, "code") << ")\n";
  return kExitNodeError;
}

// --- commands ---------------------------------------------------------------------------------

int run_status(const Session& session) {
  RpcAnswer answer = session.call("node_status", {});
  if (answer.error) return report_rpc_error(session, "node_status", *answer.error);
  if (!answer.result) return answer.exit_code;
  if (session.json_output() || !answer.result->is_object()) {
    print_json(*answer.result);
    return kExitOk;
  }
  const json::object& node = answer.result->get_object();
  std::cout << "alysd " << text(node, "version") << " (ABI " << text(node, "abi") << ") at "
            << session.where() << ": " << text(node, "state");
  if (auto uptime = number(node, "uptime_seconds")) std::cout << ", up " << format_uptime(*uptime);
  std::cout << "\n\n";
  print_actors(node, true);
  return kExitOk;
}

int run_plugins(const Session& session) {
  RpcAnswer answer = session.call("plugin_list", {});
  if (answer.error) return report_rpc_error(session, "plugin_list", *answer.error);
  if (!answer.result) return answer.exit_code;
  if (session.json_output() || !answer.result->is_array()) {
    print_json(*answer.result);
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows = {
      {"ROLE", "PLUGIN", "VERSION", "ABI", "SCHEMA", "SWAPPABLE", "THREAD", "REQUIRES", "FILE"}};
  for (const auto& item : answer.result->get_array()) {
    if (!item.is_object()) continue;
    const json::object& plugin = item.get_object();
    rows.push_back({text(plugin, "role"), text(plugin, "name"), text(plugin, "version"),
                    text(plugin, "abi"), text(plugin, "state_schema_version"),
                    flag(plugin, "swappable") ? "yes" : "no",
                    flag(plugin, "dedicated_thread") ? "dedicated" : "shared",
                    or_dash(text(plugin, "requires")), text(plugin, "file")});
  }
  print_table(rows);
  return kExitOk;
}

int run_health(const Session& session) {
  int exit_code = kExitOk;
  auto reply = session.get("/health", exit_code);
  if (!reply) return exit_code;
  if (reply->status != 200 && reply->status != 503) return session.report_unexpected(*reply);
  bool healthy = reply->status == 200;
  json::error_code ec;
  json::value body = json::parse(reply->body, ec);
  if (session.json_output() || ec || !body.is_object()) {
    std::cout << reply->body;
    if (!reply->body.ends_with('\n')) std::cout << "\n";
  } else {
    const json::object& node = body.get_object();
    std::cout << "node " << text(node, "state") << ", " << (healthy ? "healthy" : "NOT healthy")
              << "\n\n";
    print_actors(node, false);
  }
  return healthy ? kExitOk : kExitNodeError;
}

int run_metrics(const Session& session) {
  int exit_code = kExitOk;
  auto reply = session.get("/metrics", exit_code);
  if (!reply) return exit_code;
  if (reply->status != 200) return session.report_unexpected(*reply);
  std::cout << reply->body;
  return kExitOk;
}

// The plugin version serving `role` now, from node_status; empty if unknown.
std::string serving_version(const Session& session, const std::string& role) {
  RpcAnswer answer = session.call("node_status", {});
  if (!answer.result || !answer.result->is_object()) return "";
  const json::value* actors = answer.result->get_object().if_contains("actors");
  if (!actors || !actors->is_array()) return "";
  for (const auto& item : actors->get_array())
    if (item.is_object() && text(item.get_object(), "role") == role)
      return text(item.get_object(), "plugin_version");
  return "";
}

int run_reload(const Session& session, const std::string& role, const std::string& file) {
  // The node resolves a relative path against its own working directory, which is not ours.
  std::string path = std::filesystem::absolute(file).lexically_normal().string();
  RpcAnswer answer = session.call("plugin_reload", {{"role", role}, {"path", path}});
  if (answer.error) {
    const json::object& error = *answer.error;
    const json::value* data = error.if_contains("data");
    if (text(error, "code") != "-32000" || !data || !data->is_object())
      return report_rpc_error(session, "reload of " + role, error);
    if (session.json_output()) print_json(error);
    const json::object& detail = data->get_object();
    std::cerr << "alys-ctl: reload of " << role << " failed at stage " << text(detail, "stage")
              << ": "
              << message_without(
                     error, "reload of '" + role + "' failed at " + text(detail, "stage") + ": ");
    // Asked after the failure, so the line reports what serves now rather than a guess.
    std::string version = serving_version(session, role);
    if (!version.empty())
      std::cerr << "; " << (flag(detail, "rolled_back") ? "rolled back, " : "") << "old version "
                << version << " still serving";
    std::cerr << "\n";
    return kExitNodeError;
  }
  if (!answer.result) return answer.exit_code;
  if (session.json_output() || !answer.result->is_object()) {
    print_json(*answer.result);
    return kExitOk;
  }
  const json::object& swap = answer.result->get_object();
  std::string how = text(swap, "mode") == "state"
                        ? "state handed over"
                        : "restarted with fresh state: old or new version not swappable";
  std::cout << "reloaded " << text(swap, "role") << " " << text(swap, "from_version") << " -> "
            << text(swap, "to_version") << " (" << how << ", paused " << text(swap, "pause_us")
            << " us)\n";
  return kExitOk;
}

int run_restart(const Session& session, const std::string& role) {
  RpcAnswer answer = session.call("actor_restart", {{"role", role}});
  if (answer.error)
    return report_rpc_error(session, "restart of " + role, *answer.error,
                            "restart of '" + role + "' failed: ");
  if (!answer.result) return answer.exit_code;
  if (session.json_output())
    print_json(*answer.result);
  else
    std::cout << "restarted " << role << " (fresh state, mailbox kept)\n";
  return kExitOk;
}

int run_shutdown(const Session& session) {
  RpcAnswer answer = session.call("node_shutdown", {});
  if (answer.error) return report_rpc_error(session, "node_shutdown", *answer.error);
  if (!answer.result) return answer.exit_code;
  if (session.json_output())
    print_json(*answer.result);
  else
    std::cout << "alysd at " << session.where() << " is shutting down\n";
  return kExitOk;
}

int run_call(const Session& session, const std::vector<std::string>& args) {
  json::value params = json::object();
  if (args.size() > 1) {
    json::error_code ec;
    params = json::parse(args[1], ec);
    if (ec || (!params.is_object() && !params.is_array())) {
      std::cerr << "alys-ctl: call: params must be a JSON object or array, got '" << args[1]
                << "'\n";
      return kExitUsage;
    }
  }
  RpcAnswer answer = session.call_with(args[0], std::move(params));
  if (answer.error) return report_rpc_error(session, args[0], *answer.error);
  if (!answer.result) return answer.exit_code;
  print_json(*answer.result);  // a plugin's result has no fixed shape: JSON either way
  return kExitOk;
}

int run(const CommandLine& line) {
  if (line.command->name == "verify-auxpow") {
    const int code = run_verify_auxpow(line.args, line.json);
    if (code == kVerifyHelp) {
      std::cout << kUsage;
      return kExitOk;
    }
    return code;
  }
  auto target = resolve_target(line);
  if (!target) return kExitUsage;
  std::string_view name = line.command->name;
  auto timeout = line.timeout.value_or(name == "reload" ? kDefaultReloadTimeout : kDefaultTimeout);
  Session session(*target, timeout, line.json);
  if (name == "status") return run_status(session);
  if (name == "plugins") return run_plugins(session);
  if (name == "health") return run_health(session);
  if (name == "metrics") return run_metrics(session);
  if (name == "reload") return run_reload(session, line.args[0], line.args[1]);
  if (name == "restart") return run_restart(session, line.args[0]);
  if (name == "call") return run_call(session, line.args);
  return run_shutdown(session);
}

}  // namespace

int main(int argc, char** argv) {
  auto line = parse(argc, argv);
  if (!line) return kExitUsage;
  if (line->help) {
    std::cout << kUsage;
    return kExitOk;
  }
  try {
    return run(*line);
  } catch (const std::exception& e) {
    // Only local failures get here (a path that cannot be made absolute, out of memory).
    std::cerr << "alys-ctl: " << e.what() << "\n";
    return kExitUsage;
  }
}
