// The genesis file Geth is initialised with (`geth init`) so that it executes the chain alysd runs:
// the same chain id, genesis time, gas limit, allocations and predeployed contracts (the bridge at
// kBridgeContractAddress). alysd drives Geth through the Engine API from block 1, so block 0 is
// already post-merge, and the fork schedule is Alys's own: every fork through Shanghai at 0, no
// Cancun (the V2 Engine API methods, withdrawals without blobs or beacon roots).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "alys/codec.hpp"
#include "alys/domain/block.hpp"
#include "alys/domain/hash.hpp"
#include "alys/domain/wei.hpp"
#include "alys/status.hpp"

namespace alys::engine {

// A contract present from block 0: its runtime bytecode (what eth_getCode returns), no storage.
struct Predeploy {
  EthAddress address{};
  Bytes code;
};

struct GethGenesisSpec {
  std::uint64_t chain_id = 0;
  std::uint64_t timestamp_s = 0;  // Geth counts seconds; the chain spec's genesis time / 1000
  std::uint64_t gas_limit = 0;
  // Block 0's base fee. Geth derives each later block's from its parent (EIP-1559), so it is the
  // starting point, not a fixed price as in the embedded backend.
  Wei base_fee = 0;
  std::vector<Mint> alloc;            // balances; an address at most once
  std::vector<Predeploy> predeploys;  // an address at most once; may also be in `alloc`
};

// The genesis JSON text for `geth init` (one line, then a newline). An address both funded and
// predeployed gets one account with the balance and the code. Fails (ALYS_ERR_INVALID) when the
// chain id or gas limit is 0, an address appears twice in one list, or a predeploy has no code.
// Pure: no I/O, safe on any thread.
Result<std::string> geth_genesis_json(const GethGenesisSpec& spec);

}  // namespace alys::engine
