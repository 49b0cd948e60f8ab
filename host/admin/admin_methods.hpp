// The admin methods the host itself serves (docs/admin-api.md), named once: the admin server
// dispatches them, the runtime keeps plugins from registering them, and alys-ctl calls them.
#pragma once

#include <array>
#include <string_view>

namespace alys::host::admin_methods {

inline constexpr std::string_view kNodeStatus = "node_status";
inline constexpr std::string_view kPluginList = "plugin_list";
inline constexpr std::string_view kPluginReload = "plugin_reload";
inline constexpr std::string_view kActorRestart = "actor_restart";
inline constexpr std::string_view kNodeShutdown = "node_shutdown";

// Every name above: reserved, a plugin cannot register it.
inline constexpr std::array<std::string_view, 5> kReserved = {
    kNodeStatus, kPluginList, kPluginReload, kActorRestart, kNodeShutdown};

}  // namespace alys::host::admin_methods
