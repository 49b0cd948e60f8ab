#include "chain_spec.hpp"

#include <secp256k1.h>
#include <secp256k1_extrakeys.h>

#include <algorithm>
#include <boost/json.hpp>
#include <set>
#include <stdexcept>

#include "alys/codec.hpp"
#include "alys/domain/compact.hpp"
#include "alys/domain/sha256.hpp"
#include "alys/domain/wei.hpp"

namespace alys::chain {

namespace json = boost::json;

std::optional<std::uint32_t> ChainSpec::member_index(const XOnlyPublicKey& key) const {
  auto found = std::find(members.begin(), members.end(), key);
  if (found == members.end()) return std::nullopt;
  return static_cast<std::uint32_t>(found - members.begin());
}

namespace {

// Reads one table of the role's table; every problem goes to the shared ConfigProblems under its
// path relative to the role's table.
class Reader {
 public:
  Reader(const json::object& table, ConfigProblems& problems, std::string prefix = "")
      : table_(table), problems_(problems), prefix_(std::move(prefix)) {}

  const json::value* find(const char* key) const {
    auto it = table_.find(key);
    return it == table_.end() ? nullptr : &it->value();
  }

  std::optional<std::uint64_t> u64(const char* key, std::uint64_t min = 0) {
    const json::value* value = find(key);
    if (value == nullptr) return std::nullopt;
    if (!value->is_int64() && !value->is_uint64()) return wrong_type(key, "must be an integer");
    if (value->is_int64() && value->as_int64() < 0) return fail(key, "must not be negative");
    std::uint64_t v =
        value->is_uint64() ? value->as_uint64() : static_cast<std::uint64_t>(value->as_int64());
    if (v < min) return fail(key, "must be >= " + std::to_string(min));
    return v;
  }

  std::optional<std::string> string(const char* key) {
    const json::value* value = find(key);
    if (value == nullptr) return std::nullopt;
    if (!value->is_string()) {
      wrong_type(key, "must be a string");
      return std::nullopt;
    }
    return std::string(value->as_string());
  }

  std::optional<bool> boolean(const char* key) {
    const json::value* value = find(key);
    if (value == nullptr) return std::nullopt;
    if (!value->is_bool()) {
      wrong_type(key, "must be true or false");
      return std::nullopt;
    }
    return value->as_bool();
  }

  template <class T = std::uint64_t>
  std::optional<T> fail(const std::string& key, const std::string& message) {
    problems_.invalid(prefix_ + key, message);
    return std::nullopt;
  }
  template <class T = std::uint64_t>
  std::optional<T> wrong_type(const std::string& key, const std::string& message) {
    problems_.wrong_type(prefix_ + key, message);
    return std::nullopt;
  }
  void missing(const std::string& key, const std::string& message) {
    problems_.missing(prefix_ + key, message);
  }

  ConfigProblems& problems() { return problems_; }

 private:
  const json::object& table_;
  ConfigProblems& problems_;
  std::string prefix_;
};

bool is_valid_xonly(const XOnlyPublicKey& key) {
  secp256k1_xonly_pubkey parsed;
  return secp256k1_xonly_pubkey_parse(secp256k1_context_static, &parsed, key.data()) == 1;
}

void read_members(Reader& r, ChainSpec& spec) {
  const json::value* members = r.find("members");
  if (members == nullptr) {
    r.missing("members", "required: the federation's x-only public keys (hex), in order");
    return;
  }
  if (!members->is_array() || members->as_array().empty()) {
    r.fail("members", "must be a non-empty array of x-only public keys (64 hex digits each)");
    return;
  }
  std::set<XOnlyPublicKey> seen;
  std::size_t index = 0;
  for (const json::value& entry : members->as_array()) {
    const std::string key = "members[" + std::to_string(index++) + "]";
    std::optional<XOnlyPublicKey> parsed;
    if (entry.is_string()) parsed = fixed_from_hex<32>(std::string_view(entry.as_string()));
    if (!parsed) {
      r.fail(key, "must be 64 hex digits (a BIP340 x-only public key)");
      continue;
    }
    if (!is_valid_xonly(*parsed)) {
      r.fail(key, "is not a point on secp256k1");
      continue;
    }
    if (!seen.insert(*parsed).second) {
      r.fail(key, "appears twice");
      continue;
    }
    spec.members.push_back(*parsed);
  }
}

void read_alloc(Reader& r, ChainSpec& spec) {
  const json::value* alloc = r.find("genesis_alloc");
  if (alloc == nullptr) return;
  if (!alloc->is_array()) {
    r.wrong_type("genesis_alloc",
                 "must be an array of { address = \"0x...\", balance_wei = \"...\" }");
    return;
  }
  std::set<EthAddress> seen;
  std::size_t index = 0;
  for (const json::value& entry : alloc->as_array()) {
    const std::string key = "genesis_alloc[" + std::to_string(index++) + "]";
    if (!entry.is_object()) {
      r.wrong_type(key, "must be a table { address, balance_wei }");
      continue;
    }
    const json::object& item = entry.as_object();
    for (const auto& field : item) {
      if (field.key() != "address" && field.key() != "balance_wei")
        r.fail(key + "." + std::string(field.key()), "unknown key");
    }
    std::optional<EthAddress> address;
    if (auto it = item.find("address"); it != item.end() && it->value().is_string())
      address = fixed_from_hex<20>(std::string_view(it->value().as_string()));
    if (!address) {
      r.fail(key + ".address", "must be a 20-byte hex address (\"0x\" + 40 hex digits)");
      continue;
    }
    std::optional<Wei> balance;
    if (auto it = item.find("balance_wei"); it != item.end() && it->value().is_string())
      balance = wei_parse(std::string_view(it->value().as_string()));
    if (!balance) {
      r.fail(key + ".balance_wei",
             "must be a string holding a decimal or 0x-hex amount in wei (below 2^128)");
      continue;
    }
    if (!seen.insert(*address).second) {
      r.fail(key + ".address", "appears twice in genesis_alloc");
      continue;
    }
    spec.genesis_alloc.push_back(Mint{*address, wei_to_be32(*balance)});
  }
}

// Bitcoin parents carry BIP9/BIP320 version bits in nVersion >> 16 = 0x2000..0x3FFF: a chain id
// there could be confused with a parent's, and strict chain-id checks would refuse real parents.
constexpr std::uint64_t kBitcoinVersionBitsFirst = 0x2000;
constexpr std::uint64_t kBitcoinVersionBitsLast = 0x3fff;

void read_pow(Reader& top, ChainSpec& spec) {
  const json::value* table = top.find("auxpow");
  if (table == nullptr) return;
  if (!table->is_object()) {
    top.wrong_type("auxpow", "must be a table");
    return;
  }
  Reader r(table->as_object(), top.problems(), "auxpow.");
  static const std::set<std::string_view> kKnown = {
      "chain_id",          "commitment",       "strict_chain_id", "max_blocks_without_pow",
      "retarget_interval", "target_spacing_s", "max_adjustment",  "pow_limit",
      "initial_bits"};
  for (const auto& field : table->as_object())
    if (!kKnown.contains(field.key())) r.fail(std::string(field.key()), "unknown key");
  PowSpec pow;
  if (auto v = r.u64("chain_id", 1)) {
    if (*v > 0xffff)
      r.fail("chain_id",
             "must fit 16 bits (it is compared with nVersion >> 16), got " + std::to_string(*v));
    else if (*v >= kBitcoinVersionBitsFirst && *v <= kBitcoinVersionBitsLast)
      r.fail("chain_id", "must not be in 0x2000-0x3FFF: Bitcoin parents carry version bits there");
    pow.chain_id = static_cast<std::uint32_t>(*v);
  } else if (!r.find("chain_id")) {
    r.missing("chain_id", "required (the merged-mining chain id)");
  }
  if (auto v = r.string("commitment")) {
    if (*v == "coinbase-script")
      pow.commitment = AuxPowCommitment::coinbase_script;
    else if (*v == "coinbase-output")
      pow.commitment = AuxPowCommitment::coinbase_output;
    else
      r.fail("commitment",
             "must be \"coinbase-script\" or \"coinbase-output\", got \"" + *v + "\"");
  }
  if (auto strict = r.boolean("strict_chain_id")) pow.strict_chain_id = *strict;
  pow.max_blocks_without_pow = r.u64("max_blocks_without_pow", 1).value_or(100);
  pow.retarget.interval_blocks = r.u64("retarget_interval", 1).value_or(10);
  pow.retarget.target_spacing_s = r.u64("target_spacing_s", 1).value_or(60);
  pow.retarget.max_adjustment = static_cast<std::uint32_t>(
      std::min<std::uint64_t>(r.u64("max_adjustment", 1).value_or(4), 1000));
  const std::string limit =
      r.string("pow_limit")
          .value_or("7fffff0000000000000000000000000000000000000000000000000000000000");
  try {
    pow.retarget.pow_limit = U256::from_be_hex(limit);
  } catch (const std::exception&) {
    r.fail("pow_limit", "must be 64 hex digits (a 256-bit target, most significant first)");
  }
  pow.initial_bits = encode_compact(pow.retarget.pow_limit);
  if (auto v = r.string("initial_bits")) {
    auto bytes = fixed_from_hex<4>(*v);
    if (!bytes) {
      r.fail("initial_bits", "must be 8 hex digits (compact nBits, e.g. \"207fffff\")");
    } else {
      pow.initial_bits = static_cast<std::uint32_t>((*bytes)[0]) << 24 |
                         static_cast<std::uint32_t>((*bytes)[1]) << 16 |
                         static_cast<std::uint32_t>((*bytes)[2]) << 8 | (*bytes)[3];
      CompactTarget decoded = decode_compact(pow.initial_bits);
      if (decoded.negative || decoded.overflow || decoded.target.is_zero())
        r.fail("initial_bits", "does not decode to a usable target");
      else if (pow.retarget.pow_limit < decoded.target)
        r.fail("initial_bits", "is easier than pow_limit");
    }
  }
  // A window shorter than the adjustment factor has no valid clamp (next_bits refuses it).
  if (pow.retarget.interval_blocks * pow.retarget.target_spacing_s < pow.retarget.max_adjustment)
    r.fail("retarget_interval",
           "retarget_interval x target_spacing_s must be at least max_adjustment");
  spec.pow = pow;
}

}  // namespace

ChainConfig read_chain_config(std::string_view table_json, ConfigProblems& problems) {
  ChainConfig config;
  json::error_code error;
  json::value parsed = json::parse(table_json, error);
  if (error || !parsed.is_object()) {
    problems.invalid("", "the role table is not a JSON object");
    return config;
  }
  const json::object& table = parsed.as_object();
  static const std::set<std::string_view> kKnown = {"chain_id",
                                                    "members",
                                                    "threshold",
                                                    "slot_ms",
                                                    "genesis_timestamp_ms",
                                                    "genesis_alloc",
                                                    "max_future_drift_ms",
                                                    "key_file",
                                                    "fee_recipient",
                                                    "max_transactions_per_block",
                                                    "engine_timeout_ms",
                                                    "storage_timeout_ms",
                                                    "host",
                                                    "auxpow",
                                                    "dev_mine",
                                                    "federation_fee_recipient"};

  Reader r(table, problems);
  for (const auto& field : table)
    if (!kKnown.contains(field.key())) r.fail(std::string(field.key()), "unknown key");

  ChainSpec& spec = config.spec;
  if (auto v = r.u64("chain_id", 1))
    spec.chain_id = *v;
  else if (!r.find("chain_id"))
    r.missing("chain_id", "required (the EIP-155 chain id, >= 1)");
  read_members(r, spec);
  if (auto v = r.u64("threshold", 1)) {
    spec.threshold = static_cast<std::uint32_t>(std::min<std::uint64_t>(*v, 0xffffffff));
  } else if (!r.find("threshold")) {
    spec.threshold = default_threshold(spec.members.size());
  }
  if (!spec.members.empty() && spec.threshold != 0) {
    // A majority threshold means two blocks at one height can never both collect it from members
    // who approve once per height: the fork-choice rule rests on this (docs/chain.md).
    if (spec.threshold > spec.members.size())
      r.fail("threshold", "is " + std::to_string(spec.threshold) + " but there are only " +
                              std::to_string(spec.members.size()) + " members");
    else if (2 * static_cast<std::uint64_t>(spec.threshold) <= spec.members.size())
      r.fail("threshold", "must be a majority of the " + std::to_string(spec.members.size()) +
                              " members (more than half), got " + std::to_string(spec.threshold));
  }
  if (auto v = r.u64("slot_ms", 100)) spec.slot_ms = *v;
  if (auto v = r.u64("genesis_timestamp_ms"))
    spec.genesis_timestamp_ms = *v;
  else if (!r.find("genesis_timestamp_ms"))
    r.missing("genesis_timestamp_ms", "required (unix milliseconds of the genesis block)");
  if (auto v = r.u64("max_future_drift_ms")) spec.max_future_drift_ms = *v;
  read_alloc(r, spec);
  read_pow(r, spec);
  if (auto v = r.string("federation_fee_recipient")) {
    if (auto address = fixed_from_hex<20>(*v))
      spec.federation_fee_recipient = *address;
    else
      r.fail("federation_fee_recipient", "must be a 20-byte hex address (\"0x\" + 40 hex digits)");
  }

  NodeSettings& node = config.node;
  if (auto v = r.string("key_file")) {
    if (v->empty()) r.fail("key_file", "must not be empty (leave it out for an observer)");
    node.key_file = *v;
  }
  if (auto v = r.string("fee_recipient")) {
    if (auto address = fixed_from_hex<20>(*v))
      node.fee_recipient = *address;
    else
      r.fail("fee_recipient", "must be a 20-byte hex address (\"0x\" + 40 hex digits)");
  }
  if (auto v = r.u64("max_transactions_per_block"))
    node.max_transactions_per_block =
        static_cast<std::uint32_t>(std::min<std::uint64_t>(*v, 0xffffffff));
  if (auto v = r.u64("engine_timeout_ms", 1)) node.engine_timeout_ms = *v;
  if (auto v = r.u64("storage_timeout_ms", 1)) node.storage_timeout_ms = *v;
  if (auto dev_mine = r.boolean("dev_mine")) {
    node.dev_mine = *dev_mine;
    if (node.dev_mine && !spec.pow) r.fail("dev_mine", "needs a [chain.auxpow] table");
  }
  return config;
}

ChainConfig parse_chain_config(std::string_view table_json) {
  ConfigProblems problems;
  ChainConfig config = read_chain_config(table_json, problems);
  if (!problems.empty()) throw std::invalid_argument(problems.describe("chain"));
  return config;
}

Hash32 spec_digest(const ChainSpec& spec) {
  Writer writer;
  writer(spec.chain_id, spec.members, spec.threshold, spec.slot_ms, spec.genesis_timestamp_ms,
         spec.genesis_alloc);
  // Every member derives the same fee mints only with the same federation address.
  writer(spec.federation_fee_recipient);
  writer(spec.pow.has_value());
  if (spec.pow) {
    const PowSpec& pow = *spec.pow;
    writer(pow.chain_id, static_cast<std::uint8_t>(pow.commitment), pow.strict_chain_id,
           pow.max_blocks_without_pow, pow.retarget.interval_blocks, pow.retarget.target_spacing_s,
           pow.retarget.max_adjustment, pow.retarget.pow_limit.to_le(), pow.initial_bits);
  }
  return sha256(writer.take());
}

}  // namespace alys::chain
