// alys-ctl keygen, the real binary: the key file it writes (mode 0600, 64 hex digits, a valid
// secp256k1 key whose BIP340 public key is what it printed), and that it never overwrites a key.
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "alys/domain/hash.hpp"
#include "alys/domain/secp256k1.hpp"
#include "alys/domain/sha256.hpp"
#include "child_process.hpp"
#include "dev_files.hpp"

using alys::testing::read_file;
using alys::testing::TempDir;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

const std::string kCtl = ALYS_BINARY_DIR "/bin/alys-ctl";

using Run = alys::testing::Finished;

Run ctl(const TempDir& dir, std::vector<std::string> args) {
  static int runs = 0;
  args.insert(args.begin(), kCtl);
  return alys::testing::run_to_exit(args, dir.path() / ("ctl-" + std::to_string(++runs) + ".log"),
                                    20s);
}

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

}  // namespace

TEST_CASE("keygen writes a private key file and prints its public key", "[integration][ctl]") {
  TempDir dir("alys-keygen");
  const fs::path key_file = dir.path() / "member.key";
  const Run run = ctl(dir, {"keygen", "--out", key_file.string()});
  INFO(run.output);
  REQUIRE(run.code == 0);

  struct stat info {};
  REQUIRE(::stat(key_file.c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);
  const std::string text = read_file(key_file);
  REQUIRE(text.size() == 65);
  CHECK(text.back() == '\n');
  auto bytes = alys::fixed_from_hex<32>(text.substr(0, 64));
  REQUIRE(bytes);
  auto key = alys::SecretKey::from_bytes(*bytes);
  REQUIRE(key);
  const std::string printed = trimmed(run.output);
  CHECK(printed == alys::to_hex(key->xonly_public_key()));
  // The key signs approvals: a BIP340 signature by it verifies under the printed public key.
  const alys::Hash32 message = alys::sha256(alys::Bytes{1, 2, 3});
  auto public_key = alys::fixed_from_hex<32>(printed);
  REQUIRE(public_key);
  CHECK(alys::schnorr_verify(*public_key, message, key->schnorr_sign(message)));
  // No temporary file is left beside it.
  std::vector<fs::path> keygen_files;
  for (const auto& entry : fs::directory_iterator(dir.path()))
    if (entry.path().filename().string().starts_with(".keygen")) keygen_files.push_back(entry);
  CHECK(keygen_files.empty());
}

TEST_CASE("keygen gives a fresh key each time, and --json", "[integration][ctl]") {
  TempDir dir("alys-keygen");
  const Run first = ctl(dir, {"keygen", "--out", (dir.path() / "a.key").string()});
  const Run second = ctl(dir, {"--json", "keygen", "--out", (dir.path() / "b.key").string()});
  REQUIRE(first.code == 0);
  REQUIRE(second.code == 0);
  CHECK(read_file(dir.path() / "a.key") != read_file(dir.path() / "b.key"));
  INFO(second.output);
  CHECK(second.output.find("\"public_key\":\"") != std::string::npos);
  CHECK(second.output.find(trimmed(first.output)) == std::string::npos);
}

TEST_CASE("keygen never overwrites an existing file", "[integration][ctl]") {
  TempDir dir("alys-keygen");
  const fs::path key_file = dir.write("member.key", "precious\n");
  const Run run = ctl(dir, {"keygen", "--out", key_file.string()});
  INFO(run.output);
  CHECK(run.code == 1);
  CHECK(run.output.find("already exists") != std::string::npos);
  CHECK(read_file(key_file) == "precious\n");
}

TEST_CASE("keygen usage errors and an unwritable place", "[integration][ctl]") {
  TempDir dir("alys-keygen");
  const Run missing = ctl(dir, {"keygen"});
  CHECK(missing.code == 2);
  CHECK(missing.output.find("--out FILE is required") != std::string::npos);
  const Run stray = ctl(dir, {"keygen", "--out", (dir.path() / "x.key").string(), "extra"});
  CHECK(stray.code == 2);
  CHECK_FALSE(fs::exists(dir.path() / "x.key"));
  const Run nowhere = ctl(dir, {"keygen", "--out", (dir.path() / "no/such/dir/k.key").string()});
  CHECK(nowhere.code == 1);
  CHECK(nowhere.output.find("cannot create a file in") != std::string::npos);
  const Run help = ctl(dir, {"keygen", "--help"});
  CHECK(help.code == 0);
  CHECK(help.output.find("alys-ctl keygen --out FILE") != std::string::npos);
}
