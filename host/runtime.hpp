// Runtime — the host's actor system: registry (role -> stable address), cells and their mailboxes,
// executors, timers, request/response, pub/sub, supervision and lifecycle.
//
// Services are injected through RuntimeOptions (logger, clock mode, worker count); there is no
// global state, so a test can run several runtimes in one process.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "host/actor_cell.hpp"
#include "host/config.hpp"
#include "host/control_loop.hpp"
#include "host/dead_letters.hpp"
#include "host/executor.hpp"
#include "host/metrics_registry.hpp"
#include "host/timer_service.hpp"

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
};

struct RequestCounters {
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> replies{0};
  std::atomic<std::uint64_t> timeouts{0};
  std::atomic<std::uint64_t> late_replies{0};  // discarded: arrived after the deadline
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
  // stopped in reverse order, and the error names the role. Blocks until done.
  std::optional<std::string> start();
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

  // --- services ---
  TimerService& timers() { return timers_; }
  DeadLetters& dead_letters() { return dead_letters_; }
  MetricsRegistry& metrics() { return metrics_; }
  RequestCounters& request_counters() { return request_counters_; }
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
  void stop_all(const std::string& reason);
  std::int32_t deliver(alys_address to, Envelope&& envelope);
  void on_request_timeout(std::uint64_t correlation_id);
  Executor& executor_for(const ActorSpec& spec);

  RuntimeOptions options_;
  std::shared_ptr<spdlog::logger> logger_;
  TimerService timers_;
  DeadLetters dead_letters_;
  MetricsRegistry metrics_;
  RequestCounters request_counters_;
  Executor pool_;
  std::vector<std::unique_ptr<Executor>> dedicated_;
  ControlLoop control_;

  std::vector<std::unique_ptr<ActorCell>> cells_;  // address - 1
  std::unordered_map<std::string, alys_address> roles_;
  std::vector<std::string> start_order_;
  std::vector<SupervisorConfig> supervisor_config_;
  std::unique_ptr<SupervisorTree> supervisors_;

  struct PendingRequest {
    alys_address requester;
    alys_address target;
    std::uint32_t priority;
    std::uint64_t timer_id;
  };
  std::mutex requests_mutex_;
  std::unordered_map<std::uint64_t, PendingRequest> pending_;
  std::atomic<std::uint64_t> next_correlation_{1};

  mutable std::mutex topics_mutex_;
  std::unordered_map<std::uint64_t, std::vector<alys_address>> subscribers_;

  mutable std::mutex state_mutex_;
  std::condition_variable state_changed_;
  bool started_ = false;
  bool shutdown_requested_ = false;
  bool stopped_ = false;
  std::atomic<int> exit_code_{kExitOk};
};

}  // namespace alys::host
