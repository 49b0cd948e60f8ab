// The round rule of one height (docs/chain.md, "Fork choice and liveness"), as pure functions so
// that every node, fed the same approvals in any order, reaches the same decision.
//
// A tally is the round-r approvers of each block this node holds at the height (held: the block
// passed every check and re-execution). Only held blocks are keys: an approval proves a (hash,
// round), and only the block proves the height.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>

#include "alys/domain/hash.hpp"

namespace alys::chain {

using RoundTally = std::map<Hash32, std::set<std::uint32_t>>;

// Distinct members with an approval in the tally.
std::uint32_t heard(const RoundTally& tally);

// Round r is dead when no held block can still reach `threshold` approvals in it: for every
// block B, count(B) + (members - heard) < threshold. A tally without blocks is never dead (no
// block proves the height yet).
bool round_dead(const RoundTally& tally, std::uint32_t members, std::uint32_t threshold);

// The block a member approves in round r + 1 once round r is dead: the held block with the most
// round-r approvals, ties broken by the smallest hash. nullopt for an empty tally.
std::optional<Hash32> next_round_choice(const RoundTally& tally);

}  // namespace alys::chain
