// The mempool's limits in the real engine plugin (embedded backend), as a wallet meets them over
// JSON-RPC and a peer through SubmitTransaction: one funded account flooding the pool must not
// lock other senders out (docs/engine.md, "Mempool").
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>

#include "engine/testing/engine_test_node.hpp"
#include "engine/testing/signed_transfers.hpp"

using namespace alys;
using namespace alys::engine;
using namespace alys::engine::testing;
using Catch::Matchers::StartsWith;

namespace {

constexpr std::uint64_t kChainId = kTestChainId;

RpcAnswer send(EngineTestNode& node, const Bytes& raw) {
  return node.rpc_answer("eth_sendRawTransaction", "[" + q(to_0x_hex(raw)) + "]");
}

Bytes transfer(std::uint8_t seed, std::uint64_t nonce, Wei tip = kGwei) {
  return sign(eip1559_transfer(kChainId, nonce, address_of(50), 1, 5 * kGwei, tip), seed);
}

}  // namespace

TEST_CASE("one account flooding the pool does not lock other senders out") {
  // A pool of 40: before per-sender limits, one account's 40 transactions filled it.
  EngineTestNode node(kMemoryStorage, kTestEngineConfig + "mempool_limit = 40\n");
  node.genesis(
      {mint(address_of(1), 10 * kEther), mint(address_of(2), kEther), mint(address_of(3), kEther)});

  // The flooder sends nonces 0..99 as fast as it can.
  std::size_t accepted = 0;
  RpcAnswer run_capped, pool_full;
  for (std::uint64_t nonce = 0; nonce < 100; ++nonce) {
    RpcAnswer answer = send(node, transfer(1, nonce));
    if (answer.ok) {
      ++accepted;
    } else if (nonce == 16) {
      run_capped = answer;
    } else if (nonce == 41) {
      pool_full = answer;
    }
  }
  // 16 executable (0..15); 16 itself would make the run 17; 17..40 wait behind that gap until
  // the pool is full; a waiting newcomer evicts nothing.
  CHECK(accepted == 40);
  CHECK(node.info().mempool_size == 40);
  CHECK_FALSE(run_capped.ok);
  CHECK(run_capped.code == -32000);
  CHECK_THAT(run_capped.text, StartsWith("account limit exceeded: the pool already holds 16 "
                                         "executable transactions from " +
                                         to_0x_hex(address_of(1))));
  CHECK_FALSE(pool_full.ok);
  CHECK(pool_full.text == "txpool is full");

  // A second sender, from a wallet and from a peer: each takes the place of a waiting one.
  RpcAnswer second = send(node, transfer(2, 0));
  CHECK(second.ok);
  REQUIRE(node.harness().send("engine", SubmitTransaction{transfer(3, 0)}).ok());
  node.harness().run();
  CHECK(node.info().mempool_size == 40);
  CHECK(node.metric("engine_transactions_evicted_total{reason=\"pool_full\"}") == 2);
  CHECK(node.metric("engine_transactions_refused_total{reason=\"sender_pending\"}") == 1);
  // 41..80 found the pool full; 81..99 are more than 64 beyond the next nonce (16).
  CHECK(node.metric("engine_transactions_refused_total{reason=\"pool_full\"}") == 40);
  CHECK(node.metric("engine_transactions_refused_total{reason=\"nonce_gap\"}") == 19);
  CHECK(node.metric("engine_transactions_refused_total{reason=\"sender_funds\"}") == 0);

  // The next block carries the flooder's 16 and both other senders'.
  ExecutionPayload block = node.produce(1);
  CHECK(block.transactions.size() == 18);
  CHECK(
      node.rpc_json("eth_getTransactionCount", "[" + q(to_0x_hex(address_of(2))) + ", \"latest\"]")
          .as_string() == "0x1");
  CHECK(
      node.rpc_json("eth_getTransactionCount", "[" + q(to_0x_hex(address_of(3))) + ", \"latest\"]")
          .as_string() == "0x1");
  // The flooder's waiting ones (17..38) stay; the gap's filler is taken and makes them runnable.
  CHECK(node.info().mempool_size == 22);
  CHECK(send(node, transfer(1, 16)).ok);
  CHECK(node.build(2).payload.transactions.size() == 23);
}

TEST_CASE("refusals by the pool's limits are JSON-RPC errors a wallet can read") {
  EngineTestNode node(kMemoryStorage, kTestEngineConfig + "mempool_max_future_per_sender = 2\n" +
                                          "mempool_max_tx_bytes = 1024\n");
  const Wei cost = 21'000 * 5 * kGwei + 1;
  node.genesis({mint(address_of(1), 2 * cost)});

  RpcAnswer far = send(node, transfer(1, 3));
  CHECK(far.code == -32000);
  CHECK(far.text ==
        "nonce too high: next nonce 0, tx nonce 3; the pool takes nonces at most 2 beyond the "
        "sender's next one");
  CHECK(send(node, transfer(1, 0)).ok);
  CHECK(send(node, transfer(1, 1)).ok);
  RpcAnswer broke = send(node, transfer(1, 2));
  CHECK(broke.code == -32000);
  CHECK(broke.text == "insufficient funds for the sender's pooled transactions: balance " +
                          wei_to_decimal(2 * cost) + ", cost of the other pooled ones " +
                          wei_to_decimal(2 * cost) + ", tx cost " + wei_to_decimal(cost));
  RpcAnswer big = send(node, Bytes(2000, 0x02));
  CHECK(big.text == "oversized data: transaction size 2000, limit 1024");
  CHECK(node.metric("engine_transactions_refused_total{reason=\"nonce_gap\"}") == 1);
  CHECK(node.metric("engine_transactions_refused_total{reason=\"sender_funds\"}") == 1);
  CHECK(node.metric("engine_transactions_refused_total{reason=\"oversized\"}") == 1);
  CHECK(node.metric("engine_transactions_rejected_total") == 3);
}
