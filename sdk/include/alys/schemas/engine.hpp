// Messages of the `engine` role (the execution layer). Requests with their replies; `error` is
// empty on success. Fields are only appended; a changed meaning gets a new schema name.
//
// The engine keeps the state of the canonical head. ExecutePayload runs a payload on top of the
// head without changing it and returns the state changes; the chain commits them through storage
// in the block's batch, then sends CommitPayload so that the engine moves its head. A crash
// between the two is harmless: a restarted engine loads its state from storage.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "alys/codec.hpp"
#include "alys/domain/block.hpp"
#include "alys/domain/hash.hpp"
#include "alys/schemas/storage.hpp"

namespace alys::engine {

struct GetInfo {
  static constexpr std::string_view schema_name = "alys.engine.GetInfo/1";
  bool unused = false;
  ALYS_FIELDS(unused)
};
struct Info {
  static constexpr std::string_view schema_name = "alys.engine.Info/1";
  std::string error;
  std::uint64_t chain_id = 0;  // EIP-155 chain id (eth_chainId)
  bool has_head = false;       // false: no genesis yet
  Hash32 head_payload_hash{};
  std::uint64_t head_number = 0;
  Hash32 state_root{};
  std::uint32_t mempool_size = 0;
  std::string backend;  // "embedded" or "engine-api"
  ALYS_FIELDS(error, chain_id, has_head, head_payload_hash, head_number, state_root, mempool_size,
              backend)
};

// Builds the genesis payload from the allocation; refused if the engine already has a head.
struct BuildGenesis {
  static constexpr std::string_view schema_name = "alys.engine.BuildGenesis/1";
  std::uint64_t timestamp_ms = 0;
  std::vector<Mint> alloc;
  ALYS_FIELDS(timestamp_ms, alloc)
};

// A payload on top of the engine's head: mints first, then mempool transactions in nonce order
// per sender, by fee, up to the block gas limit and `max_transactions`.
struct BuildPayload {
  static constexpr std::string_view schema_name = "alys.engine.BuildPayload/1";
  Hash32 parent_payload_hash{};  // must be the engine's head
  std::uint64_t timestamp_ms = 0;
  EthAddress fee_recipient{};
  std::vector<Mint> mints;
  std::uint32_t max_transactions = 0xffffffff;
  ALYS_FIELDS(parent_payload_hash, timestamp_ms, fee_recipient, mints, max_transactions)
};
struct PayloadBuilt {
  static constexpr std::string_view schema_name = "alys.engine.PayloadBuilt/1";
  std::string error;
  ExecutionPayload payload;
  ALYS_FIELDS(error, payload)
};

// Re-executes a payload (built here or elsewhere) on top of the head and checks every field:
// parent, number, timestamp, transactions, gas, base fee, state root, hash.
struct ExecutePayload {
  static constexpr std::string_view schema_name = "alys.engine.ExecutePayload/1";
  ExecutionPayload payload;
  std::vector<Mint> mints;
  bool genesis = false;  // the payload is a genesis (no parent); only valid without a head
  ALYS_FIELDS(payload, mints, genesis)
};
struct PayloadExecuted {
  static constexpr std::string_view schema_name = "alys.engine.PayloadExecuted/1";
  std::string error;
  Hash32 state_root{};
  std::vector<storage::KeyValue> state_puts;  // go into storage's CommitBlock.engine_puts
  std::vector<Bytes> state_deletes;
  // What the payload's transactions paid for gas, base fee and tips together (the sum over its
  // transactions of gas used x effective gas price), big-endian wei. The chain pays the fees of
  // the blocks a merged-mining proof finalizes out again (docs/mining.md, "Fees").
  std::array<std::uint8_t, 32> fees_wei{};
  // With `error`: the engine could not execute the payload at all (its execution client is
  // unreachable or still catching up). The payload is neither valid nor invalid: the chain treats
  // it as an engine that did not answer in time (engine_timeout), never as payload_invalid, so
  // that a member whose own execution client is down does not condemn its peers' blocks.
  bool unavailable = false;
  ALYS_FIELDS(error, state_root, state_puts, state_deletes, fees_wei, unavailable)
};

// Sent (not requested) once storage has committed the block that carries the payload: the engine
// applies the executed changes and drops the included transactions from its mempool.
struct CommitPayload {
  static constexpr std::string_view schema_name = "alys.engine.CommitPayload/1";
  Hash32 payload_hash{};
  ALYS_FIELDS(payload_hash)
};

// Sent by the chain when merged mining finalized blocks up to `number` (and at start-up): the
// engine answers the "finalized" and "safe" block tags with it.
struct SetFinalized {
  static constexpr std::string_view schema_name = "alys.engine.SetFinalized/1";
  std::uint64_t number = 0;  // the payload number (= the block height)
  ALYS_FIELDS(number)
};

// A raw signed transaction from outside this node (the network role: a peer's gossip). The engine
// checks and pools it exactly as eth_sendRawTransaction does; no reply.
struct SubmitTransaction {
  static constexpr std::string_view schema_name = "alys.engine.SubmitTransaction/1";
  Bytes raw;
  ALYS_FIELDS(raw)
};

// Published once for every transaction that enters the pool (from RPC or SubmitTransaction), so
// the network role can gossip it; a transaction refused or already pooled is not published.
inline constexpr std::string_view kTransactionPooledTopic = "engine.transaction_pooled";
struct TransactionPooled {
  static constexpr std::string_view schema_name = "alys.engine.TransactionPooled/1";
  Hash32 hash{};  // keccak256 of raw
  Bytes raw;
  ALYS_FIELDS(hash, raw)
};

}  // namespace alys::engine

namespace alys::engine {

// The bridge contract every genesis carries (Alys's address); `requestPegOut(bytes)` on it burns
// the value sent and emits RequestPegOut(address indexed evmAddress, bytes bitcoinAddress,
// uint256 value). Both backends report those calls.
inline constexpr std::string_view kBridgeContractAddress =
    "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB";

// One RequestPegOut event of an imported block.
struct PegOutRequested {
  Hash32 transaction_hash{};
  std::uint32_t log_index = 0;               // the event's index in its block
  EthAddress evm_address{};                  // who called requestPegOut
  Bytes bitcoin_address;                     // the argument as given (Alys: the address's text)
  std::array<std::uint8_t, 32> value_wei{};  // big-endian
  ALYS_FIELDS(transaction_hash, log_index, evm_address, bitcoin_address, value_wei)
};

// Published by the engine for every committed block that has peg-out requests (none: nothing is
// published), in block order, for the bridge.
inline constexpr std::string_view kPegOutsRequestedTopic = "engine.pegouts_requested";
struct PegOutsRequested {
  static constexpr std::string_view schema_name = "alys.engine.PegOutsRequested/1";
  std::uint64_t height = 0;  // the payload's number
  Hash32 payload_hash{};
  std::vector<PegOutRequested> requests;
  ALYS_FIELDS(height, payload_hash, requests)
};

}  // namespace alys::engine
