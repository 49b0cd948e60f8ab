// The engine-api backend in the in-process harness (the real storage and engine plugins, the test
// playing the chain) against a real Geth: the genesis is Geth's block 0, a built payload carries a
// transfer, a bridge call and a mint as a withdrawal; ExecutePayload answers the fees its receipts
// paid and refuses mints that are not the payload's withdrawals; CommitPayload makes it Geth's head
// and publishes the RequestPegOut once. Prints SKIP and passes without Geth.
#include <catch2/catch.hpp>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "alys/domain/hash.hpp"
#include "engine/embedded/bridge_call.hpp"
#include "engine/geth_genesis.hpp"
#include "engine/testing/engine_test_node.hpp"
#include "engine/testing/peg_out_call.hpp"
#include "engine/testing/signed_transfers.hpp"
#include "geth_process.hpp"
#include "temp_dir.hpp"

using namespace alys;
using namespace alys::engine;
using namespace alys::engine::embedded;
using namespace alys::engine::testing;
using Catch::Matchers::Contains;
namespace json = boost::json;

namespace {

Wei wei_of(const json::value& quantity) {
  return *wei_parse(
      std::to_string(std::stoull(std::string(quantity.as_string()).substr(2), nullptr, 16)));
}

const std::string kBitcoinAddress = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080";

}  // namespace

TEST_CASE("engine-api in the harness: genesis, fees, withdrawals, peg-outs on Geth") {
  auto binary = alys::testing::find_geth();
  if (!binary) {
    WARN("SKIP: " << alys::testing::geth_missing_reason());
    return;
  }
  alys::testing::TempDir dir("alys-engine-api-geth");
  const std::vector<Mint> alloc{mint(address_of(1), 10 * kEther), mint(address_of(2), kEther)};

  GethGenesisSpec spec;
  spec.chain_id = kTestChainId;
  spec.timestamp_s = kTestGenesisMs / 1000;
  spec.gas_limit = 30'000'000;
  spec.base_fee = kGwei;
  spec.alloc = alloc;
  std::ifstream code_file(ALYS_SOURCE_DIR "/contracts/bridge/Bridge.bin-runtime");
  std::string code((std::istreambuf_iterator<char>(code_file)), std::istreambuf_iterator<char>());
  while (!code.empty() && code.back() == '\n') code.pop_back();
  spec.predeploys.push_back({kBridgeAddress, *from_hex(code)});
  auto genesis_json = geth_genesis_json(spec);
  REQUIRE(genesis_json.ok());
  std::ofstream(dir.path() / "genesis.json") << *genesis_json;
  const auto jwt = alys::testing::write_jwt_secret(dir.path() / "jwt.hex");
  auto init = alys::testing::geth_init(*binary, dir.path() / "geth", dir.path() / "genesis.json",
                                       dir.path() / "geth-init.log");
  INFO(init.output);
  REQUIRE(init.code == 0);
  alys::testing::GethOptions options;
  options.binary = *binary;
  options.datadir = dir.path() / "geth";
  options.jwt_secret = jwt;
  options.log = dir.path() / "geth.log";
  options.extra_flags = {"--miner.gaslimit", "30000000"};
  alys::testing::GethProcess geth(options);
  REQUIRE(geth.wait_ready());

  EngineTestNode node(kMemoryStorage, kTestEngineConfig + "backend = \"engine-api\"\n" +
                                          "engine_url = \"" + geth.authrpc_url() + "\"\n" +
                                          "jwt_secret_file = \"" + jwt.string() + "\"\n");
  node.harness().subscribe(kPegOutsRequestedTopic);
  CHECK(node.info().backend == "engine-api");
  CHECK_FALSE(node.info().has_head);

  // Genesis: Geth's block 0; a request that does not match it is refused naming alys-ctl.
  PayloadBuilt wrong = node.ask<PayloadBuilt>("engine", BuildGenesis{kTestGenesisMs + 1000, alloc});
  CHECK_THAT(wrong.error, Contains("alys-ctl genesis"));
  PayloadBuilt poor =
      node.ask<PayloadBuilt>("engine", BuildGenesis{kTestGenesisMs, {mint(address_of(1), kEther)}});
  CHECK_THAT(poor.error, Contains("genesis_alloc"));
  const ExecutionPayload genesis = node.genesis(alloc);
  auto block0 = geth.rpc("eth_getBlockByNumber", json::array{"0x0", false});
  REQUIRE(block0);
  CHECK(to_0x_hex(genesis.block_hash) == block0->as_object().at("hash").as_string());
  CHECK(node.info().head_payload_hash == genesis.block_hash);

  // A transfer and a bridge call through the forwarded eth_sendRawTransaction.
  node.send_raw(sign(eip1559_transfer(kTestChainId, 0, address_of(3), 1000, 3 * kGwei, kGwei), 2));
  eth::Transaction peg_out =
      legacy_transfer(kTestChainId, 0, kBridgeAddress, 3 * kEther, 2 * kGwei);
  peg_out.gas_limit = 100'000;
  peg_out.data = request_peg_out_calldata(kBitcoinAddress);
  const std::string peg_out_hash = node.send_raw(sign(peg_out, 1));

  // A mint of 5 gwei is withdrawal 0; one of 5 wei has no withdrawal.
  const std::vector<Mint> mints{mint(address_of(4), 5 * kGwei)};
  CHECK_THAT(node.build(1, address_of(5), {mint(address_of(4), 5)}).error,
             Contains("not a whole number of gwei"));
  PayloadBuilt built = node.build(2, address_of(5), mints);
  REQUIRE(built.error.empty());
  CHECK(built.payload.transactions.size() == 2);
  REQUIRE(built.payload.withdrawals.size() == 1);
  CHECK(built.payload.withdrawals[0] == Withdrawal{0, 0, address_of(4), 5});

  PayloadExecuted mismatched = node.execute(built.payload, {});
  CHECK_THAT(mismatched.error, Contains("withdrawals") && Contains("5 gwei"));
  PayloadExecuted executed = node.execute(built.payload, mints);
  REQUIRE(executed.error.empty());
  CHECK(executed.state_root == built.payload.state_root);
  CHECK(executed.state_puts.empty());
  CHECK(node.harness().events(kPegOutsRequestedTopic).empty());  // not committed yet

  // The fees are what the block's receipts say its transactions paid, base fee and tip.
  const Wei base_fee = *wei_from_be(built.payload.base_fee_per_gas);
  Wei expected_fees = 21'000 * std::min<Wei>(3 * kGwei, base_fee + kGwei);
  // The bridge call's gas used, from its receipt once the block is canonical (legacy: price 2
  // gwei).
  node.import(built.payload, executed);
  auto receipt =
      geth.rpc("eth_getTransactionReceipt", json::array{json::string(peg_out_hash.substr(1, 66))});
  REQUIRE(receipt);
  REQUIRE(receipt->is_object());
  expected_fees += wei_of(receipt->as_object().at("gasUsed")) * 2 * kGwei;
  CHECK(wei_from_be(executed.fees_wei) == expected_fees);

  // Committed: Geth's head, and the peg-out reported once.
  auto latest = geth.rpc("eth_getBlockByNumber", json::array{"latest", false});
  REQUIRE(latest);
  CHECK(latest->as_object().at("hash").as_string() == to_0x_hex(built.payload.block_hash));
  CHECK(node.info().head_payload_hash == built.payload.block_hash);
  auto events = node.harness().events(kPegOutsRequestedTopic);
  REQUIRE(events.size() == 1);
  const auto report = events[0].as<PegOutsRequested>();
  CHECK(report.height == 1);
  CHECK(report.payload_hash == built.payload.block_hash);
  REQUIRE(report.requests.size() == 1);
  CHECK("\"" + to_0x_hex(report.requests[0].transaction_hash) + "\"" == peg_out_hash);
  CHECK(report.requests[0].evm_address == address_of(1));
  CHECK(report.requests[0].bitcoin_address ==
        Bytes(kBitcoinAddress.begin(), kBitcoinAddress.end()));
  CHECK(report.requests[0].value_wei == wei_to_be32(3 * kEther));
  CHECK(node.balance(address_of(4)) == q(wei_to_quantity(5 * kGwei)));

  // A payload on a stale parent is refused before Geth sees it.
  CHECK_THAT(node.execute(built.payload, mints).error, Contains("is not the engine's head"));
  node.commit_to_engine(built.payload);  // a repeated commit: nothing more
  CHECK(node.harness().events(kPegOutsRequestedTopic).size() == 1);

  // Finality: Geth's safe and finalized follow SetFinalized.
  node.produce(3);
  REQUIRE(node.harness().send("engine", SetFinalized{1}).ok());
  node.harness().run();
  auto finalized = geth.rpc("eth_getBlockByNumber", json::array{"finalized", false});
  auto safe = geth.rpc("eth_getBlockByNumber", json::array{"safe", false});
  REQUIRE(finalized);
  REQUIRE(safe);
  CHECK(finalized->as_object().at("hash").as_string() == to_0x_hex(built.payload.block_hash));
  CHECK(safe->as_object().at("hash").as_string() == to_0x_hex(built.payload.block_hash));
}
