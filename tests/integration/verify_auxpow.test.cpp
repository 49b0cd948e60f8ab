// `alys-ctl verify-auxpow` as a miner runs it: the real binary on every AuxPoW vector, on mutated
// vectors that break one rule each, on AuxPoWs made and mined here in both commitment modes, and on
// malformed input, each with its documented output and exit code (0 valid, 1 invalid, 2 malformed).
//
// Dogecoin's parents are Litecoin blocks (scrypt work): with their real nBits the tool, which
// checks SHA256d work, says the parent work does not meet them; with the easiest bits (0x2100ffff)
// the same proofs are valid, which shows every other rule passes.
#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "alys/domain/auxpow.hpp"
#include "child_process.hpp"

using alys::testing::ChildProcess;
using alys::testing::TempDir;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

const std::string kCtl = ALYS_BINARY_DIR "/bin/alys-ctl";
// The largest usable target: 0xffff << 240. Every SHA256d but one in 65536 meets it.
const std::string kEasiestBits = "0x2100ffff";

struct CtlRun {
  int code = -1;
  std::string output;  // stdout and stderr together
};

class Ctl {
 public:
  CtlRun run(std::vector<std::string> args) {
    args.insert(args.begin(), kCtl);
    ChildProcess process(args, dir_.path() / ("run-" + std::to_string(++runs_) + ".log"));
    auto code = process.wait_exit(60s);
    REQUIRE(code);
    CtlRun result{*code, process.output()};
    std::string shown = args.size() > 2 ? args[1] + " " + args[2] + " ..." : kCtl;
    UNSCOPED_INFO("alys-ctl " << shown << "\n  exit " << result.code << ", output:\n"
                              << result.output);
    return result;
  }

  // verify-auxpow with the flags, then BLOCKHASH (display order) and the AuxPoW's hex.
  CtlRun verify(std::vector<std::string> flags, const std::string& block_hash,
                const std::string& auxpow_hex) {
    flags.insert(flags.begin(), "verify-auxpow");
    flags.push_back(block_hash);
    flags.push_back(auxpow_hex);
    return run(std::move(flags));
  }

 private:
  TempDir dir_{"alys-verify-auxpow"};
  int runs_ = 0;
};

struct Vector {
  std::string name;
  std::string chain_id;
  bool strict_chain_id = true;
  std::string child_hash;  // display order
  std::string child_bits;
  std::string auxpow_hex;
  std::string child_header_hex;
  bool sha256d_parent = false;
};

std::vector<Vector> vectors() {
  std::ifstream file(ALYS_SOURCE_DIR "/tests/data/auxpow_vectors.json");
  REQUIRE(file);
  std::stringstream text;
  text << file.rdbuf();
  json::value all = json::parse(text.str());
  std::vector<Vector> out;
  for (const json::value& entry : all.as_array()) {
    const json::object& object = entry.as_object();
    auto string = [&](std::string_view key) {
      return object.contains(key) ? std::string(object.at(key).as_string()) : std::string();
    };
    Vector vector{string("name"),
                  std::to_string(object.at("chain_id").as_int64()),
                  object.at("strict_chain_id").as_bool(),
                  string("child_hash"),
                  string("child_nbits"),
                  string("auxpow_hex"),
                  string("child_header_hex")};
    if (object.contains("expected"))
      vector.sha256d_parent =
          object.at("expected").at("parent_pow_hash_fn").as_string() == "sha256d";
    out.push_back(std::move(vector));
  }
  REQUIRE(out.size() == 8);
  return out;
}

const Vector& named(const std::vector<Vector>& all, std::string_view prefix) {
  auto found = std::find_if(all.begin(), all.end(),
                            [&](const Vector& vector) { return vector.name.starts_with(prefix); });
  REQUIRE(found != all.end());
  return *found;
}

std::vector<std::string> flags_of(const Vector& vector, const std::string& bits) {
  std::vector<std::string> flags = {"--chain-id", vector.chain_id, "--bits", bits};
  if (!vector.strict_chain_id) flags.push_back("--no-strict-chain-id");
  return flags;
}

alys::AuxPow parse(const std::string& hex) {
  auto bytes = alys::from_hex(hex);
  REQUIRE(bytes);
  return alys::AuxPow::parse(*bytes);
}

std::string hex_of(const alys::AuxPow& auxpow) { return alys::to_hex(auxpow.serialize()); }

// After a change to the coinbase, the parent's merkle root follows it, so that only the rule
// under test fails.
void relink(alys::AuxPow& auxpow) {
  auxpow.parent.merkle_root =
      alys::btc::merkle_root_from_branch(auxpow.coinbase.txid(), auxpow.coinbase_branch, 0);
}

void require_invalid(const CtlRun& run, const std::string& reason) {
  CHECK(run.code == 1);
  CHECK(run.output == "invalid: " + reason + "\n");
}

void require_malformed(const CtlRun& run, const std::string& message) {
  CHECK(run.code == 2);
  CHECK(run.output.find(message) != std::string::npos);
}

}  // namespace

TEST_CASE("verify-auxpow judges every real vector") {
  Ctl ctl;
  auto all = vectors();
  int judged = 0;
  for (const Vector& vector : all) {
    if (vector.auxpow_hex.empty()) continue;
    INFO(vector.name);
    CtlRun with_child_bits =
        ctl.verify(flags_of(vector, vector.child_bits), vector.child_hash, vector.auxpow_hex);
    if (vector.sha256d_parent) {
      CHECK(with_child_bits.code == 0);
      CHECK(with_child_bits.output == "valid\n");
    } else {
      require_invalid(with_child_bits, "parent work does not meet bits " + vector.child_bits);
      CtlRun with_easy_bits =
          ctl.verify(flags_of(vector, kEasiestBits), vector.child_hash, vector.auxpow_hex);
      CHECK(with_easy_bits.code == 0);
      CHECK(with_easy_bits.output == "valid\n");
    }
    ++judged;
  }
  CHECK(judged == 7);

  // Header 19204 carries Namecoin's chain id: as the parent of 37174's proof it is refused.
  const Vector& plain = named(all, "namecoin_mainnet_19204");
  const Vector& real = named(all, "namecoin_mainnet_37174");
  std::string with_own_parent = real.auxpow_hex;
  with_own_parent.replace(with_own_parent.size() - 160, 160, plain.child_header_hex);
  require_invalid(ctl.verify(flags_of(real, real.child_bits), real.child_hash, with_own_parent),
                  "parent has our chain id");
  std::vector<std::string> lax = flags_of(real, real.child_bits);
  lax.push_back("--no-strict-chain-id");
  require_invalid(ctl.verify(lax, real.child_hash, with_own_parent),
                  "coinbase merkle root is not the parent's");
}

TEST_CASE("verify-auxpow rejects mutated vectors, each with its reason") {
  Ctl ctl;
  auto all = vectors();
  const Vector& magic = named(all, "namecoin_mainnet_37174");
  const Vector& legacy = named(all, "namecoin_mainnet_19414");
  auto judge = [&](const Vector& vector, const alys::AuxPow& auxpow) {
    return ctl.verify(flags_of(vector, vector.child_bits), vector.child_hash, hex_of(auxpow));
  };
  alys::AuxPow with_magic = parse(magic.auxpow_hex);
  alys::AuxPow without_magic = parse(legacy.auxpow_hex);

  SECTION("index 1 in the coinbase branch") {
    with_magic.coinbase_index = 1;
    require_invalid(judge(magic, with_magic), "coinbase branch index must be 0");
  }
  SECTION("a chain branch of 31 entries") {
    with_magic.chain_branch.resize(31);
    require_invalid(judge(magic, with_magic), "chain branch longer than 30");
  }
  SECTION("a modified coinbase") {
    with_magic.coinbase.outputs.clear();
    require_invalid(judge(magic, with_magic), "coinbase merkle root is not the parent's");
  }
  SECTION("a coinbase without inputs") {
    // Without outputs too: Bitcoin's format cannot carry a transaction with outputs but no inputs
    // (its empty input list reads as the witness marker).
    with_magic.coinbase.inputs.clear();
    with_magic.coinbase.outputs.clear();
    relink(with_magic);
    require_invalid(judge(magic, with_magic), "coinbase has no inputs");
  }
  SECTION("the root past byte 20 without magic") {
    auto& script = without_magic.coinbase.inputs[0].script_sig;
    script.insert(script.begin(), 4, 0x00);  // the root moves from 17 to 21
    relink(without_magic);
    require_invalid(judge(legacy, without_magic),
                    "merged-mining root starts after byte 20 of the script (no magic)");
  }
  SECTION("a duplicated magic") {
    auto& script = with_magic.coinbase.inputs[0].script_sig;
    script.insert(script.end(), alys::kMergedMiningMagic.begin(), alys::kMergedMiningMagic.end());
    relink(with_magic);
    require_invalid(judge(magic, with_magic), "multiple merged-mining headers");
  }
  SECTION("a changed child hash") {
    std::string other_hash = legacy.child_hash;
    other_hash[0] = other_hash[0] == '0' ? '1' : '0';
    require_invalid(ctl.verify(flags_of(legacy, legacy.child_bits), other_hash, legacy.auxpow_hex),
                    "merged-mining root not in the coinbase");
  }
  SECTION("a wrong merkle size") {
    with_magic.coinbase.inputs[0].script_sig[17 + 32] = 8;  // was 16
    relink(with_magic);
    require_invalid(judge(magic, with_magic), "merkle size does not match the chain branch");
  }
  SECTION("a wrong nonce") {
    with_magic.coinbase.inputs[0].script_sig[17 + 36] = 1;  // was 0
    relink(with_magic);
    require_invalid(judge(magic, with_magic), "wrong chain index");
  }
  SECTION("a wrong chain index") {
    without_magic.chain_index = 1;
    require_invalid(judge(legacy, without_magic), "wrong chain index");
  }
  SECTION("another chain id") {
    std::vector<std::string> flags = {"--chain-id", "2", "--bits", magic.child_bits};
    require_invalid(ctl.verify(flags, magic.child_hash, magic.auxpow_hex), "wrong chain index");
  }
  SECTION("a parent with the auxpow version bit") {
    with_magic.parent.version |= alys::kAuxPowVersionBit;
    require_invalid(judge(magic, with_magic), "parent has the auxpow version bit");
  }
}

TEST_CASE("verify-auxpow on AuxPoWs made and mined here, in both commitment modes") {
  Ctl ctl;
  const std::string block_hash =
      "00000000000000000000000000000000000000000000000000000000deadbeef";  // display order
  auto child = alys::fixed_from_hex<32>(block_hash);
  REQUIRE(child);
  const std::string chain_id = "0x4a4c";
  for (auto [mode, name, other_name] :
       {std::tuple{alys::AuxPowCommitment::coinbase_script, "coinbase-script", "coinbase-output"},
        std::tuple{alys::AuxPowCommitment::coinbase_output, "coinbase-output",
                   "coinbase-script"}}) {
    INFO(name);
    alys::AuxPow auxpow = alys::make_auxpow(alys::reversed(*child), 0x4a4c, mode);
    REQUIRE(alys::mine_auxpow(auxpow, 0x207fffff, 1000));
    std::string hex = hex_of(auxpow);
    std::vector<std::string> flags = {"--chain-id", chain_id,       "--bits",
                                      "0x207fffff", "--commitment", name};
    CtlRun valid = ctl.verify(flags, block_hash, hex);
    CHECK(valid.code == 0);
    CHECK(valid.output == "valid\n");
    flags[5] = other_name;
    CHECK(ctl.verify(flags, block_hash, hex).code == 1);

    // The same proof against a target its parent does not meet.
    alys::AuxPow unmined = alys::make_auxpow(alys::reversed(*child), 0x4a4c, mode);
    REQUIRE_FALSE(alys::parent_meets_bits(unmined, 0x1d00ffff));
    require_invalid(
        ctl.verify({"--chain-id", chain_id, "--bits", "0x1d00ffff", "--commitment", name},
                   block_hash, hex_of(unmined)),
        "parent work does not meet bits 0x1d00ffff");
  }

  alys::AuxPow output_mode =
      alys::make_auxpow(alys::reversed(*child), 0x4a4c, alys::AuxPowCommitment::coinbase_output);
  output_mode.coinbase.outputs[2].script_pubkey.push_back(0x00);
  relink(output_mode);
  REQUIRE(alys::mine_auxpow(output_mode, 0x207fffff, 1000));
  require_invalid(ctl.verify({"--chain-id", chain_id, "--bits", "0x207fffff", "--commitment",
                              "coinbase-output"},
                             block_hash, hex_of(output_mode)),
                  "coinbase output 2/3 script is not 44 bytes");

  // --json prints the verdict as one JSON object; the exit codes are the same.
  alys::AuxPow scripted =
      alys::make_auxpow(alys::reversed(*child), 0x4a4c, alys::AuxPowCommitment::coinbase_script);
  REQUIRE(alys::mine_auxpow(scripted, 0x207fffff, 1000));
  CtlRun json_valid = ctl.run({"--json", "verify-auxpow", "--chain-id", chain_id, "--bits",
                               "0x207fffff", block_hash, hex_of(scripted)});
  CHECK(json_valid.code == 0);
  CHECK(json_valid.output == "{\"valid\":true}\n");
  scripted.coinbase_index = 1;
  CtlRun json_refused = ctl.run({"--json", "verify-auxpow", "--chain-id", chain_id, "--bits",
                                 "0x207fffff", block_hash, hex_of(scripted)});
  CHECK(json_refused.code == 1);
  CHECK(json_refused.output ==
        "{\"valid\":false,\"reason\":\"coinbase branch index must be 0\"}\n");
}

TEST_CASE("verify-auxpow exits 2 on malformed input") {
  Ctl ctl;
  auto all = vectors();
  const Vector& legacy = named(all, "namecoin_mainnet_19414");
  const std::vector<std::string> flags = {"--chain-id", "1", "--bits", legacy.child_bits};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = {"verify-auxpow"};
    args.insert(args.end(), extra.begin(), extra.end());
    return ctl.run(args);
  };

  require_malformed(ctl.verify(flags, legacy.child_hash, legacy.auxpow_hex + "0"),
                    "AUXPOWHEX is not hex");
  require_malformed(ctl.verify(flags, legacy.child_hash, "zz" + legacy.auxpow_hex),
                    "AUXPOWHEX is not hex");
  require_malformed(ctl.verify(flags, legacy.child_hash.substr(2), legacy.auxpow_hex),
                    "BLOCKHASH must be 64 hex digits");
  require_malformed(ctl.verify(flags, legacy.child_hash, legacy.auxpow_hex + "00"),
                    "malformed AuxPoW: 1 bytes after the AuxPoW's parent header");
  require_malformed(ctl.verify(flags, legacy.child_hash,
                               legacy.auxpow_hex.substr(0, legacy.auxpow_hex.size() - 2)),
                    "malformed AuxPoW: truncated");
  require_malformed(ctl.verify(flags, legacy.child_hash, "01000000"), "malformed AuxPoW");
  require_malformed(with({"--bits", legacy.child_bits, legacy.child_hash, legacy.auxpow_hex}),
                    "--chain-id N is required");
  require_malformed(with({"--chain-id", "1", legacy.child_hash, legacy.auxpow_hex}),
                    "--bits HEX is required");
  require_malformed(with({"--chain-id", "one", "--bits", legacy.child_bits, legacy.child_hash,
                          legacy.auxpow_hex}),
                    "--chain-id needs a 32-bit number");
  require_malformed(with({"--chain-id", "4294967296", "--bits", legacy.child_bits,
                          legacy.child_hash, legacy.auxpow_hex}),
                    "--chain-id needs a 32-bit number");
  require_malformed(
      with({"--chain-id", "1", "--bits", "0x1g00ffff", legacy.child_hash, legacy.auxpow_hex}),
      "--bits needs compact bits in hex");
  require_malformed(
      with({"--chain-id", "1", "--bits", "0x04923456", legacy.child_hash, legacy.auxpow_hex}),
      "is not a usable target");
  require_malformed(
      with({"--chain-id", "1", "--bits", "0xff123456", legacy.child_hash, legacy.auxpow_hex}),
      "is not a usable target");
  require_malformed(with({"--chain-id", "1", "--bits", legacy.child_bits, "--commitment",
                          "coinbase-witness", legacy.child_hash, legacy.auxpow_hex}),
                    "--commitment is coinbase-script or coinbase-output");
  require_malformed(with({"--chain-id", "1", "--bits", legacy.child_bits, "--strict",
                          legacy.child_hash, legacy.auxpow_hex}),
                    "unknown option '--strict'");
  require_malformed(with({"--chain-id", "1", "--bits", legacy.child_bits, legacy.child_hash}),
                    "needs BLOCKHASH AUXPOWHEX");
  require_malformed(with({"--chain-id", "1", "--bits"}), "--bits needs a value");

  CtlRun help = with({"--help"});
  CHECK(help.code == 0);
  CHECK(help.output.find("verify-auxpow --chain-id N --bits HEX") != std::string::npos);
}
