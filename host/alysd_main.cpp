// alysd — the node: loads the plugin set a config file describes and runs it until SIGTERM/SIGINT.
#include <signal.h>

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
#include "host/loading/node_assembly.hpp"
#include "host/runtime/runtime.hpp"

namespace {

using namespace alys::host;

constexpr const char* kUsage = R"(usage:
  alysd --config FILE [--data-dir DIR] [--plugin-dir DIR] [--admin-listen HOST:PORT] [--log-level L]
  alysd --check-config FILE [same overrides]
  alysd --help | --version

Runs the node described by FILE until SIGTERM or SIGINT. --check-config validates FILE and the
manifests of its plugins without running plugin code.

exit codes:
  0  stopped on request (or --check-config found no error)
  1  the node could not start (a plugin failed to load or start)
  2  usage or configuration error (every error is printed)
  3  the root supervisor gave up (restart intensity exceeded)
  1  also: a second SIGTERM/SIGINT while the ordered stop is still running
)";

struct CommandLine {
  std::filesystem::path config;
  bool check_only = false;
  HostOverrides overrides;
};

std::optional<CommandLine> parse(int argc, char** argv) {
  CommandLine line;
  bool have_config = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::optional<std::string> {
      if (i + 1 >= argc) {
        std::cerr << "alysd: " << arg << " needs a value\n";
        return std::nullopt;
      }
      return std::string(argv[++i]);
    };
    std::optional<std::string> v;
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      std::exit(kExitOk);
    } else if (arg == "--version") {
      std::cout << "alysd " ALYS_NODE_VERSION " (plugin ABI " << ALYS_ABI_MAJOR << "."
                << ALYS_ABI_MINOR << ")\n";
      std::exit(kExitOk);
    } else if (arg == "--config" || arg == "--check-config") {
      if (!(v = value())) return std::nullopt;
      line.config = *v;
      line.check_only = arg == "--check-config";
      have_config = true;
    } else if (arg == "--data-dir") {
      if (!(v = value())) return std::nullopt;
      line.overrides.data_dir = *v;
    } else if (arg == "--plugin-dir") {
      if (!(v = value())) return std::nullopt;
      line.overrides.plugin_dir = *v;
    } else if (arg == "--admin-listen") {
      if (!(v = value())) return std::nullopt;
      line.overrides.admin_listen = *v;
    } else if (arg == "--log-level") {
      if (!(v = value())) return std::nullopt;
      line.overrides.log_level = *v;
    } else {
      std::cerr << "alysd: unknown argument '" << arg << "'\n";
      return std::nullopt;
    }
  }
  if (!have_config) {
    std::cerr << "alysd: --config FILE or --check-config FILE is required\n";
    return std::nullopt;
  }
  return line;
}

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

std::string read_token(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::string token;
  std::getline(in, token);
  const char* blank = " \t\r";
  std::size_t first = token.find_first_not_of(blank);
  if (first == std::string::npos) return {};
  return token.substr(first, token.find_last_not_of(blank) - first + 1);
}

}  // namespace

int main(int argc, char** argv) {
  auto line = parse(argc, argv);
  if (!line) {
    std::cerr << kUsage;
    return kExitConfigError;
  }

  ConfigLoadResult loaded = load_config(line->config, line->overrides);
  std::vector<ConfigError> errors = loaded.errors;
  if (loaded.config) {
    // Before any library is loaded: a running node tolerates an ABI refusal (that role is left
    // out), --check-config reports it.
    auto manifest_errors = check_manifests(*loaded.config, line->check_only);
    errors.insert(errors.end(), manifest_errors.begin(), manifest_errors.end());
  }
  if (line->check_only) {
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
  logger->info("[host] alysd " ALYS_NODE_VERSION
               ", ABI {}.{}, config {}, data_dir {}, {} plugin(s)",
               ALYS_ABI_MAJOR, ALYS_ABI_MINOR, config.file.string(), config.host.data_dir.string(),
               config.plugins.size());
  RuntimeOptions options;
  options.workers = config.host.workers;
  options.logger = logger;
  options.scratch_dir = config.host.data_dir / ".plugin-copies";
  options.swap_trial_ms = config.host.swap_trial_ms;
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
  if (!config.host.admin_token_file.empty()) admin.token = read_token(config.host.admin_token_file);
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
