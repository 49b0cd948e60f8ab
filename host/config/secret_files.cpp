#include "host/config/secret_files.hpp"

#include <cstdio>
#include <fstream>
#include <system_error>

namespace alys::host {
namespace fs = std::filesystem;

bool names_secret_file(std::string_view key_name) {
  constexpr std::string_view kName = "key_file";
  constexpr std::string_view kSuffix = "_key_file";
  return key_name == kName || (key_name.size() > kSuffix.size() && key_name.ends_with(kSuffix));
}

Status check_secret_file(const fs::path& file) {
  std::error_code ec;
  const fs::file_status status = fs::status(file, ec);
  if (ec || !fs::exists(status)) return Status::NotFound("secret file not found: " + file.string());
  if (!fs::is_regular_file(status))
    return Status::Invalid("secret file is not a regular file: " + file.string());
  const fs::perms loose = fs::perms::group_all | fs::perms::others_all;
  if ((status.permissions() & loose) != fs::perms::none) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o",
                  static_cast<unsigned>(status.permissions() & fs::perms::mask));
    return Status::Invalid("secret file " + file.string() +
                           " is accessible by group or others (mode " + mode +
                           "); restrict it with: chmod 600 " + file.string());
  }
  if (!std::ifstream(file))
    return Status::Failed("cannot read secret file " + file.string() + " (run alysd as its owner)");
  return Status::Ok();
}

std::vector<ConfigError> check_secret_files(const std::vector<SecretFileSetting>& settings) {
  std::vector<ConfigError> errors;
  for (const SecretFileSetting& setting : settings) {
    if (Status checked = check_secret_file(setting.file); !checked.ok())
      errors.push_back(ConfigError{{}, setting.pos, setting.key, checked.message()});
  }
  return errors;
}

}  // namespace alys::host
