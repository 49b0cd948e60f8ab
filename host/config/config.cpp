#include "host/config/config.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <limits>
#include <set>
#include <sstream>
#include <string_view>
#include <system_error>
#include <utility>

#include "host/config/dependency_order.hpp"
#include "host/config/host_port.hpp"
#include "host/config/secret_files.hpp"
#include "host/config/supervision_config.hpp"
#include "host/config/token_file.hpp"
#include "host/config/toml_reader.hpp"

namespace alys::host {
namespace fs = std::filesystem;

namespace {

using namespace toml_config;

constexpr std::string_view kLogLevels[] = {"trace", "debug",    "info", "warn",
                                           "error", "critical", "off"};
constexpr std::string_view kReservedTables[] = {"host", "mailbox", "plugins", "supervision"};
constexpr std::pair<std::string_view, OverflowPolicy> kOverflowPolicies[] = {
    {"reject", OverflowPolicy::reject}, {"drop-oldest", OverflowPolicy::drop_oldest}};
constexpr std::pair<std::string_view, RestartType> kRestartTypes[] = {
    {"permanent", RestartType::permanent},
    {"transient", RestartType::transient},
    {"temporary", RestartType::temporary}};
constexpr std::pair<std::string_view, Strategy> kStrategies[] = {
    {"one_for_one", Strategy::one_for_one},
    {"one_for_all", Strategy::one_for_all},
    {"rest_for_one", Strategy::rest_for_one}};

bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > 31 || name[0] < 'a' || name[0] > 'z') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

// An absolute, lexically normal path without a trailing separator, so equal paths compare equal.
Status check_log_level(std::string_view level) {
  if (std::find(std::begin(kLogLevels), std::end(kLogLevels), level) != std::end(kLogLevels)) {
    return Status::Ok();
  }
  return Status::Invalid(one_of(kLogLevels, level));
}

// The token guards reload, restart and shutdown: refuse a file others can read.
Status check_token_file(const fs::path& file) {
  // A secret file like a key (secret_files.hpp: present, regular, chmod 600), whose content follows
  // the one rule the clients read it by (token_file.hpp).
  if (Status private_file = check_secret_file(file); !private_file.ok()) return private_file;
  return read_token_file(file).status();
}

// The address the admin server will listen on; port 0 lets the system pick.
Status check_admin_listen(std::string_view text) {
  return parse_host_port(text, PortZero::allowed).status();
}

// Top-level section as a table, or nullptr (absent, or wrong type and reported).
const toml::table* section(const toml::table& root, std::string_view name, ErrorSink& errors) {
  return TableReader(root, "", errors).subtable(name);
}

// --- [host] ------------------------------------------------------------------------------------

struct HostState {
  HostConfig host;
  // False when plugin_dir is invalid: checking plugin files against a fallback would only add
  // noise.
  bool plugin_dir_usable = true;
};

HostState read_host(const toml::table& root, const fs::path& config_dir, ConfigReader reader,
                    ErrorSink& errors) {
  HostState state;
  HostConfig& host = state.host;
  host.data_dir = resolve(config_dir, "data");
  host.plugin_dir = normalized(config_dir);
  const toml::table* table = section(root, "host", errors);
  if (table == nullptr) return state;

  const TableReader r(*table, "host", errors);
  r.reject_unknown_keys({"workers", "data_dir", "log_level", "admin_listen", "plugin_dir",
                         "admin_token_file", "admin_max_body_bytes", "rpc_timeout_ms",
                         "swap_trial_ms"});
  if (auto v = r.integer("workers", 0, std::numeric_limits<unsigned>::max())) {
    host.workers = static_cast<unsigned>(*v);
  }
  if (auto v = r.path("data_dir", config_dir)) host.data_dir = *v;
  if (auto v = r.string("log_level")) {
    if (Status checked = check_log_level(*v); !checked.ok()) {
      r.error(*table->get("log_level"), "log_level", checked.message());
    } else {
      host.log_level = *v;
    }
  }
  if (auto v = r.string("admin_listen")) {
    if (Status checked = check_admin_listen(*v); !checked.ok()) {
      r.error(*table->get("admin_listen"), "admin_listen", checked.message());
    } else {
      host.admin_listen = *v;
    }
  }
  if (table->contains("plugin_dir")) {
    const std::optional<fs::path> v = r.path("plugin_dir", config_dir);
    state.plugin_dir_usable = v.has_value();
    if (v) host.plugin_dir = *v;
  }
  if (auto v = r.path("admin_token_file", config_dir)) {
    Status checked = reader == ConfigReader::node ? check_token_file(*v) : Status::Ok();
    if (!checked.ok()) {
      r.error(*table->get("admin_token_file"), "admin_token_file", checked.message());
    } else {
      host.admin_token_file = *v;
    }
  }
  if (auto v = r.integer("admin_max_body_bytes", 1024)) {
    host.admin_max_body_bytes = static_cast<std::size_t>(*v);
  }
  if (auto v = r.integer("rpc_timeout_ms", 1)) host.rpc_timeout_ms = static_cast<std::uint64_t>(*v);
  if (auto v = r.integer("swap_trial_ms", 0)) host.swap_trial_ms = static_cast<std::uint64_t>(*v);
  return state;
}

void apply_overrides(const HostOverrides& overrides, HostState& state, ErrorSink& errors) {
  HostConfig& host = state.host;
  const auto cwd_path = [&](const fs::path& path, const char* flag) -> std::optional<fs::path> {
    if (path.empty()) {
      errors.add_override(flag, "must not be empty");
      return std::nullopt;
    }
    return normalized(fs::absolute(path));
  };
  if (overrides.data_dir) {
    if (auto p = cwd_path(*overrides.data_dir, "--data-dir")) host.data_dir = *p;
  }
  if (overrides.plugin_dir) {
    const std::optional<fs::path> p = cwd_path(*overrides.plugin_dir, "--plugin-dir");
    state.plugin_dir_usable = p.has_value();
    if (p) host.plugin_dir = *p;
  }
  if (overrides.log_level) {
    if (Status checked = check_log_level(*overrides.log_level); !checked.ok()) {
      errors.add_override("--log-level", checked.message());
    } else {
      host.log_level = *overrides.log_level;
    }
  }
  if (overrides.admin_listen) {
    if (Status checked = check_admin_listen(*overrides.admin_listen); !checked.ok()) {
      errors.add_override("--admin-listen", checked.message());
    } else {
      host.admin_listen = *overrides.admin_listen;
    }
  }
}

// --- [mailbox] and per-plugin mailbox ----------------------------------------------------------

// Only the keys present change `into`, which is how per-plugin settings inherit [mailbox].
void read_mailbox(const TableReader& r, MailboxConfig& into) {
  r.reject_unknown_keys({"capacity", "overflow", "batch"});
  if (auto v = r.integer("capacity", 1)) into.capacity = static_cast<std::size_t>(*v);
  if (auto v = r.choice("overflow", kOverflowPolicies)) into.overflow = *v;
  if (auto v = r.integer("batch", 1)) into.batch = static_cast<std::size_t>(*v);
}

// --- [plugins.<role>] --------------------------------------------------------------------------

struct RoleEntry {
  std::string role;
  const toml::table* table;
};

// toml++ tables are ordered by key; configuration order is declaration order, so sort by position.
template <typename Table>
std::vector<std::pair<const toml::key*, const toml::node*>> in_file_order(const Table& table) {
  std::vector<std::pair<const toml::key*, const toml::node*>> entries;
  for (auto&& [k, node] : table) entries.emplace_back(&k, &node);
  std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
    return before(to_pos(a.first->source()), to_pos(b.first->source()));
  });
  return entries;
}

std::vector<RoleEntry> collect_roles(const toml::table& plugins, ErrorSink& errors) {
  std::vector<RoleEntry> roles;
  for (const auto& [k, node] : in_file_order(plugins)) {
    const std::string key = join_key("plugins", k->str());
    const std::string role(k->str());
    if (!valid_name(role)) {
      errors.add(to_pos(k->source()), key, "invalid role name: must match [a-z][a-z0-9_-]{0,30}");
    } else if (std::find(std::begin(kReservedTables), std::end(kReservedTables), role) !=
               std::end(kReservedTables)) {
      errors.add(to_pos(k->source()), key, "role name " + in_quotes(role) + " is reserved");
    }
    if (const toml::table* table = node->as_table()) {
      roles.push_back({role, table});
    } else {
      errors.add(to_pos(node->source()), key,
                 "expected table, got " + std::string(type_name(node->type())));
    }
  }
  return roles;
}

// A plugin as read, with its `requires` entries' positions for the cross-role checks.
struct PluginDraft {
  PluginConfig config;
  std::vector<NamedRef> requires_refs;
};

void check_plugin_file(const TableReader& r, const HostState& host, PluginConfig& plugin) {
  const std::optional<fs::path> file = r.path("file", host.host.plugin_dir);
  if (!file) return;
  const toml::node& node = *r.table().get("file");
  plugin.file = *file;
  std::error_code ec;
  if (!host.plugin_dir_usable || fs::is_regular_file(plugin.file, ec)) return;
  const bool exists = fs::exists(plugin.file, ec);
  r.error(node, "file",
          (exists ? "plugin file is not a regular file: " : "plugin file not found: ") +
              plugin.file.string());
}

PluginDraft read_plugin(const RoleEntry& entry, const HostState& host,
                        const MailboxConfig& default_mailbox, ErrorSink& errors) {
  PluginDraft draft;
  PluginConfig& plugin = draft.config;
  plugin.role = entry.role;
  plugin.pos = to_pos(entry.table->source());
  plugin.mailbox = default_mailbox;

  const TableReader r(*entry.table, join_key("plugins", entry.role), errors);
  r.reject_unknown_keys({"file", "backend", "requires", "restart", "dedicated_thread",
                         "health_interval_ms", "mailbox"});
  plugin.file_pos = r.key_pos("file");
  plugin.requires_pos = r.key_pos("requires");
  if (entry.table->contains("file")) {
    check_plugin_file(r, host, plugin);
  } else {
    r.error_here("file", "missing required key");
  }
  if (auto v = r.string("backend")) plugin.backend = *v;
  if (auto v = r.string_list("requires")) {
    draft.requires_refs = std::move(*v);
    for (const NamedRef& ref : draft.requires_refs) plugin.requires_roles.push_back(ref.name);
  }
  if (auto v = r.choice("restart", kRestartTypes)) plugin.restart = *v;
  if (auto v = r.boolean("dedicated_thread")) plugin.dedicated_thread = *v;
  if (auto v = r.integer("health_interval_ms", 0)) {
    plugin.health_interval_ms = static_cast<std::uint64_t>(*v);
  }
  if (const toml::table* mailbox = r.subtable("mailbox")) {
    read_mailbox(TableReader(*mailbox, r.key("mailbox"), errors), plugin.mailbox);
  }
  return draft;
}

// Unknown names, self-requires and duplicates are reported per entry and left out of the graph, so
// the cycle check sees only edges that are otherwise valid.
void check_requires(const std::vector<PluginDraft>& drafts, ErrorSink& errors) {
  std::set<std::string> known;
  for (const PluginDraft& d : drafts) known.insert(d.config.role);

  std::vector<std::string> roles;
  std::map<std::string, std::vector<std::string>> graph;
  for (const PluginDraft& d : drafts) {
    const std::string& role = d.config.role;
    const std::string key = join_key("plugins", role) + ".requires";
    roles.push_back(role);
    std::set<std::string> seen;
    for (const NamedRef& ref : d.requires_refs) {
      if (!known.contains(ref.name)) {
        errors.add(ref.pos, key, "unknown role '" + ref.name + "' in requires");
      } else if (ref.name == role) {
        errors.add(ref.pos, key, "a role cannot require itself");
      } else if (!seen.insert(ref.name).second) {
        errors.add(ref.pos, key, "role '" + ref.name + "' is listed twice");
      } else {
        graph[role].push_back(ref.name);
      }
    }
  }

  const DependencyOrder order = order_by_requires(roles, graph);
  if (order.cycle.empty()) return;
  const auto first = std::find_if(drafts.begin(), drafts.end(), [&](const PluginDraft& d) {
    return d.config.role == order.cycle.front();
  });
  errors.add(first->config.requires_pos, join_key("plugins", first->config.role) + ".requires",
             "requires cycle: " + join_names(order.cycle, " -> "));
}

// --- top-level role tables ---------------------------------------------------------------------

// The settings under `node` that name secret files by the convention of secret_files.hpp. The
// convention promises a path, so any other value under such a name is an error here.
void collect_secret_files(const toml::node& node, const std::string& key,
                          const fs::path& config_dir, std::vector<SecretFileSetting>& out,
                          ErrorSink& errors) {
  if (const toml::array* array = node.as_array()) {
    for (std::size_t i = 0; i < array->size(); ++i)
      collect_secret_files(*array->get(i), key + "[" + std::to_string(i) + "]", config_dir, out,
                           errors);
    return;
  }
  const toml::table* table = node.as_table();
  if (table == nullptr) return;
  for (auto&& [k, child] : *table) {
    const std::string child_key = join_key(key, k.str());
    if (!names_secret_file(k.str())) {
      collect_secret_files(child, child_key, config_dir, out, errors);
    } else if (const auto* text = child.as_string(); text != nullptr && !text->get().empty()) {
      out.push_back({child_key, to_pos(child.source()), resolve(config_dir, text->get())});
    } else {
      errors.add(to_pos(child.source()), child_key,
                 "expected the path of a secret file (a non-empty string), got " +
                     std::string(text ? "an empty string" : type_name(child.type())));
    }
  }
}

void read_role_tables(const toml::table& root, NodeConfig& config, ConfigReader reader,
                      ErrorSink& errors) {
  std::vector<SecretFileSetting> secret_files;
  for (const PluginConfig& plugin : config.plugins) {
    toml::table own;
    if (const toml::node* node = root.get(plugin.role)) {
      if (const toml::table* table = node->as_table()) {
        own = *table;
      } else {
        errors.add(to_pos(node->source()), plugin.role,
                   "expected table, got " + std::string(type_name(node->type())));
      }
    }
    // The plugin reads its backend like any other role setting; its own table wins if it sets one.
    if (!plugin.backend.empty() && !own.contains("backend")) own.insert("backend", plugin.backend);
    // Plugins cannot know where the node keeps its files: `host.data_dir` and `host.config_dir`
    // (absolute) let them resolve the relative paths of their own settings.
    const toml::table* written =
        root.get(plugin.role) ? root.get(plugin.role)->as_table() : nullptr;
    if (const toml::node* taken = written ? written->get("host") : nullptr) {
      errors.add(to_pos(taken->source()), plugin.role + ".host",
                 "reserved: the host sets host.data_dir and host.config_dir for every role");
    }
    toml::table host_paths;
    host_paths.insert("data_dir", config.host.data_dir.string());
    host_paths.insert("config_dir", config.file.parent_path().string());
    own.insert_or_assign("host", std::move(host_paths));
    config.role_tables[plugin.role] = toml_config::make_role_table(std::move(own), written);
    if (written != nullptr)
      collect_secret_files(*written, plugin.role, config.file.parent_path(), secret_files, errors);
  }
  if (reader == ConfigReader::node) {
    for (const ConfigError& e : check_secret_files(secret_files))
      errors.add(e.pos, e.key, e.message);
  }

  for (const auto& [k, node] : in_file_order(root)) {
    const std::string name(k->str());
    const bool reserved = std::find(std::begin(kReservedTables), std::end(kReservedTables), name) !=
                          std::end(kReservedTables);
    if (reserved || config.role_tables.contains(name)) continue;
    errors.add(to_pos(k->source()), name,
               node->is_table() ? "unknown table (not a configured role)" : "unknown key");
  }
}

// --- [supervision] -----------------------------------------------------------------------------

SupervisorDecl read_supervisor(const TableReader& r, std::string name, bool is_root) {
  SupervisorDecl decl;
  decl.key = r.name();
  decl.config.name = std::move(name);
  decl.config.pos = r.pos();
  if (is_root) {
    r.reject_unknown_keys({"strategy", "max_restarts", "period_ms", "backoff_initial_ms",
                           "backoff_max_ms", "children", "groups"});
  } else {
    r.reject_unknown_keys({"strategy", "max_restarts", "period_ms", "backoff_initial_ms",
                           "backoff_max_ms", "children"});
  }
  SupervisorConfig& c = decl.config;
  if (auto v = r.choice("strategy", kStrategies)) c.strategy = *v;
  if (auto v = r.integer("max_restarts", 0, std::numeric_limits<std::uint32_t>::max())) {
    c.max_restarts = static_cast<std::uint32_t>(*v);
  }
  if (auto v = r.integer("period_ms", 1)) c.period_ms = static_cast<std::uint64_t>(*v);
  if (auto v = r.integer("backoff_initial_ms", 0)) {
    c.backoff_initial_ms = static_cast<std::uint64_t>(*v);
  }
  if (auto v = r.integer("backoff_max_ms", 0)) c.backoff_max_ms = static_cast<std::uint64_t>(*v);
  if (c.backoff_max_ms < c.backoff_initial_ms) {
    const std::string message = "must be >= backoff_initial_ms (" +
                                std::to_string(c.backoff_initial_ms) + "), got " +
                                std::to_string(c.backoff_max_ms);
    if (const toml::node* node = r.table().get("backoff_max_ms")) {
      r.error(*node, "backoff_max_ms", message);
    } else {
      r.error_here("backoff_max_ms", message);
    }
  }
  if (auto v = r.string_list("children")) {
    for (NamedRef& child : *v) {
      c.children.push_back(std::move(child.name));
      decl.child_positions.push_back(child.pos);
    }
  }
  return decl;
}

std::vector<SupervisorDecl> read_groups(const TableReader& supervision, ErrorSink& errors) {
  std::vector<SupervisorDecl> decls;
  const toml::table* groups = supervision.subtable("groups");
  if (groups == nullptr) return decls;
  for (const auto& [k, node] : in_file_order(*groups)) {
    const std::string name(k->str());
    const std::string key = join_key("supervision.groups", name);
    if (!valid_name(name)) {
      errors.add(to_pos(k->source()), key, "invalid group name: must match [a-z][a-z0-9_-]{0,30}");
    }
    if (const toml::table* group = node->as_table()) {
      decls.push_back(read_supervisor(TableReader(*group, key, errors), name, false));
    } else {
      errors.add(to_pos(node->source()), key,
                 "expected table, got " + std::string(type_name(node->type())));
    }
  }
  return decls;
}

std::vector<SupervisorConfig> read_supervision(const toml::table& root,
                                               const std::vector<PluginConfig>& plugins,
                                               ErrorSink& errors) {
  std::vector<std::string> roles;
  for (const PluginConfig& plugin : plugins) roles.push_back(plugin.role);

  const toml::table* table = section(root, "supervision", errors);
  if (table == nullptr) {
    SupervisorConfig only;
    only.name = "root";
    only.children = roles;
    return {only};
  }

  const TableReader r(*table, "supervision", errors);
  std::vector<SupervisorDecl> decls{read_supervisor(r, "root", true)};
  for (SupervisorDecl& group : read_groups(r, errors)) decls.push_back(std::move(group));
  for (const ConfigError& e : check_supervision_tree(decls, roles)) {
    errors.add(e.pos, e.key, e.message);
  }

  std::vector<SupervisorConfig> out;
  for (SupervisorDecl& decl : decls) out.push_back(std::move(decl.config));
  return out;
}

// --- whole file --------------------------------------------------------------------------------

NodeConfig build_config(const toml::table& root, const fs::path& file,
                        const HostOverrides& overrides, ConfigReader reader, ErrorSink& errors) {
  NodeConfig config;
  config.file = file;
  HostState host = read_host(root, file.parent_path(), reader, errors);
  apply_overrides(overrides, host, errors);
  config.host = host.host;

  if (const toml::table* mailbox = section(root, "mailbox", errors)) {
    read_mailbox(TableReader(*mailbox, "mailbox", errors), config.default_mailbox);
  }

  std::vector<RoleEntry> entries;
  const toml::table* plugins = section(root, "plugins", errors);
  if (plugins != nullptr) entries = collect_roles(*plugins, errors);
  // A `plugins` of the wrong type is already reported; saying "none" as well would be noise.
  if (entries.empty() && (plugins != nullptr || !root.contains("plugins"))) {
    errors.add(plugins ? to_pos(plugins->source()) : SourcePos{}, "plugins",
               "no plugins configured");
  }
  std::vector<PluginDraft> drafts;
  for (const RoleEntry& entry : entries) {
    drafts.push_back(read_plugin(entry, host, config.default_mailbox, errors));
  }
  check_requires(drafts, errors);
  for (PluginDraft& draft : drafts) config.plugins.push_back(std::move(draft.config));
  read_role_tables(root, config, reader, errors);
  config.supervisors = read_supervision(root, config.plugins, errors);
  return config;
}

ConfigLoadResult finish(std::optional<NodeConfig> config, ErrorSink& errors) {
  ConfigLoadResult result;
  if (errors.empty()) result.config = std::move(config);
  result.errors = errors.take_in_file_order();
  return result;
}

}  // namespace

std::string ConfigError::to_string() const {
  std::string out = file.string();
  if (pos.line > 0) {
    out += (out.empty() ? "" : ":") + std::to_string(pos.line);
    if (pos.column > 0) out += ":" + std::to_string(pos.column);
  }
  if (!key.empty()) out += (out.empty() ? "" : ": ") + key;
  return out + (out.empty() ? "" : ": ") + message;
}

const PluginConfig* NodeConfig::find_plugin(const std::string& role) const {
  const auto it = std::find_if(plugins.begin(), plugins.end(),
                               [&](const PluginConfig& p) { return p.role == role; });
  return it == plugins.end() ? nullptr : &*it;
}

ConfigLoadResult load_config_text(const std::string& text, const fs::path& virtual_file,
                                  const HostOverrides& overrides, ConfigReader reader) {
  const fs::path file = normalized(fs::absolute(virtual_file));
  ErrorSink errors(file);
  toml::table root;
  try {
    root = toml::parse(std::string_view(text), std::string_view(file.native()));
  } catch (const toml::parse_error& e) {
    errors.add(to_pos(e.source()), "", std::string(e.description()));
    // Overrides do not depend on the file, so their errors are still worth reporting now.
    HostState ignored;
    apply_overrides(overrides, ignored, errors);
    return finish(std::nullopt, errors);
  }
  return finish(build_config(root, file, overrides, reader, errors), errors);
}

ConfigLoadResult load_config(const fs::path& file, const HostOverrides& overrides,
                             ConfigReader reader) {
  const auto unreadable = [&](const std::string& why) {
    ConfigLoadResult result;
    result.errors.push_back(
        {normalized(fs::absolute(file)), {}, "", "cannot read config file: " + why});
    return result;
  };
  std::error_code ec;
  if (fs::is_directory(file, ec)) return unreadable("is a directory");
  std::ifstream in(file, std::ios::binary);
  if (!in) return unreadable(std::error_code(errno, std::generic_category()).message());
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return unreadable("read failed");
  return load_config_text(text, file, overrides, reader);
}

}  // namespace alys::host
