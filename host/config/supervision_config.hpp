// Structural checks of the supervision tree. Kept apart from config.cpp's TOML reading: they work
// on plain declarations, so the tree rules stay readable on their own.
#pragma once

#include <string>
#include <vector>

#include "host/config/config.hpp"

namespace alys::host {

// One supervisor as written in the file, with where each child was named for error positions.
struct SupervisorDecl {
  SupervisorConfig config;
  std::string key;                         // dotted table name, e.g. "supervision.groups.core"
  std::vector<SourcePos> child_positions;  // parallel to config.children
};

// REQUIRES: `decls` is the root first, then the groups in file order.
// Checks that group names are free, every child is a role or group, each role and group is used at
// most once, groups nest as a tree under the root, and every role in `roles` is in that tree.
// The returned errors have no `file`; the caller knows it.
std::vector<ConfigError> check_supervision_tree(const std::vector<SupervisorDecl>& decls,
                                                const std::vector<std::string>& roles);

}  // namespace alys::host
