// Test support: a node of the real storage and engine plugins in the in-process harness, the test
// playing its chain and its wallet (engine.test.cpp, engine_swap.test.cpp). The plugin files come
// from the test's ALYS_STORAGE_PLUGIN and ALYS_ENGINE_PLUGIN definitions (CMakeLists.txt).
#pragma once

#include <catch2/catch.hpp>

#include <boost/json.hpp>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "alys/admin_rpc.hpp"
#include "alys/domain/wei.hpp"
#include "alys/schemas/engine.hpp"
#include "alys/schemas/storage.hpp"
#include "alys/testing.hpp"

namespace alys::engine::testing {

inline constexpr std::uint64_t kTestChainId = 263634;
inline constexpr std::uint64_t kTestGenesisMs = 1'700'000'000'000;
inline const std::string kTestEngineConfig = "chain_id = " + std::to_string(kTestChainId) + "\n";
inline const std::string kMemoryStorage = "backend = \"memory\"\n";

inline Mint mint(const EthAddress& to, Wei amount) { return Mint{to, wei_to_be32(amount)}; }
inline std::string q(const std::string& text) { return "\"" + text + "\""; }

struct RpcAnswer {
  bool ok = false;
  std::int32_t code = 0;  // when !ok; 0: the host's default, -32000
  std::string text;       // the result, or the error message
};

class EngineTestNode {
 public:
  explicit EngineTestNode(const std::string& storage_toml = kMemoryStorage,
                          const std::string& engine_toml = kTestEngineConfig) {
    harness_.add("storage", ALYS_STORAGE_PLUGIN, storage_toml);
    harness_.add("engine", ALYS_ENGINE_PLUGIN, engine_toml, {"storage"});
    harness_.start();
  }

  alys::testing::Harness& harness() { return harness_; }

  template <class Reply, class Request>
  Reply ask(const std::string& role, const Request& request) {
    std::uint64_t id = harness_.request(role, request, 5000);
    harness_.run();
    std::optional<Reply> reply = harness_.reply_as<Reply>(id);
    if (!reply)
      throw std::runtime_error(std::string("no ") + std::string(Reply::schema_name) +
                               " in reply to " + std::string(Request::schema_name));
    return *reply;
  }

  Info info() { return ask<Info>("engine", GetInfo{}); }

  PayloadExecuted execute(const ExecutionPayload& payload, std::vector<Mint> mints = {},
                          bool genesis = false) {
    return ask<PayloadExecuted>("engine", ExecutePayload{payload, std::move(mints), genesis});
  }

  // The chain's import: storage's atomic CommitBlock with the engine's changes, then
  // CommitPayload. The two halves are separate so that a swap can come between them.
  void import(const ExecutionPayload& payload, const PayloadExecuted& executed) {
    commit_to_storage(payload, executed);
    commit_to_engine(payload);
  }
  void commit_to_storage(const ExecutionPayload& payload, const PayloadExecuted& executed) {
    REQUIRE(executed.error.empty());
    storage::CommitBlock commit;
    commit.hash = payload.block_hash;
    commit.height = payload.number;
    commit.block = Bytes{0xb1, 0x0c};  // the chain's block bytes: opaque here
    commit.engine_puts = executed.state_puts;
    commit.engine_deletes = executed.state_deletes;
    REQUIRE(ask<storage::Committed>("storage", commit).error.empty());
  }
  void commit_to_engine(const ExecutionPayload& payload) {
    REQUIRE(harness_.send("engine", CommitPayload{payload.block_hash}).ok());
    harness_.run();
  }

  ExecutionPayload genesis(std::vector<Mint> alloc) {
    PayloadBuilt built = ask<PayloadBuilt>("engine", BuildGenesis{kTestGenesisMs, alloc});
    REQUIRE(built.error.empty());
    import(built.payload, execute(built.payload, alloc, true));
    return built.payload;
  }

  PayloadBuilt build(std::uint64_t slot, const EthAddress& fee_recipient = {},
                     std::vector<Mint> mints = {}) {
    BuildPayload request;
    request.parent_payload_hash = info().head_payload_hash;
    request.timestamp_ms = kTestGenesisMs + 2000 * slot;
    request.fee_recipient = fee_recipient;
    request.mints = std::move(mints);
    return ask<PayloadBuilt>("engine", request);
  }

  // One block of the chain: build on the head, validate, import.
  ExecutionPayload produce(std::uint64_t slot, const EthAddress& fee_recipient = {},
                           std::vector<Mint> mints = {}) {
    PayloadBuilt built = build(slot, fee_recipient, mints);
    REQUIRE(built.error.empty());
    import(built.payload, execute(built.payload, mints));
    return built.payload;
  }

  std::string rpc(const std::string& method, const std::string& params = "[]") {
    return harness_.call_rpc(method, params);
  }
  boost::json::value rpc_json(const std::string& method, const std::string& params = "[]") {
    return boost::json::parse(rpc(method, params));
  }
  // The call as the admin endpoint makes it, with the JSON-RPC error code the engine chose.
  RpcAnswer rpc_answer(const std::string& method, const std::string& params) {
    RpcResult result = ask<RpcResult>("engine", RpcCall{method, params});
    return RpcAnswer{result.ok, result.error_code, result.json};
  }

  std::string balance(const EthAddress& address) {
    return rpc("eth_getBalance", "[" + q(to_0x_hex(address)) + ", \"latest\"]");
  }
  std::string send_raw(const Bytes& raw) {
    return rpc("eth_sendRawTransaction", "[" + q(to_0x_hex(raw)) + "]");
  }
  std::string transaction(const Hash32& hash) {
    return rpc("eth_getTransactionByHash", "[" + q(to_0x_hex(hash)) + "]");
  }
  std::string client_version() { return rpc_json("web3_clientVersion").as_string().c_str(); }
  double metric(const std::string& name) { return harness_.metric("engine", name).value_or(-1); }

  // A hot swap of the engine that must hand its state over.
  void swap_to(const char* file) {
    alys::testing::SwapResult swapped = harness_.swap("engine", file);
    INFO(swapped.stage << ": " << swapped.message);
    REQUIRE(swapped.ok);
    REQUIRE(swapped.mode == "state");
  }

 private:
  alys::testing::Harness harness_;
};

}  // namespace alys::engine::testing
