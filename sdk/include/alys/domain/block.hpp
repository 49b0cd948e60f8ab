// The sidechain block, its execution payload and its approvals.
//
// Canonical encoding: the SDK codec (alys/codec.hpp) of `Block`: fixed-width little-endian
// integers, length-prefixed byte strings, vectors and nested structs, in declaration order. The
// block hash is SHA-256 of that encoding; approvals are not part of it (SignedBlock carries them).
// Consensus depends on these bytes: a field is never changed or removed, and a new field is only
// ever appended, together with a new schema name for the block.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "alys/codec.hpp"
#include "alys/domain/hash.hpp"
#include "alys/domain/secp256k1.hpp"

namespace alys {

// A credit of the execution layer not backed by a transaction: a genesis allocation or a peg-in.
struct Mint {
  EthAddress to{};
  std::array<std::uint8_t, 32> amount_wei{};  // big-endian (wei_to_be32 / wei_from_be)
  ALYS_FIELDS(to, amount_wei)
};

// A Bitcoin deposit to the federation, minted on the sidechain (the bridge fills these in later).
struct PegIn {
  Hash32 bitcoin_txid{};  // internal byte order
  std::uint32_t vout = 0;
  EthAddress to{};
  std::uint64_t amount_sats = 0;
  ALYS_FIELDS(bitcoin_txid, vout, to, amount_sats)
};

struct PegOutRequest {
  Hash32 burn_tx_hash{};
  std::string bitcoin_script_pubkey_hex;
  std::uint64_t amount_sats = 0;
  ALYS_FIELDS(burn_tx_hash, bitcoin_script_pubkey_hex, amount_sats)
};

// An Engine API withdrawal (EIP-4895): a credit the execution client applies after the block's
// transactions, `amount_gwei` x 10^9 wei to `address`. The engine-api backend carries the block's
// mints (peg-ins, fee payouts) as withdrawals; the embedded backend credits mints itself and keeps
// this list empty.
struct Withdrawal {
  std::uint64_t index = 0;
  std::uint64_t validator_index = 0;
  EthAddress address{};
  std::uint64_t amount_gwei = 0;
  ALYS_FIELDS(index, validator_index, address, amount_gwei)
  bool operator==(const Withdrawal&) const = default;
};

// Merged-mining finality carried by a block (filled in by the AuxPoW work; empty until then).
struct AuxPowHeader {
  std::uint64_t range_start = 0;  // first height finalized
  std::uint64_t range_end = 0;    // last height finalized
  std::uint32_t bits = 0;
  std::uint32_t chain_id = 0;
  std::uint64_t height = 0;
  Bytes auxpow;
  EthAddress fee_recipient{};
  ALYS_FIELDS(range_start, range_end, bits, chain_id, height, auxpow, fee_recipient)
};

// What the engine built and every member re-executes. `block_hash` is what the backend knows the
// payload by: for the embedded backend its own hash (payload_hash(): keccak256 over the codec
// encoding of the payload with block_hash set to 32 zero bytes), for the engine-api backend the
// Ethereum block hash the execution client computed. Ethereum JSON-RPC shows it.
//
// The fields after block_hash were appended for the engine-api backend (Engine API
// ExecutionPayloadV2): with them any member can hand a payload built by another member's execution
// client to its own. The embedded backend leaves them zero and empty, and refuses a payload where
// they are not.
struct ExecutionPayload {
  Hash32 parent_hash{};  // the parent payload's block_hash (zero for genesis)
  std::uint64_t number = 0;
  std::uint64_t timestamp_s = 0;
  EthAddress fee_recipient{};
  Hash32 state_root{};
  Hash32 transactions_root{};
  std::uint64_t gas_limit = 0;
  std::uint64_t gas_used = 0;
  std::array<std::uint8_t, 32> base_fee_per_gas{};  // wei, big-endian
  std::vector<Bytes> transactions;                  // raw signed Ethereum transactions
  Hash32 block_hash{};
  Hash32 receipts_root{};
  std::array<std::uint8_t, 256> logs_bloom{};
  Hash32 prev_randao{};
  Bytes extra_data;                     // at most 32 bytes
  std::vector<Withdrawal> withdrawals;  // the block's mints, in order (engine-api backend)
  ALYS_FIELDS(parent_hash, number, timestamp_s, fee_recipient, state_root, transactions_root,
              gas_limit, gas_used, base_fee_per_gas, transactions, block_hash, receipts_root,
              logs_bloom, prev_randao, extra_data, withdrawals)
};

struct Block {
  static constexpr std::string_view schema_name = "alys.domain.Block/2";
  std::uint64_t height = 0;
  Hash32 parent_hash{};  // zero for genesis
  std::uint64_t slot = 0;
  std::uint64_t timestamp_ms = 0;
  std::uint32_t author_index = 0;
  ExecutionPayload payload;
  std::vector<PegIn> pegins;
  std::vector<PegOutRequest> pegout_proposal;
  std::vector<Hash32> finalized_pegouts;
  std::vector<AuxPowHeader> auxpow;  // zero or one
  ALYS_FIELDS(height, parent_hash, slot, timestamp_ms, author_index, payload, pegins,
              pegout_proposal, finalized_pegouts, auxpow)
};

struct Approval {
  std::uint32_t member_index = 0;
  SchnorrSignature signature{};
  ALYS_FIELDS(member_index, signature)
};

// `approvals` are all from round `round` of the block's height (docs/chain.md, liveness): a
// certificate is `threshold` approvals of one block from one round. The block hash does not cover
// them; `round` was appended on purpose (4 bytes more in the signed-block encoding).
struct SignedBlock {
  static constexpr std::string_view schema_name = "alys.domain.SignedBlock/2";
  Block block;
  std::vector<Approval> approvals;
  std::uint32_t round = 0;
  ALYS_FIELDS(block, approvals, round)
};

// SHA-256 of encode(block).
Hash32 block_hash(const Block& block);

// What a member signs to approve a block: tagged_hash("alys/approval", chain_id LE64 || block
// hash). Binding the chain id keeps an approval from being replayed on another chain with the same
// keys.
Hash32 approval_message(std::uint64_t chain_id, const Hash32& block_hash);

// The approval of a block in round `round` of its height (docs/chain.md, liveness). Round 0 is the
// message above, unchanged; a later round appends the round as 4 little-endian bytes, so an
// approval given in one round never counts in another.
Hash32 approval_message(std::uint64_t chain_id, const Hash32& block_hash, std::uint32_t round);

// keccak256 of encode(p), where p is `payload` with block_hash set to 32 zero bytes: every other
// field is covered, and the value does not depend on what block_hash held.
Hash32 payload_hash(const ExecutionPayload& payload);

}  // namespace alys
