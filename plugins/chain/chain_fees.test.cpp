// Fees through the chain with the real storage and engine plugins, in the harness on a virtual
// clock: each block's fees recorded with it, the 80/20 mints of the block that finalizes them
// (balances on the embedded engine), a block with other mints refused, the record across a
// restart and a hot swap, ranges that pay nothing, and createauxblock's coinbasevalue.
#include <catch2/catch.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "alys/domain/auxpow.hpp"
#include "alys/domain/eth_transaction.hpp"
#include "alys/domain/wei.hpp"
#include "alys/schemas/chain.hpp"
#include "alys/schemas/storage.hpp"
#include "chain_test_node.hpp"
#include "fees.hpp"
#include "temp_dir.hpp"

using namespace alys;
using namespace alys::chain_test;
using namespace std::chrono_literals;
using alys::testing::SwapResult;
using alys::testing::TempDir;

namespace {

constexpr Wei kGwei = 1'000'000'000;
constexpr std::uint32_t kAuxChainId = 0x7a1;
const EthAddress kMiner = *fixed_from_hex<20>("0x00000000000000000000000000000000000000a1");
const EthAddress kFederation = *fixed_from_hex<20>("0x00000000000000000000000000000000000000fe");

// A transfer whose tip is 1 gwei + 3 wei on the harness engine's base fee of 7 wei: it pays
// 21,000 x (10^9 + 10) wei of fees, 21,000 x (10^9 + 3) of them as tip to the payload's recipient.
constexpr Wei kTip = 1'000'000'003;
constexpr Wei kFeePerTransfer = 21'000 * (kTip + 7);

Bytes paying_transfer(std::uint64_t nonce) {
  eth::Transaction tx;
  tx.type = eth::TxType::eip1559;
  tx.chain_id = kChainId;
  tx.nonce = nonce;
  tx.max_priority_fee_per_gas = static_cast<std::uint64_t>(kTip);
  tx.max_fee_per_gas = 2'000'000'000;
  tx.gas_limit = 21000;
  EthAddress to{};
  to[0] = 0xee;
  tx.to = to;
  tx.value = 1;
  return eth::sign_transaction(tx, funded_key());
}

void send(TestNode& node, const Bytes& raw) {
  node.rpc("eth_sendRawTransaction", "[\"" + to_0x_hex(raw) + "\"]");
}

Wei balance(TestNode& node, const EthAddress& address) {
  std::string answer = node.rpc("eth_getBalance", "[\"" + to_0x_hex(address) + "\", \"latest\"]");
  REQUIRE(answer.size() > 2);
  auto value = wei_parse(answer.substr(1, answer.size() - 2));
  REQUIRE(value);
  return *value;
}

std::optional<chain::FeeRecord> fee_record(TestNode& node) {
  auto state = node.ask<storage::ChainState>("storage", storage::GetChainState{});
  REQUIRE(state.error.empty());
  for (const storage::KeyValue& entry : state.entries)
    if (std::string(entry.key.begin(), entry.key.end()) == chain::kFeesKey)
      return decode<chain::FeeRecord>(entry.value);
  return std::nullopt;
}

std::vector<Wei> recorded_fees(const chain::FeeRecord& record) {
  std::vector<Wei> out;
  for (const auto& fee : record.fees_wei) out.push_back(*wei_from_be(fee));
  return out;
}

// Merged mining (dev_mine: every block finalizes the blocks before it), this node's AuxPoWs paying
// kMiner and the federation's share going to kFederation.
std::string fee_toml(bool dev_mine) {
  return auxpow_toml(100, dev_mine) + "fee_recipient = \"" + to_0x_hex(kMiner) +
         "\"\nfederation_fee_recipient = \"" + to_0x_hex(kFederation) + "\"\n";
}

struct AuxWork {
  std::string hash_display;
  std::uint32_t bits = 0;
  std::uint64_t coinbase_value = 0;
};

AuxWork create_aux_block(TestNode& node) {
  const std::string answer = node.rpc("createauxblock", "[\"" + to_0x_hex(kMiner) + "\"]");
  auto field = [&](const std::string& name) {
    const auto at = answer.find("\"" + name + "\":");
    REQUIRE(at != std::string::npos);
    const auto start = answer.find_first_not_of("\" :", at + name.size() + 2);
    return answer.substr(start, answer.find_first_of("\",}", start) - start);
  };
  return AuxWork{field("hash"), static_cast<std::uint32_t>(std::stoul(field("bits"), nullptr, 16)),
                 std::stoull(field("coinbasevalue"))};
}

Bytes mined_auxpow(const AuxWork& work) {
  AuxPow auxpow = make_auxpow(reversed(*fixed_from_hex<32>(work.hash_display)), kAuxChainId,
                              AuxPowCommitment::coinbase_script);
  REQUIRE(mine_auxpow(auxpow, work.bits, 1'000'000));
  return auxpow.serialize();
}

void submit(TestNode& node, const AuxWork& work) {
  REQUIRE(node.rpc("submitauxblock", "[\"" + work.hash_display + "\", \"" +
                                         to_hex(mined_auxpow(work)) + "\"]") == "true");
}

Mint mint_gwei(const EthAddress& to, Wei gwei) { return Mint{to, wei_to_be32(gwei * kGwei)}; }

}  // namespace

TEST_CASE("fees are recorded per block and paid 80/20 when finalized", "[chain][fees]") {
  TempDir dir("chain-fees");
  NodeSetup setup;
  setup.member = 0;
  setup.extra_chain_toml = fee_toml(true);
  TestNode node(dir, setup);
  send(node, paying_transfer(0));
  send(node, paying_transfer(1));
  node.harness().advance(2000ms);
  REQUIRE(node.head().height == 1);
  const SignedBlock first = node.block_at(1);
  CHECK(first.block.payload.transactions.size() == 2);
  CHECK(first.block.payload.fee_recipient == kBurnAddress);
  CHECK(first.block.auxpow.empty());  // nothing to finalize before block 1
  auto record = fee_record(node);
  REQUIRE(record);
  CHECK(record->first_height == 1);
  CHECK(recorded_fees(*record) == std::vector<Wei>{2 * kFeePerTransfer});
  // The tips went to the burn address; nobody is paid yet.
  CHECK(balance(node, kBurnAddress) == 2 * 21'000 * kTip);
  CHECK(balance(node, kMiner) == 0);

  node.harness().advance(2000ms);
  REQUIRE(node.head().height == 2);
  const SignedBlock second = node.block_at(2);
  REQUIRE(second.block.auxpow.size() == 1);
  CHECK(second.block.auxpow[0].range_start == 1);
  CHECK(second.block.auxpow[0].range_end == 1);
  CHECK(second.block.auxpow[0].fee_recipient == kMiner);
  // 42,000,000,420,000 wei: 33,600 gwei to the miner, 8,400 to the federation, 420,000 wei burned.
  CHECK(balance(node, kMiner) == 33'600 * kGwei);
  CHECK(balance(node, kFederation) == 8'400 * kGwei);
  CHECK(node.harness().metric("chain", "chain_fees_paid_miner_gwei_total").value_or(0) == 33'600);
  CHECK(node.harness().metric("chain", "chain_fees_paid_federation_gwei_total").value_or(0) ==
        8'400);
  record = fee_record(node);
  REQUIRE(record);
  CHECK(record->first_height == 2);
  CHECK(recorded_fees(*record) == std::vector<Wei>{0});

  // Later finalizations pay only their own ranges: nothing more here.
  node.harness().advance(3 * 2000ms);
  CHECK(node.head().finalized_height == 4);
  CHECK(balance(node, kMiner) == 33'600 * kGwei);
  CHECK(balance(node, kFederation) == 8'400 * kGwei);
}

TEST_CASE("a range whose fees are below a gwei mints nothing", "[chain][fees]") {
  TempDir dir("chain-fees-small");
  NodeSetup setup;
  setup.member = 0;
  setup.extra_chain_toml = fee_toml(true);
  TestNode node(dir, setup);
  // 21,000 x (7 + 1) wei = 168,000 wei of fees.
  send(node, transfer(0, 1, 1));
  node.harness().advance(2000ms);
  REQUIRE(node.block_at(1).block.payload.transactions.size() == 1);
  auto record = fee_record(node);
  REQUIRE(record);
  CHECK(recorded_fees(*record) == std::vector<Wei>{168'000});
  node.harness().advance(3 * 2000ms);
  CHECK(node.head().finalized_height == 3);
  CHECK(balance(node, kMiner) == 0);
  CHECK(balance(node, kFederation) == 0);
  CHECK(balance(node, kBurnAddress) == 21'000);
  CHECK(node.harness().metric("chain", "chain_fees_paid_miner_gwei_total").value_or(0) == 0);
}

TEST_CASE("a block with other fee mints than the chain's fails execution", "[chain][fees]") {
  TempDir dir("chain-fees-import");
  NodeSetup setup;
  setup.members = 3;
  setup.threshold = 2;
  setup.extra_chain_toml = fee_toml(false);
  TestNode node(dir, setup);
  const auto signers = [](std::uint64_t slot) {
    return std::vector<std::uint32_t>{static_cast<std::uint32_t>(slot % 3),
                                      static_cast<std::uint32_t>((slot + 1) % 3)};
  };
  send(node, paying_transfer(0));
  send(node, paying_transfer(1));
  node.harness().advance(2000ms);
  std::uint64_t slot = node.harness().now_ms() / 2000;
  auto result = node.import(make_block(node, slot, signers(slot), 3));
  INFO(result.code << ": " << result.error);
  REQUIRE(result.imported);
  REQUIRE(node.block_at(1).block.payload.transactions.size() == 2);

  node.harness().advance(2000ms);
  slot = node.harness().now_ms() / 2000;
  const AuxWork work = create_aux_block(node);
  CHECK(work.coinbase_value == 33'600);
  const AuxPowHeader header{1, 1, work.bits, kAuxChainId, 1, mined_auxpow(work), kMiner};
  auto finalizing = [&](const std::vector<Mint>& mints) {
    SignedBlock block = make_block(node, slot, {}, 3, {}, mints);
    block.block.auxpow = {header};
    resign(block, signers(slot));
    return block;
  };
  // No fee mints, the miner's alone, the federation's to another address, all to the miner.
  CHECK(node.import(finalizing({})).code == "payload_invalid");
  CHECK(node.import(finalizing({mint_gwei(kMiner, 33'600)})).code == "payload_invalid");
  CHECK(node.import(finalizing({mint_gwei(kMiner, 33'600), mint_gwei(kMiner, 8'400)})).code ==
        "payload_invalid");
  CHECK(node.import(finalizing({mint_gwei(kMiner, 42'000)})).code == "payload_invalid");
  // A payload that pays its tips to anyone but the burn address.
  SignedBlock tips_elsewhere =
      finalizing({mint_gwei(kMiner, 33'600), mint_gwei(kFederation, 8'400)});
  tips_elsewhere.block.payload.fee_recipient = kMiner;
  resign(tips_elsewhere, signers(slot));
  CHECK(node.import(tips_elsewhere).code == "wrong_fee_recipient");
  CHECK(node.head().height == 1);
  CHECK(balance(node, kMiner) == 0);

  result = node.import(finalizing({mint_gwei(kMiner, 33'600), mint_gwei(kFederation, 8'400)}));
  INFO(result.code << ": " << result.error);
  REQUIRE(result.imported);
  CHECK(node.head().finalized_height == 1);
  CHECK(balance(node, kMiner) == 33'600 * kGwei);
  CHECK(balance(node, kFederation) == 8'400 * kGwei);
}

TEST_CASE("fees survive a restart; coinbasevalue is the miner's share", "[chain][fees]") {
  TempDir dir("chain-fees-restart");
  NodeSetup setup;
  setup.member = 0;
  setup.extra_chain_toml = fee_toml(false);
  setup.storage_toml =
      "backend = \"leveldb\"\npath = \"" + (dir.path() / "chain.db").string() + "\"\n";
  std::uint64_t stopped_at = 0;
  {
    TestNode node(dir, setup);
    send(node, paying_transfer(0));
    send(node, paying_transfer(1));
    node.harness().advance(2000ms);
    send(node, paying_transfer(2));
    node.harness().advance(2000ms);
    REQUIRE(node.head().height == 2);
    REQUIRE(node.block_at(2).block.payload.transactions.size() == 1);
    // 63,000,000,630,000 wei over blocks 1..2: 80% is 50,400.000504 gwei.
    CHECK(create_aux_block(node).coinbase_value == 50'400);
    stopped_at = node.harness().now_ms();
  }
  setup.start_ms = stopped_at;
  TestNode node(dir, setup);
  const AuxWork work = create_aux_block(node);
  CHECK(work.coinbase_value == 50'400);
  submit(node, work);
  node.harness().advance(2000ms);
  REQUIRE(node.head().height == 3);
  CHECK(node.head().finalized_height == 2);
  CHECK(balance(node, kMiner) == 50'400 * kGwei);
  CHECK(balance(node, kFederation) == 12'600 * kGwei);
}

TEST_CASE("fees survive a hot swap of the chain", "[chain][fees]") {
  TempDir dir("chain-fees-swap");
  NodeSetup setup;
  setup.member = 0;
  setup.extra_chain_toml = fee_toml(false);
  TestNode node(dir, setup);
  send(node, paying_transfer(0));
  node.harness().advance(2000ms);
  REQUIRE(node.head().height == 1);
  // 21,000,000,210,000 wei: 80% is 16,800.000168 gwei.
  CHECK(create_aux_block(node).coinbase_value == 16'800);
  const SwapResult swapped = node.harness().swap("chain", ALYS_CHAIN_V2_PLUGIN);
  INFO(swapped.stage << ": " << swapped.message);
  REQUIRE(swapped.ok);
  CHECK(swapped.mode == "state");
  node.harness().run();
  const AuxWork work = create_aux_block(node);
  CHECK(work.coinbase_value == 16'800);
  submit(node, work);
  node.harness().advance(2000ms);
  REQUIRE(node.head().height == 2);
  CHECK(balance(node, kMiner) == 16'800 * kGwei);
  CHECK(balance(node, kFederation) == 4'200 * kGwei);
}
