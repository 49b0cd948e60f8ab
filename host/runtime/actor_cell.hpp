// ActorCell — everything the host keeps for one role: its mailbox (which outlives every instance),
// the current plugin instance, its scheduling state and counters.
//
// Threads: deliver() from any thread, without a lock (the mailbox is lock-free for senders);
// run_batch() from the executor (one thread at a time);
// lifecycle members (start_instance, stop_instance, resume, terminate) from the runtime's control
// thread only.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "alys/abi.h"
#include "alys/status.hpp"
#include "host/config/config.hpp"
#include "host/loading/plugin_library.hpp"
#include "host/runtime/degraded_state.hpp"
#include "host/runtime/executor.hpp"
#include "host/runtime/histogram.hpp"
#include "host/runtime/mailbox.hpp"

namespace alys::host {

class Runtime;
class ActorCell;

}  // namespace alys::host

// The context handed to plugins: which runtime and which role a host API call comes from.
struct alys_host_context {
  alys::host::Runtime* runtime;
  alys::host::ActorCell* cell;
};

namespace alys::host {

struct ActorSpec {
  std::string role;
  std::shared_ptr<PluginLibrary> library;
  MailboxConfig mailbox;
  RestartType restart = RestartType::permanent;
  std::vector<std::string> requires_roles;  // manifest's and config's
  std::shared_ptr<const RoleTable> role_table;
  bool dedicated_thread = false;
  std::uint64_t health_interval_ms = 0;
};

enum class ActorState { not_started, running, restarting, failed, exited, stopped };
const char* to_string(ActorState state);

// The batch writes the first group on every message, senders the second: separate cache lines.
struct ActorCounters {
  alignas(64) std::atomic<std::uint64_t> handled{0};  // written by the running batch only
  // One message in kHandlingSampleEvery is timed (the first of every 16 handled): a clock read is
  // a large part of the cost of a small message. `handled` is the exact count.
  LatencyHistogram handling_seconds;
  alignas(64) std::atomic<std::uint64_t> rejected{0};  // sends refused: mailbox full, `reject`
  std::atomic<std::uint64_t> dropped{0};               // dropped by `drop-oldest`
  std::atomic<std::uint64_t> dead_lettered{0};         // every dead letter addressed to this role
  std::atomic<std::uint64_t> failures{0};
  std::atomic<std::uint64_t> restarts{0};
};
inline constexpr std::uint64_t kHandlingSampleEvery = 16;

// State handed from one instance to the next (hot swap).
struct StateBlob {
  std::vector<std::uint8_t> bytes;
  std::uint32_t schema_version = 0;
};

// The steps of bringing up an instance, in order.
enum class InstanceStep { create, restore, start };
inline constexpr InstanceStep kInstanceSteps[] = {InstanceStep::create, InstanceStep::restore,
                                                  InstanceStep::start};
const char* to_string(InstanceStep step);

// How an instance's run ended, reported to the supervisor.
struct ActorExit {
  bool abnormal = true;
  std::string reason;
  std::uint64_t generation = 0;  // the instance generation that exited
};

class ActorCell final : public Runnable {
 public:
  ActorCell(Runtime& runtime, alys_address address, ActorSpec spec, Executor& executor);
  ~ActorCell() override;

  const std::string& role() const { return spec_.role; }
  alys_address address() const { return address_; }
  // The spec as configured at start; library and role table are current() / role_table().
  const ActorSpec& spec() const { return spec_; }
  std::shared_ptr<PluginLibrary> library() const;
  std::shared_ptr<const RoleTable> role_table() const;
  alys_host_context* context() { return &context_; }

  // Any thread. ALYS_OK, ALYS_ERR_MAILBOX_FULL (reject policy), or ALYS_ERR_STOPPED when the actor
  // has exited for good (the message is dead-lettered).
  std::int32_t deliver(Envelope&& envelope);

  // Control thread. Creates, restores `state` (if given), starts the instance and resumes
  // dispatch: every step of bring_up() in turn. A failure reads "<step> failed: <why>".
  Status start_instance(const StateBlob* state = nullptr);
  // Control thread. One step of bringing up an instance: create it (REQUIRES no instance), restore
  // `state` into it (nothing to do without a state), or start it and resume dispatch. On failure
  // the half-made instance is stopped and destroyed, the actor is failed with the last error
  // "<step> failed: <why>", and the plugin's why is returned with its code.
  Status bring_up(InstanceStep step, const StateBlob* state = nullptr);
  // Control thread, dispatch paused: the instance's state for a plugin of `target_schema_version`.
  Result<StateBlob> snapshot(std::uint32_t target_schema_version);
  // Control thread, no instance: serve from another library from now on; returns the old one.
  std::shared_ptr<PluginLibrary> replace_library(std::shared_ptr<PluginLibrary> library);
  void set_role_table(std::shared_ptr<const RoleTable> table);
  // A new table (SIGHUP) the actor has not yet run with: the one it runs with is kept as the
  // fallback until the actor accepts the new one (settle_role_table) or a restart with it fails
  // (take_fallback_table). A second offer before that keeps the first fallback: the last table
  // known to work. Any thread.
  void offer_role_table(std::shared_ptr<const RoleTable> table);
  void settle_role_table();
  // Whether a config notice still offers a table the instance has not run with: the current
  // table, while it is unsettled. Stale notices (superseded, rolled back, or already started
  // with) are dropped undelivered. Dispatch thread.
  bool config_notice_pending(const Envelope& notice) const;
  std::shared_ptr<const RoleTable> take_fallback_table();
  // Control thread. Pause: no batch runs after it returns; the mailbox keeps filling.
  void pause();
  void resume();
  // Trial journal (hot swap): while on, every successfully handled message is kept, so a rollback
  // can hand them again to the old version. take_journal() turns it off.
  void start_journal();
  std::vector<Envelope> take_journal();
  // Control thread, no instance (stop_instance done): puts messages back at the front of the
  // mailbox, ahead of those waiting (their order kept).
  void requeue_front(std::vector<Envelope> messages);
  // Control thread. Pauses dispatch, waits out the running batch, cancels the instance's timers,
  // stops and destroys the instance. The mailbox keeps its messages. Idempotent.
  void stop_instance();
  // Control thread: the actor is down for good; later messages are dead-lettered.
  void terminate(ActorState final_state);
  void set_state(ActorState state);
  void set_last_error(std::string error);
  // An actor that exited after a failure and was not restarted (temporary/transient) is a fault;
  // one that finished its work is not.
  void mark_failed_exit() { failed_exit_ = true; }
  bool failed_exit() const { return failed_exit_.load(); }

  ActorState state() const;
  std::string last_error() const;
  // Why the running instance cannot do its work (its last health probe answered ALYS_DEGRADED);
  // empty when it can. Cleared by a probe answering ALYS_OK and by stop_instance (restart, swap).
  // Any thread.
  std::string degraded_reason() const { return degraded_.reason(); }
  bool degraded() const { return degraded_.degraded(); }
  std::size_t mailbox_depth() const;
  std::uint64_t generation() const { return generation_.load(); }
  ActorCounters& counters() { return counters_; }

  // Timers started by the current instance; they die with it.
  std::int32_t start_timer(std::uint64_t delay_ms, std::uint64_t period_ms, Envelope message,
                           std::uint64_t* timer_out);
  std::int32_t cancel_timer(std::uint64_t timer_id);

  void run_batch() override;

 private:
  enum class Outcome { ok, dead_lettered, done, failed };
  Outcome handle(const Envelope& envelope, std::string& error);
  void dead_letter(const Envelope& envelope, std::string reason);
  // A health probe's answer: ALYS_OK or ALYS_DEGRADED (ABI >= 1.2) are recorded and logged when
  // they change something, and are not failures; anything else fails the actor with `error`.
  Outcome health_answered(std::int32_t code, const alys_status& status, std::string& error);
  // After a push: schedules the cell unless it is already scheduled or paused.
  void notify_pushed(bool urgent);
  // Ends a turn (scheduled_ off) and takes a new one if messages are ready and dispatch is on.
  void release_turn();
  // Unpaused, with a message ready and no turn taken: queue the cell. Any thread.
  void schedule_if_ready();
  void pause_and_wait();
  // The actor terminated while a sender was pushing: dead-letter what is queued. Under mutex_.
  std::vector<Envelope> drain_locked();

  Runtime& runtime_;
  alys_address address_;
  ActorSpec spec_;  // library and role_table: guarded by mutex_ (swap and SIGHUP replace them)
  Executor& executor_;
  alys_host_context context_;
  ActorCounters counters_;

  // Lifecycle state, the journal and the timers. Not taken on the message path: senders and the
  // batch meet only in the mailbox and the atomic flags below.
  mutable std::mutex mutex_;
  std::condition_variable idle_;
  Mailbox mailbox_;
  // Scheduling. Senders and the batch order their accesses with seq_cst fences (a push, then a
  // look at the flags; a flag change, then a look at the mailbox), so a message pushed while the
  // batch ends, or while dispatch resumes, is never left without a turn.
  alignas(64) std::atomic<bool> scheduled_{false};  // queued on the executor or in a batch
  // Dispatch disabled (no instance, restarting, stopping). A running batch reads it between
  // messages.
  std::atomic<bool> paused_{true};
  // False once the actor is down for good (exited or stopped): senders dead-letter instead.
  std::atomic<bool> accepting_{true};
  std::atomic<bool> health_probe_queued_{false};
  alignas(64) std::atomic<bool> running_{false};  // a thread is inside run_batch, past its checks
  std::atomic<bool> journaling_{false};
  ActorState state_ = ActorState::not_started;       // guarded by mutex_
  std::string last_error_;                           // guarded by mutex_
  std::shared_ptr<const RoleTable> fallback_table_;  // guarded by mutex_; see offer_role_table
  bool table_unsettled_ = false;    // guarded by mutex_: an offered table not yet run with
  std::set<std::uint64_t> timers_;  // guarded by mutex_

  alys_instance* instance_ = nullptr;  // touched by the control thread, and by run_batch while
                                       // dispatch is not paused
  const alys_plugin_function_table* functions_ = nullptr;  // of the instance's library; same rule
  std::uint32_t instance_abi_minor_ = 0;                   // its manifest's; same rule
  std::vector<Envelope> journal_;                          // guarded by mutex_
  std::atomic<std::uint64_t> generation_{0};
  std::atomic<bool> failed_exit_{false};
  std::uint64_t health_timer_ = 0;
  DegradedState degraded_;
};

// The correlation id of the message the calling thread is handling (0 outside a handler).
std::uint64_t current_correlation_id();

}  // namespace alys::host
