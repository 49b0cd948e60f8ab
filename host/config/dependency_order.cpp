#include "host/config/dependency_order.hpp"

#include <algorithm>
#include <cstddef>
#include <optional>

namespace alys::host {
namespace {

using Index = std::size_t;

// Requirements as declaration indices. Names outside `roles` are skipped: the caller promised there
// are none, and skipping keeps a broken promise from turning into out-of-range access.
std::vector<std::vector<Index>> index_requirements(
    const std::vector<std::string>& roles,
    const std::map<std::string, std::vector<std::string>>& requires_of) {
  std::map<std::string, Index> index_of;
  for (Index i = 0; i < roles.size(); ++i) index_of.emplace(roles[i], i);

  std::vector<std::vector<Index>> needs(roles.size());
  for (Index i = 0; i < roles.size(); ++i) {
    const auto it = requires_of.find(roles[i]);
    if (it == requires_of.end()) continue;
    for (const std::string& name : it->second) {
      const auto found = index_of.find(name);
      if (found != index_of.end()) needs[i].push_back(found->second);
    }
  }
  return needs;
}

bool ready(const std::vector<Index>& needs, const std::vector<bool>& placed) {
  return std::all_of(needs.begin(), needs.end(), [&](Index n) { return placed[n]; });
}

// Every unplaced role waits on at least one unplaced role, so walking "first unplaced requirement"
// from any unplaced role must revisit a role; the revisited stretch is a cycle.
std::vector<Index> find_cycle(const std::vector<std::vector<Index>>& needs,
                              const std::vector<bool>& placed) {
  const auto first_unplaced = std::find(placed.begin(), placed.end(), false);
  Index current = static_cast<Index>(first_unplaced - placed.begin());
  std::vector<Index> walk;
  std::vector<std::optional<std::size_t>> step_of(needs.size());
  while (!step_of[current]) {
    step_of[current] = walk.size();
    walk.push_back(current);
    for (Index n : needs[current]) {
      if (!placed[n]) {
        current = n;
        break;
      }
    }
  }
  std::vector<Index> cycle(walk.begin() + static_cast<std::ptrdiff_t>(*step_of[current]),
                           walk.end());
  // Start at the earliest-declared member so the same graph always reports the same path.
  std::rotate(cycle.begin(), std::min_element(cycle.begin(), cycle.end()), cycle.end());
  cycle.push_back(cycle.front());
  return cycle;
}

}  // namespace

// Kahn's algorithm that always takes the earliest-declared ready role: the result is the
// topological order lexicographically smallest by declaration index, so a role moves later only
// when something it requires is declared after it.
DependencyOrder order_by_requires(
    const std::vector<std::string>& roles,
    const std::map<std::string, std::vector<std::string>>& requires_of) {
  const std::vector<std::vector<Index>> needs = index_requirements(roles, requires_of);
  std::vector<bool> placed(roles.size(), false);
  DependencyOrder result;
  result.order.reserve(roles.size());

  // Quadratic, but role counts are small and this keeps the tie-break rule obvious.
  bool progressed = true;
  while (progressed && result.order.size() < roles.size()) {
    progressed = false;
    for (Index i = 0; i < roles.size(); ++i) {
      if (!placed[i] && ready(needs[i], placed)) {
        placed[i] = true;
        result.order.push_back(roles[i]);
        progressed = true;
        break;
      }
    }
  }

  // On a cycle `order` holds only the roles that could be placed; callers must not start anything.
  if (result.order.size() < roles.size()) {
    for (Index i : find_cycle(needs, placed)) result.cycle.push_back(roles[i]);
  }
  return result;
}

}  // namespace alys::host
