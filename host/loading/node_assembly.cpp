#include "host/loading/node_assembly.hpp"

#include <spdlog/spdlog.h>

#include <map>
#include <set>

#include "host/config/dependency_order.hpp"
#include "host/loading/elf_manifest.hpp"
#include "host/loading/plugin_library.hpp"

namespace alys::host {
namespace {

ConfigError error_at(const NodeConfig& config, const PluginConfig& plugin, std::string message) {
  return ConfigError{config.file, plugin.file_pos, "plugins." + plugin.role + ".file",
                     std::move(message)};
}

std::vector<std::string> manifest_requires(const alys_manifest& manifest) {
  std::vector<std::string> roles;
  for (std::uint32_t i = 0; i < manifest.requires_count && i < ALYS_REQUIRES_MAX; ++i)
    roles.emplace_back(manifest.requires_roles[i]);
  return roles;
}

std::vector<std::string> combined_requires(const PluginConfig& plugin,
                                           const alys_manifest& manifest) {
  std::vector<std::string> roles = plugin.requires_roles;
  for (auto& role : manifest_requires(manifest))
    if (std::find(roles.begin(), roles.end(), role) == roles.end()) roles.push_back(role);
  return roles;
}

// OK when the plugin serves the role it is configured for (or any role).
Status check_role(const PluginConfig& plugin, const alys_manifest& manifest) {
  std::string served = manifest.role;
  if (served == ALYS_ROLE_ANY || served == plugin.role) return Status::Ok();
  return Status::Invalid(plugin.file.string() + " serves role '" + served +
                         "', configured as role '" + plugin.role + "'");
}

// A new path, or the same path replaced by a new build since the running copy was loaded.
bool file_replaced(const PluginConfig& plugin, const PluginLibrary& running) {
  return plugin.file != running.file() || file_identity(plugin.file) != running.loaded_identity();
}

std::string json_of(const std::shared_ptr<const RoleTable>& table) {
  return table ? table->to_json() : "{}";
}

std::shared_ptr<const RoleTable> table_of(const NodeConfig& config, const std::string& role) {
  const auto found = config.role_tables.find(role);
  return found == config.role_tables.end() ? nullptr : found->second;
}

}  // namespace

std::vector<ConfigError> check_manifests(const NodeConfig& config, bool refused_is_error) {
  std::vector<ConfigError> errors;
  std::vector<std::string> roles;
  std::map<std::string, std::vector<std::string>> requires_of;
  std::set<std::string> configured;
  for (const auto& plugin : config.plugins) configured.insert(plugin.role);

  for (const auto& plugin : config.plugins) {
    roles.push_back(plugin.role);
    Result<alys_manifest> read = read_manifest(plugin.file);
    if (!read.ok()) {
      errors.push_back(error_at(config, plugin, read.status().message()));
      continue;
    }
    const alys_manifest& manifest = *read;
    if (Status accepted = check_abi(manifest, plugin.file.string()); !accepted.ok()) {
      if (refused_is_error) errors.push_back(error_at(config, plugin, accepted.message()));
      continue;
    }
    if (Status role = check_role(plugin, manifest); !role.ok())
      errors.push_back(error_at(config, plugin, role.message()));
    for (const auto& required : manifest_requires(manifest))
      if (!configured.count(required))
        errors.push_back(error_at(
            config, plugin, "plugin requires role '" + required + "', which is not configured"));
    for (const auto& required : combined_requires(plugin, manifest))
      if (configured.count(required)) requires_of[plugin.role].push_back(required);
  }
  DependencyOrder order = order_by_requires(roles, requires_of);
  if (!order.cycle.empty()) {
    std::string path;
    for (const auto& role : order.cycle) path += (path.empty() ? "" : " -> ") + role;
    const PluginConfig* first = config.find_plugin(order.cycle.front());
    errors.push_back(error_at(config, *first, "requires cycle (config and manifests): " + path));
  }
  return errors;
}

Result<std::vector<std::string>> assemble(const NodeConfig& config, Runtime& runtime,
                                          const std::filesystem::path& scratch_dir) {
  std::vector<std::string> refused_plugins;
  struct Loaded {
    const PluginConfig* plugin;
    std::shared_ptr<PluginLibrary> library;
  };
  std::vector<Loaded> loaded;
  std::set<std::string> refused_roles;
  for (const auto& plugin : config.plugins) {
    Result<std::shared_ptr<PluginLibrary>> outcome = PluginLibrary::load(plugin.file, scratch_dir);
    if (!outcome.ok()) {
      std::string refused = outcome.status().message();
      runtime.logger().error("[host] plugin for role '{}' refused: {}", plugin.role, refused);
      refused_plugins.push_back(refused);
      refused_roles.insert(plugin.role);
      continue;
    }
    std::shared_ptr<PluginLibrary> library = std::move(outcome).value();
    if (Status role = check_role(plugin, library->manifest()); !role.ok()) return role;
    loaded.push_back({&plugin, std::move(library)});
  }
  for (const auto& [plugin, library] : loaded) {
    ActorSpec spec;
    spec.role = plugin->role;
    spec.library = library;
    spec.mailbox = plugin->mailbox;
    spec.restart = plugin->restart;
    spec.requires_roles = combined_requires(*plugin, library->manifest());
    for (const auto& required : spec.requires_roles) {
      if (refused_roles.count(required))
        return Status::Invalid("role '" + plugin->role + "' requires '" + required +
                               "', whose plugin was refused");
    }
    auto table = config.role_tables.find(plugin->role);
    if (table != config.role_tables.end()) spec.role_table = table->second;
    spec.dedicated_thread = plugin->dedicated_thread;
    spec.health_interval_ms = plugin->health_interval_ms;
    runtime.add_actor(std::move(spec));
  }
  if (loaded.empty()) return Status::Failed("no plugin could be loaded");
  runtime.set_supervisors(config.supervisors);
  return refused_plugins;
}

TableCheckReport check_reload(const NodeConfig& next, Runtime& runtime,
                              const std::filesystem::path& scratch_dir) {
  TableCheckReport report;
  for (const PluginConfig& plugin : next.plugins) {
    ActorCell* cell = runtime.cell(plugin.role);
    const std::shared_ptr<const RoleTable> table = table_of(next, plugin.role);
    if (cell == nullptr || !table) continue;  // a new role is not applied (reconfigure says so)
    std::shared_ptr<PluginLibrary> serving = cell->library();
    const bool replaced = file_replaced(plugin, *serving);
    if (!replaced && json_of(cell->role_table()) == table->to_json()) continue;
    if (replaced) {
      Result<std::shared_ptr<PluginLibrary>> incoming =
          PluginLibrary::load(plugin.file, scratch_dir, runtime.abi_minor());
      if (!incoming.ok()) {
        report.errors.push_back({next.file, plugin.file_pos, "plugins." + plugin.role + ".file",
                                 incoming.status().message()});
        continue;
      }
      serving = std::move(incoming).value();
    }
    add_verdict(next, plugin, check_role_table(*serving, *table), report);
  }
  return report;
}

std::size_t reconfigure(const NodeConfig& running, const NodeConfig& next, Runtime& runtime) {
  auto& log = runtime.logger();
  std::size_t applied = 0;
  for (const auto& plugin : next.plugins) {
    const PluginConfig* before = running.find_plugin(plugin.role);
    ActorCell* cell = runtime.cell(plugin.role);
    if (before == nullptr || cell == nullptr) {
      log.warn("[reload] role '{}' is new: adding roles needs a restart of the node", plugin.role);
      continue;
    }
    bool replaced = file_replaced(plugin, *cell->library());
    // Against the table the actor runs with: after a rolled-back table it is not running's.
    std::shared_ptr<const RoleTable> new_table = table_of(next, plugin.role);
    const bool table_changed = new_table && json_of(cell->role_table()) != new_table->to_json();
    if (replaced) {
      log.info("[reload] role '{}': plugin file changed, swapping to {}", plugin.role,
               plugin.file.string());
      // A table that changed too goes to the new version once the swap settled: offered before,
      // it would reach the old instance (or the new one in its trial) and cost a restart.
      runtime.swap(
          plugin.role, plugin.file,
          [&runtime, new_table = table_changed ? new_table : nullptr](const SwapOutcome& outcome) {
            auto& swap_log = runtime.logger();
            if (outcome.ok)
              swap_log.info("[reload] role '{}' now runs {} ({})", outcome.role, outcome.to_version,
                            outcome.mode);
            if (!new_table) return;
            if (!outcome.ok) {
              swap_log.error(
                  "[reload] role '{}': its new config table was not applied either "
                  "(the plugin swap failed)",
                  outcome.role);
              return;
            }
            swap_log.info("[reload] role '{}': config table changed, delivering it", outcome.role);
            if (Status delivered = runtime.update_role_table(outcome.role, new_table);
                !delivered.ok())
              swap_log.warn("[reload] role '{}': {}", outcome.role, delivered.message());
          });
      ++applied;
      if (table_changed) ++applied;
    } else if (table_changed) {
      log.info("[reload] role '{}': config table changed, delivering it", plugin.role);
      if (Status delivered = runtime.update_role_table(plugin.role, new_table); !delivered.ok())
        log.warn("[reload] role '{}': {}", plugin.role, delivered.message());
      ++applied;
    }
    if (plugin.requires_roles != before->requires_roles || plugin.restart != before->restart ||
        plugin.mailbox.capacity != before->mailbox.capacity ||
        plugin.mailbox.overflow != before->mailbox.overflow ||
        plugin.mailbox.batch != before->mailbox.batch ||
        plugin.dedicated_thread != before->dedicated_thread ||
        plugin.health_interval_ms != before->health_interval_ms)
      log.warn(
          "[reload] role '{}': requires/restart/mailbox/thread settings changed; they take "
          "effect after a restart of the node",
          plugin.role);
  }
  for (const auto& plugin : running.plugins)
    if (next.find_plugin(plugin.role) == nullptr)
      log.warn("[reload] role '{}' was removed from the config: removing roles needs a restart",
               plugin.role);
  if (running.host.workers != next.host.workers || running.host.data_dir != next.host.data_dir ||
      running.host.admin_listen != next.host.admin_listen ||
      running.host.log_level != next.host.log_level ||
      running.host.admin_token_file != next.host.admin_token_file ||
      running.supervisors.size() != next.supervisors.size())
    log.warn("[reload] [host] or [supervision] changed; those take effect after a restart");
  return applied;
}

}  // namespace alys::host
