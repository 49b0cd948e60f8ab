// The supervision tree, with Erlang semantics:
//   strategies  one_for_one (restart the failed child), one_for_all (restart every child),
//               rest_for_one (restart the failed child and the children started after it);
//   restart     permanent (always), transient (after an abnormal exit), temporary (never);
//   intensity   more than `max_restarts` restarts within `period_ms` makes the group give up:
//               it stops its children (reverse order) and fails in its parent; the root giving up
//               shuts the node down with kExitSupervisorGaveUp;
//   backoff     restart n in a period waits backoff_initial_ms * 2^(n-1), capped at backoff_max_ms.
// Children of a group are ordered by the node's start order (which follows `requires`).
//
// Thread: every member runs on the runtime's control thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "host/runtime/actor_cell.hpp"
#include "host/config/config.hpp"

namespace alys::host {

class Runtime;

class SupervisorTree {
 public:
  // REQUIRES: `config` is root first and names only the cells given (config validation did that).
  SupervisorTree(Runtime& runtime, const std::vector<SupervisorConfig>& config,
                 const std::vector<ActorCell*>& cells_in_start_order);

  // An instance ended: restart per the rules above, or escalate.
  void on_exit(ActorCell& cell, const ActorExit& exit);

  // Restarts made by the group `name` so far (all time).
  std::uint64_t restarts(const std::string& name) const;

 private:
  struct Group;
  struct Child {
    ActorCell* cell = nullptr;
    Group* group = nullptr;
    std::size_t first_position = 0;  // position in start order, for ordering
  };
  struct Group {
    SupervisorConfig config;
    Group* parent = nullptr;
    std::vector<Child> children;
    std::deque<std::uint64_t> recent_restarts;  // times (ms) within the current period
    std::atomic<std::uint64_t> restarts{0};
  };

  Child build(const std::string& name, const std::vector<SupervisorConfig>& config,
              const std::unordered_map<std::string, std::size_t>& position,
              const std::vector<ActorCell*>& cells, Group* parent);
  void child_exited(Group& group, std::size_t index, bool abnormal, const std::string& reason);
  void restart_children(Group& group, std::vector<std::size_t> indexes, std::uint64_t generation);
  void stop_child(const Child& child);
  void start_child(Group& group, std::size_t index);
  void give_up(Group& group, const std::string& reason);
  std::string describe(const Child& child) const;

  Runtime& runtime_;
  std::map<std::string, std::unique_ptr<Group>> groups_;
  Group* root_ = nullptr;
  std::unordered_map<const ActorCell*, std::pair<Group*, std::size_t>> parent_of_cell_;
  std::unordered_map<const Group*, std::size_t> index_in_parent_;
  // Bumped when a group restarts or gives up, so a delayed restart scheduled before is dropped.
  std::unordered_map<const Group*, std::uint64_t> epoch_;
};

}  // namespace alys::host
