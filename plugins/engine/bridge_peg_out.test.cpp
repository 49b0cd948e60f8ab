// requestPegOut on the embedded backend, through the real engine and storage plugins: a wallet's
// bridge call is pooled, built into a block, validated by another member's engine, burned, and
// reported on engine.pegouts_requested once the block is committed, exactly once.
#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "alys/schemas/engine.hpp"
#include "engine/embedded/bridge_call.hpp"
#include "engine/testing/engine_test_node.hpp"
#include "engine/testing/peg_out_call.hpp"
#include "engine/testing/signed_transfers.hpp"

using namespace alys;
using namespace alys::engine;
using namespace alys::engine::embedded;
using namespace alys::engine::testing;
using Catch::Matchers::Contains;

namespace {

std::vector<PegOutsRequested> reports(EngineTestNode& node) {
  std::vector<PegOutsRequested> out;
  for (const auto& event : node.harness().events(kPegOutsRequestedTopic))
    out.push_back(event.as<PegOutsRequested>());
  return out;
}

std::string quantity(Wei value) { return q(wei_to_quantity(value)); }

const std::string kBitcoinAddress = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080";
const std::string kBridge = q(std::string(kBridgeContractAddress));

}  // namespace

TEST_CASE("requestPegOut is burned and reported once per committed block") {
  const std::vector<Mint> alloc{mint(address_of(1), 10 * kEther), mint(address_of(2), kEther)};
  EngineTestNode author;
  author.harness().subscribe(kPegOutsRequestedTopic);
  author.genesis(alloc);

  // What a wallet asks first: the code at the address, and the gas.
  std::ifstream file(ALYS_SOURCE_DIR "/contracts/bridge/Bridge.bin-runtime");
  std::string committed((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  while (!committed.empty() && committed.back() == '\n') committed.pop_back();
  REQUIRE(committed.size() > 100);
  CHECK(author.rpc("eth_getCode", "[" + kBridge + ", \"latest\"]") == q("0x" + committed));
  CHECK(author.rpc("eth_getCode", "[" + q(to_0x_hex(address_of(3))) + ", \"latest\"]") == q("0x"));
  const std::string call_data = to_0x_hex(request_peg_out_calldata(kBitcoinAddress));
  CHECK(author.rpc("eth_estimateGas", "[{\"from\": " + q(to_0x_hex(address_of(1))) +
                                          ", \"to\": " + kBridge + ", \"value\": \"0x1\", " +
                                          "\"data\": " + q(call_data) + "}]") == q("0x5208"));

  // Refused as the contract would revert them.
  eth::Transaction zero = legacy_transfer(kTestChainId, 0, kBridgeAddress, 0);
  zero.data = request_peg_out_calldata(kBitcoinAddress);
  REQUIRE_THROWS_WITH(author.send_raw(sign(zero, 1)),
                      Contains("execution reverted: Bridge: a peg-out needs a value"));
  eth::Transaction plain = legacy_transfer(kTestChainId, 0, kBridgeAddress, kEther);
  REQUIRE_THROWS_WITH(author.send_raw(sign(plain, 1)),
                      Contains("takes only requestPegOut(bytes) calls"));
  eth::Transaction cut = plain;
  cut.data = request_peg_out_calldata(kBitcoinAddress);
  cut.data.resize(cut.data.size() - 32);
  REQUIRE_THROWS_WITH(author.send_raw(sign(cut, 1)),
                      Contains("calldata is not a requestPegOut(bytes) call"));

  // One peg-out beside a plain transfer.
  eth::Transaction peg_out = legacy_transfer(kTestChainId, 0, kBridgeAddress, 3 * kEther);
  peg_out.data = request_peg_out_calldata(kBitcoinAddress);
  const std::string peg_out_hash = author.send_raw(sign(peg_out, 1));
  const std::string transfer_hash =
      author.send_raw(sign(eip1559_transfer(kTestChainId, 0, address_of(3), 1000), 2));
  CHECK(reports(author).empty());

  PayloadBuilt built = author.build(1);
  REQUIRE(built.error.empty());
  REQUIRE(built.payload.transactions.size() == 2);
  // Executed, not yet committed: nothing reported (the block may never be imported).
  PayloadExecuted executed = author.execute(built.payload);
  REQUIRE(executed.error.empty());
  CHECK(reports(author).empty());
  author.import(built.payload, executed);

  std::vector<PegOutsRequested> reported = reports(author);
  REQUIRE(reported.size() == 1);
  CHECK(reported[0].height == 1);
  CHECK(reported[0].payload_hash == built.payload.block_hash);
  REQUIRE(reported[0].requests.size() == 1);
  const PegOutRequested& request = reported[0].requests[0];
  CHECK(q(to_0x_hex(request.transaction_hash)) == peg_out_hash);
  CHECK(request.log_index == 0);
  CHECK(request.evm_address == address_of(1));
  CHECK(request.bitcoin_address == Bytes(kBitcoinAddress.begin(), kBitcoinAddress.end()));
  CHECK(request.value_wei == wei_to_be32(3 * kEther));

  // The value left the sender (with the gas) for 0x…dEaD; the bridge holds nothing.
  CHECK(author.balance(address_of(1)) == quantity(10 * kEther - 3 * kEther - 21'000 * kGwei));
  CHECK(author.balance(kBurnAddress) == quantity(3 * kEther));
  CHECK(author.balance(kBridgeAddress) == q("0x0"));
  CHECK(author.balance(address_of(3)) == quantity(1000));

  // Exactly once: a repeated CommitPayload and the blocks after report nothing more.
  author.commit_to_engine(built.payload);
  author.produce(2);
  CHECK(reports(author).size() == 1);

  // Another member validates the same payload (execute, not build) and reports the same.
  EngineTestNode member;
  member.harness().subscribe(kPegOutsRequestedTopic);
  member.genesis(alloc);
  PayloadExecuted validated = member.execute(built.payload);
  REQUIRE(validated.error.empty());
  CHECK(validated.state_root == built.payload.state_root);
  member.import(built.payload, validated);
  std::vector<PegOutsRequested> member_reported = reports(member);
  REQUIRE(member_reported.size() == 1);
  CHECK(encode(member_reported[0]) == encode(reported[0]));
  CHECK(q(to_0x_hex(built.payload.block_hash)) != transfer_hash);
}

TEST_CASE("a peg-out executed before a hot swap is reported once after it") {
  EngineTestNode node;
  node.harness().subscribe(kPegOutsRequestedTopic);
  node.genesis({mint(address_of(1), 10 * kEther)});
  eth::Transaction peg_out = eip1559_transfer(kTestChainId, 0, kBridgeAddress, kEther);
  peg_out.data = request_peg_out_calldata(kBitcoinAddress);
  const std::string hash = node.send_raw(sign(peg_out, 1));

  // The executed payload waits for its CommitPayload across the swap (docs/engine.md, Hot swap).
  PayloadBuilt built = node.build(1);
  REQUIRE(built.error.empty());
  PayloadExecuted executed = node.execute(built.payload);
  node.commit_to_storage(built.payload, executed);
  node.swap_to(ALYS_ENGINE_V2_PLUGIN);
  node.commit_to_engine(built.payload);
  node.swap_to(ALYS_ENGINE_PLUGIN);
  node.commit_to_engine(built.payload);

  std::vector<PegOutsRequested> reported = reports(node);
  REQUIRE(reported.size() == 1);
  REQUIRE(reported[0].requests.size() == 1);
  CHECK(q(to_0x_hex(reported[0].requests[0].transaction_hash)) == hash);
  CHECK(reported[0].requests[0].value_wei == wei_to_be32(kEther));
  CHECK(node.balance(kBurnAddress) == quantity(kEther));
}
