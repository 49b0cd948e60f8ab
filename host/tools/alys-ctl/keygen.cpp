#include "host/tools/alys-ctl/keygen.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "alys/domain/hash.hpp"
#include "alys/domain/secp256k1.hpp"
#include "alys/status.hpp"
#include "host/tools/common/command_line.hpp"

namespace alys::ctl {
namespace {

namespace po = tools::program_options;

constexpr int kKeygenOk = 0;
constexpr int kKeygenFailed = 1;
constexpr int kKeygenUsage = 2;

po::options_description keygen_options() {
  po::options_description described("options", tools::kHelpWidth);
  described.add_options()  //
      ("out", po::value<std::string>()->value_name("FILE"),
       "where the secret key goes (64 hex digits); must not exist yet")              //
      ("json", po::bool_switch(), R"(print {"public_key":"...","key_file":"..."})")  //
      ("help,h", po::bool_switch(), "this text");
  return described;
}

std::string keygen_usage() {
  return "usage:\n  alys-ctl keygen --out FILE [--json]\n\n"
         "A fresh secp256k1 secret key in FILE (mode 0600, never over an existing file); prints\n"
         "its BIP340 x-only public key, the form chain specs list members in.\n\n" +
         tools::describe_options(keygen_options());
}

std::string errno_text(int error) { return std::strerror(error); }

// Writes `text` to `target` so that it appears whole or not at all, and never replaces a file:
// the key goes into a private temporary file beside it, which is then hard-linked to `target`
// (link(2) fails with EEXIST rather than overwrite, unlike rename(2)).
Status write_new_private_file(const std::filesystem::path& target, const std::string& text) {
  const std::filesystem::path dir =
      target.has_parent_path() ? target.parent_path() : std::filesystem::path(".");
  std::string pattern = (dir / (".keygen-XXXXXX")).string();
  const int fd = ::mkstemp(pattern.data());
  if (fd < 0)
    return Status::Failed("cannot create a file in " + dir.string() + ": " + errno_text(errno));
  const std::filesystem::path temporary = pattern;
  auto fail = [&](const std::string& what) {
    const int error = errno;
    ::close(fd);
    ::unlink(temporary.c_str());
    return Status::Failed(what + ": " + errno_text(error));
  };
  if (::fchmod(fd, 0600) != 0) return fail("chmod 600 " + temporary.string());
  std::size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail("write " + temporary.string());
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) return fail("fsync " + temporary.string());
  if (::close(fd) != 0) {
    const int error = errno;
    ::unlink(temporary.c_str());
    return Status::Failed("close " + temporary.string() + ": " + errno_text(error));
  }
  const int linked = ::link(temporary.c_str(), target.c_str());
  const int error = errno;
  ::unlink(temporary.c_str());
  if (linked != 0) {
    if (error == EEXIST)
      return Status::Failed(target.string() + " already exists: keygen never overwrites a key");
    return Status::Failed("cannot create " + target.string() + ": " + errno_text(error));
  }
  return Status::Ok();
}

}  // namespace

int run_keygen(const std::vector<std::string>& args, bool json_output) {
  auto parsed = tools::parse_command_line(args, keygen_options(), {}, "argument");
  if (!parsed.ok()) {
    std::cerr << "alys-ctl: keygen: " << parsed.status().message()
              << "\n(alys-ctl keygen --help for usage)\n";
    return kKeygenUsage;
  }
  const po::variables_map& values = *parsed;
  if (values["help"].as<bool>()) {
    std::cout << keygen_usage();
    return kKeygenOk;
  }
  json_output = json_output || values["json"].as<bool>();
  if (!values.count("out") || values["out"].as<std::string>().empty()) {
    std::cerr << "alys-ctl: keygen: --out FILE is required\n(alys-ctl keygen --help for usage)\n";
    return kKeygenUsage;
  }
  const std::filesystem::path out = values["out"].as<std::string>();
  const SecretKey key = SecretKey::generate();
  const Status written = write_new_private_file(out, to_hex(key.bytes()) + "\n");
  if (!written.ok()) {
    std::cerr << "alys-ctl: keygen: " << written.message() << "\n";
    return kKeygenFailed;
  }
  const std::string public_key = to_hex(key.xonly_public_key());
  if (json_output) {
    boost::json::object result{{"public_key", public_key}, {"key_file", out.string()}};
    std::cout << boost::json::serialize(result) << "\n";
  } else {
    std::cout << public_key << "\n";
  }
  return kKeygenOk;
}

}  // namespace alys::ctl
