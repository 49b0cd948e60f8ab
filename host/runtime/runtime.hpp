// Runtime — the host's actor system. It owns the registry and the lifecycle (cells and their
// mailboxes by role, start order, start/stop/shutdown/wait) and composes the rest, each in its own
// class: executors, timers, the requests in flight (RequestTable), topics (TopicTable), the admin
// methods plugins offer (RpcRegistry) and hot-swap trials (SwapTrials, SwapFigures).
//
// Services are injected through RuntimeOptions (logger, clock mode, worker count); there is no
// global state, so a test can run several runtimes in one process.
//
// Threads: each member says who may call it. Assembly (add_actor, set_supervisors) before start()
// from one thread; messaging from any thread without a lock of the runtime's own (send takes none,
// request/reply only the request table's); lifecycle work runs on the control thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "alys/status.hpp"
#include "host/admin/rpc_registry.hpp"
#include "host/config/config.hpp"
#include "host/loading/swap_trials.hpp"
#include "host/runtime/actor_cell.hpp"
#include "host/runtime/control_loop.hpp"
#include "host/runtime/dead_letters.hpp"
#include "host/runtime/executor.hpp"
#include "host/runtime/histogram.hpp"
#include "host/runtime/metrics_registry.hpp"
#include "host/runtime/request_table.hpp"
#include "host/runtime/timer_service.hpp"
#include "host/runtime/topic_table.hpp"

namespace spdlog {
class logger;
}

namespace alys::host {

class SupervisorTree;

// Exit codes of the node (documented in README.md and `alysd --help`).
inline constexpr int kExitOk = 0;
inline constexpr int kExitStartFailed = 1;
inline constexpr int kExitConfigError = 2;
inline constexpr int kExitSupervisorGaveUp = 3;

struct RuntimeOptions {
  unsigned workers = 0;        // 0 with virtual_clock: deterministic mode (run_until_idle)
  bool deterministic = false;  // no threads at all: the test drives run_until_idle()/advance()
  bool virtual_clock = false;
  std::uint64_t virtual_start_ms = 1'700'000'000'000;
  std::shared_ptr<spdlog::logger> logger;  // default: a stderr logger named "alysd"
  std::size_t dead_letters_kept = 1000;
  std::filesystem::path scratch_dir;  // private copies of swapped-in plugins (default: temp dir)
  std::uint64_t swap_trial_ms = 0;    // a swapped-in plugin failing this soon is rolled back
  // The host API table handed to plugins and the ABI minor the gate accepts up to. Defaults: this
  // build's. Compatibility tests set both to play a host of a newer 1.x minor.
  const alys_host_api* host_api = nullptr;
  std::uint32_t abi_minor = ALYS_ABI_MINOR;
};

class Runtime {
 public:
  explicit Runtime(RuntimeOptions options);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // --- assembly (before start) ---
  // Registers a role; returns its stable address. Roles cannot be added after start.
  alys_address add_actor(ActorSpec spec);
  // Root first; when never called, a one_for_one root supervises every role in start order.
  void set_supervisors(std::vector<SupervisorConfig> supervisors);

  // Creates and starts every actor in `requires` order. On failure, the actors already started are
  // stopped in reverse order, and the failure names the role. Blocks until done.
  Status start();
  // Stops every actor in reverse start order, then the node. Any thread; idempotent (the first
  // exit code wins). Returns at once; wait() blocks until the node is down.
  void shutdown(int exit_code = kExitOk, std::string reason = "requested");
  int wait();
  bool stopped() const;

  // --- deterministic fixture ---
  // Runs ready actors and control work on the calling thread until nothing is left to do.
  void run_until_idle();
  // Runs at most one batch of ready actors (pool executor). Returns false if none was ready.
  bool run_one_batch();
  // Virtual clock: advance time, firing timers in order; in deterministic mode each firing's work
  // is drained before the next.
  void advance(std::uint64_t ms);

  // --- messaging (any thread; used by the host API) ---
  // These answer with the ABI's codes (alys_code), not a Status: the code goes straight back
  // through the C ABI, and a failed send on the hot path then costs no message string.
  std::optional<alys_address> resolve(const std::string& role) const;
  std::int32_t send(alys_address from, alys_address to, std::uint64_t type_id,
                    std::uint32_t priority, const std::uint8_t* payload, std::size_t size);
  std::int32_t request(alys_address from, alys_address to, std::uint64_t type_id,
                       std::uint32_t priority, const std::uint8_t* payload, std::size_t size,
                       std::uint64_t timeout_ms, std::uint64_t* correlation_out);
  std::int32_t reply(alys_address from, std::uint64_t correlation_id, std::uint64_t type_id,
                     const std::uint8_t* payload, std::size_t size);
  std::int32_t publish(alys_address from, const std::string& topic, std::uint64_t type_id,
                       const std::uint8_t* payload, std::size_t size);
  std::int32_t subscribe(alys_address subscriber, const std::string& topic);
  // A plugin's own thread reports a fatal error: the actor fails and its supervisor acts.
  void report_fatal(ActorCell& cell, std::string reason);

  // --- operating a running node (any thread; the work runs on the control thread) ---
  // Hot swap of `role` to the plugin `file` (see docs/operations.md). `done` runs on the control
  // thread once the swap and its trial period are over.
  void swap(const std::string& role, const std::filesystem::path& file, SwapDone done);
  SwapOutcome swap_and_wait(const std::string& role, const std::filesystem::path& file);
  // Fresh instance for `role`, mailbox kept. `done` gets how it went (on the control thread).
  void restart_actor(const std::string& role, std::function<void(Status)> done);
  // New role table (SIGHUP): the actor gets an ALYS_KIND_CONFIG message; declining restarts it
  // (restart_with_new_table). Fails when there is no such role or the message could not be
  // delivered.
  Status update_role_table(const std::string& role, std::shared_ptr<const RoleTable> table);
  // The actor declined its new table: a new instance starts with it. A swappable plugin's state is
  // handed over (snapshot before the stop, restored into the new instance, as a hot swap to the
  // same library does), so a table change costs no state; if the state cannot be taken, the table
  // is not applied. If the start fails, the table is rolled back to the one the actor ran with
  // before and the actor restarted with that (and the same state), logged, instead of counting
  // failures towards its supervisor's limit; only when the old table fails too does the
  // supervisor take over. During a swap's trial the table is not applied (logged). Any thread;
  // the work runs on the control thread.
  void restart_with_new_table(const std::string& role);

  // Admin RPC methods offered by plugins (alys_host_rpc_register). Any thread.
  RpcRegistry& rpc_methods() { return rpc_methods_; }
  const RpcRegistry& rpc_methods() const { return rpc_methods_; }
  // A request from outside the actor system (the admin server): `done` gets the reply bytes, or
  // ALYS_ERR_TIMEOUT, or the delivery error. Runs on whichever thread settles it.
  void external_request(alys_address to, std::uint64_t type_id, std::vector<std::uint8_t> payload,
                        std::uint64_t timeout_ms, ExternalWaiter done);

  std::map<std::string, SwapCounts> swap_counts() const { return swap_figures_.counts(); }
  HistogramSnapshot swap_pause() const { return swap_figures_.pause(); }
  std::uint64_t unload_failures() const { return swap_figures_.unload_failures(); }
  double uptime_seconds() const;

  // --- services ---
  TimerService& timers() { return timers_; }
  const alys_host_api* host_api() const;
  std::uint32_t abi_minor() const { return options_.abi_minor; }
  DeadLetters& dead_letters() { return dead_letters_; }
  const DeadLetters& dead_letters() const { return dead_letters_; }
  MetricsRegistry& metrics() { return metrics_; }
  const MetricsRegistry& metrics() const { return metrics_; }
  RequestCounters& request_counters() { return requests_.counters(); }
  const RequestCounters& request_counters() const { return requests_.counters(); }
  spdlog::logger& logger() { return *logger_; }
  // Queue lifecycle work on the control thread (or the deterministic fixture).
  void post_control(std::function<void()> task);
  // Called by a cell when its instance ended (failure or normal exit). Any thread.
  void on_actor_exit(ActorCell& cell, ActorExit exit);

  // --- introspection ---
  ActorCell* cell(alys_address address) const;
  ActorCell* cell(const std::string& role) const;
  const std::vector<std::string>& start_order() const { return start_order_; }
  std::vector<ActorCell*> cells() const;
  int exit_code() const { return exit_code_.load(); }
  std::uint64_t supervisor_restarts(const std::string& group) const;

 private:
  void run_swap(const std::string& role, const std::filesystem::path& file, SwapDone done);
  void finish_trial(ActorCell* cell, std::uint64_t trial_id);
  void rollback_trial(ActorCell* cell, const std::string& reason);
  void settle_swap(SwapOutcome outcome, const SwapDone& done);
  void release_library(std::shared_ptr<PluginLibrary> library);
  std::vector<ActorCell*> dependents_of(const std::string& role) const;
  void stop_all(const std::string& reason);
  std::int32_t deliver(alys_address to, Envelope&& envelope);
  // A request's deadline passed unanswered: the requester gets a timeout message (an external
  // requester, ALYS_ERR_TIMEOUT).
  void on_request_timeout(std::uint64_t correlation_id, RequestTable::Settled timed_out);
  Executor& executor_for(const ActorSpec& spec);

  RuntimeOptions options_;
  std::shared_ptr<spdlog::logger> logger_;
  TimerService timers_;
  DeadLetters dead_letters_;
  MetricsRegistry metrics_;
  RequestTable requests_;
  TopicTable topics_;
  RpcRegistry rpc_methods_;
  SwapTrials trials_;  // control thread only
  SwapFigures swap_figures_;
  Executor pool_;
  std::vector<std::unique_ptr<Executor>> dedicated_;
  ControlLoop control_;

  std::vector<std::unique_ptr<ActorCell>> cells_;  // address - 1
  std::unordered_map<std::string, alys_address> roles_;
  std::vector<std::string> start_order_;
  std::vector<SupervisorConfig> supervisor_config_;
  std::unique_ptr<SupervisorTree> supervisors_;

  std::chrono::steady_clock::time_point created_ = std::chrono::steady_clock::now();
  mutable std::mutex state_mutex_;
  std::condition_variable state_changed_;
  bool started_ = false;
  bool shutdown_requested_ = false;
  bool stopped_ = false;
  std::atomic<int> exit_code_{kExitOk};
};

}  // namespace alys::host
