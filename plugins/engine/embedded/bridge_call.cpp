#include "engine/embedded/bridge_call.hpp"

#include <algorithm>
#include <stdexcept>
#include <string_view>

#include "alys/domain/keccak.hpp"
#include "alys/domain/rlp.hpp"

#ifndef ALYS_BRIDGE_RUNTIME_HEX
#error "ALYS_BRIDGE_RUNTIME_HEX: the build passes contracts/bridge/Bridge.bin-runtime here"
#endif

namespace alys::engine::embedded {

namespace {

constexpr std::string_view kSignature = "requestPegOut(bytes)";
constexpr std::string_view kEventSignature = "RequestPegOut(address,bytes,uint256)";

// An ABI word that Solidity reads as a 64-bit quantity (offsets, lengths): nullopt above 2^64 - 1,
// where the decoder reverts.
std::optional<std::uint64_t> word_u64(ByteView word) {
  for (std::size_t i = 0; i < 24; ++i)
    if (word[i] != 0) return std::nullopt;
  std::uint64_t value = 0;
  for (std::size_t i = 24; i < 32; ++i) value = value << 8 | word[i];
  return value;
}

// The `bytes` value that `offset_word` points at within `args`, with Solidity's bounds checks
// (offset and length below 2^64, both inside `args`); the error names what is out of range.
std::string read_abi_bytes(ByteView args, ByteView offset_word, Bytes& out) {
  const auto offset = word_u64(offset_word);
  if (!offset) return "the bytes argument's offset is above 2^64";
  // 128-bit sums (Wei is the 128-bit integer): an offset near 2^64 must not wrap to a small one.
  if (Wei{*offset} + 32 > args.size())
    return "the bytes argument's offset " + std::to_string(*offset) +
           " leaves no room for its length word in " + std::to_string(args.size()) +
           " bytes of arguments";
  const auto length = word_u64(args.subspan(*offset, 32));
  if (!length) return "the bytes argument's length is above 2^64";
  if (Wei{*offset} + 32 + *length > args.size())
    return "the bytes argument's length " + std::to_string(*length) + " at offset " +
           std::to_string(*offset) + " runs past the " + std::to_string(args.size()) +
           " bytes of arguments";
  const ByteView bytes = args.subspan(*offset + 32, *length);
  out.assign(bytes.begin(), bytes.end());
  return {};
}

struct CallFields {
  std::optional<EthAddress> to;
  Wei value = 0;
  Bytes data;
};

Wei wei_of(const rlp::Item& item) {
  auto value = wei_from_be(item.bytes);
  if (!value || item.is_list) throw rlp::RlpError("value: not a 128-bit integer");
  return *value;
}

// `to`, value and data of a raw legacy or type 2 transaction, without recovering its signature
// (the engine checked it when it executed the block).
CallFields call_fields(ByteView raw) {
  if (raw.empty()) throw rlp::RlpError("empty transaction");
  const bool typed = raw[0] == 0x02;
  rlp::Item list = rlp::decode(typed ? raw.subspan(1) : raw);
  const std::size_t first = typed ? 5 : 3;  // index of `to`
  if (!list.is_list || list.items.size() < first + 3)
    throw rlp::RlpError("not a transaction's field list");
  CallFields fields;
  const rlp::Item& to = list.items[first];
  if (to.bytes.size() == 20) {
    EthAddress address{};
    std::copy(to.bytes.begin(), to.bytes.end(), address.begin());
    fields.to = address;
  }
  fields.value = wei_of(list.items[first + 1]);
  fields.data = list.items[first + 2].bytes;
  return fields;
}

}  // namespace

std::array<std::uint8_t, 4> request_peg_out_selector() {
  Hash32 hash = keccak256(
      ByteView(reinterpret_cast<const std::uint8_t*>(kSignature.data()), kSignature.size()));
  return {hash[0], hash[1], hash[2], hash[3]};
}

DecodedPegOut decode_request_peg_out(ByteView calldata) {
  DecodedPegOut decoded;
  auto fail = [&decoded](std::string reason) {
    decoded.error = "calldata is not a requestPegOut(bytes) call: " + reason;
    return decoded;
  };
  if (calldata.size() < 4)
    return fail(std::to_string(calldata.size()) + " bytes, shorter than a function selector");
  const auto selector = request_peg_out_selector();
  if (!std::equal(selector.begin(), selector.end(), calldata.begin()))
    return fail("function selector " + to_0x_hex(calldata.first(4)) +
                " is not requestPegOut(bytes)'s " + to_0x_hex(selector) +
                " (the bridge contract has no other function)");
  // Offsets count from the arguments' start, right after the selector.
  const ByteView args = calldata.subspan(4);
  if (args.size() < 32)
    return fail("the arguments are " + std::to_string(args.size()) +
                " bytes, shorter than the bytes argument's 32-byte offset");
  if (std::string reason = read_abi_bytes(args, args.first(32), decoded.bitcoin_address);
      !reason.empty())
    return fail(reason);
  return decoded;
}

Hash32 request_peg_out_topic() {
  return keccak256(ByteView(reinterpret_cast<const std::uint8_t*>(kEventSignature.data()),
                            kEventSignature.size()));
}

DecodedPegOutLog decode_request_peg_out_log(const std::vector<Hash32>& topics, ByteView data) {
  DecodedPegOutLog decoded;
  auto fail = [&decoded](std::string reason) {
    decoded.error = "log is not a RequestPegOut event: " + reason;
    return decoded;
  };
  if (topics.size() != 2)
    return fail(std::to_string(topics.size()) + " topics, expected 2 (signature, evmAddress)");
  if (topics[0] != request_peg_out_topic())
    return fail("topic 0 " + to_0x_hex(topics[0]) + " is not RequestPegOut's " +
                to_0x_hex(request_peg_out_topic()));
  if (!std::all_of(topics[1].begin(), topics[1].begin() + 12, [](auto b) { return b == 0; }))
    return fail("topic 1 " + to_0x_hex(topics[1]) + " is not an address");
  std::copy(topics[1].begin() + 12, topics[1].end(), decoded.evm_address.begin());
  // data: (bytes bitcoinAddress, uint256 value), the bytes behind an offset.
  if (data.size() < 64)
    return fail("data of " + std::to_string(data.size()) + " bytes, shorter than its two words");
  std::copy(data.begin() + 32, data.begin() + 64, decoded.value_wei.begin());
  if (std::string reason = read_abi_bytes(data, data.first(32), decoded.bitcoin_address);
      !reason.empty())
    return fail(reason);
  return decoded;
}

std::string check_call_target(const std::optional<EthAddress>& to, ByteView data, Wei value) {
  if (!to)
    return "contract creation is not supported by the embedded engine (value transfers only)";
  if (*to == kBridgeAddress) {
    if (data.empty())
      return "the bridge contract " + std::string(kBridgeContractAddress) +
             " takes only requestPegOut(bytes) calls, not plain transfers";
    if (data.size() > kMaxBridgeCalldataBytes)
      return "a requestPegOut call of " + std::to_string(data.size()) +
             " bytes: the embedded engine takes at most " + std::to_string(kMaxBridgeCalldataBytes);
    DecodedPegOut decoded = decode_request_peg_out(data);
    if (!decoded.error.empty()) return decoded.error;
    if (decoded.bitcoin_address.size() > kMaxPegOutAddressBytes)
      return "a Bitcoin address of " + std::to_string(decoded.bitcoin_address.size()) +
             " bytes: at most " + std::to_string(kMaxPegOutAddressBytes) + " (bech32's limit)";
    // The contract's own revert reason (contracts/bridge/Bridge.sol), as Geth reports it.
    if (value == 0) return "execution reverted: Bridge: a peg-out needs a value";
    return {};
  }
  if (!data.empty())
    return "transaction data is not supported by the embedded engine (value transfers only)";
  return {};
}

EthAddress value_recipient(const EthAddress& to) {
  return to == kBridgeAddress ? kBurnAddress : to;
}

std::vector<PegOutRequested> peg_outs_of(const CommittedBlock& block) {
  std::vector<PegOutRequested> requests;
  for (std::size_t i = 0; i < block.transactions.size(); ++i) {
    const IncludedTransaction& included = block.transactions[i];
    CallFields fields;
    try {
      fields = call_fields(included.raw);
    } catch (const rlp::RlpError&) {
      continue;  // never a transaction the engine executed (those all parse): nothing to report
    }
    if (fields.to != kBridgeAddress) continue;
    DecodedPegOut decoded = decode_request_peg_out(fields.data);
    if (!decoded.error.empty() || fields.value == 0) continue;
    PegOutRequested request;
    request.transaction_hash = block.summary.transaction_hashes.at(i);
    request.log_index = static_cast<std::uint32_t>(requests.size());
    request.evm_address = included.sender;
    request.bitcoin_address = std::move(decoded.bitcoin_address);
    request.value_wei = wei_to_be32(fields.value);
    requests.push_back(std::move(request));
  }
  return requests;
}

const Bytes& bridge_runtime_code() {
  static const Bytes code = [] {
    auto parsed = from_hex(ALYS_BRIDGE_RUNTIME_HEX);
    if (!parsed || parsed->empty()) throw std::logic_error("the bridge's runtime code is not hex");
    return *parsed;
  }();
  return code;
}

}  // namespace alys::engine::embedded
