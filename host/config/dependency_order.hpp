// Start order from `requires`: every role starts after the roles it requires; stop runs in reverse.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace alys::host {

struct DependencyOrder {
  std::vector<std::string> order;  // every role after the roles it requires
  std::vector<std::string> cycle;  // non-empty iff there is a cycle: a, b, ..., a
};

// REQUIRES: `requires_of` names only roles in `roles` (callers report unknown names first).
// Guarantees: deterministic; among roles with no constraint between them, declaration order holds.
DependencyOrder order_by_requires(
    const std::vector<std::string>& roles,
    const std::map<std::string, std::vector<std::string>>& requires_of);

}  // namespace alys::host
