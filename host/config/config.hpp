// The node's configuration: one TOML file describing a deployment. Parsing and validation live in
// the alys_host_config library (config.cpp, role_table.cpp and toml_reader.hpp are the only files
// that include toml++); everything else sees these plain structs.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "alys/status.hpp"

namespace alys::host {

enum class OverflowPolicy { reject, drop_oldest };
enum class RestartType { permanent, transient, temporary };
enum class Strategy { one_for_one, one_for_all, rest_for_one };

// Where a value came from, for error messages that name file, line and key.
struct SourcePos {
  int line = 0;
  int column = 0;
};

struct ConfigError {
  std::filesystem::path file;
  SourcePos pos;
  std::string key;  // dotted path, e.g. "plugins.counter.restart"; empty for file-level errors
  std::string message;

  // "FILE:LINE:COLUMN: KEY: MESSAGE" (parts that are unknown are left out).
  std::string to_string() const;
};

struct MailboxConfig {
  std::size_t capacity = 10000;                      // messages held at once, all priorities
  OverflowPolicy overflow = OverflowPolicy::reject;  // what a send to a full mailbox does
  std::size_t batch = 64;                            // messages one worker turn handles at most
};

// An opaque, immutable view of one role's own table (`[<role>]` in the file), passed to the plugin.
class RoleTable {
 public:
  virtual ~RoleTable() = default;
  enum class Lookup { found, not_found, wrong_type };
  // `key` is a dotted path inside the role's table.
  virtual Lookup get_int(const std::string& key, std::int64_t& out) const = 0;
  virtual Lookup get_double(const std::string& key, double& out) const = 0;  // ints convert
  virtual Lookup get_bool(const std::string& key, bool& out) const = 0;
  virtual Lookup get_string(const std::string& key, std::string& out) const = 0;
  virtual std::string to_json() const = 0;
  // Where `key` (a dotted path inside the table, array elements as [i]: "auxpow.chain_id",
  // "members[2]"; "" for the table itself) is written in the config file: the key itself, or when
  // it is not written there (a missing key, a value the host added), the nearest enclosing key or
  // table that is. {} (line 0) when nothing of the path is in the file.
  virtual SourcePos position(const std::string& /*key*/) const { return {}; }
};

// `[plugins.<role>]`
struct PluginConfig {
  std::string role;
  SourcePos pos;               // of the [plugins.<role>] table
  std::filesystem::path file;  // absolute after loading (resolved against plugin_dir)
  SourcePos file_pos;          // of the `file` key
  std::string backend;         // optional; passed to the plugin as role config "backend"
  std::vector<std::string> requires_roles;  // in addition to the manifest's
  SourcePos requires_pos;
  RestartType restart = RestartType::permanent;
  MailboxConfig mailbox;                 // defaults from [mailbox]
  bool dedicated_thread = false;         // in addition to the manifest's capability
  std::uint64_t health_interval_ms = 0;  // 0: no periodic health probe
};

// `[supervision]` is the root supervisor; `[supervision.groups.<name>]` are nested ones.
struct SupervisorConfig {
  std::string name;  // "root" for [supervision]
  SourcePos pos;
  Strategy strategy = Strategy::one_for_one;
  std::uint32_t max_restarts = 5;  // intensity: restarts allowed within `period_ms`
  std::uint64_t period_ms = 10000;
  std::uint64_t backoff_initial_ms = 10;  // delay before the first restart in a period
  std::uint64_t backoff_max_ms = 2000;    // cap of the doubling delay
  std::vector<std::string> children;      // role names and group names, in start order
};

struct HostConfig {
  unsigned workers = 0;            // 0: std::thread::hardware_concurrency()
  std::filesystem::path data_dir;  // absolute after loading
  std::string log_level = "info";  // trace|debug|info|warn|error|critical|off
  std::string admin_listen = "127.0.0.1:8645";
  std::filesystem::path plugin_dir;  // absolute after loading
  // Bearer token of the admin API's mutating methods (first line of the file). Empty: they are
  // all refused. The file must not be readable by group or others.
  std::filesystem::path admin_token_file;
  std::size_t admin_max_body_bytes = 1 << 20;  // larger admin requests get HTTP 413
  std::uint64_t rpc_timeout_ms = 5000;         // deadline of plugin-registered admin methods
  std::uint64_t swap_trial_ms = 1000;  // a swapped-in plugin failing this soon is rolled back
};

struct NodeConfig {
  std::filesystem::path file;  // absolute path of the config file
  HostConfig host;
  MailboxConfig default_mailbox;
  std::vector<PluginConfig> plugins;  // in file order
  // Root first. When [supervision] is absent: a one_for_one root over every role in file order.
  std::vector<SupervisorConfig> supervisors;
  std::map<std::string, std::shared_ptr<const RoleTable>> role_tables;  // every role has one

  const PluginConfig* find_plugin(const std::string& role) const;
};

// Command-line overrides of [host] keys. Paths given here resolve against the working directory.
struct HostOverrides {
  std::optional<std::filesystem::path> data_dir;
  std::optional<std::filesystem::path> plugin_dir;
  std::optional<std::string> admin_listen;
  std::optional<std::string> log_level;
};

struct ConfigLoadResult {
  std::optional<NodeConfig> config;  // set iff errors is empty
  std::vector<ConfigError> errors;   // every error found, in file order
};

// Who reads the config. The node checks everything, including the files only it must be able to
// read: the admin token file (mode, content) and the secret files role tables name. A client
// (alys-ctl reading the admin address) runs as another user and reads only what it needs, so
// those two checks are left to the node.
enum class ConfigReader { node, client };

// Parses and validates a config file. Checks syntax, unknown keys, types, value ranges, that plugin
// files exist, that `requires` and supervision children name configured roles/groups, that every
// role is supervised exactly once, that the `requires` graph has no cycle, and that the secret
// files role tables name are private (secret_files.hpp). Runs no plugin code and reads no manifests
// (check_manifests in node_assembly.hpp does that).
ConfigLoadResult load_config(const std::filesystem::path& file, const HostOverrides& overrides = {},
                             ConfigReader reader = ConfigReader::node);

// A role table from TOML text (what follows `[<role>]` in a node's config). Used by the SDK's test
// harness. A syntax error fails with ALYS_ERR_INVALID, its description and line.
Result<std::shared_ptr<const RoleTable>> parse_role_table(const std::string& toml_text);

// Same, from text (tests); `virtual_file` names the file in errors and anchors relative paths.
ConfigLoadResult load_config_text(const std::string& text,
                                  const std::filesystem::path& virtual_file,
                                  const HostOverrides& overrides = {},
                                  ConfigReader reader = ConfigReader::node);

}  // namespace alys::host
