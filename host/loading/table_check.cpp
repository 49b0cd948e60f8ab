#include "host/loading/table_check.hpp"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <exception>
#include <utility>

#include "host/loading/elf_manifest.hpp"

namespace alys::host {
namespace {

std::string status_text(const alys_status& status) {
  std::string text(status.message, strnlen(status.message, sizeof status.message));
  return text.empty() ? std::string(code_name(status.code)) : text;
}

// Host code the plugin calls during its check: it must not throw back into the plugin.
void collect_problem(void* host_owned_user, const char* plugin_owned_key,
                     const alys_status* plugin_owned_problem) noexcept {
  auto& problems = *static_cast<std::vector<ConfigProblem>*>(host_owned_user);
  try {
    problems.push_back({plugin_owned_key ? plugin_owned_key : "",
                        plugin_owned_problem ? plugin_owned_problem->code : ALYS_ERR_INVALID,
                        plugin_owned_problem ? status_text(*plugin_owned_problem) : "refused"});
  } catch (const std::exception&) {
    // Out of memory: the verdict still refuses the table (the plugin's return code says so).
  }
}

ConfigError at_file_key(const NodeConfig& config, const PluginConfig& plugin, std::string message) {
  return ConfigError{config.file, plugin.file_pos, "plugins." + plugin.role + ".file",
                     std::move(message)};
}

}  // namespace

TableVerdict check_role_table(const PluginLibrary& library, const RoleTable& table) {
  TableVerdict verdict;
  const PluginLibrary::CheckConfigEntry check = library.check_config_entry();
  if (check == nullptr) {
    // A table too short for the entry (a 1.0 plugin), or a 1.1 table that leaves it NULL, which
    // docs/abi.md reads as ALYS_ERR_UNSUPPORTED.
    verdict.why_unchecked =
        library.has_check_config_slot()
            ? std::string("this plugin does not check its table (no check entry)")
            : "plugin ABI " + std::to_string(library.manifest().abi_major) + "." +
                  std::to_string(library.manifest().abi_minor) +
                  " has no table check (ABI 1.1 added it)";
    return verdict;
  }
  const std::string json = table.to_json();
  alys_status status{};
  const std::int32_t code =
      check(json.data(), json.size(), &collect_problem, &verdict.problems, &status);
  if (code == ALYS_OK && verdict.problems.empty()) {
    verdict.kind = TableVerdict::Kind::accepted;
  } else if (code == ALYS_ERR_UNSUPPORTED && verdict.problems.empty()) {
    verdict.why_unchecked = status_text(status);
  } else {
    verdict.kind = TableVerdict::Kind::refused;
    if (verdict.problems.empty() || (code != ALYS_OK && code != ALYS_ERR_INVALID))
      verdict.problems.push_back({"", code == ALYS_OK ? ALYS_ERR_FAILED : code,
                                  "the plugin's table check failed: " + status_text(status)});
  }
  return verdict;
}

void add_verdict(const NodeConfig& config, const PluginConfig& plugin, const TableVerdict& verdict,
                 TableCheckReport& report) {
  switch (verdict.kind) {
    case TableVerdict::Kind::accepted:
      return;
    case TableVerdict::Kind::unchecked:
      report.warnings.push_back(
          at_file_key(config, plugin,
                      "the [" + plugin.role + "] table is not checked: " + verdict.why_unchecked));
      return;
    case TableVerdict::Kind::refused:
      break;
  }
  const auto table = config.role_tables.find(plugin.role);
  const std::size_t first = report.errors.size();
  for (const ConfigProblem& problem : verdict.problems) {
    const SourcePos pos = table != config.role_tables.end() && table->second
                              ? table->second->position(problem.key)
                              : SourcePos{};
    report.errors.push_back(
        {config.file, pos, config_key(plugin.role, problem.key), problem.message});
  }
  // Plugins report in the order they read; the operator reads the file top to bottom.
  std::stable_sort(report.errors.begin() + static_cast<std::ptrdiff_t>(first), report.errors.end(),
                   [](const ConfigError& a, const ConfigError& b) {
                     return std::pair(a.pos.line, a.pos.column) <
                            std::pair(b.pos.line, b.pos.column);
                   });
}

TableCheckReport check_role_tables(const NodeConfig& config,
                                   const std::filesystem::path& scratch_dir) {
  TableCheckReport report;
  for (const PluginConfig& plugin : config.plugins) {
    const Result<alys_manifest> manifest = read_manifest(plugin.file);
    if (!manifest.ok() || !check_abi(*manifest, plugin.file.string()).ok()) continue;
    const std::string served = manifest->role;
    if (served != ALYS_ROLE_ANY && served != plugin.role) continue;
    Result<std::shared_ptr<PluginLibrary>> library = PluginLibrary::load(plugin.file, scratch_dir);
    if (!library.ok()) {
      report.errors.push_back(at_file_key(config, plugin, library.status().message()));
      continue;
    }
    const auto table = config.role_tables.find(plugin.role);
    if (table == config.role_tables.end() || !table->second) continue;
    add_verdict(config, plugin, check_role_table(**library, *table->second), report);
  }
  return report;
}

}  // namespace alys::host
