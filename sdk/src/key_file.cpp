#include "alys/key_file.hpp"

#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include "alys/domain/hash.hpp"

namespace alys {

SecretKey load_key_file(const std::filesystem::path& file) {
  struct stat info {};
  if (::stat(file.c_str(), &info) != 0)
    throw std::runtime_error("key file " + file.string() + " cannot be read: it does not exist");
  if (!S_ISREG(info.st_mode))
    throw std::runtime_error("key file " + file.string() + " is not a regular file");
  if ((info.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(info.st_mode & 07777));
    throw std::runtime_error("key file " + file.string() +
                             " is accessible by group or others (mode " + mode +
                             "); restrict it with: chmod 600 " + file.string());
  }
  std::ifstream in(file);
  if (!in) throw std::runtime_error("key file " + file.string() + " cannot be opened");
  std::stringstream content;
  content << in.rdbuf();
  std::string text = content.str();
  const auto first = text.find_first_not_of(" \t\r\n");
  const auto last = text.find_last_not_of(" \t\r\n");
  text = first == std::string::npos ? "" : text.substr(first, last - first + 1);
  auto bytes = fixed_from_hex<32>(text);
  if (!bytes)
    throw std::runtime_error("key file " + file.string() +
                             " must hold a 32-byte secret key as 64 hex digits");
  auto key = SecretKey::from_bytes(*bytes);
  if (!key)
    throw std::runtime_error("key file " + file.string() +
                             " holds no valid secp256k1 secret key (zero or not below the order)");
  return *key;
}

}  // namespace alys
