// The Engine API's objects (execution-apis, src/engine/paris.md and shanghai.md) as C++ values:
// ExecutionPayloadV1/V2, WithdrawalV1, ForkchoiceStateV1, PayloadAttributesV1/V2, PayloadStatusV1
// and the answers of forkchoiceUpdated and getPayloadV2. engine_json.hpp maps them to and from
// JSON.
//
// Fields keep the spec's widths: 256-bit quantities (baseFeePerGas, blockValue) are 32 big-endian
// bytes. Withdrawal amounts are gwei in a uint64 as geth and the current spec have them (an early
// Shanghai draft had 256-bit wei).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alys/codec.hpp"
#include "alys/domain/block.hpp"
#include "alys/domain/hash.hpp"

namespace alys::engine::engine_api {

using Bloom = std::array<std::uint8_t, 256>;
using U256Be = std::array<std::uint8_t, 32>;  // a 256-bit quantity, big-endian
using PayloadId = std::array<std::uint8_t, 8>;

// A credit the execution client applies after the block's transactions: `amount_gwei` x 1e9 wei
// to `address`. Alys uses it for peg-ins and fee payouts. The domain type, so that a payload
// converts without copying field by field.
using Withdrawal = alys::Withdrawal;

// ExecutionPayloadV1 when `withdrawals` is nullopt, V2 otherwise (an empty list is a V2 payload
// without withdrawals: post-Shanghai it is `[]`, never absent or null).
struct ExecutionPayloadV2 {
  Hash32 parent_hash{};
  EthAddress fee_recipient{};
  Hash32 state_root{};
  Hash32 receipts_root{};
  Bloom logs_bloom{};
  Hash32 prev_randao{};
  std::uint64_t block_number = 0;
  std::uint64_t gas_limit = 0;
  std::uint64_t gas_used = 0;
  std::uint64_t timestamp = 0;
  Bytes extra_data;  // 0 to 32 bytes
  U256Be base_fee_per_gas{};
  Hash32 block_hash{};
  std::vector<Bytes> transactions;  // EIP-2718 encodings
  std::optional<std::vector<Withdrawal>> withdrawals;
  bool operator==(const ExecutionPayloadV2&) const = default;
};

struct ForkchoiceStateV1 {
  Hash32 head_block_hash{};
  Hash32 safe_block_hash{};
  Hash32 finalized_block_hash{};
  bool operator==(const ForkchoiceStateV1&) const = default;
};

// PayloadAttributesV1 when `withdrawals` is nullopt, V2 otherwise.
struct PayloadAttributesV2 {
  std::uint64_t timestamp = 0;
  Hash32 prev_randao{};
  EthAddress suggested_fee_recipient{};
  std::optional<std::vector<Withdrawal>> withdrawals = std::vector<Withdrawal>{};
  bool operator==(const PayloadAttributesV2&) const = default;
};

enum class PayloadValidity { kValid, kInvalid, kSyncing, kAccepted, kInvalidBlockHash };

std::string_view to_string(PayloadValidity status);
std::optional<PayloadValidity> payload_validity_from(std::string_view text);

struct PayloadStatusV1 {
  PayloadValidity status = PayloadValidity::kSyncing;
  std::optional<Hash32> latest_valid_hash;  // null in JSON when absent
  std::optional<std::string> validation_error;
  bool operator==(const PayloadStatusV1&) const = default;
};

struct ForkchoiceUpdatedResponse {
  PayloadStatusV1 payload_status;
  std::optional<PayloadId> payload_id;  // set only when attributes were given and accepted
  bool operator==(const ForkchoiceUpdatedResponse&) const = default;
};

struct GetPayloadV2Response {
  ExecutionPayloadV2 execution_payload;
  U256Be block_value{};  // wei the fee recipient earns
  bool operator==(const GetPayloadV2Response&) const = default;
};

// One entry of getPayloadBodiesByHashV1 (nullopt there for a block the client does not have).
struct ExecutionPayloadBodyV1 {
  std::vector<Bytes> transactions;
  std::optional<std::vector<Withdrawal>> withdrawals;  // null for pre-Shanghai blocks
  bool operator==(const ExecutionPayloadBodyV1&) const = default;
};

}  // namespace alys::engine::engine_api
