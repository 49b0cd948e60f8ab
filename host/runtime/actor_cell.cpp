#include "host/runtime/actor_cell.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <utility>

#include "alys/status.hpp"
#include "host/runtime/host_api.hpp"
#include "host/runtime/runtime.hpp"

namespace alys::host {
namespace {

thread_local std::uint64_t tls_correlation_id = 0;

std::uint64_t steady_ns() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
}

std::string status_text(const alys_status& status) {
  std::string text(status.message, strnlen(status.message, sizeof status.message));
  return text.empty() ? std::string(alys::code_name(status.code)) : text;
}

}  // namespace

std::uint64_t current_correlation_id() { return tls_correlation_id; }

const char* to_string(ActorState state) {
  switch (state) {
    case ActorState::not_started:
      return "not_started";
    case ActorState::running:
      return "running";
    case ActorState::restarting:
      return "restarting";
    case ActorState::failed:
      return "failed";
    case ActorState::exited:
      return "exited";
    case ActorState::stopped:
      return "stopped";
  }
  return "unknown";
}

ActorCell::ActorCell(Runtime& runtime, alys_address address, ActorSpec spec, Executor& executor)
    : runtime_(runtime),
      address_(address),
      spec_(std::move(spec)),
      executor_(executor),
      context_{&runtime, this},
      mailbox_(spec_.mailbox) {}

ActorCell::~ActorCell() { stop_instance(); }

std::int32_t ActorCell::deliver(Envelope&& envelope) {
  if (!accepting_.load(std::memory_order_acquire)) {
    dead_letter(envelope, std::string("actor ") + to_string(state()) + "; not delivered");
    return ALYS_ERR_STOPPED;
  }
  bool urgent = envelope.priority >= ALYS_PRIORITY_CONSENSUS;
  std::optional<Envelope> dropped;
  if (envelope.kind == ALYS_KIND_REPLY || envelope.kind == ALYS_KIND_TIMEOUT ||
      envelope.kind == ALYS_KIND_CONFIG || envelope.kind == kKindHealthProbe) {
    if (envelope.kind == kKindHealthProbe &&
        health_probe_queued_.exchange(true, std::memory_order_acq_rel))
      return ALYS_OK;  // one pending probe is enough
    mailbox_.push_unbounded(std::move(envelope));
  } else if (mailbox_.push(std::move(envelope), dropped) == Mailbox::Push::rejected) {
    counters_.rejected.fetch_add(1, std::memory_order_relaxed);
    return ALYS_ERR_MAILBOX_FULL;
  }
  notify_pushed(urgent);
  if (dropped) {
    counters_.dropped.fetch_add(1, std::memory_order_relaxed);
    dead_letter(*dropped, "dropped: mailbox full (drop-oldest)");
  }
  // terminate() may have drained the mailbox before this push: whoever of the two comes second
  // sees the other (the push's barrier pairs with the fence in terminate) and drains.
  if (!accepting_.load(std::memory_order_seq_cst)) {
    std::vector<Envelope> leftovers;
    {
      std::lock_guard lock(mutex_);
      leftovers = drain_locked();
    }
    for (const Envelope& leftover : leftovers)
      dead_letter(leftover, std::string("actor ") + to_string(state()) + "; not delivered");
  }
  return ALYS_OK;
}

void ActorCell::notify_pushed(bool urgent) {
  // The push ended with a seq_cst barrier (Mailbox::push): these seq_cst loads come after it,
  // and pair with the fence in schedule_if_ready (and terminate's).
  if (scheduled_.load(std::memory_order_seq_cst)) {
    // Queued behind other actors: a consensus message goes first.
    if (urgent && !running_.load(std::memory_order_relaxed)) executor_.promote(this);
    return;
  }
  if (paused_.load(std::memory_order_seq_cst)) return;  // resume() schedules
  if (!scheduled_.exchange(true, std::memory_order_acq_rel)) executor_.schedule(this, urgent);
}

void ActorCell::schedule_if_ready() {
  std::atomic_thread_fence(std::memory_order_seq_cst);  // the flag change before the mailbox
  if (paused_.load(std::memory_order_relaxed) || !mailbox_.has_ready()) return;
  if (scheduled_.exchange(true, std::memory_order_acq_rel)) return;
  executor_.schedule(this, mailbox_.size(ALYS_PRIORITY_CONSENSUS) > 0);
}

void ActorCell::release_turn() {
  scheduled_.store(false, std::memory_order_release);
  schedule_if_ready();  // more work: back of the queue, so other actors get their turn
}

void ActorCell::run_batch() {
  running_.store(true, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_seq_cst);  // pairs with pause_and_wait
  bool journaling = journaling_.load(std::memory_order_acquire);
  std::optional<ActorExit> exit;
  std::vector<Envelope> handled_for_journal;
  if (!paused_.load(std::memory_order_acquire) && instance_ != nullptr) {
    Envelope envelope;
    for (std::size_t taken = 0; taken < mailbox_.config().batch; ++taken) {
      if (paused_.load(std::memory_order_acquire)) break;  // a swap or stop wants the actor
      if (!mailbox_.try_pop_deferred(envelope)) break;
      std::string error;
      Outcome outcome = handle(envelope, error);
      if (outcome == Outcome::failed) {
        dead_letter(envelope, "handler failed: " + error);
        exit = ActorExit{true, error, generation_.load()};
        break;
      }
      if (outcome == Outcome::done) {
        exit = ActorExit{false, "finished", generation_.load()};
        break;
      }
      if (journaling) handled_for_journal.push_back(std::move(envelope));
    }
  }
  mailbox_.release_deferred();
  if (!handled_for_journal.empty() || exit) {
    std::lock_guard lock(mutex_);
    if (journaling_.load(std::memory_order_relaxed))
      for (auto& kept : handled_for_journal) journal_.push_back(std::move(kept));
    if (exit) {
      paused_.store(true);  // no further message reaches a failed or finished instance
      if (exit->abnormal) last_error_ = exit->reason;
    }
  }
  running_.store(false, std::memory_order_release);
  std::atomic_thread_fence(std::memory_order_seq_cst);  // pairs with pause_and_wait
  if (paused_.load(std::memory_order_relaxed)) {
    std::lock_guard lock(mutex_);  // a pauser may be waiting for this batch to end
    idle_.notify_all();
  }
  release_turn();
  if (exit) runtime_.on_actor_exit(*this, std::move(*exit));
}

ActorCell::Outcome ActorCell::handle(const Envelope& envelope, std::string& error) {
  const alys_plugin_function_table& functions = *functions_;
  alys_status status{};
  std::int32_t code;
  tls_correlation_id = envelope.correlation_id;
  if (envelope.kind == kKindHealthProbe) {
    health_probe_queued_.store(false, std::memory_order_release);
    code = functions.alys_plugin_on_health(instance_, &status);
    tls_correlation_id = 0;
    return health_answered(code, status, error);
  }
  if (envelope.kind == ALYS_KIND_CONFIG && !config_notice_pending(envelope)) {
    // A later table replaced this one, a rollback put another back, or the instance already
    // started with it: offered again, it would only cost a restart.
    tls_correlation_id = 0;
    return Outcome::ok;
  }
  alys_message message = envelope.view();
  // Only this batch writes `handled`: a plain increment, no read-modify-write.
  std::uint64_t handled = counters_.handled.load(std::memory_order_relaxed);
  counters_.handled.store(handled + 1, std::memory_order_relaxed);
  if (handled % kHandlingSampleEvery == 0) {
    std::uint64_t started = steady_ns();
    code = functions.alys_plugin_on_handle(instance_, &message, &status);
    counters_.handling_seconds.observe_ns(steady_ns() - started);
  } else {
    code = functions.alys_plugin_on_handle(instance_, &message, &status);
  }
  tls_correlation_id = 0;
  if (envelope.kind == ALYS_KIND_CONFIG) {
    if (code == ALYS_OK) {
      settle_role_table();
      return Outcome::ok;
    }
    // Declined (or failed on) the new table: a fresh instance starts with it, or if that start
    // fails, with the table before it.
    runtime_.logger().info("[{}] declined its new config table; restarting it", spec_.role);
    runtime_.restart_with_new_table(spec_.role);
    return Outcome::ok;
  }
  switch (code) {
    case ALYS_OK:
      return Outcome::ok;
    case ALYS_DONE:
      return Outcome::done;
    case ALYS_ERR_UNHANDLED:
      dead_letter(envelope, "unhandled message type");
      return Outcome::dead_lettered;
    case ALYS_ERR_INVALID:
      dead_letter(envelope, "invalid message: " + status_text(status));
      return Outcome::dead_lettered;
    default:
      error = status_text(status);
      counters_.failures.fetch_add(1, std::memory_order_relaxed);
      return Outcome::failed;
  }
}

ActorCell::Outcome ActorCell::health_answered(std::int32_t code, const alys_status& status,
                                              std::string& error) {
  if (code == ALYS_OK) {
    std::string was;
    if (degraded_.clear(&was) == DegradedChange::recovered)
      runtime_.logger().info("[{}] no longer degraded (was: {})", spec_.role, was);
    return Outcome::ok;
  }
  // Before 1.2 the code meant nothing to a host: a plugin that declares an older ABI and answers
  // it is answering "not OK", which was a failure then and stays one.
  if (code == ALYS_DEGRADED && instance_abi_minor_ >= 2) {
    std::string reason = status_text(status);
    if (degraded_.mark(reason) != DegradedChange::none)
      runtime_.logger().warn("[{}] degraded: {}", spec_.role, reason);
    return Outcome::ok;
  }
  error = "health check failed: " + status_text(status);
  counters_.failures.fetch_add(1, std::memory_order_relaxed);
  return Outcome::failed;
}

void ActorCell::dead_letter(const Envelope& envelope, std::string reason) {
  counters_.dead_lettered.fetch_add(1, std::memory_order_relaxed);
  runtime_.logger().debug("[{}] dead letter type={:#018x} corr={}: {}", spec_.role,
                          envelope.type_id, envelope.correlation_id, reason);
  runtime_.dead_letters().add(spec_.role, envelope, std::move(reason));
}

const char* to_string(InstanceStep step) {
  switch (step) {
    case InstanceStep::create:
      return "create";
    case InstanceStep::restore:
      return "restore";
    case InstanceStep::start:
      return "start";
  }
  return "unknown";
}

Status ActorCell::start_instance(const StateBlob* state) {
  for (InstanceStep step : kInstanceSteps) {
    Status done = bring_up(step, state);
    if (!done.ok()) return done.with_context(std::string(to_string(step)) + " failed");
  }
  return Status::Ok();
}

Status ActorCell::bring_up(InstanceStep step, const StateBlob* state) {
  auto fail = [this, step](const alys_status& status) {
    Status failure(status.code != ALYS_OK ? status.code : ALYS_ERR_FAILED, status_text(status));
    std::lock_guard lock(mutex_);
    last_error_ = std::string(to_string(step)) + " failed: " + failure.message();
    state_ = ActorState::failed;
    return failure;
  };
  std::shared_ptr<PluginLibrary> plugin = library();
  const alys_plugin_function_table& functions = plugin->functions();
  alys_instance* instance = nullptr;
  {
    std::lock_guard lock(mutex_);
    instance = instance_;
  }
  alys_status status{};
  switch (step) {
    case InstanceStep::create:
      if (plugin->factory()) {
        instance = plugin->factory()(runtime_.host_api(), &context_, &status);
      } else {
        instance = functions.alys_plugin_on_create(runtime_.host_api(), &context_, &status);
      }
      if (instance == nullptr) return fail(status);
      {
        std::lock_guard lock(mutex_);
        instance_ = instance;
        functions_ = &functions;
        instance_abi_minor_ = plugin->manifest().abi_minor;
      }
      return Status::Ok();
    case InstanceStep::restore:
      if (state == nullptr) return Status::Ok();
      if (functions.alys_plugin_on_restore(instance, state->bytes.data(), state->bytes.size(),
                                           state->schema_version, &status) != ALYS_OK) {
        stop_instance();
        return fail(status);
      }
      return Status::Ok();
    case InstanceStep::start:
      break;
  }
  if (functions.alys_plugin_on_start(instance, &status) != ALYS_OK) {
    stop_instance();
    return fail(status);
  }
  if (spec_.health_interval_ms > 0) {
    std::uint64_t generation = generation_.load();
    health_timer_ = runtime_.timers().start(spec_.health_interval_ms, spec_.health_interval_ms,
                                            [this, generation](std::uint64_t) {
                                              if (generation_.load() != generation) return;
                                              Envelope probe;
                                              probe.kind = kKindHealthProbe;
                                              probe.priority = ALYS_PRIORITY_HIGH;
                                              deliver(std::move(probe));
                                            });
  }
  {
    std::lock_guard lock(mutex_);
    state_ = ActorState::running;
    paused_.store(false);
  }
  schedule_if_ready();
  return Status::Ok();
}

Result<StateBlob> ActorCell::snapshot(std::uint32_t target_schema_version) {
  alys_instance* instance = nullptr;
  const alys_plugin_function_table* functions = nullptr;
  {
    std::lock_guard lock(mutex_);
    instance = instance_;
    functions = functions_;
  }
  if (instance == nullptr) return Status(ALYS_ERR_STOPPED, "the actor has no running instance");
  alys_status status{};
  alys_snapshot_view view{};
  if (functions->alys_plugin_on_snapshot(instance, target_schema_version, &view, &status) !=
      ALYS_OK)
    return Status(status.code != ALYS_OK ? status.code : ALYS_ERR_FAILED, status_text(status));
  StateBlob state;
  state.bytes.assign(view.plugin_owned_data, view.plugin_owned_data + view.size);
  state.schema_version = view.schema_version;
  return state;
}

std::shared_ptr<PluginLibrary> ActorCell::replace_library(std::shared_ptr<PluginLibrary> plugin) {
  std::lock_guard lock(mutex_);
  std::swap(spec_.library, plugin);
  return plugin;
}

std::shared_ptr<PluginLibrary> ActorCell::library() const {
  std::lock_guard lock(mutex_);
  return spec_.library;
}

std::shared_ptr<const RoleTable> ActorCell::role_table() const {
  std::lock_guard lock(mutex_);
  return spec_.role_table;
}

void ActorCell::set_role_table(std::shared_ptr<const RoleTable> table) {
  std::lock_guard lock(mutex_);
  spec_.role_table = std::move(table);
}

void ActorCell::offer_role_table(std::shared_ptr<const RoleTable> table) {
  std::lock_guard lock(mutex_);
  if (!fallback_table_) fallback_table_ = spec_.role_table;
  spec_.role_table = std::move(table);
  table_unsettled_ = true;
}

bool ActorCell::config_notice_pending(const Envelope& notice) const {
  std::shared_ptr<const RoleTable> table;
  {
    std::lock_guard lock(mutex_);
    if (!table_unsettled_) return false;
    table = spec_.role_table;
  }
  const std::string json = table ? table->to_json() : std::string("{}");
  return notice.payload.size() == json.size() &&
         std::equal(json.begin(), json.end(), notice.payload.data(),
                    [](char a, std::uint8_t b) { return static_cast<std::uint8_t>(a) == b; });
}

void ActorCell::settle_role_table() {
  std::lock_guard lock(mutex_);
  fallback_table_.reset();
  table_unsettled_ = false;
}

std::shared_ptr<const RoleTable> ActorCell::take_fallback_table() {
  std::lock_guard lock(mutex_);
  table_unsettled_ = false;
  return std::exchange(fallback_table_, nullptr);
}

void ActorCell::pause() { pause_and_wait(); }

void ActorCell::resume() {
  {
    std::lock_guard lock(mutex_);
    if (instance_ == nullptr) return;
    paused_.store(false);
  }
  schedule_if_ready();
}

void ActorCell::start_journal() {
  std::lock_guard lock(mutex_);
  journal_.clear();
  journaling_.store(true);
}

std::vector<Envelope> ActorCell::take_journal() {
  std::lock_guard lock(mutex_);
  journaling_.store(false);
  return std::move(journal_);
}

void ActorCell::requeue_front(std::vector<Envelope> messages) {
  {
    // With dispatch paused and no batch running, this thread is the mailbox's one consumer.
    std::lock_guard lock(mutex_);
    for (auto it = messages.rbegin(); it != messages.rend(); ++it)
      mailbox_.push_front_unbounded(std::move(*it));
  }
  schedule_if_ready();
}

void ActorCell::pause_and_wait() {
  std::unique_lock lock(mutex_);
  paused_.store(true, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_seq_cst);  // pairs with run_batch's fences
  idle_.wait(lock, [&] { return !running_.load(std::memory_order_acquire); });
}

void ActorCell::stop_instance() {
  pause_and_wait();
  alys_instance* instance = nullptr;
  const alys_plugin_function_table* functions = nullptr;
  {
    std::lock_guard lock(mutex_);
    instance = instance_;
    functions = functions_;
    instance_ = nullptr;
  }
  if (instance != nullptr) {
    alys_status status{};
    if (functions->alys_plugin_on_stop(instance, &status) != ALYS_OK)
      runtime_.logger().warn("[{}] stop reported an error: {}", spec_.role, status_text(status));
  }
  // Only now, with the instance's threads joined by its stop: whatever it started (timers, a
  // fatal report still in flight) carries this generation and dies with it.
  std::set<std::uint64_t> timers;
  {
    std::lock_guard lock(mutex_);
    generation_.fetch_add(1);
    timers.swap(timers_);
    health_probe_queued_.store(false);
  }
  for (std::uint64_t timer : timers) runtime_.timers().cancel(timer);
  if (health_timer_ != 0) runtime_.timers().cancel(health_timer_);
  health_timer_ = 0;
  // What the stopped instance reported says nothing about the next one, which its own probes judge.
  std::string was;
  if (degraded_.clear(&was) == DegradedChange::recovered)
    runtime_.logger().info("[{}] no longer degraded: its instance stopped (was: {})", spec_.role,
                           was);
  if (instance != nullptr) functions->alys_plugin_on_destroy(instance);
}

void ActorCell::terminate(ActorState final_state) {
  stop_instance();
  {
    std::lock_guard lock(mutex_);
    state_ = final_state;
    accepting_.store(false, std::memory_order_relaxed);
  }
  std::atomic_thread_fence(std::memory_order_seq_cst);  // pairs with the one after each push
  std::vector<Envelope> leftovers;
  {
    std::lock_guard lock(mutex_);
    leftovers = drain_locked();
  }
  for (const Envelope& envelope : leftovers)
    dead_letter(envelope, std::string("actor ") + to_string(final_state) + " with message queued");
  if (!leftovers.empty())
    runtime_.logger().warn("[{}] {} with {} queued message(s), dead-lettered", spec_.role,
                           to_string(final_state), leftovers.size());
}

std::vector<Envelope> ActorCell::drain_locked() {
  // No batch runs once terminated (dispatch paused, instance gone): mutex_ makes this thread the
  // mailbox's one consumer.
  std::vector<Envelope> leftovers;
  for (Envelope envelope; mailbox_.try_pop(envelope);) leftovers.push_back(std::move(envelope));
  return leftovers;
}

void ActorCell::set_state(ActorState state) {
  std::lock_guard lock(mutex_);
  state_ = state;
}

void ActorCell::set_last_error(std::string error) {
  std::lock_guard lock(mutex_);
  last_error_ = std::move(error);
}

ActorState ActorCell::state() const {
  std::lock_guard lock(mutex_);
  return state_;
}

std::string ActorCell::last_error() const {
  std::lock_guard lock(mutex_);
  return last_error_;
}

std::size_t ActorCell::mailbox_depth() const { return mailbox_.size(); }

std::int32_t ActorCell::start_timer(std::uint64_t delay_ms, std::uint64_t period_ms,
                                    Envelope message, std::uint64_t* timer_out) {
  std::uint64_t generation = generation_.load();
  auto shared = std::make_shared<Envelope>(std::move(message));
  std::uint64_t id = runtime_.timers().start(
      delay_ms, period_ms, [this, generation, shared, period_ms](std::uint64_t fired) {
        if (generation_.load() != generation) return;
        if (period_ms == 0) {
          std::lock_guard lock(mutex_);
          timers_.erase(fired);
        }
        Envelope tick;
        tick.type_id = shared->type_id;
        tick.kind = ALYS_KIND_TIMER;
        tick.priority = ALYS_PRIORITY_HIGH;
        tick.topic_id = fired;
        tick.payload = Payload(shared->payload.data(), shared->payload.size());
        deliver(std::move(tick));
      });
  {
    std::lock_guard lock(mutex_);
    timers_.insert(id);
  }
  if (timer_out) *timer_out = id;
  return ALYS_OK;
}

std::int32_t ActorCell::cancel_timer(std::uint64_t timer_id) {
  {
    std::lock_guard lock(mutex_);
    if (timers_.erase(timer_id) == 0) return ALYS_ERR_NOT_FOUND;
  }
  runtime_.timers().cancel(timer_id);
  return ALYS_OK;
}

}  // namespace alys::host
