// Asking a plugin whether it accepts a role table (alys_plugin_on_check_config, ABI 1.1) before the
// host applies it, and turning the answer into config errors that point into the file: what
// `alysd --check-config` and SIGHUP add to the config's own validation.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "alys/config_check.hpp"
#include "host/config/config.hpp"
#include "host/loading/plugin_library.hpp"

namespace alys::host {

struct TableVerdict {
  enum class Kind { accepted, refused, unchecked };
  Kind kind = Kind::unchecked;
  std::vector<ConfigProblem> problems;  // refused: what is wrong, at least one
  std::string why_unchecked;            // unchecked: why the plugin could not say
};

// Asks `library` about `table`. No instance is created and the host API is not involved, so any
// thread may call it, while the role runs. A 1.0 plugin (its table ends before the entry) or one
// that answers ALYS_ERR_UNSUPPORTED leaves the table unchecked; a check that fails in itself (any
// other code, or a refusal that names no problem) refuses the table with that failure as a
// problem of the whole table: a table nobody could vouch for is not applied.
TableVerdict check_role_table(const PluginLibrary& library, const RoleTable& table);

// What checking tables found. Errors refuse the config; warnings (tables nobody checked) do not.
struct TableCheckReport {
  std::vector<ConfigError> errors;
  std::vector<ConfigError> warnings;
};

// Adds `verdict` on the table of `plugin`'s role to `report`: each problem becomes the error
// "<role>.<key>: <message>" at the key's place in config.file (RoleTable::position); an unchecked
// table becomes a warning at `plugins.<role>.file`.
void add_verdict(const NodeConfig& config, const PluginConfig& plugin, const TableVerdict& verdict,
                 TableCheckReport& report);

// alysd --check-config: loads each plugin as the runtime does (a private copy under `scratch_dir`;
// its static constructors run, no actor is created) and checks its role's table. A plugin whose
// manifest check_manifests refuses is skipped (that error is reported there); one that cannot be
// loaded is an error at `plugins.<role>.file`.
TableCheckReport check_role_tables(const NodeConfig& config,
                                   const std::filesystem::path& scratch_dir);

}  // namespace alys::host
