#include "chain_spec.hpp"

#include <secp256k1.h>
#include <secp256k1_extrakeys.h>

#include <algorithm>
#include <boost/json.hpp>
#include <set>
#include <stdexcept>

#include "alys/domain/wei.hpp"

namespace alys::chain {

namespace json = boost::json;

std::optional<std::uint32_t> ChainSpec::member_index(const XOnlyPublicKey& key) const {
  auto found = std::find(members.begin(), members.end(), key);
  if (found == members.end()) return std::nullopt;
  return static_cast<std::uint32_t>(found - members.begin());
}

namespace {

class Reader {
 public:
  explicit Reader(const json::object& table) : table_(table) {}

  const json::value* find(const char* key) const {
    auto it = table_.find(key);
    return it == table_.end() ? nullptr : &it->value();
  }

  std::optional<std::uint64_t> u64(const char* key, std::uint64_t min = 0) {
    const json::value* value = find(key);
    if (value == nullptr) return std::nullopt;
    if (!value->is_int64() && !value->is_uint64()) return fail(key, "must be an integer");
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
      fail(key, "must be a string");
      return std::nullopt;
    }
    return std::string(value->as_string());
  }

  template <class T = std::uint64_t>
  std::optional<T> fail(const std::string& key, const std::string& message) {
    errors_.push_back("chain." + key + ": " + message);
    return std::nullopt;
  }

  const std::vector<std::string>& errors() const { return errors_; }

 private:
  const json::object& table_;
  std::vector<std::string> errors_;
};

bool is_valid_xonly(const XOnlyPublicKey& key) {
  secp256k1_xonly_pubkey parsed;
  return secp256k1_xonly_pubkey_parse(secp256k1_context_static, &parsed, key.data()) == 1;
}

void read_members(Reader& r, ChainSpec& spec) {
  const json::value* members = r.find("members");
  if (members == nullptr) {
    r.fail("members", "required: the federation's x-only public keys (hex), in order");
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
    r.fail("genesis_alloc", "must be an array of { address = \"0x...\", balance_wei = \"...\" }");
    return;
  }
  std::set<EthAddress> seen;
  std::size_t index = 0;
  for (const json::value& entry : alloc->as_array()) {
    const std::string key = "genesis_alloc[" + std::to_string(index++) + "]";
    if (!entry.is_object()) {
      r.fail(key, "must be a table { address, balance_wei }");
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

}  // namespace

ChainConfig parse_chain_config(std::string_view table_json) {
  json::value parsed = json::parse(table_json);
  if (!parsed.is_object()) throw std::invalid_argument("chain: the role table is not a table");
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
                                                    "host"};

  Reader r(table);
  for (const auto& field : table)
    if (!kKnown.contains(field.key())) r.fail(std::string(field.key()), "unknown key");

  ChainConfig config;
  ChainSpec& spec = config.spec;
  if (auto v = r.u64("chain_id", 1))
    spec.chain_id = *v;
  else if (!r.find("chain_id"))
    r.fail("chain_id", "required (the EIP-155 chain id, >= 1)");
  read_members(r, spec);
  if (auto v = r.u64("threshold", 1)) {
    spec.threshold = static_cast<std::uint32_t>(std::min<std::uint64_t>(*v, 0xffffffff));
  } else if (!r.find("threshold")) {
    r.fail("threshold", "required (approvals a block needs)");
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
    r.fail("genesis_timestamp_ms", "required (unix milliseconds of the genesis block)");
  if (auto v = r.u64("max_future_drift_ms")) spec.max_future_drift_ms = *v;
  read_alloc(r, spec);

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

  if (!r.errors().empty()) {
    std::string message;
    for (const std::string& error : r.errors()) message += (message.empty() ? "" : "\n") + error;
    throw std::invalid_argument(message);
  }
  return config;
}

}  // namespace alys::chain
