// Three federation members, each alysd driving its own real Geth (engine-api backend,
// tests/support/geth_node.hpp): every member's Geth holds the same blocks with the same state
// roots, a peg-in queued at one member is credited on all three Geths, and a transfer a wallet
// sends to one member's Geth reaches every Geth's state once a block carries it. Prints SKIP and
// passes when Geth is not installed (bash packaging/geth.sh install).
#include <catch2/catch.hpp>

#include <boost/json.hpp>
#include <chrono>
#include <string>

#include "alys/domain/eth_transaction.hpp"
#include "alys/domain/wei.hpp"
#include "geth_node.hpp"

using namespace alys::testing;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

constexpr std::size_t kMembers = 3;
const std::string kPegInAddress = "0x00000000000000000000000000000000000b0b00";
constexpr std::uint64_t kPegInSats = 54'321;
const std::string kFederationFees = "0x00000000000000000000000000000000000fed00";

std::string quantity(std::uint64_t value) {
  std::ostringstream hex;
  hex << "0x" << std::hex << value;
  return hex.str();
}

std::string balance_of(GethFederation& net, std::size_t i, const std::string& address) {
  auto balance = net.geth(i).rpc("eth_getBalance", json::array{address.c_str(), "latest"});
  return balance && balance->is_string() ? std::string(balance->as_string()) : std::string("?");
}

}  // namespace

TEST_CASE("engine-api: three members, each with its own Geth, hold one chain") {
  if (auto skip = GethFederation::skip_reason()) {
    WARN("SKIP: " << *skip);
    return;
  }
  FederationOptions options = geth_federation_of(kMembers);
  options.chain_extra = "federation_fee_recipient = \"" + kFederationFees + "\"\n";
  GethFederation net(options);
  Federation& fed = net.federation();
  net.start_all();
  REQUIRE(fed.wait_heights({0, 1, 2}, 3, 60s));

  // A peg-in queued at member 1 is minted by whoever authors next, on every member's Geth.
  fed.must(1, "chain_queuePegIn",
           R"([")" + std::string(64, '5') + R"(", 0, ")" + kPegInAddress + R"(", )" +
               std::to_string(kPegInSats) + "]");
  const std::string minted = alys::wei_to_quantity(alys::Wei{kPegInSats} * alys::kWeiPerSatoshi);
  for (std::size_t i = 0; i < kMembers; ++i) {
    INFO("member " << i);
    CHECK(Federation::wait_until([&] { return balance_of(net, i, kPegInAddress) == minted; }, 40s));
  }

  // A wallet's transfer sent to member 2's Geth only: it is in a block once member 2 authors, and
  // every Geth then has the recipient's balance.
  const alys::SecretKey key = *alys::SecretKey::from_bytes(*alys::fixed_from_hex<32>(
      "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"));
  alys::eth::Transaction tx;
  tx.type = alys::eth::TxType::eip1559;
  tx.chain_id = fed.chain_id();
  tx.nonce = 0;
  tx.max_fee_per_gas = 10'000'000'000;
  tx.max_priority_fee_per_gas = 1'000'000'000;
  tx.gas_limit = 21'000;
  tx.to = *alys::fixed_from_hex<20>("00000000000000000000000000000000000c0ffe");
  tx.value = 777;
  const std::string raw = alys::to_0x_hex(alys::eth::sign_transaction(tx, key));
  auto sent = net.geth(2).rpc("eth_sendRawTransaction", json::array{raw.c_str()});
  INFO(net.geth_log_text(2));
  REQUIRE(sent);
  for (std::size_t i = 0; i < kMembers; ++i) {
    INFO("member " << i);
    CHECK(Federation::wait_until(
        [&] { return balance_of(net, i, "0x00000000000000000000000000000000000c0ffe") == "0x309"; },
        60s));
  }

  // The transfer's fees come back once merged mining finalizes its block: the federation's 20%
  // (what is left of the whole gwei after the miner's floor(80%)) on every member's Geth.
  auto receipt =
      net.geth(0).rpc("eth_getTransactionReceipt", json::array{sent->as_string().c_str()});
  REQUIRE(receipt);
  REQUIRE(receipt->is_object());
  const auto fee_wei = *alys::wei_parse(receipt->at("gasUsed").as_string().c_str()) *
                       *alys::wei_parse(receipt->at("effectiveGasPrice").as_string().c_str());
  const alys::Wei whole_gwei = fee_wei / 1'000'000'000;
  const alys::Wei miner_gwei = fee_wei * 8 / 10 / 1'000'000'000;
  const std::string federation_share =
      alys::wei_to_quantity((whole_gwei - miner_gwei) * 1'000'000'000);
  for (std::size_t i = 0; i < kMembers; ++i) {
    INFO("member " << i << ": fees " << alys::wei_to_decimal(fee_wei) << " wei");
    CHECK(Federation::wait_until(
        [&] { return balance_of(net, i, kFederationFees) == federation_share; }, 90s));
  }

  // Every member's Geth has the same block, with the same state root, at every height all of them
  // reached, and it is the payload each alysd holds there.
  const std::uint64_t reached = fed.height(0) + 2;
  REQUIRE(fed.wait_heights({0, 1, 2}, reached, 60s));
  for (std::uint64_t h = 1; h <= reached; ++h) {
    INFO("height " << h);
    auto first = net.geth_block(0, quantity(h));
    REQUIRE(first);
    for (std::size_t i = 1; i < kMembers; ++i) {
      auto other = net.geth_block(i, quantity(h));
      REQUIRE(other);
      CHECK(other->hash == first->hash);
      CHECK(other->state_root == first->state_root);
    }
    for (std::size_t i = 0; i < kMembers; ++i) CHECK(net.payload_hash(i, h) == first->hash);
  }
  net.finished();
}
