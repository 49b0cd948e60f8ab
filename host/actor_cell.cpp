#include "host/actor_cell.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

#include "alys/status.hpp"
#include "host/host_api.hpp"
#include "host/runtime.hpp"

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
  envelope.enqueued_at_ns = steady_ns();
  std::optional<Envelope> dropped;
  std::optional<Envelope> refused;
  bool schedule_now = false;
  bool promote = false;
  bool urgent = envelope.priority >= ALYS_PRIORITY_CONSENSUS;
  {
    std::lock_guard lock(mutex_);
    if (state_ == ActorState::exited || state_ == ActorState::stopped) {
      refused.emplace(std::move(envelope));
    } else if (envelope.kind == ALYS_KIND_REPLY || envelope.kind == ALYS_KIND_TIMEOUT ||
               envelope.kind == kKindHealthProbe) {
      if (envelope.kind == kKindHealthProbe) {
        if (health_probe_queued_) return ALYS_OK;  // one pending probe is enough
        health_probe_queued_ = true;
      }
      mailbox_.push_unbounded(std::move(envelope));
      if (!scheduled_ && !paused_) {
        scheduled_ = true;
        schedule_now = true;
      }
    } else {
      switch (mailbox_.push(std::move(envelope), dropped)) {
        case Mailbox::Push::rejected:
          counters_.rejected.fetch_add(1, std::memory_order_relaxed);
          return ALYS_ERR_MAILBOX_FULL;
        case Mailbox::Push::accepted:
        case Mailbox::Push::accepted_dropped_oldest:
        case Mailbox::Push::dropped_incoming:
          break;
      }
      if (!scheduled_ && !paused_) {
        scheduled_ = true;
        schedule_now = true;
      } else if (urgent && scheduled_ && !running_) {
        promote = true;  // queued behind other actors: a consensus message goes first
      }
    }
  }
  if (promote) executor_.promote(this);
  if (refused) {
    dead_letter(*refused, std::string("actor ") + to_string(state()) + "; not delivered");
    return ALYS_ERR_STOPPED;
  }
  if (dropped) {
    counters_.dropped.fetch_add(1, std::memory_order_relaxed);
    dead_letter(*dropped, "dropped: mailbox full (drop-oldest)");
  }
  if (schedule_now) executor_.schedule(this, urgent);
  return ALYS_OK;
}

void ActorCell::schedule_locked(bool urgent) {
  if (scheduled_ || paused_ || mailbox_.empty()) return;
  scheduled_ = true;
  executor_.schedule(this, urgent);
}

void ActorCell::run_batch() {
  std::unique_lock lock(mutex_);
  if (paused_ || instance_ == nullptr) {
    scheduled_ = false;
    idle_.notify_all();
    return;
  }
  running_ = true;
  std::optional<ActorExit> exit;
  std::size_t handled = 0;
  while (handled < mailbox_.config().batch && !paused_ && !mailbox_.empty()) {
    Envelope envelope = mailbox_.pop();
    lock.unlock();
    std::string error;
    Outcome outcome = handle(envelope, error);
    if (outcome == Outcome::failed) {
      dead_letter(envelope, "handler failed: " + error);
      exit = ActorExit{true, error, generation_.load()};
    } else if (outcome == Outcome::done) {
      exit = ActorExit{false, "finished", generation_.load()};
    }
    lock.lock();
    ++handled;
    if (exit) {
      paused_ = true;  // no further message reaches a failed or finished instance
      if (exit->abnormal) last_error_ = exit->reason;
      break;
    }
  }
  running_ = false;
  scheduled_ = false;
  bool urgent = mailbox_.size(ALYS_PRIORITY_CONSENSUS) > 0;
  schedule_locked(urgent);  // more work: back of the queue, so other actors get their turn
  idle_.notify_all();
  lock.unlock();
  if (exit) runtime_.on_actor_exit(*this, std::move(*exit));
}

ActorCell::Outcome ActorCell::handle(const Envelope& envelope, std::string& error) {
  const alys_plugin_function_table& functions = spec_.library->functions();
  alys_status status{};
  std::int32_t code;
  std::uint64_t started = steady_ns();
  tls_correlation_id = envelope.correlation_id;
  if (envelope.kind == kKindHealthProbe) {
    {
      std::lock_guard lock(mutex_);
      health_probe_queued_ = false;
    }
    code = functions.alys_plugin_on_health(instance_, &status);
    tls_correlation_id = 0;
    if (code == ALYS_OK) return Outcome::ok;
    error = "health check failed: " + status_text(status);
    counters_.failures.fetch_add(1, std::memory_order_relaxed);
    return Outcome::failed;
  }
  alys_message message = envelope.view();
  code = functions.alys_plugin_on_handle(instance_, &message, &status);
  tls_correlation_id = 0;
  counters_.handled.fetch_add(1, std::memory_order_relaxed);
  counters_.handling_ns.fetch_add(steady_ns() - started, std::memory_order_relaxed);
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

void ActorCell::dead_letter(const Envelope& envelope, std::string reason) {
  counters_.dead_lettered.fetch_add(1, std::memory_order_relaxed);
  runtime_.logger().debug("[{}] dead letter type={:#018x} corr={}: {}", spec_.role,
                          envelope.type_id, envelope.correlation_id, reason);
  runtime_.dead_letters().add(spec_.role, envelope, std::move(reason));
}

std::optional<std::string> ActorCell::start_instance() {
  const alys_plugin_function_table& functions = spec_.library->functions();
  alys_status status{};
  alys_instance* instance = nullptr;
  if (spec_.library->factory()) {
    instance = spec_.library->factory()(host_api_table(), &context_, &status);
  } else {
    instance = functions.alys_plugin_on_create(host_api_table(), &context_, &status);
  }
  if (instance == nullptr) {
    std::string error = "create failed: " + status_text(status);
    std::lock_guard lock(mutex_);
    last_error_ = error;
    state_ = ActorState::failed;
    return error;
  }
  {
    std::lock_guard lock(mutex_);
    instance_ = instance;
  }
  status = alys_status{};
  if (functions.alys_plugin_on_start(instance, &status) != ALYS_OK) {
    std::string error = "start failed: " + status_text(status);
    stop_instance();
    std::lock_guard lock(mutex_);
    last_error_ = error;
    state_ = ActorState::failed;
    return error;
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
  std::lock_guard lock(mutex_);
  state_ = ActorState::running;
  paused_ = false;
  schedule_locked(mailbox_.size(ALYS_PRIORITY_CONSENSUS) > 0);
  return std::nullopt;
}

void ActorCell::pause_and_wait() {
  std::unique_lock lock(mutex_);
  paused_ = true;
  idle_.wait(lock, [&] { return !running_; });
}

void ActorCell::stop_instance() {
  pause_and_wait();
  alys_instance* instance = nullptr;
  {
    std::lock_guard lock(mutex_);
    instance = instance_;
    instance_ = nullptr;
  }
  const alys_plugin_function_table& functions = spec_.library->functions();
  if (instance != nullptr) {
    alys_status status{};
    if (functions.alys_plugin_on_stop(instance, &status) != ALYS_OK)
      runtime_.logger().warn("[{}] stop reported an error: {}", spec_.role, status_text(status));
  }
  // Only now, with the instance's threads joined by its stop: whatever it started (timers, a
  // fatal report still in flight) carries this generation and dies with it.
  std::set<std::uint64_t> timers;
  {
    std::lock_guard lock(mutex_);
    generation_.fetch_add(1);
    timers.swap(timers_);
    health_probe_queued_ = false;
  }
  for (std::uint64_t timer : timers) runtime_.timers().cancel(timer);
  if (health_timer_ != 0) runtime_.timers().cancel(health_timer_);
  health_timer_ = 0;
  if (instance != nullptr) functions.alys_plugin_on_destroy(instance);
}

void ActorCell::terminate(ActorState final_state) {
  stop_instance();
  std::size_t discarded = 0;
  std::vector<Envelope> leftovers;
  {
    std::lock_guard lock(mutex_);
    state_ = final_state;
    while (!mailbox_.empty()) leftovers.push_back(mailbox_.pop());
    discarded = leftovers.size();
  }
  for (const Envelope& envelope : leftovers)
    dead_letter(envelope, std::string("actor ") + to_string(final_state) + " with message queued");
  if (discarded > 0)
    runtime_.logger().warn("[{}] {} with {} queued message(s), dead-lettered", spec_.role,
                           to_string(final_state), discarded);
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

std::size_t ActorCell::mailbox_depth() const {
  std::lock_guard lock(mutex_);
  return mailbox_.size();
}

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
