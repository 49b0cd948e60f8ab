// Secret files named in roles' own tables, checked before any plugin code runs.
//
// The host does not know what a role's table means (config.md, "[<role>]"), so it cannot know which
// settings name secrets. A naming convention tells it: a key named `key_file`, or ending in
// `_key_file`, anywhere in a role's table (subtables and arrays of tables included), names a file
// holding a secret. `--check-config`, start-up and a SIGHUP reload refuse such a file unless it
// exists, is a regular file, is not accessible by group or others, and can be read, instead of
// saying OK and letting the plugin refuse it when it starts.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "host/config/config.hpp"

namespace alys::host {

// True for `key_file` and for names ending in `_key_file`. `key_name` is one key, not a dotted
// path.
bool names_secret_file(std::string_view key_name);

// One setting that names a secret file.
struct SecretFileSetting {
  std::string key;             // dotted, e.g. "chain.key_file"
  SourcePos pos;               // of the value
  std::filesystem::path file;  // absolute (relative paths resolve against the config's directory)
};

// OK when `file` can be a secret file: it exists (else ALYS_ERR_NOT_FOUND), is a regular file (a
// symbolic link to one counts), grants nothing to group or others (chmod 600 or 400; else
// ALYS_ERR_INVALID), and is readable by this process (else ALYS_ERR_FAILED). The message says why.
Status check_secret_file(const std::filesystem::path& file);

// An error for each setting whose file has a problem, in the order given. The errors have no
// `file`: the caller knows it.
std::vector<ConfigError> check_secret_files(const std::vector<SecretFileSetting>& settings);

}  // namespace alys::host
