#include "host/config/token_file.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <system_error>

namespace alys::host {

Result<std::string> read_token_file(const std::filesystem::path& file) {
  const std::string name = file.string();
  std::error_code ec;
  const auto status = std::filesystem::status(file, ec);
  if (ec) return Status::NotFound("cannot read token file " + name + ": " + ec.message());
  // An ifstream opens a directory without complaint and then reads nothing.
  if (!std::filesystem::is_regular_file(status))
    return Status::Invalid("token file " + name + " is not a regular file");

  std::ifstream in(file);
  if (!in) return Status::NotFound("cannot read token file " + name + ": " + std::strerror(errno));
  std::string line;
  std::getline(in, line);
  if (in.bad()) return Status::NotFound("cannot read token file " + name + ": read error");

  constexpr const char* kBlank = " \t\r\n\v\f";
  const std::size_t first = line.find_first_not_of(kBlank);
  if (first == std::string::npos) {
    const bool empty = line.empty() && in.eof();
    return Status::Invalid("token file " + name +
                           (empty ? " is empty" : " has a blank first line"));
  }
  return line.substr(first, line.find_last_not_of(kBlank) - first + 1);
}

}  // namespace alys::host
