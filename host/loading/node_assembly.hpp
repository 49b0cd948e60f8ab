// Turns a validated NodeConfig into a runtime: reads every plugin's manifest, gates it, checks
// roles and `requires` against the manifests, loads the libraries and registers the actors.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "alys/status.hpp"
#include "host/config/config.hpp"
#include "host/loading/table_check.hpp"
#include "host/runtime/runtime.hpp"

namespace alys::host {

// What --check-config adds to config validation, without running plugin code: each manifest is
// read from its file and gated; its role must match the configured one (or be "*"); its required
// roles must be configured; the combined `requires` graph must be acyclic. Errors point at the
// plugin's `file` key.
// With `refused_is_error` false (a running node), a plugin the ABI gate refuses is not an error:
// assemble() leaves its role out and the node runs the others.
std::vector<ConfigError> check_manifests(const NodeConfig& config, bool refused_is_error = true);

// Loads the plugins into `runtime` (private copies under `scratch_dir`). A plugin refused by the
// gate is logged and left out while the others run, unless another role requires it. Returns the
// refusals (one message each); fails when the node cannot start.
Result<std::vector<std::string>> assemble(const NodeConfig& config, Runtime& runtime,
                                          const std::filesystem::path& scratch_dir);

// SIGHUP, before anything is applied: the table of every role whose table or plugin file changes
// is checked by the plugin that will serve it: the new file (loaded as a private copy under
// `scratch_dir`, no instance created) when the file changes, the running library otherwise. Any
// thread; the running actors are not touched. An error in the report means: apply nothing.
TableCheckReport check_reload(const NodeConfig& next, Runtime& runtime,
                              const std::filesystem::path& scratch_dir);

// SIGHUP: applies what can change in a running node. A role whose plugin file changed (another
// path, or the same path replaced by a new build) is hot-swapped; a role whose own table changed
// gets it as a config message (declining restarts the actor; a restart that fails with it rolls
// back to the table the actor had). A table counts as changed against the one the actor runs with.
// Anything else that changed (roles added or removed, [host], [mailbox], supervision, requires) is
// logged as needing a restart. Returns the number of changes applied.
std::size_t reconfigure(const NodeConfig& running, const NodeConfig& next, Runtime& runtime);

}  // namespace alys::host
