// alysd — the node: loads the plugin set a config file describes and runs it until SIGTERM/SIGINT.
#include <signal.h>
#include <unistd.h>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <thread>

#include "alys/abi.h"
#include "alys_version.hpp"
#include "host/admin/admin_server.hpp"
#include "host/config/config.hpp"
#include "host/config/token_file.hpp"
#include "host/loading/node_assembly.hpp"
#include "host/loading/table_check.hpp"
#include "host/runtime/allocator_tuning.hpp"
#include "host/runtime/runtime.hpp"
#include "host/tools/common/command_line.hpp"

namespace {

using namespace alys::host;

namespace po = alys::tools::program_options;

constexpr const char* kUsageHead = R"(usage:
  alysd --config FILE [--data-dir DIR] [--plugin-dir DIR] [--admin-listen HOST:PORT] [--log-level L]
  alysd --check-config FILE [same overrides]
  alysd --help | --version

Runs the node described by FILE until SIGTERM or SIGINT. --check-config validates FILE and the
manifests of its plugins, then loads each plugin (no actor is created) and has it check its role's
table; errors print as FILE:LINE:COL: KEY: MESSAGE.

)";

constexpr const char* kUsageTail = R"(
exit codes:
  0  stopped on request (or --check-config found no error)
  1  the node could not start (a plugin failed to load or start)
  2  usage or configuration error (every error is printed)
  3  the root supervisor gave up (restart intensity exceeded)
  1  also: a second SIGTERM/SIGINT while the ordered stop is still running
)";

po::options_description options() {
  po::options_description described("options", alys::tools::kHelpWidth);
  described.add_options()                                                                   //
      ("config", po::value<std::string>()->value_name("FILE"), "the node's config (TOML)")  //
      ("check-config", po::value<std::string>()->value_name("FILE"),
       "validate FILE, its plugins' manifests and role tables, then exit")                    //
      ("data-dir", po::value<std::string>()->value_name("DIR"), "overrides [host] data_dir")  //
      ("plugin-dir", po::value<std::string>()->value_name("DIR"),
       "overrides [host] plugin_dir")  //
      ("admin-listen", po::value<std::string>()->value_name("HOST:PORT"),
       "overrides [host] admin_listen (port 0: the system picks one)")  //
      ("log-level", po::value<std::string>()->value_name("L"),
       "overrides [host] log_level: trace, debug, info, warn, error, critical or off")  //
      ("version", po::bool_switch(), "the node's version and plugin ABI")               //
      ("help,h", po::bool_switch(), "this text");
  return described;
}

std::string usage() { return kUsageHead + alys::tools::describe_options(options()) + kUsageTail; }

struct CommandLine {
  bool help = false;
  bool version = false;
  std::filesystem::path config;
  bool check_only = false;
  HostOverrides overrides;
};

alys::Result<CommandLine> parse(const std::vector<std::string>& args) {
  auto parsed = alys::tools::parse_command_line(args, options(), {}, "argument");
  if (!parsed.ok()) return parsed.status();
  const po::variables_map& values = *parsed;
  CommandLine line;
  line.help = values["help"].as<bool>();
  line.version = values["version"].as<bool>();
  if (line.help || line.version) return line;
  if (values.count("config") && values.count("check-config"))
    return alys::Status::Invalid("--config and --check-config exclude each other");
  if (!values.count("config") && !values.count("check-config"))
    return alys::Status::Invalid("--config FILE or --check-config FILE is required");
  line.check_only = values.count("check-config") > 0;
  line.config = values[line.check_only ? "check-config" : "config"].as<std::string>();
  auto text = [&values](const char* name) -> std::optional<std::string> {
    if (!values.count(name)) return std::nullopt;
    return values[name].as<std::string>();
  };
  if (auto dir = text("data-dir")) line.overrides.data_dir = *dir;
  if (auto dir = text("plugin-dir")) line.overrides.plugin_dir = *dir;
  line.overrides.admin_listen = text("admin-listen");
  line.overrides.log_level = text("log-level");
  return line;
}

// Plugins are loaded from private copies, as the node loads them; a check must not create the
// node's data_dir, so without one it copies into a directory of its own (removed afterwards).
struct CheckScratch {
  explicit CheckScratch(const NodeConfig& config) {
    std::error_code ec;
    if (std::filesystem::is_directory(config.host.data_dir, ec)) {
      path = config.host.data_dir / ".plugin-copies";
    } else {
      path = std::filesystem::temp_directory_path(ec) / ("alysd-check-" + std::to_string(getpid()));
      owned = true;
    }
  }
  ~CheckScratch() {
    std::error_code ec;
    if (owned) std::filesystem::remove_all(path, ec);
  }
  CheckScratch(const CheckScratch&) = delete;
  CheckScratch& operator=(const CheckScratch&) = delete;
  std::filesystem::path path;
  bool owned = false;
};

// SIGTERM, SIGINT and SIGHUP are blocked in every thread and taken here, so a handler never runs
// inside a plugin's code. SIGHUP re-reads the config. The first SIGTERM/SIGINT stops the node in
// order; a second one, while that stop hangs, exits at once. Returns when the runtime has stopped
// (also by itself, when the root supervisor gave up).
void watch_signals(Runtime& runtime, const sigset_t& signals,
                   const std::function<void()>& on_hangup) {
  timespec tick{0, 200'000'000};
  bool stopping = false;
  while (!runtime.stopped()) {
    int signal = sigtimedwait(&signals, nullptr, &tick);
    if (signal == SIGHUP && !stopping) {
      on_hangup();
    } else if ((signal == SIGTERM || signal == SIGINT) && !stopping) {
      stopping = true;
      runtime.logger().info("[host] received {}, shutting down (again to exit at once)",
                            strsignal(signal));
      runtime.shutdown(kExitOk, std::string("signal ") + strsignal(signal));
    } else if (signal == SIGTERM || signal == SIGINT) {
      runtime.logger().error("[host] second {} during shutdown: exiting at once",
                             strsignal(signal));
      runtime.logger().flush();
      std::_Exit(kExitStartFailed);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  auto line = parse(alys::tools::arguments_of(argc, argv));
  if (!line.ok()) {
    std::cerr << "alysd: " << line.status().message() << "\n\n" << usage();
    return kExitConfigError;
  }
  if (line->help) {
    std::cout << usage();
    return kExitOk;
  }
  if (line->version) {
    std::cout << "alysd " ALYS_NODE_VERSION " (plugin ABI " << ALYS_ABI_MAJOR << "."
              << ALYS_ABI_MINOR << ")\n";
    return kExitOk;
  }

  // Before any thread exists; a refusal is logged once the logger is up.
  const bool allocator_tuned = line->check_only || alys::host::keep_large_allocations_in_heap();
  ConfigLoadResult loaded = load_config(line->config, line->overrides);
  std::vector<ConfigError> errors = loaded.errors;
  if (loaded.config) {
    // Before any library is loaded: a running node tolerates an ABI refusal (that role is left
    // out), --check-config reports it.
    auto manifest_errors = check_manifests(*loaded.config, line->check_only);
    errors.insert(errors.end(), manifest_errors.begin(), manifest_errors.end());
  }
  if (line->check_only) {
    if (loaded.config) {
      CheckScratch scratch(*loaded.config);
      TableCheckReport tables = check_role_tables(*loaded.config, scratch.path);
      errors.insert(errors.end(), tables.errors.begin(), tables.errors.end());
      for (const auto& warning : tables.warnings)
        std::cerr << "warning: " << warning.to_string() << "\n";
    }
    for (const auto& error : errors) std::cerr << error.to_string() << "\n";
    if (!errors.empty()) {
      std::cerr << errors.size() << " error(s) in " << line->config.string() << "\n";
      return kExitConfigError;
    }
    std::cout << line->config.string() << ": OK (" << loaded.config->plugins.size()
              << " plugin(s))\n";
    return kExitOk;
  }
  if (!errors.empty()) {
    for (const auto& error : errors) std::cerr << error.to_string() << "\n";
    return kExitConfigError;
  }
  const NodeConfig& config = *loaded.config;

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before any thread exists: all inherit it

  auto logger = std::make_shared<spdlog::logger>(
      "alysd", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ %v");
  logger->set_level(spdlog::level::from_str(config.host.log_level));
  logger->flush_on(spdlog::level::trace);

  std::error_code ec;
  std::filesystem::create_directories(config.host.data_dir, ec);
  if (ec) {
    logger->error("[host] cannot create data_dir {}: {}", config.host.data_dir.string(),
                  ec.message());
    return kExitStartFailed;
  }
  if (!allocator_tuned)
    logger->warn(
        "[host] the C library refused the allocator thresholds; hot swaps may pause longer");
  logger->info("[host] alysd " ALYS_NODE_VERSION
               ", ABI {}.{}, config {}, data_dir {}, {} plugin(s)",
               ALYS_ABI_MAJOR, ALYS_ABI_MINOR, config.file.string(), config.host.data_dir.string(),
               config.plugins.size());
  RuntimeOptions options;
  options.workers = config.host.workers;
  options.logger = logger;
  options.scratch_dir = config.host.data_dir / ".plugin-copies";
  options.swap_trial_ms = config.host.swap_trial_ms;
  // Read before anything starts: load_config checked the file, but it can have changed since, and
  // the node must not come up with its mutating methods in another state than configured.
  std::string admin_token;
  if (!config.host.admin_token_file.empty()) {
    alys::Result<std::string> token = read_token_file(config.host.admin_token_file);
    if (!token.ok()) {
      logger->error("[host] admin_token_file: {}", token.status().message());
      return kExitStartFailed;
    }
    admin_token = std::move(*token);
  }

  Runtime runtime(options);
  alys::Result<std::vector<std::string>> refused =
      assemble(config, runtime, config.host.data_dir / ".plugin-copies");
  if (!refused.ok()) {
    logger->error("[host] cannot start: {}", refused.status().message());
    return kExitStartFailed;
  }
  if (alys::Status started = runtime.start(); !started.ok()) {
    logger->error("[host] cannot start: {}", started.message());
    return kExitStartFailed;
  }

  AdminOptions admin;
  admin.listen = config.host.admin_listen;
  admin.max_body_bytes = config.host.admin_max_body_bytes;
  admin.rpc_timeout_ms = config.host.rpc_timeout_ms;
  admin.token = std::move(admin_token);
  alys::Result<std::unique_ptr<AdminServer>> server = AdminServer::start(runtime, admin);
  if (!server.ok()) {
    logger->error("[host] {}", server.status().message());
    runtime.shutdown(kExitStartFailed, "admin server could not start");
    return runtime.wait();
  }
  std::unique_ptr<AdminServer>& admin_server = *server;
  logger->info("[host] admin API on http://{}/ (mutating methods {})",
               admin_server->bound_address(),
               admin.token.empty() ? "disabled: no admin_token_file" : "need the bearer token");
  logger->info(
      "[host] node running, {} actor(s){}", runtime.cells().size(),
      refused->empty() ? "" : ", " + std::to_string(refused->size()) + " plugin(s) refused");

  NodeConfig running = config;
  auto reload = [&] {
    logger->info("[host] SIGHUP: re-reading {}", line->config.string());
    ConfigLoadResult next = load_config(line->config, line->overrides);
    std::vector<ConfigError> problems = next.errors;
    if (next.config) {
      auto manifest_errors = check_manifests(*next.config, true);
      problems.insert(problems.end(), manifest_errors.begin(), manifest_errors.end());
    }
    // Every changed table, by the plugin that will serve it, before anything is applied.
    if (problems.empty()) {
      TableCheckReport tables = check_reload(*next.config, runtime, options.scratch_dir);
      for (const auto& warning : tables.warnings) logger->warn("[reload] {}", warning.to_string());
      problems = std::move(tables.errors);
    }
    if (!problems.empty()) {
      for (const auto& problem : problems) logger->error("[reload] {}", problem.to_string());
      logger->error("[reload] config not applied: {} error(s); the node runs as before",
                    problems.size());
      return;
    }
    std::size_t applied = reconfigure(running, *next.config, runtime);
    logger->info("[reload] {} change(s) applied", applied);
    running = *next.config;
  };
  std::thread signal_watcher([&] { watch_signals(runtime, signals, reload); });
  int code = runtime.wait();
  signal_watcher.join();
  admin_server.reset();
  logger->info("[host] stopped, exit code {}", code);
  return code;
}
