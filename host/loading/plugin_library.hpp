// A plugin's code: a shared library loaded from a private copy, or a plugin linked into the process
// (tests, the SDK harness). Owns the library mapping; keep it alive while any instance of it lives.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "alys/abi.h"
#include "alys/status.hpp"

namespace alys::host {

// Overrides alys_plugin_on_create for linked-in plugins that need test-side state.
using InstanceFactory =
    std::function<alys_instance*(const alys_host_api*, alys_host_context*, alys_status*)>;

// Which file a path named when it was read: a rebuilt file renamed into place is a new identity.
struct FileIdentity {
  std::uint64_t device = 0;
  std::uint64_t inode = 0;
  std::uint64_t size = 0;
  std::int64_t modified_ns = 0;
  bool operator==(const FileIdentity&) const = default;
};
std::optional<FileIdentity> file_identity(const std::filesystem::path& file);

// The ABI gate: same major, minor not newer than the host's. OK when accepted; a refusal
// (ALYS_ERR_UNSUPPORTED) names the file and both versions.
Status check_abi(const alys_manifest& manifest, const std::string& file,
                 std::uint32_t host_abi_minor = ALYS_ABI_MINOR);

class PluginLibrary {
 public:
  ~PluginLibrary();
  PluginLibrary(const PluginLibrary&) = delete;
  PluginLibrary& operator=(const PluginLibrary&) = delete;

  // Reads the manifest from the file, gates it, copies the file to `scratch_dir`, loads the copy
  // and removes the copy's name (the mapping stays). Runs no plugin code before the gate passes.
  // A failure (unreadable file, refused by the gate, not loadable) names the file.
  static Result<std::shared_ptr<PluginLibrary>> load(const std::filesystem::path& file,
                                                     const std::filesystem::path& scratch_dir,
                                                     std::uint32_t host_abi_minor = ALYS_ABI_MINOR);

  // A plugin compiled into this process.
  static std::shared_ptr<PluginLibrary> linked(const alys_manifest& manifest,
                                               const alys_plugin_function_table& functions,
                                               InstanceFactory factory = {});

  const alys_manifest& manifest() const { return manifest_; }
  const alys_plugin_function_table& functions() const { return *functions_; }
  // The plugin's table check (ABI 1.1), or nullptr when its function table ends before that entry
  // (a 1.0 plugin) or leaves it NULL. Entries past the plugin's struct_size are never read.
  using CheckConfigEntry = decltype(alys_plugin_function_table::alys_plugin_on_check_config);
  CheckConfigEntry check_config_entry() const;
  // Whether the plugin's function table is long enough to hold the table check (ABI >= 1.1).
  bool has_check_config_slot() const;
  const std::filesystem::path& file() const { return file_; }  // empty for linked plugins
  // The private copy that is mapped (its name is removed once loaded; /proc/self/maps shows it
  // as deleted). Empty for linked plugins.
  const std::filesystem::path& copy_path() const { return copy_path_; }
  // The file as it was when loaded (nullopt for linked plugins).
  const std::optional<FileIdentity>& loaded_identity() const { return identity_; }
  const InstanceFactory& factory() const { return factory_; }

 private:
  PluginLibrary() = default;

  struct Mapping;  // hides Boost.DLL from everything that includes this header
  std::unique_ptr<Mapping> mapping_;
  alys_manifest manifest_{};
  const alys_plugin_function_table* functions_ = nullptr;
  std::filesystem::path file_;
  std::filesystem::path copy_path_;
  std::optional<FileIdentity> identity_;
  InstanceFactory factory_;
};

}  // namespace alys::host
