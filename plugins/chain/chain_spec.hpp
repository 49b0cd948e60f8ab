// The chain spec: what every member of one chain must agree on, read from the `chain` role's
// table. docs/chain.md describes each key; config/reference.toml shows them all.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alys/config_check.hpp"
#include "alys/domain/block.hpp"
#include "alys/domain/hash.hpp"
#include "alys/domain/secp256k1.hpp"
#include "fees.hpp"
#include "merged_mining.hpp"

namespace alys::chain {

struct ChainSpec {
  std::uint64_t chain_id = 0;  // EIP-155 chain id; also binds approvals to this chain
  std::vector<XOnlyPublicKey> members;
  std::uint32_t threshold = 0;
  std::uint64_t slot_ms = 2000;
  std::uint64_t genesis_timestamp_ms = 0;
  std::vector<Mint> genesis_alloc;
  std::uint64_t max_future_drift_ms = 1000;
  std::optional<PowSpec> pow;  // [chain.auxpow]: merged-mining finality; without it, none
  // Where the federation's 20% of the fees goes (docs/mining.md, "Fees"); unset, the burn address,
  // where that share stays burned.
  EthAddress federation_fee_recipient = kFeeBurnAddress;

  std::uint64_t slot_at(std::uint64_t unix_ms) const { return unix_ms / slot_ms; }
  std::uint64_t slot_start_ms(std::uint64_t slot) const { return slot * slot_ms; }
  std::uint32_t author_of(std::uint64_t slot) const {
    return static_cast<std::uint32_t>(slot % members.size());
  }
  std::optional<std::uint32_t> member_index(const XOnlyPublicKey& key) const;
};

// Alys's default threshold, ceil(2N/3) = (2N+2)/3: a strict majority for every N >= 1, and with
// one-round-at-a-time approvals it tolerates f Byzantine members while 2t - N > f.
constexpr std::uint32_t default_threshold(std::size_t members) {
  return static_cast<std::uint32_t>((2 * members + 2) / 3);
}

// SHA-256 over the spec's consensus fields (everything but max_future_drift_ms, a local
// tolerance): two nodes, or two instances across a hot swap, with the same digest follow the same
// chain rules.
Hash32 spec_digest(const ChainSpec& spec);

// This node's own settings, next to the spec in the same table.
struct NodeSettings {
  std::string key_file;  // empty: an observer that imports but neither produces nor approves
  // The miner's recipient this node puts in the AuxPoWs it makes: dev_mine's, and createauxblock's
  // when called without an address. Blocks themselves always pay their fees to kFeeBurnAddress.
  EthAddress fee_recipient{};
  std::uint32_t max_transactions_per_block = 10'000;
  std::uint64_t engine_timeout_ms = 10'000;
  std::uint64_t storage_timeout_ms = 30'000;
  bool dev_mine = false;  // mine AuxPoWs in-process (development only; needs [chain.auxpow])
  // Mining runs on the chain's own thread: a bound keeps a target grown too hard for a CPU from
  // stalling the actor (about a tenth of a second of hashing).
  std::uint64_t dev_mine_max_attempts = 100'000;
};

struct ChainConfig {
  ChainSpec spec;
  NodeSettings node;
};

// The one reader of the role table (as JSON, from Context::config_json()), for the start and the
// table check alike: every problem goes to `problems`, its key relative to the table
// ("auxpow.chain_id", "members[1]"). No side effects (the key file is read at start, not here),
// no state: safe on any thread.
ChainConfig read_chain_config(std::string_view table_json, ConfigProblems& problems);

// What the start uses: throws std::invalid_argument with every problem found, one per line,
// "chain.KEY: WHAT".
ChainConfig parse_chain_config(std::string_view table_json);

}  // namespace alys::chain
