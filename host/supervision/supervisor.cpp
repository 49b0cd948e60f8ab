#include "host/supervision/supervisor.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "host/runtime/runtime.hpp"

namespace alys::host {
namespace {

const char* to_string(Strategy strategy) {
  switch (strategy) {
    case Strategy::one_for_one:
      return "one_for_one";
    case Strategy::one_for_all:
      return "one_for_all";
    case Strategy::rest_for_one:
      return "rest_for_one";
  }
  return "unknown";
}

std::uint64_t backoff_ms(const SupervisorConfig& config, std::size_t restart_number) {
  if (config.backoff_initial_ms == 0) return 0;
  std::uint64_t delay = config.backoff_initial_ms;
  for (std::size_t i = 1; i < restart_number && delay < config.backoff_max_ms; ++i) delay *= 2;
  return std::min(delay, config.backoff_max_ms);
}

}  // namespace

SupervisorTree::SupervisorTree(Runtime& runtime, const std::vector<SupervisorConfig>& config,
                               const std::vector<ActorCell*>& cells_in_start_order)
    : runtime_(runtime) {
  std::unordered_map<std::string, std::size_t> position;
  for (std::size_t i = 0; i < cells_in_start_order.size(); ++i)
    position[cells_in_start_order[i]->role()] = i;
  build(config.front().name, config, position, cells_in_start_order, nullptr);
  root_ = groups_.at(config.front().name).get();
}

SupervisorTree::Child SupervisorTree::build(
    const std::string& name, const std::vector<SupervisorConfig>& config,
    const std::unordered_map<std::string, std::size_t>& position,
    const std::vector<ActorCell*>& cells, Group* parent) {
  auto group = std::make_unique<Group>();
  group->parent = parent;
  for (const SupervisorConfig& candidate : config)
    if (candidate.name == name) group->config = candidate;
  Group* self = group.get();
  groups_[name] = std::move(group);

  for (const std::string& child_name : self->config.children) {
    Child child;
    if (auto found = position.find(child_name); found != position.end()) {
      child.cell = cells[found->second];
      child.first_position = found->second;
    } else if (std::any_of(config.begin(), config.end(),
                           [&](const SupervisorConfig& c) { return c.name == child_name; })) {
      child = build(child_name, config, position, cells, self);
    } else {
      continue;  // a role that is not running (its plugin was refused at load)
    }
    self->children.push_back(child);
  }
  std::sort(self->children.begin(), self->children.end(),
            [](const Child& a, const Child& b) { return a.first_position < b.first_position; });
  for (std::size_t i = 0; i < self->children.size(); ++i) {
    const Child& child = self->children[i];
    if (child.cell) parent_of_cell_[child.cell] = {self, i};
    if (child.group) index_in_parent_[child.group] = i;
  }
  Child as_child;
  as_child.group = self;
  as_child.first_position =
      self->children.empty() ? cells.size() : self->children.front().first_position;
  return as_child;
}

std::uint64_t SupervisorTree::restarts(const std::string& name) const {
  auto found = groups_.find(name);
  return found == groups_.end() ? 0 : found->second->restarts.load();
}

std::string SupervisorTree::describe(const Child& child) const {
  return child.cell ? "actor '" + child.cell->role() + "'"
                    : "group '" + child.group->config.name + "'";
}

void SupervisorTree::on_exit(ActorCell& cell, const ActorExit& exit) {
  if (exit.generation != cell.generation()) return;  // that instance is already gone
  auto found = parent_of_cell_.find(&cell);
  if (found == parent_of_cell_.end()) return;
  child_exited(*found->second.first, found->second.second, exit.abnormal, exit.reason);
}

void SupervisorTree::child_exited(Group& group, std::size_t index, bool abnormal,
                                  const std::string& reason) {
  Child& child = group.children[index];
  auto& log = runtime_.logger();
  if (child.cell) {
    child.cell->stop_instance();
    if (abnormal) child.cell->set_last_error(reason);
    RestartType type = child.cell->spec().restart;
    bool restart = type == RestartType::permanent || (type == RestartType::transient && abnormal);
    if (!restart) {
      log.info("[supervisor {}] {} exited ({}); {} actor, not restarted", group.config.name,
               describe(child), reason, type == RestartType::temporary ? "temporary" : "transient");
      if (abnormal) child.cell->mark_failed_exit();
      child.cell->terminate(ActorState::exited);
      return;
    }
    child.cell->set_state(abnormal ? ActorState::failed : ActorState::restarting);
  }
  log.warn("[supervisor {}] {} {}: {}", group.config.name, describe(child),
           abnormal ? "failed" : "exited", reason);

  std::uint64_t now = runtime_.timers().monotonic_ms();
  while (!group.recent_restarts.empty() &&
         now - group.recent_restarts.front() >= group.config.period_ms)
    group.recent_restarts.pop_front();
  if (group.recent_restarts.size() >= group.config.max_restarts) {
    give_up(group, describe(child) + " exceeded " + std::to_string(group.config.max_restarts) +
                       " restarts in " + std::to_string(group.config.period_ms) +
                       " ms; last: " + reason);
    return;
  }
  group.recent_restarts.push_back(now);
  group.restarts.fetch_add(1);

  std::vector<std::size_t> targets;
  switch (group.config.strategy) {
    case Strategy::one_for_one:
      targets = {index};
      break;
    case Strategy::one_for_all:
      for (std::size_t i = 0; i < group.children.size(); ++i) targets.push_back(i);
      break;
    case Strategy::rest_for_one:
      for (std::size_t i = index; i < group.children.size(); ++i) targets.push_back(i);
      break;
  }
  // Siblings stop in reverse start order; a temporary sibling stays down (Erlang does the same).
  for (auto it = targets.rbegin(); it != targets.rend(); ++it) {
    if (*it == index) continue;
    const Child& sibling = group.children[*it];
    stop_child(sibling);
    if (sibling.cell) sibling.cell->set_state(ActorState::restarting);
  }
  std::erase_if(targets, [&](std::size_t i) {
    const Child& c = group.children[i];
    if (!c.cell || i == index) return false;
    if (c.cell->spec().restart == RestartType::temporary) {
      c.cell->terminate(ActorState::exited);
      return true;
    }
    return c.cell->state() == ActorState::exited;
  });

  std::uint64_t delay = backoff_ms(group.config, group.recent_restarts.size());
  std::uint64_t epoch = ++epoch_[&group];
  log.info("[supervisor {}] {}: restarting {} child(ren) in {} ms", group.config.name,
           to_string(group.config.strategy), targets.size(), delay);
  if (delay == 0) {
    restart_children(group, std::move(targets), epoch);
    return;
  }
  runtime_.timers().start(delay, 0, [this, &group, targets, epoch](std::uint64_t) {
    runtime_.post_control(
        [this, &group, targets, epoch] { restart_children(group, targets, epoch); });
  });
}

void SupervisorTree::restart_children(Group& group, std::vector<std::size_t> indexes,
                                      std::uint64_t epoch) {
  if (runtime_.stopped() || epoch_[&group] != epoch) return;
  for (std::size_t index : indexes) start_child(group, index);
}

void SupervisorTree::start_child(Group& group, std::size_t index) {
  Child& child = group.children[index];
  if (child.group) {
    ++epoch_[child.group];
    child.group->recent_restarts.clear();
    for (std::size_t i = 0; i < child.group->children.size(); ++i) start_child(*child.group, i);
    return;
  }
  ActorCell* cell = child.cell;
  if (cell->state() == ActorState::exited) return;
  if (Status started = cell->start_instance(); !started.ok()) {
    runtime_.logger().error("[supervisor {}] restart of '{}' failed: {}", group.config.name,
                            cell->role(), started.message());
    // A failed restart is another failure of that child, handled on its own control turn.
    runtime_.post_control([this, &group, index, error = started.message()] {
      if (!runtime_.stopped()) child_exited(group, index, true, error);
    });
    return;
  }
  cell->counters().restarts.fetch_add(1);
  runtime_.logger().info("[supervisor {}] restarted '{}'", group.config.name, cell->role());
}

void SupervisorTree::stop_child(const Child& child) {
  if (child.cell) {
    child.cell->stop_instance();
    return;
  }
  ++epoch_[child.group];  // drop its pending delayed restarts
  for (auto it = child.group->children.rbegin(); it != child.group->children.rend(); ++it) {
    stop_child(*it);
    if (it->cell && it->cell->state() != ActorState::exited)
      it->cell->set_state(ActorState::restarting);
  }
}

void SupervisorTree::give_up(Group& group, const std::string& reason) {
  runtime_.logger().error("[supervisor {}] giving up: {}", group.config.name, reason);
  if (group.parent == nullptr) {
    // The node shuts down: every actor stops in reverse start order, as on SIGTERM.
    ++epoch_[&group];
    runtime_.shutdown(kExitSupervisorGaveUp, "root supervisor gave up: " + reason);
    return;
  }
  Child self;
  self.group = &group;
  stop_child(self);
  for (const Child& child : group.children)
    if (child.cell && child.cell->state() != ActorState::exited)
      child.cell->set_state(ActorState::failed);
  child_exited(*group.parent, index_in_parent_.at(&group), true,
               "group '" + group.config.name + "' gave up: " + reason);
}

}  // namespace alys::host
