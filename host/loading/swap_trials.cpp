#include "host/loading/swap_trials.hpp"

#include <cassert>

namespace alys::host {

std::uint64_t SwapTrials::begin(ActorCell* cell, SwapTrial trial) {
  assert(!on_trial(cell));
  std::uint64_t id = next_id_++;
  trials_[cell] = Entry{id, cell, std::make_unique<SwapTrial>(std::move(trial))};
  return id;
}

std::unique_ptr<SwapTrial> SwapTrials::end(const ActorCell* cell, std::uint64_t id) {
  auto found = trials_.find(cell);
  if (found == trials_.end() || found->second.id != id) return nullptr;
  std::unique_ptr<SwapTrial> trial = std::move(found->second.trial);
  trials_.erase(found);
  return trial;
}

std::unique_ptr<SwapTrial> SwapTrials::end(const ActorCell* cell) {
  auto found = trials_.find(cell);
  assert(found != trials_.end());
  std::unique_ptr<SwapTrial> trial = std::move(found->second.trial);
  trials_.erase(found);
  return trial;
}

std::vector<std::pair<ActorCell*, std::unique_ptr<SwapTrial>>> SwapTrials::end_all() {
  std::vector<std::pair<ActorCell*, std::unique_ptr<SwapTrial>>> ended;
  for (auto& [cell, entry] : trials_) ended.emplace_back(entry.cell, std::move(entry.trial));
  trials_.clear();
  return ended;
}

void SwapFigures::count(const SwapOutcome& outcome) {
  std::lock_guard lock(mutex_);
  SwapCounts& counts = counts_[outcome.role];
  if (!outcome.ok && outcome.rolled_back) ++counts.rolled_back;
  if (outcome.ok && outcome.mode == "state") ++counts.swapped;
  if (outcome.ok && outcome.mode == "restart") ++counts.restarted;
}

std::map<std::string, SwapCounts> SwapFigures::counts() const {
  std::lock_guard lock(mutex_);
  return counts_;
}

}  // namespace alys::host
