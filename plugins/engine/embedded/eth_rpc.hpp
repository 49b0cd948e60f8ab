// The Ethereum JSON-RPC methods a wallet needs to send funds, over the engine's in-memory state.
// Served through the node's admin JSON-RPC endpoint (the engine actor registers each method).
//
// Conventions (geth's): params are a JSON array; malformed params answer -32602 naming the
// argument; a refused transaction and any other failure answer -32000 with the reason; an unknown
// block or transaction is a null result. Block tags: "latest" and "pending" (the same: the engine
// has no pending block), "earliest", a block number, or {"blockNumber": n} / {"blockHash": h}
// (EIP-1898). "safe" and "finalized" name the block merged mining finalized last (the chain tells
// the engine), and are refused while there is none. State
// (balance, nonce) exists for the head block only: a query at an older block is refused.
//
// Not thread-safe; the engine actor calls it from its handlers.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "engine/embedded/block_history.hpp"
#include "engine/embedded/ledger.hpp"
#include "engine/embedded/mempool.hpp"
#include "engine/embedded/transfer_rules.hpp"

namespace alys::engine::embedded {

class EthRpc {
 public:
  // All references must outlive the EthRpc; the state they hold may change between calls.
  EthRpc(const ChainRules& rules, const Ledger& head_state, const BlockHistory& history,
         Mempool& mempool, const std::optional<std::uint64_t>& finalized,
         std::string client_version)
      : rules_(rules),
        state_(head_state),
        history_(history),
        mempool_(mempool),
        finalized_(finalized),
        client_version_(std::move(client_version)) {}

  // The method names served.
  static std::span<const std::string_view> methods();

  // `params_json` as the admin endpoint passes it: an array, or "{}" when the call had none.
  // Returns the result as JSON text; throws alys::RpcError with the JSON-RPC code.
  std::string call(std::string_view method, std::string_view params_json);

 private:
  const ChainRules& rules_;
  const Ledger& state_;
  const BlockHistory& history_;
  Mempool& mempool_;
  const std::optional<std::uint64_t>& finalized_;
  std::string client_version_;
};

}  // namespace alys::engine::embedded
