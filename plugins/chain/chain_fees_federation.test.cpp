// Fees in real processes: three alysd members on loopback (threshold 2), nobody mining but the
// test. Two transactions pay fees; a miner asks member 0 for work with its own address, submits
// the proof, and once a block carries it every member credits the miner exactly its 80% and the
// federation's fee address the rest, in whole gwei, as createauxblock's coinbasevalue announced.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "alys/domain/auxpow.hpp"
#include "alys/domain/eth_transaction.hpp"
#include "alys/domain/secp256k1.hpp"
#include "alys/domain/wei.hpp"
#include "federation.hpp"

using alys::Wei;
using alys::testing::Federation;
using alys::testing::federation_of;
using namespace std::chrono_literals;

namespace {

constexpr std::uint64_t kChainId = 263634;
constexpr Wei kGwei = 1'000'000'000;
const std::string kMiner = "0x00000000000000000000000000000000000000a1";
const std::string kFederationFees = "0x00000000000000000000000000000000000000fe";
// The account config/dev.toml and the federation fixture fund (Hardhat's first; public key).
const std::string kFundedSecret =
    "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

std::string paying_transfer(std::uint64_t nonce) {
  alys::eth::Transaction tx;
  tx.type = alys::eth::TxType::eip1559;
  tx.chain_id = kChainId;
  tx.nonce = nonce;
  tx.max_priority_fee_per_gas = 1'000'000'007;  // a tip that leaves a sub-gwei rest
  tx.max_fee_per_gas = 3'000'000'000;
  tx.gas_limit = 21000;
  alys::EthAddress to{};
  to[0] = 0xee;
  tx.to = to;
  tx.value = 1;
  const auto secret = alys::SecretKey::from_bytes(*alys::fixed_from_hex<32>(kFundedSecret));
  REQUIRE(secret);
  return alys::to_0x_hex(alys::eth::sign_transaction(tx, *secret));
}

Wei quantity(const boost::json::value& value) {
  REQUIRE(value.is_string());
  auto parsed = alys::wei_parse(std::string_view(value.as_string()));
  REQUIRE(parsed);
  return *parsed;
}

Wei balance(Federation& federation, std::size_t i, const std::string& address) {
  auto answer = federation.rpc(i, "eth_getBalance", "[\"" + address + "\", \"latest\"]");
  if (!answer || !answer->is_string()) return 0;
  return alys::wei_parse(std::string_view(answer->as_string())).value_or(0);
}

// The fees a transaction paid as member `i`'s receipt shows them; 0 while it is not included.
Wei fees_paid(Federation& federation, std::size_t i, const std::string& hash) {
  auto receipt = federation.rpc(i, "eth_getTransactionReceipt", "[\"" + hash + "\"]");
  if (!receipt || !receipt->is_object()) return 0;
  return quantity(receipt->as_object().at("gasUsed")) *
         quantity(receipt->as_object().at("effectiveGasPrice"));
}

}  // namespace

TEST_CASE("a miner's proof pays it 80% of the fees on all three members",
          "[integration][federation][fees]") {
  auto options = federation_of(3, 300);
  options.dev_mine = false;
  options.chain_extra = "federation_fee_recipient = \"" + kFederationFees + "\"\n";
  Federation federation(options);
  federation.start_all();
  REQUIRE(federation.wait_heights({0, 1, 2}, 2, 30s));

  std::vector<std::string> hashes;
  for (std::uint64_t nonce = 0; nonce < 2; ++nonce) {
    auto sent =
        federation.must(0, "eth_sendRawTransaction", "[\"" + paying_transfer(nonce) + "\"]");
    hashes.emplace_back(sent.as_string());
  }
  Wei total = 0;
  const bool included = Federation::wait_until(
      [&] {
        total = 0;
        for (const std::string& hash : hashes) {
          const Wei paid = fees_paid(federation, 0, hash);
          if (paid == 0) return false;
          total += paid;
        }
        return true;
      },
      20s);
  REQUIRE(included);
  // 21,000 gas at the 1 gwei base fee + the tip, each.
  CHECK(total == 2 * 21'000 * Wei{2'000'000'007});
  const Wei miner_gwei = total * 8 / 10 / kGwei;
  const Wei federation_gwei = total / kGwei - miner_gwei;

  // Member 0's head includes both transactions: the work covers them, and nothing else paid fees.
  auto work = federation.must(0, "createauxblock", "[\"" + kMiner + "\"]").as_object();
  CHECK(work.at("coinbasevalue").to_number<std::uint64_t>() ==
        static_cast<std::uint64_t>(miner_gwei));
  const std::string hash_display(work.at("hash").as_string());
  const auto bits =
      static_cast<std::uint32_t>(std::stoul(std::string(work.at("bits").as_string()), nullptr, 16));
  alys::AuxPow auxpow = alys::make_auxpow(alys::reversed(*alys::fixed_from_hex<32>(hash_display)),
                                          1953, alys::AuxPowCommitment::coinbase_script);
  REQUIRE(alys::mine_auxpow(auxpow, bits, 1'000'000));
  auto accepted =
      federation.must(0, "submitauxblock",
                      "[\"" + hash_display + "\", \"" + alys::to_hex(auxpow.serialize()) + "\"]");
  CHECK(accepted.as_bool());

  // Whichever member authors next carries the proof (it reached them on chain.auxpow_queued).
  const bool paid = Federation::wait_until(
      [&] {
        for (std::size_t i = 0; i < 3; ++i)
          if (balance(federation, i, kMiner) != miner_gwei * kGwei) return false;
        return true;
      },
      20s);
  REQUIRE(paid);
  for (std::size_t i = 0; i < 3; ++i) {
    INFO("member " << i);
    CHECK(balance(federation, i, kMiner) == miner_gwei * kGwei);
    CHECK(balance(federation, i, kFederationFees) == federation_gwei * kGwei);
    auto head = federation.head(i);
    REQUIRE(head);
    CHECK(head->finalized.has_value());
  }
  CHECK(federation.metric(0, "alys_plugin_chain_fees_paid_miner_gwei_total") ==
        static_cast<double>(miner_gwei));
  // More blocks pay nothing more: nothing else paid fees, and nobody else mines.
  const std::uint64_t later = federation.height(0) + 4;
  REQUIRE(federation.wait_heights({0, 1, 2}, later, 30s));
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(balance(federation, i, kMiner) == miner_gwei * kGwei);
    CHECK(balance(federation, i, kFederationFees) == federation_gwei * kGwei);
  }
}
