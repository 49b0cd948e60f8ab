#include "host/tools/alys-ctl/verify_auxpow.hpp"

#include <boost/json.hpp>
#include <charconv>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string_view>

#include "alys/domain/auxpow.hpp"
#include "alys/domain/compact.hpp"
#include "alys/status.hpp"
#include "host/tools/alys-ctl/output.hpp"
#include "host/tools/common/command_line.hpp"

namespace alys::ctl {
namespace {

namespace po = tools::program_options;

struct VerifyAuxPowRequest {
  std::uint32_t chain_id = 0;
  std::uint32_t bits = 0;
  alys::AuxPowCommitment commitment = alys::AuxPowCommitment::coinbase_script;
  bool strict_chain_id = true;
  bool json = false;          // --json may also follow the command
  bool help = false;          // --help: nothing else is set
  alys::Hash32 block_hash{};  // internal order
  alys::Bytes auxpow;
};

// Decimal, or hex after 0x; nullopt unless the whole text is a number that fits 32 bits.
std::optional<std::uint32_t> parse_u32(std::string_view text, int base) {
  if (base == 16 && (text.starts_with("0x") || text.starts_with("0X"))) text.remove_prefix(2);
  std::uint32_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

po::options_description verify_options() {
  po::options_description described("options", tools::kHelpWidth);
  described.add_options()  //
      ("chain-id", po::value<std::string>()->value_name("N"),
       "the child chain's merged-mining chain id: decimal or 0x hex")  //
      ("bits", po::value<std::string>()->value_name("HEX"),
       "the child's nBits (e.g. 0x1b00b269): the parent's SHA256d must meet it")  //
      ("commitment", po::value<std::string>()->value_name("MODE"),
       "coinbase-script (default) or coinbase-output")                                   //
      ("no-strict-chain-id", po::bool_switch(), "allow a parent carrying our chain id")  //
      ("json", po::bool_switch(),
       R"(print {"valid":true} or {"valid":false,"reason":"..."})")  //
      ("help,h", po::bool_switch(), "this text");
  return described;
}

Status usage_error(const std::string& message) { return Status::Invalid(message); }

// The request (only `help` set when --help was asked for), or a usage error.
Result<VerifyAuxPowRequest> parse_verify_auxpow(const std::vector<std::string>& args) {
  po::positional_options_description positional;
  positional.add("words", -1);
  po::options_description with_words;
  with_words.add(verify_options()).add_options()("words", po::value<std::vector<std::string>>());
  auto parsed = tools::parse_command_line(args, with_words, positional);
  if (!parsed.ok()) return parsed.status();
  const po::variables_map& values = *parsed;
  VerifyAuxPowRequest request;
  if (values["help"].as<bool>()) {
    request.help = true;
    return request;
  }
  request.json = values["json"].as<bool>();
  request.strict_chain_id = !values["no-strict-chain-id"].as<bool>();
  if (!values.count("chain-id")) return usage_error("--chain-id N is required");
  const std::string& chain_id_text = values["chain-id"].as<std::string>();
  const bool hex = chain_id_text.starts_with("0x") || chain_id_text.starts_with("0X");
  auto chain_id = parse_u32(chain_id_text, hex ? 16 : 10);
  if (!chain_id)
    return usage_error("--chain-id needs a 32-bit number, got '" + chain_id_text + "'");
  if (!values.count("bits")) return usage_error("--bits HEX is required");
  const std::string& bits_text = values["bits"].as<std::string>();
  auto bits = parse_u32(bits_text, 16);
  if (!bits)
    return usage_error("--bits needs compact bits in hex (0x1d00ffff), got '" + bits_text + "'");
  alys::CompactTarget target = alys::decode_compact(*bits);
  if (target.negative || target.overflow || target.target.is_zero())
    return usage_error("--bits " + bits_text +
                       " is not a usable target (negative, overflowing or zero)");
  if (values.count("commitment")) {
    const std::string& mode = values["commitment"].as<std::string>();
    if (mode == "coinbase-script")
      request.commitment = alys::AuxPowCommitment::coinbase_script;
    else if (mode == "coinbase-output")
      request.commitment = alys::AuxPowCommitment::coinbase_output;
    else
      return usage_error("--commitment is coinbase-script or coinbase-output, got '" + mode + "'");
  }
  const std::vector<std::string> words = values.count("words")
                                             ? values["words"].as<std::vector<std::string>>()
                                             : std::vector<std::string>();
  if (words.size() != 2) return usage_error("needs BLOCKHASH AUXPOWHEX");
  auto hash = alys::fixed_from_hex<32>(words[0]);
  if (!hash) return usage_error("BLOCKHASH must be 64 hex digits, got '" + words[0] + "'");
  auto auxpow = alys::from_hex(words[1]);
  if (!auxpow) return usage_error("AUXPOWHEX is not hex (odd length or a non-hex digit)");
  request.chain_id = *chain_id;
  request.bits = *bits;
  request.block_hash = alys::reversed(*hash);  // RPC shows hashes byte-reversed
  request.auxpow = std::move(*auxpow);
  return request;
}

}  // namespace

std::string verify_auxpow_usage() {
  return std::string(R"(usage:
  alys-ctl verify-auxpow --chain-id N --bits HEX [--commitment coinbase-script|coinbase-output]
                         [--no-strict-chain-id] [--json] BLOCKHASH AUXPOWHEX

Offline, no node: judges a merged-mining proof for the block hash BLOCKHASH (display order, as RPC
shows it) by Namecoin's rules and checks that the parent's SHA256d meets --bits. Prints `valid`, or
`invalid: REASON`.

)") + tools::describe_options(verify_options()) +
         R"(
exit codes:
  0  valid
  1  invalid
  2  a malformed hash, hex, flag or AuxPoW
)";
}

int run_verify_auxpow(const std::vector<std::string>& args, bool json_output) {
  auto request = parse_verify_auxpow(args);
  if (request.ok() && request->help) {
    std::cout << verify_auxpow_usage();
    return kVerifyValid;
  }
  if (!request.ok()) {
    std::cerr << "alys-ctl: verify-auxpow: " << request.status().message()
              << "\n(alys-ctl verify-auxpow --help for usage)\n";
    return kVerifyUsage;
  }
  alys::AuxPow auxpow;
  try {
    auxpow = alys::AuxPow::parse(request->auxpow);
  } catch (const alys::btc::ParseError& e) {
    std::cerr << "alys-ctl: verify-auxpow: malformed AuxPoW: " << e.what() << "\n";
    return kVerifyUsage;
  }
  std::optional<std::string> reason =
      alys::check_auxpow(auxpow, request->block_hash, request->chain_id, request->strict_chain_id,
                         request->commitment);
  if (!reason && !alys::parent_meets_bits(auxpow, request->bits)) {
    char bits_hex[16];
    std::snprintf(bits_hex, sizeof bits_hex, "0x%08x", request->bits);
    reason = std::string("parent work does not meet bits ") + bits_hex;
  }
  if (json_output || request->json) {
    json::object verdict{{"valid", !reason}};
    if (reason) verdict["reason"] = *reason;
    print_json(verdict);
  } else {
    std::cout << (reason ? "invalid: " + *reason : std::string("valid")) << "\n";
  }
  return reason ? kVerifyInvalid : kVerifyValid;
}

}  // namespace alys::ctl
