#include "engine/embedded/eth_rpc.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "alys/admin_rpc.hpp"
#include "engine/embedded/payload_executor.hpp"
#include "engine/testing/signed_transfers.hpp"

using namespace alys;
using namespace alys::engine;
using namespace alys::engine::embedded;
using namespace alys::engine::testing;
using Catch::Matchers::Contains;
using Catch::Matchers::Equals;
using Catch::Matchers::StartsWith;
namespace json = boost::json;

namespace {

constexpr std::uint64_t kChainId = 1337;

struct RpcFailure {
  std::int32_t code = 0;
  std::string message;
};

// The engine's state after a genesis (key 1: 10 ether) and block 1 (key 1 sends 1 ether to key 2
// at 2 gwei, fee recipient key 9), with the RPC over it.
struct Fixture {
  ChainRules rules{kChainId, kGwei, 30'000'000};
  Ledger state;
  BlockHistory history;
  Mempool pool{100};
  std::optional<std::uint64_t> finalized;
  EthRpc rpc{rules, state, history, pool, finalized, "alysd-engine/test"};
  eth::SignedTransaction mined;

  Fixture() {
    auto genesis =
        PayloadExecutor(rules, state, history.head())
            .build_genesis(1'700'000'000'000, {Mint{address_of(1), wei_to_be32(10 * kEther)}});
    commit(genesis.executed);
    mined = signed_tx(legacy_transfer(kChainId, 0, address_of(2), kEther, 2 * kGwei), 1);
    BuildPayload request;
    request.parent_payload_hash = history.head()->hash;
    request.timestamp_ms = 1'700'000'002'000;
    request.fee_recipient = address_of(9);
    auto block = PayloadExecutor(rules, state, history.head()).build(request, {mined});
    REQUIRE(block.executed.payload.transactions.size() == 1);
    commit(block.executed);
  }

  void commit(const ExecutedPayload& executed) {
    state.apply(executed.accounts);
    history.append(executed.block);
  }

  std::string call(std::string_view method, std::string_view params = "[]") {
    return rpc.call(method, params);
  }
  json::value value(std::string_view method, std::string_view params = "[]") {
    return json::parse(call(method, params));
  }
  RpcFailure failure(std::string_view method, std::string_view params) {
    try {
      rpc.call(method, params);
    } catch (const RpcError& error) {
      return {error.code(), error.what()};
    }
    FAIL("the call succeeded");
    return {};
  }
};

std::string q(const std::string& text) { return "\"" + text + "\""; }
std::string addr(std::uint8_t seed) { return to_0x_hex(address_of(seed)); }

}  // namespace

TEST_CASE("chain parameters") {
  Fixture f;
  CHECK(f.call("eth_chainId") == q("0x539"));
  CHECK(f.call("eth_chainId", "{}") == q("0x539"));  // no params at all
  CHECK(f.call("net_version") == q("1337"));
  CHECK(f.call("web3_clientVersion") == q("alysd-engine/test"));
  CHECK(f.call("eth_syncing") == "false");
  CHECK(f.call("eth_gasPrice") == q("0x3b9aca00"));
  CHECK(f.call("eth_maxPriorityFeePerGas") == q("0x0"));
  CHECK(f.call("eth_blockNumber") == q("0x1"));
  CHECK(f.failure("eth_chainId", R"({"a": 1})").code == -32602);
  RpcFailure unknown = f.failure("eth_call", "[]");
  CHECK(unknown.code == -32601);
}

TEST_CASE("balances and nonces at the head") {
  Fixture f;
  const Wei sender_balance = 9 * kEther - 21'000 * 2 * kGwei;
  const std::string sender = q(wei_to_quantity(sender_balance));
  CHECK(f.call("eth_getBalance", "[" + q(addr(1)) + ", \"latest\"]") == sender);
  CHECK(f.call("eth_getBalance", "[" + q(addr(1)) + ", \"pending\"]") == sender);
  CHECK(f.call("eth_getBalance", "[" + q(addr(1)) + ", \"0x1\"]") == sender);
  CHECK(f.call("eth_getBalance", "[" + q(addr(1)) + R"(, {"blockHash": ")" +
                                     to_0x_hex(f.history.head()->hash) + "\"}]") == sender);
  CHECK(f.call("eth_getBalance", "[" + q(addr(2)) + ", \"latest\"]") == q("0xde0b6b3a7640000"));
  CHECK(f.call("eth_getBalance", "[" + q(addr(9)) + ", \"latest\"]") ==
        q(wei_to_quantity(21'000 * kGwei)));  // the tip
  CHECK(f.call("eth_getBalance", "[" + q(addr(50)) + ", \"latest\"]") == q("0x0"));
  // Mixed case is accepted, as geth does (no checksum check).
  std::string upper = addr(1);
  for (std::size_t i = 2; i < upper.size(); ++i)
    upper[i] = static_cast<char>(std::toupper(upper[i]));
  CHECK(f.call("eth_getBalance", "[" + q(upper) + ", \"latest\"]") == sender);
  CHECK(f.call("eth_getTransactionCount", "[" + q(addr(1)) + ", \"latest\"]") == q("0x1"));
  CHECK(f.call("eth_getCode", "[" + q(addr(1)) + ", \"latest\"]") == q("0x"));
}

TEST_CASE("state queries refuse blocks the engine has no state for") {
  Fixture f;
  const std::string a = q(addr(1));
  RpcFailure old = f.failure("eth_getBalance", "[" + a + ", \"earliest\"]");
  CHECK(old.code == -32000);
  CHECK_THAT(old.message, Equals("the state of block 0 is not available: the embedded engine "
                                 "keeps the state of its head (block 1) only"));
  CHECK_THAT(f.failure("eth_getBalance", "[" + a + ", \"0x2\"]").message,
             Equals("header not found"));
  for (const char* tag : {"safe", "finalized"}) {
    RpcFailure failure = f.failure("eth_getBalance", "[" + a + ", \"" + tag + "\"]");
    CHECK(failure.code == -32000);
    CHECK(failure.message == "no block is finalized yet");
    CHECK(f.failure("eth_getBlockByNumber", std::string("[\"") + tag + "\", false]").message ==
          "no block is finalized yet");
  }
  // Once the chain reports finality, both tags name that block.
  f.finalized = 0;
  for (const char* tag : {"safe", "finalized"})
    CHECK(f.rpc.call("eth_getBlockByNumber", std::string("[\"") + tag + "\", false]") ==
          f.rpc.call("eth_getBlockByNumber", "[\"0x0\", false]"));
  f.finalized = 1;
  CHECK(f.rpc.call("eth_getBalance", "[" + a + ", \"finalized\"]") ==
        f.rpc.call("eth_getBalance", "[" + a + ", \"latest\"]"));
}

TEST_CASE("malformed params answer -32602 naming the argument") {
  Fixture f;
  for (const char* params : {R"(["0x1234", "latest"])", R"([7, "latest"])",
                             R"(["0xZZ00000000000000000000000000000000000000", "latest"])"}) {
    INFO(params);
    RpcFailure failure = f.failure("eth_getBalance", params);
    CHECK(failure.code == -32602);
    CHECK_THAT(failure.message, StartsWith("invalid argument 0: an address"));
  }
  RpcFailure missing = f.failure("eth_getBalance", "[" + q(addr(1)) + "]");
  CHECK(missing.code == -32602);
  CHECK(missing.message == "missing value for required argument 1");
  for (const char* block : {"\"0x01\"", "\"12\"", "\"0x\"", "\"newest\"", "true"}) {
    INFO(block);
    RpcFailure failure = f.failure("eth_getBalance", "[" + q(addr(1)) + ", " + block + "]");
    CHECK(failure.code == -32602);
    CHECK_THAT(failure.message, StartsWith("invalid argument 1"));
  }
  CHECK(f.failure("eth_getBalance", "[" + q(addr(1)) + R"(, "latest", 1])").code == -32602);
  CHECK(f.failure("eth_sendRawTransaction", R"(["02f8"])").code == -32602);   // no 0x
  CHECK(f.failure("eth_sendRawTransaction", R"(["0x02f"])").code == -32602);  // odd length
  CHECK(f.failure("eth_getTransactionByHash", R"(["0x12"])").code == -32602);
  CHECK(f.failure("eth_getBlockByNumber", R"(["latest"])").code == -32602);
  CHECK(f.failure("eth_getBlockByNumber", R"(["latest", "yes"])").code == -32602);
}

TEST_CASE("eth_sendRawTransaction pools a transfer; the pending nonce counts it") {
  Fixture f;
  auto tx = signed_tx(eip1559_transfer(kChainId, 1, address_of(3), 5), 1);
  CHECK(f.call("eth_sendRawTransaction", "[" + q(to_0x_hex(tx.raw)) + "]") ==
        q(to_0x_hex(tx.hash)));
  CHECK(f.pool.size() == 1);
  CHECK(f.call("eth_getTransactionCount", "[" + q(addr(1)) + ", \"pending\"]") == q("0x2"));
  CHECK(f.call("eth_getTransactionCount", "[" + q(addr(1)) + ", \"latest\"]") == q("0x1"));

  json::value pending = f.value("eth_getTransactionByHash", "[" + q(to_0x_hex(tx.hash)) + "]");
  CHECK(pending.at("blockHash").is_null());
  CHECK(pending.at("hash") == json::string(to_0x_hex(tx.hash)));
  CHECK(pending.at("gasPrice") == "0x3b9aca00");  // base fee + 0 tip
  CHECK(f.call("eth_getTransactionReceipt", "[" + q(to_0x_hex(tx.hash)) + "]") == "null");

  RpcFailure again = f.failure("eth_sendRawTransaction", "[" + q(to_0x_hex(tx.raw)) + "]");
  CHECK(again.code == -32000);
  CHECK(again.message == "already known");
  RpcFailure reused =
      f.failure("eth_sendRawTransaction",
                "[" + q(to_0x_hex(sign(eip1559_transfer(kChainId, 0, address_of(3), 5), 1))) + "]");
  CHECK(reused.code == -32000);
  CHECK(reused.message == "nonce too low: next nonce 1, tx nonce 0");
  RpcFailure bad_signature =
      f.failure("eth_sendRawTransaction", "[" + q(to_0x_hex(with_signature_r(tx.raw, {}))) + "]");
  CHECK(bad_signature.code == -32000);
  CHECK_THAT(bad_signature.message, StartsWith("invalid signature"));
  CHECK(f.pool.size() == 1);
}

TEST_CASE("a mined transaction, its receipt and its block") {
  Fixture f;
  const std::string hash = to_0x_hex(f.mined.hash);
  json::value tx = f.value("eth_getTransactionByHash", "[" + q(hash) + "]");
  CHECK(tx.at("blockNumber") == "0x1");
  CHECK(tx.at("blockHash") == json::string(to_0x_hex(f.history.head()->hash)));
  CHECK(tx.at("transactionIndex") == "0x0");
  CHECK(tx.at("from") == json::string(addr(1)));
  CHECK(tx.at("gasPrice") == "0x77359400");

  json::value receipt = f.value("eth_getTransactionReceipt", "[" + q(hash) + "]");
  CHECK(receipt.at("status") == "0x1");
  CHECK(receipt.at("gasUsed") == "0x5208");
  CHECK(receipt.at("effectiveGasPrice") == "0x77359400");
  CHECK(receipt.at("blockNumber") == "0x1");

  const std::string unknown = q(to_0x_hex(Hash32{}));
  CHECK(f.call("eth_getTransactionByHash", "[" + unknown + "]") == "null");
  CHECK(f.call("eth_getTransactionReceipt", "[" + unknown + "]") == "null");

  json::value latest = f.value("eth_getBlockByNumber", R"(["latest", false])");
  CHECK(latest.at("number") == "0x1");
  CHECK(latest.at("transactions") == json::array{json::string(hash)});
  CHECK(f.value("eth_getBlockByNumber", R"(["pending", false])") == latest);
  CHECK(f.value("eth_getBlockByNumber", R"(["0x1", false])") == latest);
  CHECK(f.value("eth_getBlockByHash", "[" + q(to_0x_hex(f.history.head()->hash)) + ", false]") ==
        latest);
  json::value full = f.value("eth_getBlockByNumber", R"(["0x1", true])");
  CHECK(full.at("transactions").at(0).at("hash") == json::string(hash));
  CHECK(f.value("eth_getBlockByNumber", R"(["earliest", false])").at("number") == "0x0");
  CHECK(f.call("eth_getBlockByNumber", R"(["0x2", false])") == "null");
  CHECK(f.call("eth_getBlockByHash", "[" + unknown + ", true]") == "null");
}

TEST_CASE("eth_estimateGas: 21000 for a transfer, the admission errors otherwise") {
  Fixture f;
  const std::string to = q(addr(3));
  CHECK(f.call("eth_estimateGas", "[{\"to\": " + to + "}]") == q("0x5208"));
  // What ethers v6 sends for a wallet's transfer.
  CHECK(f.call("eth_estimateGas",
               "[{\"from\": " + q(addr(1)) + ", \"to\": " + to +
                   R"(, "value": "0xde0b6b3a7640000", "type": "0x2",)"
                   R"( "chainId": "0x539", "maxFeePerGas": "0x77359400",)"
                   R"( "maxPriorityFeePerGas": "0x0", "nonce": "0x1"}, "pending"])") ==
        q("0x5208"));

  auto error_of = [&f](const std::string& call) {
    return f.failure("eth_estimateGas", "[" + call + "]");
  };
  CHECK_THAT(error_of("{\"from\": " + q(addr(1)) + "}").message,
             StartsWith("contract creation is not supported"));
  CHECK_THAT(error_of("{\"to\": " + to + ", \"data\": \"0xa9059cbb\"}").message,
             StartsWith("transaction data is not supported"));
  CHECK_THAT(error_of("{\"to\": " + to + ", \"input\": \"0x00\"}").message,
             StartsWith("transaction data is not supported"));
  CHECK(f.call("eth_estimateGas", "[{\"to\": " + to + ", \"data\": \"0x\"}]") == q("0x5208"));
  CHECK_THAT(error_of("{\"to\": " + to + ", \"chainId\": \"0x1\"}").message,
             Equals("invalid chain id: expected 1337, got 1"));
  CHECK_THAT(error_of("{\"to\": " + to + ", \"gas\": \"0x5207\"}").message,
             StartsWith("intrinsic gas too low"));
  CHECK_THAT(error_of("{\"to\": " + to + ", \"gasPrice\": \"0x1\"}").message,
             StartsWith("max fee per gas less than block base fee"));
  CHECK_THAT(
      error_of("{\"from\": " + q(addr(50)) + ", \"to\": " + to + ", \"value\": \"0x1\"}").message,
      Equals("insufficient funds for gas * price + value: balance 0, tx cost 1"));
  CHECK(error_of("{\"to\": " + to + ", \"value\": \"1\"}").code == -32602);
  CHECK(error_of("\"0x\"").code == -32602);
}

TEST_CASE("before genesis, head queries say so") {
  ChainRules rules{kChainId, kGwei, 30'000'000};
  Ledger state;
  BlockHistory history;
  Mempool pool{10};
  std::optional<std::uint64_t> finalized;
  EthRpc rpc(rules, state, history, pool, finalized, "v");
  CHECK_THROWS_WITH(rpc.call("eth_blockNumber", "[]"), "the chain has no genesis block yet");
  CHECK_THROWS_WITH(rpc.call("eth_getBalance", "[" + q(addr(1)) + ", \"latest\"]"),
                    "the chain has no genesis block yet");
  CHECK(rpc.call("eth_getBlockByNumber", R"(["latest", false])") == "null");
  CHECK(rpc.call("eth_chainId", "[]") == q("0x539"));
}
