// alys-ctl's commands that talk to a node. Each prints its answer (human, or one JSON line with
// --json) or what went wrong, and returns the exit code alys-ctl ends with.
#pragma once

#include <string>
#include <vector>

#include "host/tools/alys-ctl/ctl_session.hpp"

namespace alys::ctl {

// read_commands.cpp: what the node is doing; no token needed.
int run_status(Session& session);
int run_plugins(Session& session);
int run_health(Session& session);
int run_metrics(Session& session);

// peers_command.cpp: the network role's peers (network_peers); no token needed.
int run_peers(Session& session);

// change_commands.cpp: what changes the node (the token needed), and plugin methods.
int run_reload(Session& session, const std::string& role, const std::string& file);
int run_restart(Session& session, const std::string& role);
int run_shutdown(Session& session);
// `args`: METHOD and optionally its params as JSON (an object or an array).
int run_call(Session& session, const std::vector<std::string>& args);

}  // namespace alys::ctl
