// alys-ctl — the command-line client of a node's admin API (docs/admin-api.md): status, plugins,
// health and metrics, hot reload of a plugin, restart of an actor, shutdown. And one offline tool
// for miners: verify-auxpow judges an AuxPoW without a node (docs/auxpow.md); keygen, a
// fresh node key for a new member or a devnet; and genesis, the execution client's genesis file.
#include <algorithm>
#include <chrono>
#include <iostream>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "host/tools/alys-ctl/commands.hpp"
#include "host/tools/alys-ctl/ctl_session.hpp"
#include "host/tools/alys-ctl/genesis_command.hpp"
#include "host/tools/alys-ctl/keygen.hpp"
#include "host/tools/alys-ctl/verify_auxpow.hpp"
#include "host/tools/common/command_line.hpp"

namespace {

using namespace alys::ctl;
namespace po = alys::tools::program_options;

constexpr const char* kUsageHead = R"(usage:
  alys-ctl [--config FILE | --admin HOST:PORT] [--token-file FILE] [--json] [--timeout-ms N]
           COMMAND [ARGS]
  alys-ctl COMMAND --help

commands:
)";

constexpr const char* kUsageTail = R"(
--admin and --token-file win over --config. Without either: 127.0.0.1:8645 and no token.
reload, restart, shutdown and plugin methods registered as mutating need the node's token; the
others do not. `call` sends the token when it has one.

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

struct CommandSpec {
  std::string_view name;
  std::size_t args;
  std::string_view arg_names;
  bool mutating;                 // needs the token
  std::size_t optional_args;     // more arguments it may take
  std::string_view description;  // for --help, lines indented to the description column
};

constexpr std::string_view kVerifyAuxPow = "verify-auxpow";
constexpr std::string_view kKeygen = "keygen";
constexpr std::string_view kGenesis = "genesis";

constexpr CommandSpec kCommands[] = {
    {"status", 0, "", false, 0,
     "the node and every actor: state, restarts, mailbox depth, plugin version"},
    {"plugins", 0, "", false, 0,
     "the plugin serving each role: name, version, ABI, state schema, file"},
    {"health", 0, "", false, 0, "GET /health: node and per-actor health"},
    {"metrics", 0, "", false, 0, "GET /metrics: Prometheus text, printed as is"},
    {"peers", 0, "", false, 0,
     "the network role's peers: identity, state, score, status, traffic (network_peers)"},
    {"reload", 2, "ROLE FILE", true, 0,
     "hot-swap ROLE to the plugin FILE (relative to the current directory);\n"
     "answers after the swap and its trial period"},
    {"restart", 1, "ROLE", true, 0, "restart ROLE's actor with fresh state; its mailbox is kept"},
    {"shutdown", 0, "", true, 0, "stop the node in order (it exits 0)"},
    {"call", 1, "METHOD [JSON]", true, 1,
     "call an admin method a plugin registered, with JSON params (an object or an\n"
     "array; default {}), and print its result"},
    {kVerifyAuxPow, 0, "[OPTIONS] BLOCKHASH AUXPOWHEX", false, 0,
     "offline, no node: judge a merged-mining proof for a block hash by Namecoin's\n"
     "rules and the child's bits (alys-ctl verify-auxpow --help)"},
    {kKeygen, 0, "--out FILE", false, 0,
     "offline, no node: a fresh node key in FILE (mode 0600, never overwritten);\n"
     "prints its public key (alys-ctl keygen --help)"},
    {kGenesis, 0, "--engine geth --config FILE [--out FILE]", false, 0,
     "offline, no node: the execution client's genesis from the node's [chain] and\n"
     "[engine]; --predeploy ADDRESS=FILE adds a contract (alys-ctl genesis --help)"},
};

po::options_description global_options() {
  po::options_description described("options", alys::tools::kHelpWidth);
  described.add_options()  //
      ("config", po::value<std::string>()->value_name("FILE"),
       "the node's config: admin_listen and admin_token_file are read from its [host]")  //
      ("admin", po::value<std::string>()->value_name("HOST:PORT"),
       "the admin address; IPv6 in brackets: [::1]:8645")  //
      ("token-file", po::value<std::string>()->value_name("FILE"),
       "the file whose first line is the token")  //
      ("json", po::bool_switch(),
       "print the JSON result as is (for health: the body), for scripts")  //
      ("timeout-ms", po::value<std::string>()->value_name("N"),
       "wait at most N ms for an answer (default 10000; reload: 120000)")  //
      ("help,h", po::bool_switch(), "this text (after a command: the command's)");
  return described;
}

std::string command_line_of(const CommandSpec& spec) {
  std::string line(spec.name);
  if (!spec.arg_names.empty()) line += " " + std::string(spec.arg_names);
  return line;
}

// "  reload ROLE FILE   hot-swap ..." with the description's further lines indented alike; a
// command too long for the column has its description on the next line.
std::string describe_commands() {
  constexpr std::size_t kColumn = 21;
  std::string text;
  for (const CommandSpec& spec : kCommands) {
    std::string line = "  " + command_line_of(spec);
    line += line.size() < kColumn ? std::string(kColumn - line.size(), ' ')
                                  : "\n" + std::string(kColumn, ' ');
    for (char c : spec.description) {
      line += c;
      if (c == '\n') line += std::string(kColumn, ' ');
    }
    text += line + "\n";
  }
  return text;
}

std::string usage() {
  return kUsageHead + describe_commands() + "\n" + alys::tools::describe_options(global_options()) +
         kUsageTail;
}

std::string command_usage(const CommandSpec& spec) {
  const std::string description(spec.description);
  return "usage:\n  alys-ctl [OPTIONS] " + command_line_of(spec) + "\n\n" + description +
         (spec.mutating ? "\nNeeds the node's token.\n\n" : "\n\n") +
         alys::tools::describe_options(global_options());
}

void usage_error(const std::string& message) {
  std::cerr << "alys-ctl: " << message << "\n(alys-ctl --help for usage)\n";
}

struct CommandLine {
  bool help = false;
  TargetOptions target;
  bool json = false;
  std::optional<std::chrono::milliseconds> timeout;
  const CommandSpec* command = nullptr;
  std::vector<std::string> args;  // the command's; for verify-auxpow every word after it
};

// Where the command word is: the first word that is neither an option nor an option's value.
std::size_t command_position(const std::vector<std::string>& args,
                             const po::options_description& options) {
  std::set<std::string> take_values;
  for (const auto& option : options.options())
    if (option->semantic()->max_tokens() > 0) take_values.insert("--" + option->long_name());
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& word = args[i];
    if (word == "--") return i + 1;
    if (word.size() < 2 || word[0] != '-') return i;
    if (take_values.contains(word)) ++i;
  }
  return args.size();
}

alys::Result<CommandLine> parse(const std::vector<std::string>& args) {
  const po::options_description options = global_options();
  const std::size_t at = command_position(args, options);
  const bool offline = at < args.size() &&
                       (args[at] == kVerifyAuxPow || args[at] == kKeygen || args[at] == kGenesis);

  // The offline commands (verify-auxpow, keygen, genesis) parse their own options: the words after
  // them are their own.
  po::options_description with_command;
  with_command.add(options).add_options()    //
      ("command", po::value<std::string>())  //
      ("args", po::value<std::vector<std::string>>());
  po::positional_options_description positional;
  positional.add("command", 1).add("args", -1);
  auto parsed =
      offline ? alys::tools::parse_command_line(
                    std::vector<std::string>(args.begin(), args.begin() + static_cast<long>(at)),
                    options, {})
              : alys::tools::parse_command_line(args, with_command, positional);
  if (!parsed.ok()) return parsed.status();
  const po::variables_map& values = *parsed;

  CommandLine line;
  line.help = values["help"].as<bool>();
  line.json = values["json"].as<bool>();
  if (values.count("config")) line.target.config = values["config"].as<std::string>();
  if (values.count("admin")) line.target.admin = values["admin"].as<std::string>();
  if (values.count("token-file")) line.target.token_file = values["token-file"].as<std::string>();
  if (values.count("timeout-ms")) {
    const std::string& value = values["timeout-ms"].as<std::string>();
    std::size_t used = 0;
    long long ms = -1;
    try {
      ms = std::stoll(value, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != value.size() || ms <= 0)
      return alys::Status::Invalid("--timeout-ms needs a positive number of milliseconds, got '" +
                                   value + "'");
    line.timeout = std::chrono::milliseconds(ms);
  }

  std::string name;
  if (offline) {
    name = args[at];
    line.args.assign(args.begin() + static_cast<long>(at) + 1, args.end());
  } else if (values.count("command")) {
    name = values["command"].as<std::string>();
    if (values.count("args")) line.args = values["args"].as<std::vector<std::string>>();
  } else {
    if (line.help) return line;
    return alys::Status::Invalid("no command given");
  }
  auto spec = std::find_if(std::begin(kCommands), std::end(kCommands),
                           [&](const CommandSpec& c) { return c.name == name; });
  if (spec == std::end(kCommands)) return alys::Status::Invalid("unknown command '" + name + "'");
  line.command = &*spec;
  line.target.needs_token = spec->mutating;
  if (offline || line.help) return line;
  if (line.args.size() < spec->args || line.args.size() > spec->args + spec->optional_args) {
    return alys::Status::Invalid(spec->args == 0 ? std::string(spec->name) + " takes no arguments"
                                                 : std::string(spec->name) + " needs " +
                                                       std::string(spec->arg_names));
  }
  return line;
}

int run(const CommandLine& line) {
  const std::string_view name = line.command->name;
  if (name == kVerifyAuxPow) return run_verify_auxpow(line.args, line.json);
  if (name == kKeygen) return run_keygen(line.args, line.json);
  if (name == kGenesis) return run_genesis(line.args, line.target.config);
  auto target = resolve_target(line.target);
  if (!target.ok()) {
    std::cerr << "alys-ctl: " << target.status().message() << "\n";
    return kExitUsage;
  }
  const auto timeout =
      line.timeout.value_or(name == "reload" ? kDefaultReloadTimeout : kDefaultTimeout);
  Session session(*target, timeout, line.json);
  if (name == "status") return run_status(session);
  if (name == "plugins") return run_plugins(session);
  if (name == "health") return run_health(session);
  if (name == "metrics") return run_metrics(session);
  if (name == "peers") return run_peers(session);
  if (name == "reload") return run_reload(session, line.args[0], line.args[1]);
  if (name == "restart") return run_restart(session, line.args[0]);
  if (name == "call") return run_call(session, line.args);
  return run_shutdown(session);
}

}  // namespace

int main(int argc, char** argv) {
  auto line = parse(alys::tools::arguments_of(argc, argv));
  if (!line.ok()) {
    usage_error(line.status().message());
    return kExitUsage;
  }
  if (line->help) {
    std::cout << (line->command ? command_usage(*line->command) : usage());
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
