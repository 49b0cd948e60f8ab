#include "approval_rounds.hpp"

namespace alys::chain {

std::uint32_t heard(const RoundTally& tally) {
  std::set<std::uint32_t> members;
  for (const auto& [hash, approvers] : tally) members.insert(approvers.begin(), approvers.end());
  return static_cast<std::uint32_t>(members.size());
}

bool round_dead(const RoundTally& tally, std::uint32_t members, std::uint32_t threshold) {
  if (tally.empty()) return false;
  const std::uint32_t heard_count = heard(tally);
  const std::uint32_t silent = members > heard_count ? members - heard_count : 0;
  for (const auto& [hash, approvers] : tally)
    if (approvers.size() + silent >= threshold) return false;
  return true;
}

std::optional<Hash32> next_round_choice(const RoundTally& tally) {
  std::optional<Hash32> best;
  std::size_t best_count = 0;
  // The map is ordered by hash: a later block wins only with strictly more approvals.
  for (const auto& [hash, approvers] : tally)
    if (!best || approvers.size() > best_count) {
      best = hash;
      best_count = approvers.size();
    }
  return best;
}

}  // namespace alys::chain
