#include "host/runtime/runtime.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <future>
#include <stdexcept>

#include "alys/type_id.hpp"
#include "host/config/dependency_order.hpp"
#include "host/runtime/host_api.hpp"
#include "host/supervision/supervisor.hpp"

namespace alys::host {
namespace {

std::shared_ptr<spdlog::logger> default_logger() {
  auto logger = std::make_shared<spdlog::logger>(
      "alysd", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ %v");
  return logger;
}

}  // namespace

Runtime::Runtime(RuntimeOptions options)
    : options_(std::move(options)),
      logger_(options_.logger ? options_.logger : default_logger()),
      timers_(TimerService::Options{options_.virtual_clock || options_.deterministic,
                                    options_.virtual_start_ms}),
      dead_letters_(options_.dead_letters_kept),
      requests_(timers_,
                [this](std::uint64_t correlation_id, RequestTable::Settled timed_out) {
                  on_request_timeout(correlation_id, std::move(timed_out));
                }),
      pool_("alys-worker",
            options_.deterministic
                ? 0u
                : (options_.workers ? options_.workers
                                    : std::max(1u, std::thread::hardware_concurrency()))),
      control_(!options_.deterministic) {}

Runtime::~Runtime() {
  shutdown(exit_code_.load(), "runtime destroyed");
  if (options_.deterministic) run_until_idle();
  wait();
  control_.stop();
  timers_.stop();
  pool_.stop();
  for (auto& executor : dedicated_) executor->stop();
  cells_.clear();
}

alys_address Runtime::add_actor(ActorSpec spec) {
  std::lock_guard lock(state_mutex_);
  if (started_) throw std::logic_error("add_actor after start");
  if (roles_.count(spec.role)) throw std::logic_error("role '" + spec.role + "' added twice");
  auto address = static_cast<alys_address>(cells_.size() + 1);
  Executor& executor = executor_for(spec);
  roles_[spec.role] = address;
  cells_.push_back(std::make_unique<ActorCell>(*this, address, std::move(spec), executor));
  return address;
}

Executor& Runtime::executor_for(const ActorSpec& spec) {
  bool dedicated = spec.dedicated_thread ||
                   (spec.library->manifest().capabilities & ALYS_CAP_DEDICATED_THREAD) != 0;
  if (!dedicated) return pool_;
  dedicated_.push_back(std::make_unique<Executor>("alys-" + spec.role.substr(0, 6) + "-",
                                                  options_.deterministic ? 0u : 1u));
  return *dedicated_.back();
}

void Runtime::set_supervisors(std::vector<SupervisorConfig> supervisors) {
  supervisor_config_ = std::move(supervisors);
}

Status Runtime::start() {
  std::vector<std::string> roles;
  std::map<std::string, std::vector<std::string>> requires_of;
  for (const auto& cell : cells_) {
    roles.push_back(cell->role());
    for (const std::string& required : cell->spec().requires_roles) {
      if (!roles_.count(required))
        return Status::Invalid("role '" + cell->role() + "' requires '" + required +
                               "', which is not running");
      requires_of[cell->role()].push_back(required);
    }
  }
  DependencyOrder order = order_by_requires(roles, requires_of);
  if (!order.cycle.empty()) {
    std::string path;
    for (const auto& role : order.cycle) path += (path.empty() ? "" : " -> ") + role;
    return Status::Invalid("requires cycle: " + path);
  }
  {
    std::lock_guard lock(state_mutex_);
    if (started_) return Status::Invalid("already started");
    started_ = true;
    start_order_ = order.order;
  }

  auto start_all = [this]() -> Status {
    std::vector<ActorCell*> ordered;
    for (const auto& role : start_order_) ordered.push_back(cell(role));
    if (supervisor_config_.empty()) {
      SupervisorConfig root;
      root.name = "root";
      root.children = start_order_;
      supervisor_config_.push_back(root);
    }
    supervisors_ = std::make_unique<SupervisorTree>(*this, supervisor_config_, ordered);
    for (std::size_t i = 0; i < ordered.size(); ++i) {
      ActorCell* next = ordered[i];
      if (Status started = next->start_instance(); !started.ok()) {
        Status failed = started.with_context("role '" + next->role() + "' failed to start");
        logger_->error("{}", failed.message());
        for (std::size_t j = i; j-- > 0;) {
          ordered[j]->terminate(ActorState::stopped);
          logger_->info("[host] stopped role={}", ordered[j]->role());
        }
        next->terminate(ActorState::stopped);
        return failed;
      }
      logger_->info("[host] started role={} plugin={} version={}", next->role(),
                    next->library()->manifest().name, next->library()->manifest().version);
    }
    return Status::Ok();
  };

  Status started;
  if (options_.deterministic) {
    started = start_all();
  } else {
    std::promise<Status> done;
    auto result = done.get_future();
    control_.post([&] { done.set_value(start_all()); });
    started = result.get();
  }
  if (!started.ok()) {
    std::lock_guard lock(state_mutex_);
    shutdown_requested_ = true;
    stopped_ = true;
    exit_code_ = kExitStartFailed;
    state_changed_.notify_all();
  }
  return started;
}

void Runtime::shutdown(int exit_code, std::string reason) {
  {
    std::lock_guard lock(state_mutex_);
    if (shutdown_requested_) return;
    shutdown_requested_ = true;
    exit_code_ = exit_code;
    if (!started_) {
      stopped_ = true;
      state_changed_.notify_all();
      return;
    }
  }
  control_.post([this, reason = std::move(reason)] { stop_all(reason); });
}

void Runtime::stop_all(const std::string& reason) {
  // Swaps in their trial keep the new version: the node is stopping anyway.
  for (auto& [trial_cell, trial] : trials_.end_all()) {
    trial_cell->take_journal();
    SwapOutcome outcome = trial->outcome;
    outcome.message = "trial cut short by shutdown";
    if (trial->done) trial->done(outcome);
  }
  logger_->info("[host] stopping ({}), {} role(s) in reverse start order", reason,
                start_order_.size());
  for (auto it = start_order_.rbegin(); it != start_order_.rend(); ++it) {
    ActorCell* stopping = cell(*it);
    ActorState before = stopping->state();
    if (before == ActorState::stopped || before == ActorState::exited ||
        before == ActorState::not_started)
      continue;
    stopping->terminate(ActorState::stopped);
    logger_->info("[host] stopped role={} (was {})", *it, to_string(before));
  }
  std::lock_guard lock(state_mutex_);
  stopped_ = true;
  state_changed_.notify_all();
}

int Runtime::wait() {
  std::unique_lock lock(state_mutex_);
  if (options_.deterministic) {
    lock.unlock();
    run_until_idle();
    lock.lock();
  }
  state_changed_.wait(lock, [&] { return stopped_; });
  return exit_code_.load();
}

bool Runtime::stopped() const {
  std::lock_guard lock(state_mutex_);
  return stopped_;
}

void Runtime::run_until_idle() {
  for (;;) {
    std::size_t work = pool_.run_pending() + control_.run_pending();
    for (auto& executor : dedicated_) work += executor->run_pending();
    if (work == 0) return;
  }
}

bool Runtime::run_one_batch() {
  if (control_.run_pending() > 0) return true;
  return pool_.run_one() || std::any_of(dedicated_.begin(), dedicated_.end(),
                                        [](auto& executor) { return executor->run_one(); });
}

void Runtime::advance(std::uint64_t ms) {
  if (options_.deterministic) {
    timers_.advance(ms, [this] { run_until_idle(); });
    run_until_idle();
  } else {
    timers_.advance(ms);
  }
}

void Runtime::post_control(std::function<void()> task) { control_.post(std::move(task)); }

std::optional<alys_address> Runtime::resolve(const std::string& role) const {
  auto found = roles_.find(role);
  if (found == roles_.end()) return std::nullopt;
  return found->second;
}

ActorCell* Runtime::cell(alys_address address) const {
  if (address == 0 || address > cells_.size()) return nullptr;
  return cells_[address - 1].get();
}

ActorCell* Runtime::cell(const std::string& role) const {
  auto address = resolve(role);
  return address ? cell(*address) : nullptr;
}

std::vector<ActorCell*> Runtime::cells() const {
  std::vector<ActorCell*> out;
  for (const auto& c : cells_) out.push_back(c.get());
  return out;
}

std::uint64_t Runtime::supervisor_restarts(const std::string& group) const {
  return supervisors_ ? supervisors_->restarts(group) : 0;
}

std::int32_t Runtime::deliver(alys_address to, Envelope&& envelope) {
  ActorCell* target = cell(to);
  if (target == nullptr) return ALYS_ERR_NO_SUCH_ROLE;
  return target->deliver(std::move(envelope));
}

std::int32_t Runtime::send(alys_address from, alys_address to, std::uint64_t type_id,
                           std::uint32_t priority, const std::uint8_t* payload, std::size_t size) {
  if (priority > ALYS_PRIORITY_CONSENSUS) return ALYS_ERR_INVALID;
  Envelope envelope;
  envelope.type_id = type_id;
  envelope.sender = from;
  envelope.priority = priority;
  envelope.payload = Payload(payload, size);
  return deliver(to, std::move(envelope));
}

std::int32_t Runtime::request(alys_address from, alys_address to, std::uint64_t type_id,
                              std::uint32_t priority, const std::uint8_t* payload, std::size_t size,
                              std::uint64_t timeout_ms, std::uint64_t* correlation_out) {
  if (priority > ALYS_PRIORITY_CONSENSUS) return ALYS_ERR_INVALID;
  if (cell(to) == nullptr) return ALYS_ERR_NO_SUCH_ROLE;
  std::uint64_t correlation = requests_.next_correlation();
  // Recorded before delivery: the reply may come back before deliver() returns.
  requests_.add(correlation, RequestTable::Pending{from, to, priority}, timeout_ms);
  Envelope envelope;
  envelope.type_id = type_id;
  envelope.correlation_id = correlation;
  envelope.sender = from;
  envelope.kind = ALYS_KIND_REQUEST;
  envelope.priority = priority;
  envelope.payload = Payload(payload, size);
  std::int32_t code = deliver(to, std::move(envelope));
  if (code != ALYS_OK) {
    // No longer pending, so its deadline passes silently — unless it was so short that the timer
    // took it before this withdrawal (see Context::request_raw): the requester then also gets a
    // timeout for an id it was never given.
    requests_.withdraw(correlation);
    return code;
  }
  requests_.counters().requests.fetch_add(1, std::memory_order_relaxed);
  if (correlation_out) *correlation_out = correlation;
  return ALYS_OK;
}

void Runtime::on_request_timeout(std::uint64_t correlation_id, RequestTable::Settled timed_out) {
  if (timed_out.request.requester == 0) {
    if (timed_out.waiter) timed_out.waiter(Status(ALYS_ERR_TIMEOUT));
    return;
  }
  Envelope timeout;
  timeout.type_id = ALYS_TYPE_TIMEOUT;
  timeout.correlation_id = correlation_id;
  timeout.sender = timed_out.request.target;
  timeout.kind = ALYS_KIND_TIMEOUT;
  timeout.priority = timed_out.request.priority;
  deliver(timed_out.request.requester, std::move(timeout));
}

std::int32_t Runtime::reply(alys_address from, std::uint64_t correlation_id, std::uint64_t type_id,
                            const std::uint8_t* payload, std::size_t size) {
  Result<RequestTable::Settled> settled = requests_.take_reply(correlation_id, from);
  if (!settled.ok()) {
    if (settled.status().code() == ALYS_ERR_TIMEOUT)
      logger_->debug("[{}] late reply corr={} discarded", cell(from) ? cell(from)->role() : "?",
                     correlation_id);
    return settled.status().code();
  }
  const RequestTable::Pending& request = settled->request;
  if (request.requester == 0) {
    if (settled->waiter) settled->waiter(std::vector<std::uint8_t>(payload, payload + size));
    return ALYS_OK;
  }
  Envelope answer;
  answer.type_id = type_id;
  answer.correlation_id = correlation_id;
  answer.sender = from;
  answer.kind = ALYS_KIND_REPLY;
  answer.priority = request.priority;
  answer.payload = Payload(payload, size);
  return deliver(request.requester, std::move(answer));
}

std::int32_t Runtime::publish(alys_address from, const std::string& topic, std::uint64_t type_id,
                              const std::uint8_t* payload, std::size_t size) {
  std::uint64_t id = topic_id(topic);
  for (alys_address subscriber : topics_.subscribers(id)) {
    Envelope event;
    event.type_id = type_id;
    event.topic_id = id;
    event.sender = from;
    event.kind = ALYS_KIND_EVENT;
    event.payload = Payload(payload, size);
    deliver(subscriber, std::move(event));  // a full subscriber counts its own rejection
  }
  return ALYS_OK;
}

std::int32_t Runtime::subscribe(alys_address subscriber, const std::string& topic) {
  return topics_.subscribe(subscriber, topic).code();
}

void Runtime::on_actor_exit(ActorCell& exited, ActorExit exit) {
  control_.post([this, &exited, exit = std::move(exit)] {
    if (stopped() || !supervisors_) return;
    {
      std::lock_guard lock(state_mutex_);
      if (shutdown_requested_) return;
    }
    // A swapped-in version failing within its trial is rolled back, not restarted.
    if (trials_.on_trial(&exited) && exit.generation == exited.generation()) {
      rollback_trial(&exited, exit.reason);
      return;
    }
    supervisors_->on_exit(exited, exit);
  });
}

const alys_host_api* Runtime::host_api() const {
  return options_.host_api ? options_.host_api : host_api_table();
}

double Runtime::uptime_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - created_).count();
}

void Runtime::external_request(alys_address to, std::uint64_t type_id,
                               std::vector<std::uint8_t> payload, std::uint64_t timeout_ms,
                               ExternalWaiter done) {
  std::uint64_t correlation = requests_.next_correlation();
  requests_.add_external(correlation, RequestTable::Pending{0, to, ALYS_PRIORITY_HIGH}, timeout_ms,
                         done);
  Envelope envelope;
  envelope.type_id = type_id;
  envelope.correlation_id = correlation;
  envelope.kind = ALYS_KIND_REQUEST;
  envelope.priority = ALYS_PRIORITY_HIGH;
  envelope.payload = Payload(payload.data(), payload.size());
  std::int32_t code = deliver(to, std::move(envelope));
  if (code != ALYS_OK) {
    requests_.withdraw(correlation);
    done(Status(code));
  }
}

void Runtime::report_fatal(ActorCell& failed, std::string reason) {
  logger_->error("[{}] fatal report: {}", failed.role(), reason);
  failed.counters().failures.fetch_add(1);
  on_actor_exit(failed, ActorExit{true, "fatal: " + reason, failed.generation()});
}

}  // namespace alys::host
