// Builds payloads on top of the engine's head, and executes (validates) payloads built anywhere.
//
// Execution of a payload: its mints credit their recipients first, then each transaction runs in
// order. A transfer charges exactly 21,000 gas (the rest of its gas limit is not charged) at the
// effective gas price; the sender pays value + 21,000 * price and its nonce goes up by one, the
// recipient gets the value, the payload's fee recipient gets 21,000 * (price - base fee), and the
// base fee part is burned. A requestPegOut call of the bridge contract (bridge_call.hpp) runs the
// same way, its value credited to the burn address 0x…dEaD, where the contract forwards it.
//
// transactions_root (this project's own commitment): keccak256 of the transactions' 32-byte hashes
// concatenated in payload order (keccak256 of nothing for an empty payload).
//
// The executor reads the head and never changes it: the result carries the changed accounts and
// the block's record, which the engine applies when the payload is committed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "alys/domain/block.hpp"
#include "alys/domain/eth_transaction.hpp"
#include "alys/domain/wei.hpp"
#include "alys/schemas/engine.hpp"
#include "engine/embedded/block_history.hpp"
#include "engine/embedded/ledger.hpp"
#include "engine/embedded/transfer_rules.hpp"

namespace alys::engine::embedded {

struct ExecutedPayload {
  ExecutionPayload payload;
  AccountChanges accounts;  // what moves the head state to the payload's
  CommittedBlock block;     // the payload as eth_getBlockBy* and receipts show it
};

struct BuildResult {
  std::string error;  // empty on success
  ExecutedPayload executed;
  // Candidates left out because they failed to execute; the mempool drops them.
  std::vector<Hash32> dropped;
};

struct ExecuteResult {
  std::string error;  // empty when the payload is valid; names the field and both values
  ExecutedPayload executed;
};

Hash32 transactions_root(const std::vector<Hash32>& transaction_hashes);

// The name of the first Engine API field of `payload` (receipts_root, logs_bloom, prev_randao,
// extra_data, withdrawals) that is not zero or empty; "" when all are. The embedded backend
// refuses a payload that sets one.
std::string engine_api_field_set(const ExecutionPayload& payload);

// What the block's transactions paid for gas: 21,000 x the effective gas price of each (base fee
// and tip together); saturates at 2^128 - 1.
Wei fees_paid(const CommittedBlock& block);

class PayloadExecutor {
 public:
  // `head` is the committed head block, nullptr before genesis; `state` is its state. Both must
  // outlive the executor and stay unchanged while it is used.
  PayloadExecutor(const ChainRules& rules, const Ledger& state, const BlockSummary* head)
      : rules_(rules), state_(state), head_(head) {}

  // The genesis payload: number 0, zero parent and fee recipient, no transactions, the allocation
  // credited. Refused when the engine already has a head.
  BuildResult build_genesis(std::uint64_t timestamp_ms, const std::vector<Mint>& alloc) const;

  // A payload on the head: the request's mints, then `candidates` in the given order (the mempool's
  // selection), each one left out (and listed in `dropped`) if it fails to execute. A candidate
  // whose nonce is above its sender's (an earlier one of the sender failed) is left out but not
  // dropped: it may run later.
  BuildResult build(const BuildPayload& request,
                    const std::vector<eth::SignedTransaction>& candidates) const;

  // Re-executes `request.payload` on the head and checks every field.
  ExecuteResult execute(const ExecutePayload& request) const;

 private:
  std::string check_position(const ExecutionPayload& payload, bool genesis) const;
  ExecutedPayload seal(ExecutionPayload payload, const LedgerOverlay& overlay,
                       const std::vector<eth::SignedTransaction>& included,
                       const std::vector<Wei>& prices) const;

  const ChainRules& rules_;
  const Ledger& state_;
  const BlockSummary* head_;
};

}  // namespace alys::engine::embedded
