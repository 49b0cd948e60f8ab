#include "host/loading/plugin_library.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <boost/dll/shared_library.hpp>
#include <cstddef>
#include <system_error>

#include "host/loading/elf_manifest.hpp"

namespace alys::host {

// The table as ABI 1.0 defined it. A host of a later 1.x appends functions and must still accept
// 1.0 plugins: it checks their table against this size and treats appended entries as absent.
// Literal, not sizeof: sizeof grows with the first appended function, this must not.
constexpr std::uint32_t kFunctionTableSizeV1_0 = 72;
static_assert(sizeof(alys_plugin_function_table) >= kFunctionTableSizeV1_0);
// Likewise the manifest as ABI 1.0 defined it: a smaller one is malformed.
constexpr std::uint32_t kManifestSizeV1_0 = 440;
static_assert(sizeof(alys_manifest) >= kManifestSizeV1_0);

struct PluginLibrary::Mapping {
  boost::dll::shared_library library;
};

PluginLibrary::~PluginLibrary() = default;

std::optional<FileIdentity> file_identity(const std::filesystem::path& file) {
  struct stat info {};
  if (::stat(file.c_str(), &info) != 0) return std::nullopt;
  return FileIdentity{
      static_cast<std::uint64_t>(info.st_dev), static_cast<std::uint64_t>(info.st_ino),
      static_cast<std::uint64_t>(info.st_size),
      static_cast<std::int64_t>(info.st_mtim.tv_sec) * 1'000'000'000 + info.st_mtim.tv_nsec};
}

Status check_abi(const alys_manifest& manifest, const std::string& file,
                 std::uint32_t host_abi_minor) {
  auto version = [](std::uint32_t major, std::uint32_t minor) {
    return std::to_string(major) + "." + std::to_string(minor);
  };
  std::string plugin = version(manifest.abi_major, manifest.abi_minor);
  std::string host = version(ALYS_ABI_MAJOR, host_abi_minor);
  if (manifest.abi_major != ALYS_ABI_MAJOR)
    return Status(ALYS_ERR_UNSUPPORTED, file + ": plugin ABI " + plugin +
                                            " is incompatible with host ABI " + host +
                                            " (different major version); refused");
  if (manifest.abi_minor > host_abi_minor)
    return Status(ALYS_ERR_UNSUPPORTED, file + ": plugin ABI " + plugin +
                                            " is newer than host ABI " + host +
                                            " (upgrade the host); refused");
  if (manifest.struct_size < kManifestSizeV1_0)
    return Status(ALYS_ERR_UNSUPPORTED, file + ": manifest of " +
                                            std::to_string(manifest.struct_size) +
                                            " bytes is too small for ABI " + plugin + "; refused");
  return Status::Ok();
}

Result<std::shared_ptr<PluginLibrary>> PluginLibrary::load(const std::filesystem::path& file,
                                                           const std::filesystem::path& scratch_dir,
                                                           std::uint32_t host_abi_minor) {
  Result<alys_manifest> manifest = read_manifest(file);
  if (!manifest.ok()) return manifest.status();
  if (Status accepted = check_abi(*manifest, file.string(), host_abi_minor); !accepted.ok())
    return accepted;

  // Load a private copy: a file replaced or rewritten later can then never be the mapping we run
  // (copying over a mapped library kills the process with SIGBUS; dlopen of the same path would
  // return the cached old handle).
  static std::atomic<std::uint64_t> copies{0};
  std::error_code ec;
  std::filesystem::create_directories(scratch_dir, ec);
  std::filesystem::path copy =
      scratch_dir / (std::to_string(::getpid()) + "-" + std::to_string(copies.fetch_add(1)) + "-" +
                     file.filename().string());
  std::filesystem::copy_file(file, copy, std::filesystem::copy_options::overwrite_existing, ec);
  if (ec)
    return Status::Failed(file.string() + ": cannot make a private copy in " +
                          scratch_dir.string() + ": " + ec.message());

  auto library = std::shared_ptr<PluginLibrary>(new PluginLibrary());
  library->manifest_ = *manifest;
  library->file_ = file;
  library->copy_path_ = copy;
  library->identity_ = file_identity(file);
  try {
    library->mapping_ = std::make_unique<Mapping>();
    library->mapping_->library.load(
        copy, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  } catch (const std::exception& error) {
    std::filesystem::remove(copy, ec);
    return Status::Failed(file.string() + ": cannot load: " + error.what());
  }
  std::filesystem::remove(copy, ec);  // the mapping keeps the inode alive

  if (!library->mapping_->library.has(ALYS_FUNCTIONS_SYMBOL))
    return Status::Invalid(file.string() + ": exports no " ALYS_FUNCTIONS_SYMBOL);
  library->functions_ =
      &library->mapping_->library.get<const alys_plugin_function_table>(ALYS_FUNCTIONS_SYMBOL);
  if (library->functions_->struct_size < kFunctionTableSizeV1_0)
    return Status::Invalid(file.string() + ": function table of " +
                           std::to_string(library->functions_->struct_size) +
                           " bytes is too small");
  return library;
}

bool PluginLibrary::has_check_config_slot() const {
  constexpr std::size_t kEnd =
      offsetof(alys_plugin_function_table, alys_plugin_on_check_config) + sizeof(CheckConfigEntry);
  return functions_ != nullptr && functions_->struct_size >= kEnd;
}

PluginLibrary::CheckConfigEntry PluginLibrary::check_config_entry() const {
  if (!has_check_config_slot()) return nullptr;
  return functions_->alys_plugin_on_check_config;
}

std::shared_ptr<PluginLibrary> PluginLibrary::linked(const alys_manifest& manifest,
                                                     const alys_plugin_function_table& functions,
                                                     InstanceFactory factory) {
  auto library = std::shared_ptr<PluginLibrary>(new PluginLibrary());
  library->manifest_ = manifest;
  library->functions_ = &functions;
  library->factory_ = std::move(factory);
  return library;
}

}  // namespace alys::host
