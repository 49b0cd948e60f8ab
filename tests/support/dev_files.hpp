// Files of the README's dev node (config/dev.toml and its member key) for tests and benchmarks
// that start real alysd processes. Needs ALYS_SOURCE_DIR (alys_add_test sets it).
#pragma once

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace alys::testing {

inline std::string read_file(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// config/dev-member.key copied into `dir`, beside a config that names it, with mode 600: git
// keeps no file modes and the chain refuses a key file others can read.
inline void copy_dev_member_key(const std::filesystem::path& dir) {
  const std::filesystem::path key = dir / "dev-member.key";
  std::filesystem::copy_file(ALYS_SOURCE_DIR "/config/dev-member.key", key);
  ::chmod(key.c_str(), 0600);
}

}  // namespace alys::testing
