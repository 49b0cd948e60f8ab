#include "engine/embedded/eth_rpc.hpp"

#include <boost/json.hpp>
#include <cstdint>
#include <optional>
#include <string>

#include "alys/admin_rpc.hpp"
#include "alys/domain/hash.hpp"
#include "alys/json_rpc.hpp"
#include "engine/embedded/admission.hpp"
#include "engine/embedded/bridge_call.hpp"
#include "engine/embedded/eth_objects.hpp"

namespace alys::engine::embedded {

namespace json = boost::json;

namespace {

using json_rpc::kInvalidParams;

[[noreturn]] void invalid_argument(std::size_t index, const std::string& what) {
  throw RpcError(kInvalidParams, "invalid argument " + std::to_string(index) + ": " + what);
}

[[noreturn]] void fail(const std::string& message) {
  throw RpcError(json_rpc::kOperationFailed, message);
}

// The positional params of a call. A trailing null counts as absent, as geth reads optional
// arguments.
class Params {
 public:
  explicit Params(std::string_view text) {
    json::error_code error;
    json::value parsed = json::parse(text, error);
    if (error) throw RpcError(kInvalidParams, "params are not JSON: " + error.message());
    if (parsed.is_array()) {
      values_ = std::move(parsed.as_array());
    } else if (!parsed.is_object() || !parsed.as_object().empty()) {
      throw RpcError(kInvalidParams, "params must be an array");
    }
    while (!values_.empty() && values_.back().is_null()) values_.pop_back();
  }

  const json::value* optional(std::size_t index) const {
    return index < values_.size() ? &values_[index] : nullptr;
  }
  const json::value& required(std::size_t index) const {
    if (index >= values_.size())
      throw RpcError(kInvalidParams,
                     "missing value for required argument " + std::to_string(index));
    return values_[index];
  }
  void at_most(std::size_t count) const {
    if (values_.size() > count)
      throw RpcError(kInvalidParams, "too many arguments, want at most " + std::to_string(count));
  }

 private:
  json::array values_;
};

std::string_view string_of(const json::value& value, std::size_t index, std::string_view what) {
  if (!value.is_string()) invalid_argument(index, std::string(what) + " must be a JSON string");
  return value.as_string();
}

bool has_0x(std::string_view text) {
  return text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
}

template <std::size_t N>
std::array<std::uint8_t, N> fixed_hex(std::string_view text, std::size_t index,
                                      std::string_view what) {
  auto bytes = has_0x(text) ? fixed_from_hex<N>(text) : std::nullopt;
  if (!bytes)
    invalid_argument(index, std::string(what) + " must be 0x followed by " + std::to_string(2 * N) +
                                " hex digits, got \"" + std::string(text.substr(0, 80)) + "\"");
  return *bytes;
}

EthAddress address_of(const json::value& value, std::size_t index) {
  return fixed_hex<20>(string_of(value, index, "an address"), index, "an address");
}

Hash32 hash_of(const json::value& value, std::size_t index) {
  return fixed_hex<32>(string_of(value, index, "a hash"), index, "a hash");
}

Bytes data_of(const json::value& value, std::size_t index, std::string_view what) {
  std::string_view text = string_of(value, index, what);
  auto bytes = has_0x(text) ? from_hex(text) : std::nullopt;
  if (!bytes) invalid_argument(index, std::string(what) + " must be 0x-prefixed hex bytes");
  return *bytes;
}

// A QUANTITY: "0x" and hex digits without leading zeros ("0x0" for zero); nullopt otherwise or
// when it needs more than 128 bits.
std::optional<Wei> parse_quantity(std::string_view text) {
  if (!has_0x(text) || text.size() == 2) return std::nullopt;
  std::string_view digits = text.substr(2);
  if (digits.size() > 1 && digits[0] == '0') return std::nullopt;
  if (digits.size() > 32) return std::nullopt;
  return wei_parse(text);
}

Wei wei_of(const json::value& value, std::size_t index, std::string_view what) {
  auto parsed = parse_quantity(string_of(value, index, what));
  if (!parsed)
    invalid_argument(index, std::string(what) +
                                " must be a hex quantity (0x without leading zeros, at most 128 "
                                "bits)");
  return *parsed;
}

std::uint64_t u64_of(const json::value& value, std::size_t index, std::string_view what) {
  Wei parsed = wei_of(value, index, what);
  if (parsed > ~std::uint64_t{0}) invalid_argument(index, std::string(what) + " exceeds 64 bits");
  return static_cast<std::uint64_t>(parsed);
}

bool bool_of(const json::value& value, std::size_t index, std::string_view what) {
  if (!value.is_bool()) invalid_argument(index, std::string(what) + " must be true or false");
  return value.as_bool();
}

std::string text(const json::value& value) { return json::serialize(value); }
std::string quoted(std::string_view value) { return text(json::value(value)); }

struct BlockSelector {
  enum class Kind { latest, earliest, number, hash } kind = Kind::latest;
  bool pending = false;  // "pending": the engine's pending state is the head plus its pool
  std::uint64_t number = 0;
  Hash32 hash{};
};

BlockSelector block_of(const json::value& value, std::size_t index,
                       const std::optional<std::uint64_t>& finalized) {
  BlockSelector selector;
  if (value.is_object()) {  // EIP-1898
    const json::object& object = value.as_object();
    const json::value* number = object.if_contains("blockNumber");
    const json::value* hash = object.if_contains("blockHash");
    if ((number == nullptr) == (hash == nullptr))
      invalid_argument(index, "a block object needs exactly one of blockNumber and blockHash");
    if (hash) {
      selector.kind = BlockSelector::Kind::hash;
      selector.hash = hash_of(*hash, index);
      return selector;
    }
    return block_of(*number, index, finalized);
  }
  std::string_view tag = string_of(value, index, "a block");
  if (tag == "latest") return selector;
  if (tag == "pending") {
    selector.pending = true;
    return selector;
  }
  if (tag == "earliest") {
    selector.kind = BlockSelector::Kind::earliest;
    return selector;
  }
  if (tag == "safe" || tag == "finalized") {
    // Merged mining finalizes; the chain tells the engine (SetFinalized). Both tags name that
    // block: there is no separate "safe" head.
    if (!finalized) fail("no block is finalized yet");
    selector.kind = BlockSelector::Kind::number;
    selector.number = *finalized;
    return selector;
  }
  selector.kind = BlockSelector::Kind::number;
  selector.number = u64_of(value, index, "a block number or tag (latest, pending, earliest)");
  return selector;
}

const BlockSummary* find_block(const BlockHistory& history, const BlockSelector& selector) {
  switch (selector.kind) {
    case BlockSelector::Kind::latest:
      return history.head();
    case BlockSelector::Kind::earliest:
      return history.by_number(0);
    case BlockSelector::Kind::number:
      return history.by_number(selector.number);
    case BlockSelector::Kind::hash:
      return history.by_hash(selector.hash);
  }
  return nullptr;
}

// State is kept for the head only: anything else is refused, with the reason.
void require_head_state(const BlockHistory& history, const BlockSelector& selector) {
  const BlockSummary* head = history.head();
  if (!head) fail("the chain has no genesis block yet");
  const BlockSummary* block = find_block(history, selector);
  if (!block) fail("header not found");
  if (block->number != head->number)
    fail("the state of block " + std::to_string(block->number) +
         " is not available: the embedded engine keeps the state of its head (block " +
         std::to_string(head->number) + ") only");
}

// Checks of eth_estimateGas on a call object: the shape a transfer must have, and funds when a
// sender is named. The same messages as admission.
void check_call_object(const json::value& value, const ChainRules& rules, const Ledger& state) {
  if (!value.is_object()) invalid_argument(0, "the call must be a JSON object");
  const json::object& call = value.as_object();
  auto field = [&call](std::string_view name) -> const json::value* {
    const json::value* found = call.if_contains(name);
    return found && !found->is_null() ? found : nullptr;
  };
  std::optional<EthAddress> from;
  if (auto v = field("from")) from = address_of(*v, 0);
  std::optional<EthAddress> to;
  if (auto v = field("to")) to = address_of(*v, 0);
  Bytes data;
  if (auto v = field("data")) data = data_of(*v, 0, "data");
  if (auto v = field("input")) {
    Bytes input = data_of(*v, 0, "input");
    if (field("data") && input != data)
      invalid_argument(0, "both \"data\" and \"input\" are set and not equal");
    data = std::move(input);
  }
  std::optional<std::uint64_t> gas;
  if (auto v = field("gas")) gas = u64_of(*v, 0, "gas");
  std::optional<Wei> gas_price, max_fee, max_priority_fee;
  if (auto v = field("gasPrice")) gas_price = wei_of(*v, 0, "gasPrice");
  if (auto v = field("maxFeePerGas")) max_fee = wei_of(*v, 0, "maxFeePerGas");
  if (auto v = field("maxPriorityFeePerGas"))
    max_priority_fee = wei_of(*v, 0, "maxPriorityFeePerGas");
  Wei value_wei = 0;
  if (auto v = field("value")) value_wei = wei_of(*v, 0, "value");
  if (auto v = field("chainId")) {
    std::uint64_t chain_id = u64_of(*v, 0, "chainId");
    if (chain_id != rules.chain_id)
      fail("invalid chain id: expected " + std::to_string(rules.chain_id) + ", got " +
           std::to_string(chain_id));
  }
  if (gas_price && (max_fee || max_priority_fee))
    fail("both gasPrice and (maxFeePerGas or maxPriorityFeePerGas) specified");

  if (std::string reason = check_call_target(to, data, value_wei); !reason.empty()) fail(reason);
  if (gas && *gas < kTransferGas)
    fail("intrinsic gas too low: gas " + std::to_string(*gas) + ", minimum needed " +
         std::to_string(kTransferGas));
  if (max_fee && max_priority_fee && *max_priority_fee > *max_fee)
    fail("max priority fee per gas higher than max fee per gas: maxPriorityFeePerGas: " +
         wei_to_decimal(*max_priority_fee) + ", maxFeePerGas: " + wei_to_decimal(*max_fee));
  std::optional<Wei> fee_cap = gas_price ? gas_price : max_fee;
  if (fee_cap && *fee_cap < rules.base_fee)
    fail("max fee per gas less than block base fee: " +
         std::string(gas_price ? "gasPrice: " : "maxFeePerGas: ") + wei_to_decimal(*fee_cap) +
         ", baseFee: " + wei_to_decimal(rules.base_fee));
  if (from) {
    eth::Transaction shape;
    shape.type = gas_price ? eth::TxType::legacy : eth::TxType::eip1559;
    shape.gas_price = gas_price.value_or(0);
    shape.max_fee_per_gas = max_fee.value_or(0);
    shape.gas_limit = kTransferGas;
    shape.value = value_wei;
    eth::SignedTransaction as_signed;
    as_signed.tx = shape;
    as_signed.sender = *from;
    Account sender = state.account(*from);
    as_signed.tx.nonce = sender.nonce;
    if (std::string reason = check_sender_can_pay(as_signed, sender); !reason.empty()) fail(reason);
  }
}

}  // namespace

std::span<const std::string_view> EthRpc::methods() {
  // Trivially destructible: a plugin has no non-trivial statics (they would run inside dlclose).
  static constexpr std::string_view kMethods[] = {
      "eth_chainId",
      "net_version",
      "web3_clientVersion",
      "eth_syncing",
      "eth_blockNumber",
      "eth_gasPrice",
      "eth_maxPriorityFeePerGas",
      "eth_getBalance",
      "eth_getTransactionCount",
      "eth_getCode",
      "eth_estimateGas",
      "eth_sendRawTransaction",
      "eth_getTransactionByHash",
      "eth_getTransactionReceipt",
      "eth_getBlockByNumber",
      "eth_getBlockByHash",
  };
  return kMethods;
}

std::string EthRpc::call(std::string_view method, std::string_view params_json) {
  Params params(params_json);
  if (method == "eth_chainId") return quoted(wei_to_quantity(rules_.chain_id));
  if (method == "net_version") return quoted(std::to_string(rules_.chain_id));
  if (method == "web3_clientVersion") return quoted(client_version_);
  if (method == "eth_syncing") return "false";
  if (method == "eth_gasPrice") return quoted(wei_to_quantity(rules_.base_fee));
  // The base fee is fixed and payloads are not full: a tip only orders transactions.
  if (method == "eth_maxPriorityFeePerGas") return quoted("0x0");
  if (method == "eth_blockNumber") {
    const BlockSummary* head = history_.head();
    if (!head) fail("the chain has no genesis block yet");
    return quoted(wei_to_quantity(head->number));
  }

  if (method == "eth_getBalance" || method == "eth_getTransactionCount" ||
      method == "eth_getCode") {
    params.at_most(2);
    EthAddress address = address_of(params.required(0), 0);
    BlockSelector selector = block_of(params.required(1), 1, finalized_);
    require_head_state(history_, selector);
    // The only code is the predeployed bridge's, which the embedded engine runs natively.
    if (method == "eth_getCode")
      return quoted(address == kBridgeAddress ? to_0x_hex(bridge_runtime_code()) : "0x");
    Account account = state_.account(address);
    if (method == "eth_getBalance") return quoted(wei_to_quantity(account.balance));
    return quoted(wei_to_quantity(selector.pending ? mempool_.pending_nonce(address, account.nonce)
                                                   : account.nonce));
  }

  if (method == "eth_estimateGas") {
    params.at_most(2);
    if (auto block = params.optional(1))
      require_head_state(history_, block_of(*block, 1, finalized_));
    if (!history_.head()) fail("the chain has no genesis block yet");
    check_call_object(params.required(0), rules_, state_);
    return quoted(wei_to_quantity(kTransferGas));
  }

  if (method == "eth_sendRawTransaction") {
    params.at_most(1);
    Bytes raw = data_of(params.required(0), 0, "the raw transaction");
    try {
      return quoted(to_0x_hex(admit_transaction(raw, rules_, state_, mempool_)));
    } catch (const TransactionRejected& rejected) {
      fail(rejected.what());
    }
  }

  if (method == "eth_getTransactionByHash" || method == "eth_getTransactionReceipt") {
    params.at_most(1);
    Hash32 hash = hash_of(params.required(0), 0);
    if (const IncludedTransaction* included = history_.transaction(hash)) {
      const BlockSummary* block = history_.by_number(included->block_number);
      if (!block) fail("transaction " + to_0x_hex(hash) + " names a block the engine lacks");
      eth::SignedTransaction tx = decode_included(hash, *included);
      if (method == "eth_getTransactionReceipt") return text(receipt_object(tx, *included, *block));
      return text(transaction_object(tx, included, block, rules_.base_fee));
    }
    if (method == "eth_getTransactionByHash")
      if (std::optional<eth::SignedTransaction> pending = mempool_.find(hash))
        return text(transaction_object(*pending, nullptr, nullptr, rules_.base_fee));
    return "null";
  }

  if (method == "eth_getBlockByNumber" || method == "eth_getBlockByHash") {
    params.at_most(2);
    const BlockSummary* block = nullptr;
    if (method == "eth_getBlockByHash")
      block = history_.by_hash(hash_of(params.required(0), 0));
    else
      block = find_block(history_, block_of(params.required(0), 0, finalized_));
    bool full = bool_of(params.required(1), 1, "the full-transactions flag");
    return block ? text(block_object(*block, history_, full)) : "null";
  }

  throw RpcError(json_rpc::kMethodNotFound,
                 "the method " + std::string(method) + " does not exist");
}

}  // namespace alys::engine::embedded
