#include "host/tools/alys-ctl/verify_auxpow.hpp"

#include <boost/json.hpp>
#include <charconv>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string_view>

#include "alys/domain/auxpow.hpp"
#include "alys/domain/compact.hpp"
#include "host/tools/alys-ctl/output.hpp"

namespace alys::ctl {
namespace {

struct VerifyAuxPowRequest {
  std::uint32_t chain_id = 0;
  std::uint32_t bits = 0;
  alys::AuxPowCommitment commitment = alys::AuxPowCommitment::coinbase_script;
  bool strict_chain_id = true;
  bool json = false;          // --json may also follow the command
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

// nullopt with the message printed (exit 2), or the request; `help` when --help was asked for.
std::optional<VerifyAuxPowRequest> parse_verify_auxpow(const std::vector<std::string>& args,
                                                       bool& help) {
  auto fail = [](const std::string& message) {
    std::cerr << "alys-ctl: verify-auxpow: " << message << "\n(alys-ctl --help for usage)\n";
    return std::nullopt;
  };
  VerifyAuxPowRequest request;
  std::optional<std::uint32_t> chain_id, bits;
  std::vector<std::string> positional;
  bool options_done = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (options_done || arg.size() < 2 || arg[0] != '-') {
      positional.push_back(arg);
      continue;
    }
    if (arg == "--") {
      options_done = true;
    } else if (arg == "--help" || arg == "-h") {
      help = true;
      return std::nullopt;
    } else if (arg == "--no-strict-chain-id") {
      request.strict_chain_id = false;
    } else if (arg == "--json") {
      request.json = true;
    } else if (arg == "--chain-id" || arg == "--bits" || arg == "--commitment") {
      if (i + 1 >= args.size()) return fail(arg + " needs a value");
      const std::string& value = args[++i];
      if (arg == "--chain-id") {
        bool hex = value.starts_with("0x") || value.starts_with("0X");
        chain_id = parse_u32(value, hex ? 16 : 10);
        if (!chain_id) return fail("--chain-id needs a 32-bit number, got '" + value + "'");
      } else if (arg == "--bits") {
        bits = parse_u32(value, 16);
        if (!bits)
          return fail("--bits needs compact bits in hex (0x1d00ffff), got '" + value + "'");
        alys::CompactTarget target = alys::decode_compact(*bits);
        if (target.negative || target.overflow || target.target.is_zero())
          return fail("--bits " + value +
                      " is not a usable target (negative, overflowing or zero)");
      } else if (value == "coinbase-script") {
        request.commitment = alys::AuxPowCommitment::coinbase_script;
      } else if (value == "coinbase-output") {
        request.commitment = alys::AuxPowCommitment::coinbase_output;
      } else {
        return fail("--commitment is coinbase-script or coinbase-output, got '" + value + "'");
      }
    } else {
      return fail("unknown option '" + arg + "'");
    }
  }
  if (!chain_id) return fail("--chain-id N is required");
  if (!bits) return fail("--bits HEX is required");
  if (positional.size() != 2) return fail("needs BLOCKHASH AUXPOWHEX");
  auto hash = alys::fixed_from_hex<32>(positional[0]);
  if (!hash) return fail("BLOCKHASH must be 64 hex digits, got '" + positional[0] + "'");
  auto auxpow = alys::from_hex(positional[1]);
  if (!auxpow) return fail("AUXPOWHEX is not hex (odd length or a non-hex digit)");
  request.chain_id = *chain_id;
  request.bits = *bits;
  request.block_hash = alys::reversed(*hash);  // RPC shows hashes byte-reversed
  request.auxpow = std::move(*auxpow);
  return request;
}

}  // namespace

int run_verify_auxpow(const std::vector<std::string>& args, bool json_output) {
  bool help = false;
  auto request = parse_verify_auxpow(args, help);
  if (help) return kVerifyHelp;
  if (!request) return kVerifyUsage;
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
