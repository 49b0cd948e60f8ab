// Peg-ins through the chain with the real storage and engine plugins, in the harness on a virtual
// clock: chain_queuePegIn, the block that mints, the balance it credits, the refusal of a second
// mint (in the queue, in an imported block, after a restart and a hot swap), and a payload built
// without its block's mints.
#include <catch2/catch.hpp>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "alys/domain/wei.hpp"
#include "alys/schemas/chain.hpp"
#include "alys/schemas/engine.hpp"
#include "alys/schemas/storage.hpp"
#include "chain_test_node.hpp"
#include "pegins.hpp"
#include "temp_dir.hpp"

using namespace alys;
using namespace alys::chain_test;
using namespace std::chrono_literals;
using alys::testing::SwapResult;
using alys::testing::TempDir;

namespace {

constexpr Wei kWeiPerSat = 10'000'000'000ULL;

// A Bitcoin txid as Bitcoin RPC shows it (display order), distinct per seed.
std::string txid_text(std::uint8_t seed) {
  std::string text = "f00d";
  for (int i = 0; i < 30; ++i) text += to_hex(std::array<std::uint8_t, 1>{seed});
  return text;
}

EthAddress recipient(std::uint8_t seed) {
  EthAddress address{};
  address[0] = 0xbe;
  address[19] = seed;
  return address;
}

PegIn pegin(std::uint8_t seed, std::uint32_t vout, std::uint64_t sats) {
  PegIn out;
  out.bitcoin_txid = reversed(*fixed_from_hex<32>(txid_text(seed)));
  out.vout = vout;
  out.to = recipient(seed);
  out.amount_sats = sats;
  return out;
}

std::string queue_params(const PegIn& in) {
  return "[\"" + to_hex(reversed(in.bitcoin_txid)) + "\", " + std::to_string(in.vout) + ", \"" +
         to_0x_hex(in.to) + "\", " + std::to_string(in.amount_sats) + "]";
}

// chain_queuePegIn's answer, or its error message prefixed "error: ".
std::string queue(TestNode& node, const PegIn& in) {
  try {
    return node.rpc("chain_queuePegIn", queue_params(in));
  } catch (const std::runtime_error& error) {
    return std::string("error: ") + error.what();
  }
}

Wei balance(TestNode& node, const EthAddress& address) {
  std::string answer = node.rpc("eth_getBalance", "[\"" + to_0x_hex(address) + "\", \"latest\"]");
  REQUIRE(answer.size() > 2);
  auto value = wei_parse(answer.substr(1, answer.size() - 2));
  REQUIRE(value);
  return *value;
}

std::vector<Mint> mints(const std::vector<PegIn>& pegins) {
  std::vector<Mint> out;
  for (const PegIn& in : pegins)
    out.push_back(Mint{in.to, wei_to_be32(static_cast<Wei>(in.amount_sats) * kWeiPerSat)});
  return out;
}

}  // namespace

TEST_CASE("a queued peg-in is minted once, by the next block", "[chain][pegin]") {
  TempDir dir("chain-pegin");
  NodeSetup setup;
  setup.member = 0;
  TestNode node(dir, setup);
  node.harness().advance(2000ms);
  REQUIRE(node.head().height == 1);
  const PegIn in = pegin(1, 2, 123'456'789);
  const Wei before = balance(node, in.to);

  const std::string queued = queue(node, in);
  CHECK(queued.find("\"amountWei\":\"1234567890000000000\"") != std::string::npos);
  CHECK(queue(node, in).find("already queued") != std::string::npos);

  node.harness().advance(2000ms);
  REQUIRE(node.head().height == 2);
  const SignedBlock minted = node.block_at(2);
  REQUIRE(minted.block.pegins.size() == 1);
  CHECK(minted.block.pegins[0].bitcoin_txid == in.bitcoin_txid);
  CHECK(minted.block.pegins[0].amount_sats == in.amount_sats);
  CHECK(balance(node, in.to) == before + Wei{123'456'789} * kWeiPerSat);
  // chain_getBlockByHeight shows the txid as it was given, in display order.
  const std::string rendered = node.rpc("chain_getBlockByHeight", "[2]");
  CHECK(rendered.find("\"bitcoinTxid\":\"0x" + txid_text(1) + "\",\"vout\":2") !=
        std::string::npos);

  CHECK(queue(node, in).find("already minted") != std::string::npos);
  node.harness().advance(3 * 2000ms);
  CHECK(node.head().height == 5);
  for (std::uint64_t height = 3; height <= 5; ++height)
    CHECK(node.block_at(height).block.pegins.empty());
  CHECK(balance(node, in.to) == before + Wei{123'456'789} * kWeiPerSat);
  CHECK(node.harness().metric("chain", "chain_pegins_minted_total").value_or(0) == 1);
}

TEST_CASE("a block mints at most 16 queued peg-ins; the rest wait", "[chain][pegin]") {
  TempDir dir("chain-pegin-16");
  NodeSetup setup;
  setup.member = 0;
  TestNode node(dir, setup);
  for (std::uint32_t vout = 0; vout < 20; ++vout)
    REQUIRE(queue(node, pegin(3, vout, 1000 + vout)).find("error") == std::string::npos);
  node.harness().advance(2000ms);
  CHECK(node.block_at(1).block.pegins.size() == 16);
  node.harness().advance(2000ms);
  CHECK(node.block_at(2).block.pegins.size() == 4);
  Wei total = 0;
  for (std::uint32_t vout = 0; vout < 20; ++vout) total += Wei{1000 + vout} * kWeiPerSat;
  CHECK(balance(node, recipient(3)) == total);
}

TEST_CASE("an imported block minting a minted peg-in is refused", "[chain][pegin]") {
  TempDir dir("chain-pegin-import");
  NodeSetup setup;
  setup.members = 3;
  setup.threshold = 2;
  TestNode node(dir, setup);
  node.harness().advance(2000ms);
  std::uint64_t slot = node.harness().now_ms() / 2000;
  const PegIn in = pegin(2, 0, 50'000);
  // A peg-in this node never queued: accepted (the bridge will check Bitcoin).
  SignedBlock first = make_block(node, slot, {}, 3, {in}, mints({in}));
  const auto author = [](std::uint64_t s) { return static_cast<std::uint32_t>(s % 3); };
  resign(first, {author(slot), (author(slot) + 1) % 3});
  auto result = node.import(first);
  INFO(result.code << ": " << result.error);
  REQUIRE(result.imported);
  CHECK(balance(node, in.to) == Wei{50'000} * kWeiPerSat);

  node.harness().advance(2000ms);
  slot = node.harness().now_ms() / 2000;
  SignedBlock again =
      make_block(node, slot, {author(slot), (author(slot) + 1) % 3}, 3, {in}, mints({in}));
  result = node.import(again);
  CHECK_FALSE(result.imported);
  CHECK(result.code == "pegin_already_minted");

  const PegIn fresh = pegin(2, 1, 7);
  SignedBlock twice = make_block(node, slot, {author(slot), (author(slot) + 1) % 3}, 3,
                                 {fresh, fresh}, mints({fresh, fresh}));
  CHECK(node.import(twice).code == "pegin_duplicate");
  CHECK(node.head().height == 1);
  CHECK(balance(node, in.to) == Wei{50'000} * kWeiPerSat);
}

TEST_CASE("a block whose payload lacks its peg-ins' mints fails execution", "[chain][pegin]") {
  TempDir dir("chain-pegin-exec");
  NodeSetup setup;
  setup.members = 3;
  setup.threshold = 2;
  TestNode node(dir, setup);
  node.harness().advance(2000ms);
  const std::uint64_t slot = node.harness().now_ms() / 2000;
  const std::vector<std::uint32_t> signers{static_cast<std::uint32_t>(slot % 3),
                                           static_cast<std::uint32_t>((slot + 1) % 3)};
  const PegIn in = pegin(4, 0, 1'000);
  // The block names the peg-in, the payload was built without its mint.
  auto result = node.import(make_block(node, slot, signers, 3, {in}, {}));
  CHECK(result.code == "payload_invalid");
  // The payload mints, the block names nothing: the mint is no peg-in of the chain's.
  result = node.import(make_block(node, slot, signers, 3, {}, mints({in})));
  CHECK(result.code == "payload_invalid");
  // Another amount than the peg-in's.
  PegIn more = in;
  more.amount_sats = 1'001;
  result = node.import(make_block(node, slot, signers, 3, {in}, mints({more})));
  CHECK(result.code == "payload_invalid");
  CHECK(node.head().height == 0);
  CHECK(balance(node, in.to) == 0);
  result = node.import(make_block(node, slot, signers, 3, {in}, mints({in})));
  CHECK(result.imported);
}

TEST_CASE("minted and queued peg-ins survive a restart on LevelDB", "[chain][pegin]") {
  TempDir dir("chain-pegin-restart");
  NodeSetup setup;
  setup.member = 0;
  setup.storage_toml =
      "backend = \"leveldb\"\npath = \"" + (dir.path() / "chain.db").string() + "\"\n";
  const PegIn minted = pegin(5, 0, 10'000);
  const PegIn waiting = pegin(6, 1, 20'000);
  std::uint64_t stopped_at = 0;
  {
    TestNode node(dir, setup);
    REQUIRE(queue(node, minted).find("error") == std::string::npos);
    node.harness().advance(2000ms);
    REQUIRE(node.block_at(1).block.pegins.size() == 1);
    // Queued, and the node stops before its next block.
    REQUIRE(queue(node, waiting).find("error") == std::string::npos);
    // A queue entry written after the block that minted it (a queue call racing the commit): the
    // minted record wins.
    const std::string raced = chain::pegin_key(chain::kPegInQueuedPrefix, minted);
    auto put = node.ask<storage::Committed>(
        "storage", storage::PutChainState{{{Bytes(raced.begin(), raced.end()), encode(minted)}}});
    REQUIRE(put.error.empty());
    stopped_at = node.harness().now_ms();
  }
  setup.start_ms = stopped_at;
  TestNode node(dir, setup);
  CHECK(queue(node, minted).find("already minted") != std::string::npos);
  CHECK(queue(node, waiting).find("already queued") != std::string::npos);
  node.harness().advance(2000ms);
  REQUIRE(node.head().height == 2);
  REQUIRE(node.block_at(2).block.pegins.size() == 1);
  CHECK(node.block_at(2).block.pegins[0].bitcoin_txid == waiting.bitcoin_txid);
  node.harness().advance(2 * 2000ms);
  CHECK(node.block_at(3).block.pegins.empty());
  CHECK(balance(node, minted.to) == Wei{10'000} * kWeiPerSat);
  CHECK(balance(node, waiting.to) == Wei{20'000} * kWeiPerSat);
  CHECK(queue(node, waiting).find("already minted") != std::string::npos);
}

TEST_CASE("a peg-in queued here and minted by another member leaves the queue", "[chain][pegin]") {
  TempDir dir("chain-pegin-other");
  NodeSetup setup;
  setup.members = 3;
  setup.threshold = 2;
  setup.member = 0;
  TestNode node(dir, setup);
  const PegIn in = pegin(9, 4, 321);
  REQUIRE(queue(node, in).find("error") == std::string::npos);
  CHECK(node.harness().metric("chain", "chain_pegins_queued").value_or(0) == 1);
  // Advance to a slot of member 1, whose block (approved by members 1 and 2) mints the peg-in.
  std::uint64_t slot = 0;
  do {
    node.harness().advance(2000ms);
    slot = node.harness().now_ms() / 2000;
  } while (slot % 3 != 1);
  auto result = node.import(make_block(node, slot, {1, 2}, 3, {in}, mints({in})));
  INFO(result.code << ": " << result.error);
  REQUIRE(result.imported);
  CHECK(node.harness().metric("chain", "chain_pegins_queued").value_or(-1) == 0);
  CHECK(queue(node, in).find("already minted") != std::string::npos);
  CHECK(balance(node, in.to) == Wei{321} * kWeiPerSat);
}

TEST_CASE("minted and queued peg-ins survive a hot swap", "[chain][pegin]") {
  TempDir dir("chain-pegin-swap");
  NodeSetup setup;
  setup.member = 0;
  TestNode node(dir, setup);
  const PegIn minted = pegin(7, 0, 1);
  const PegIn waiting = pegin(8, 0, 2);
  REQUIRE(queue(node, minted).find("error") == std::string::npos);
  node.harness().advance(2000ms);
  REQUIRE(queue(node, waiting).find("error") == std::string::npos);
  const SwapResult swapped = node.harness().swap("chain", ALYS_CHAIN_V2_PLUGIN);
  INFO(swapped.stage << ": " << swapped.message);
  REQUIRE(swapped.ok);
  CHECK(swapped.mode == "state");
  node.harness().run();
  CHECK(queue(node, minted).find("already minted") != std::string::npos);
  CHECK(queue(node, waiting).find("already queued") != std::string::npos);
  node.harness().advance(2000ms);
  REQUIRE(node.block_at(2).block.pegins.size() == 1);
  CHECK(node.block_at(2).block.pegins[0].bitcoin_txid == waiting.bitcoin_txid);
  CHECK(balance(node, waiting.to) == Wei{2} * kWeiPerSat);
}
