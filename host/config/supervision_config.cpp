#include "host/config/supervision_config.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

namespace alys::host {
namespace {

constexpr const char* kRootName = "root";

std::string arrow_path(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : " -> ") + name;
  return out;
}

class TreeCheck {
 public:
  explicit TreeCheck(const std::vector<std::string>& roles)
      : roles_(roles.begin(), roles.end()), role_order_(roles) {}

  std::vector<ConfigError> run(const std::vector<SupervisorDecl>& decls) && {
    for (std::size_t i = 1; i < decls.size(); ++i) check_group_name(decls[i]);
    for (const SupervisorDecl& decl : decls) assign_children(decl);
    report_detached_groups(decls);
    report_unsupervised_roles(decls.front());
    return std::move(errors_);
  }

 private:
  void add(SourcePos pos, std::string key, std::string message) {
    errors_.push_back({{}, pos, std::move(key), std::move(message)});
  }

  void check_group_name(const SupervisorDecl& group) {
    const std::string& name = group.config.name;
    groups_.insert(name);
    if (name == kRootName) {
      add(group.config.pos, group.key, "group name \"root\" is reserved");
    } else if (roles_.contains(name)) {
      add(group.config.pos, group.key, "group name '" + name + "' is also a role name");
    }
  }

  void assign_children(const SupervisorDecl& decl) {
    const std::string key = decl.key + ".children";
    const std::string& self = decl.config.name;
    for (std::size_t i = 0; i < decl.config.children.size(); ++i) {
      const std::string& child = decl.config.children[i];
      const SourcePos pos = decl.child_positions[i];
      if (roles_.contains(child)) {
        const auto [it, inserted] = role_parent_.emplace(child, self);
        if (!inserted) {
          add(pos, key, "role '" + child + "' is supervised twice (also by '" + it->second + "')");
        }
      } else if (groups_.contains(child)) {
        if (child == self) {
          add(pos, key, "group '" + self + "' is nested under itself");
          continue;
        }
        const auto [it, inserted] = group_parent_.emplace(child, std::pair(self, pos));
        if (!inserted) {
          add(pos, key,
              "group '" + child + "' is used twice (also under '" + it->second.first + "')");
        }
      } else {
        add(pos, key, "unknown child '" + child + "' (neither a configured role nor a group)");
      }
    }
  }

  // With at most one parent per group, a group the root does not reach either has no parent or
  // sits on (or under) a cycle of parents.
  void report_detached_groups(const std::vector<SupervisorDecl>& decls) {
    std::set<std::string> reported;
    for (std::size_t i = 1; i < decls.size(); ++i) {
      const std::string& name = decls[i].config.name;
      if (!group_parent_.contains(name)) {
        add(decls[i].config.pos, decls[i].key,
            "group '" + name + "' is not a child of any supervisor");
        continue;
      }
      // chain[k + 1] is the parent of chain[k]; a cycle closes when a parent is already in it.
      std::vector<std::string> chain{name};
      std::string up = group_parent_.at(name).first;
      while (group_parent_.contains(up) &&
             std::find(chain.begin(), chain.end(), up) == chain.end()) {
        chain.push_back(up);
        up = group_parent_.at(up).first;
      }
      // Otherwise it reaches the root, hangs under a parentless group, or sits under a cycle that
      // one of that cycle's own members reports.
      if (up != name || reported.contains(name)) continue;
      reported.insert(chain.begin(), chain.end());
      std::vector<std::string> path{name};  // outermost first: name contains chain.back() ...
      path.insert(path.end(), chain.rbegin(), std::prev(chain.rend()));
      path.push_back(name);
      const auto& [parent, pos] = group_parent_.at(name);
      add(pos, "supervision.groups." + parent + ".children",
          "group '" + name + "' is nested under itself: " + arrow_path(path));
    }
  }

  void report_unsupervised_roles(const SupervisorDecl& root) {
    std::vector<std::string> missing;
    for (const std::string& role : role_order_) {
      if (!role_parent_.contains(role)) missing.push_back(role);
    }
    if (missing.empty()) return;
    std::string names;
    for (const std::string& role : missing) names += (names.empty() ? "" : ", ") + role;
    add(root.config.pos, root.key, "roles missing from the supervision tree: " + names);
  }

  std::set<std::string> roles_;
  const std::vector<std::string>& role_order_;
  std::set<std::string> groups_;
  std::map<std::string, std::string> role_parent_;
  std::map<std::string, std::pair<std::string, SourcePos>> group_parent_;
  std::vector<ConfigError> errors_;
};

}  // namespace

std::vector<ConfigError> check_supervision_tree(const std::vector<SupervisorDecl>& decls,
                                                const std::vector<std::string>& roles) {
  if (decls.empty()) return {};
  return TreeCheck(roles).run(decls);
}

}  // namespace alys::host
