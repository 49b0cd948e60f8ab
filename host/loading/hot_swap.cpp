// Runtime: hot swap and actor restart of a running node (config updates: config_update.cpp).
//
// A swap, on the control thread: load the new library from a private copy and gate it (nothing is
// paused yet) -> pause dispatch to the role (and, if either version asks, to the roles requiring
// it) -> snapshot the old instance for the new plugin's schema -> stop and destroy the old
// instance -> create, restore and start the new one -> resume. Any failure restores the old
// library with the same snapshot. With a trial period the new instance's handled messages are
// journaled; if it fails within the period, the old version is restored from the pre-swap
// snapshot and the journaled messages are handed to it again, so no message is lost (effects the
// new version already sent out during the trial may repeat). The old library is released after
// the swap, off the pause, and its mapping is checked to be gone.
#include <spdlog/spdlog.h>

#include <chrono>
#include <fstream>
#include <future>

#include "host/runtime/runtime.hpp"
#include "host/supervision/supervisor.hpp"

namespace alys::host {
namespace {

std::uint64_t steady_us() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
}

bool swappable(const PluginLibrary& library) {
  return (library.manifest().capabilities & ALYS_CAP_SWAPPABLE) != 0;
}

bool mapped(const std::filesystem::path& file) {
  std::ifstream maps("/proc/self/maps");
  for (std::string line; std::getline(maps, line);)
    if (line.find(file.string()) != std::string::npos) return true;
  return false;
}

}  // namespace

void Runtime::swap(const std::string& role, const std::filesystem::path& file, SwapDone done) {
  control_.post([this, role, file, done = std::move(done)] { run_swap(role, file, done); });
}

SwapOutcome Runtime::swap_and_wait(const std::string& role, const std::filesystem::path& file) {
  std::promise<SwapOutcome> settled;
  auto result = settled.get_future();
  swap(role, file, [&settled](const SwapOutcome& outcome) { settled.set_value(outcome); });
  if (options_.deterministic) {
    while (result.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
      run_until_idle();
      if (result.wait_for(std::chrono::seconds(0)) == std::future_status::ready) break;
      advance(timers_.next_due() ? *timers_.next_due() - timers_.monotonic_ms() : 1);
    }
  }
  return result.get();
}

std::vector<ActorCell*> Runtime::dependents_of(const std::string& role) const {
  std::vector<ActorCell*> out;
  for (const auto& c : cells_) {
    const auto& roles = c->spec().requires_roles;
    if (std::find(roles.begin(), roles.end(), role) != roles.end()) out.push_back(c.get());
  }
  return out;
}

void Runtime::run_swap(const std::string& role, const std::filesystem::path& file, SwapDone done) {
  SwapOutcome outcome;
  outcome.role = role;
  auto fail = [&](std::string stage, std::string message, bool rolled_back) {
    outcome.ok = false;
    outcome.stage = std::move(stage);
    outcome.message = std::move(message);
    outcome.rolled_back = rolled_back;
    settle_swap(outcome, done);
  };
  ActorCell* target = cell(role);
  if (target == nullptr || stopped()) return fail("role", "no such role '" + role + "'", false);
  if (trials_.on_trial(target))
    return fail("busy", "a swap of '" + role + "' is in its trial", false);
  if (target->state() != ActorState::running)
    return fail("role", "'" + role + "' is " + to_string(target->state()) + ", not running", false);
  std::shared_ptr<PluginLibrary> outgoing = target->library();
  outcome.from_version = outgoing->manifest().version;

  Result<std::shared_ptr<PluginLibrary>> loaded = PluginLibrary::load(
      file,
      options_.scratch_dir.empty() ? std::filesystem::temp_directory_path() / "alysd-swaps"
                                   : options_.scratch_dir,
      options_.abi_minor);
  if (!loaded.ok()) return fail("gate", loaded.status().message(), false);
  std::shared_ptr<PluginLibrary> incoming = std::move(loaded).value();
  std::string served = incoming->manifest().role;
  if (served != ALYS_ROLE_ANY && served != role)
    return fail("role", file.string() + " serves role '" + served + "', not '" + role + "'", false);

  outcome.to_version = incoming->manifest().version;
  bool state_mode = swappable(*outgoing) && swappable(*incoming);
  outcome.mode = state_mode ? "state" : "restart";
  outcome.state_schema_to = incoming->manifest().state_schema_version;

  bool pause_dependents = ((outgoing->manifest().capabilities | incoming->manifest().capabilities) &
                           ALYS_CAP_PAUSE_DEPENDENTS_ON_SWAP) != 0;
  std::vector<ActorCell*> dependents =
      pause_dependents ? dependents_of(role) : std::vector<ActorCell*>{};

  std::uint64_t paused_at = steady_us();
  for (ActorCell* dependent : dependents) dependent->pause();
  target->pause();
  auto resume_dependents = [&] {
    for (ActorCell* dependent : dependents) dependent->resume();
  };

  StateBlob state;
  if (state_mode) {
    Result<StateBlob> snapshot = target->snapshot(incoming->manifest().state_schema_version);
    if (!snapshot.ok()) {
      target->resume();
      resume_dependents();
      return fail("snapshot", snapshot.status().message(), false);
    }
    state = std::move(snapshot).value();
    outcome.state_schema_from = state.schema_version;
  }
  target->stop_instance();
  target->replace_library(incoming);
  // On trial, every message the new version handles is journaled from its very first one, so a
  // rollback can hand them all to the old version.
  bool on_trial = options_.swap_trial_ms > 0;
  if (on_trial) target->start_journal();
  // Step by step, so that a failure reports its step (the stage) apart from the plugin's why.
  for (InstanceStep step : kInstanceSteps) {
    Status done_step = target->bring_up(step, state_mode ? &state : nullptr);
    if (done_step.ok()) continue;
    if (on_trial) target->take_journal();  // nothing was handled by a version that never started
    // Back to the old library with the same snapshot (written for a schema it reads: its own or
    // older), then release the refused one.
    target->replace_library(outgoing);
    Status again = target->start_instance(state_mode ? &state : nullptr);
    resume_dependents();
    outcome.pause_us = steady_us() - paused_at;
    if (!again.ok()) {
      logger_->error("[swap {}] rollback failed too ({}); the supervisor takes over", role,
                     again.message());
      on_actor_exit(*target, ActorExit{true, again.message(), target->generation()});
    }
    release_library(std::move(incoming));
    return fail(to_string(step), done_step.message(), true);
  }
  resume_dependents();
  outcome.pause_us = steady_us() - paused_at;
  swap_figures_.observe_pause(outcome.pause_us);
  outcome.ok = true;
  logger_->info("[swap {}] {} -> {} ({}), paused {} us", role, outcome.from_version,
                outcome.to_version, outcome.mode, outcome.pause_us);

  if (!on_trial) {
    release_library(std::move(outgoing));
    settle_swap(outcome, done);
    return;
  }
  std::uint64_t id = trials_.begin(target, SwapTrial{std::move(outgoing), std::move(state),
                                                     state_mode, outcome, std::move(done)});
  timers_.start(options_.swap_trial_ms, 0, [this, target, id](std::uint64_t) {
    control_.post([this, target, id] { finish_trial(target, id); });
  });
}

void Runtime::finish_trial(ActorCell* target, std::uint64_t trial_id) {
  std::unique_ptr<SwapTrial> trial = trials_.end(target, trial_id);
  if (!trial) return;  // rolled back already
  target->take_journal();
  release_library(std::move(trial->old_library));
  settle_swap(trial->outcome, trial->done);
}

void Runtime::rollback_trial(ActorCell* target, const std::string& reason) {
  std::unique_ptr<SwapTrial> trial = trials_.end(target);
  std::uint64_t paused_at = steady_us();
  target->stop_instance();  // the failed new instance; its poison message is dead-lettered
  std::vector<Envelope> journal = target->take_journal();
  std::shared_ptr<PluginLibrary> refused = target->replace_library(trial->old_library);
  target->requeue_front(std::move(journal));
  SwapOutcome outcome = trial->outcome;
  outcome.ok = false;
  outcome.stage = "trial";
  outcome.rolled_back = true;
  outcome.message = "failed within the trial period: " + reason;
  if (Status again = target->start_instance(trial->state_mode ? &trial->state : nullptr);
      !again.ok()) {
    logger_->error("[swap {}] rollback failed too ({}); the supervisor takes over", target->role(),
                   again.message());
    on_actor_exit(*target, ActorExit{true, again.message(), target->generation()});
  }
  outcome.pause_us = steady_us() - paused_at;
  release_library(std::move(refused));
  settle_swap(outcome, trial->done);
}

void Runtime::settle_swap(SwapOutcome outcome, const SwapDone& done) {
  swap_figures_.count(outcome);
  if (!outcome.ok)
    logger_->error("[swap {}] failed at {}{}: {}", outcome.role, outcome.stage,
                   outcome.rolled_back ? " (rolled back, old version serving)" : "",
                   outcome.message);
  if (done) done(outcome);
}

void Runtime::release_library(std::shared_ptr<PluginLibrary> library) {
  if (!library) return;
  std::filesystem::path copy = library->copy_path();
  bool last_reference = library.use_count() == 1;
  library.reset();  // unmaps when this was the last reference
  if (copy.empty() || !last_reference) return;
  if (mapped(copy)) {
    swap_figures_.count_unload_failure();
    logger_->warn(
        "[host] {} is still mapped after unload (a GNU-unique symbol or a thread of the "
        "plugin pins it)",
        copy.string());
  }
}

void Runtime::restart_actor(const std::string& role, std::function<void(Status)> done) {
  control_.post([this, role, done = std::move(done)] {
    ActorCell* target = cell(role);
    Status restarted;
    if (target == nullptr) {
      restarted = Status(ALYS_ERR_NO_SUCH_ROLE, "no such role '" + role + "'");
    } else if (trials_.on_trial(target)) {
      restarted = Status(ALYS_ERR_FAILED, "a swap of '" + role + "' is in its trial");
    } else if (stopped() || target->state() == ActorState::stopped) {
      restarted = Status(ALYS_ERR_STOPPED, "'" + role + "' is stopped");
    } else {
      target->stop_instance();
      restarted = target->start_instance();
      if (!restarted.ok()) {
        on_actor_exit(*target, ActorExit{true, restarted.message(), target->generation()});
      } else {
        target->counters().restarts.fetch_add(1);
        logger_->info("[host] restarted role={} on request", role);
      }
    }
    if (done) done(restarted);
  });
}

}  // namespace alys::host
