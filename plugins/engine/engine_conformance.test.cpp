// The engine conformance suite: what every backend of the engine role promises the chain
// (sdk/include/alys/schemas/engine.hpp), one source run against each backend chosen by
// configuration (ALYS_ENGINE_BACKEND; CMakeLists.txt registers one ctest entry per backend). What
// only one backend offers is tested beside it and listed in docs/engine.md ("Backends compared").
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "alys/domain/keccak.hpp"
#include "alys/schemas/engine.hpp"
#include "engine/testing/conformance_node.hpp"
#include "engine/testing/peg_out_call.hpp"
#include "engine/testing/signed_transfers.hpp"
#include "temp_dir.hpp"

using namespace alys;
using namespace alys::engine;
using namespace alys::engine::testing;
using Catch::Matchers::Contains;

namespace {

constexpr Wei kPegInWei = 12'345 * kWeiPerSatoshi;  // a peg-in of 12,345 sats

Mint mint_of(const EthAddress& to, Wei amount) { return Mint{to, wei_to_be32(amount)}; }

const std::vector<Mint> kAlloc{mint_of(address_of(1), 10 * kEther),
                               mint_of(address_of(2), 10 * kEther)};

// A backend's Geth when it needs one; nullopt with a SKIP message when Geth is missing.
struct Backend {
  alys::testing::TempDir dir{"alys-conformance"};
  std::optional<ConformanceGeth> geth;
  bool skipped = false;

  Backend() {
    if (conformance_backend() == "embedded") return;
    REQUIRE(conformance_backend() == "engine-api");
    std::optional<std::filesystem::path> binary = alys::testing::find_geth();
    if (!binary) {
      WARN("SKIP: " << alys::testing::geth_missing_reason());
      skipped = true;
      return;
    }
    geth.emplace(*binary, dir.path(), kAlloc);
  }
  ConformanceGeth* geth_or_null() { return geth ? &*geth : nullptr; }
};

Wei base_fee_of(const ExecutionPayload& payload) {
  return wei_from_be(payload.base_fee_per_gas).value();
}

}  // namespace

TEST_CASE("conformance: Info before and after the genesis; the allocation is credited") {
  Backend backend;
  if (backend.skipped) return;
  ConformanceNode node(backend.dir.path(), backend.geth_or_null());
  Info empty = node.info();
  CHECK(empty.error.empty());
  CHECK(empty.chain_id == kConformanceChainId);
  CHECK(empty.backend == conformance_backend());
  CHECK_FALSE(empty.has_head);

  ExecutionPayload genesis = node.genesis(kAlloc);
  CHECK(genesis.number == 0);
  CHECK(genesis.timestamp_s == kConformanceGenesisMs / 1000);
  CHECK(genesis.transactions.empty());
  Info head = node.info();
  CHECK(head.has_head);
  CHECK(head.head_number == 0);
  CHECK(head.head_payload_hash == genesis.block_hash);
  CHECK(head.state_root == genesis.state_root);
  CHECK(node.balance(address_of(1)) == 10 * kEther);
  CHECK(node.balance(address_of(2)) == 10 * kEther);
  CHECK(node.balance(address_of(3)) == 0);

  // A second genesis is refused: the engine has a head.
  PayloadBuilt again =
      node.ask<PayloadBuilt>("engine", BuildGenesis{kConformanceGenesisMs, kAlloc});
  CHECK_FALSE(again.error.empty());
}

TEST_CASE("conformance: peers' transfers are built, paid, and their fees reported") {
  Backend backend;
  if (backend.skipped) return;
  ConformanceNode node(backend.dir.path(), backend.geth_or_null());
  node.genesis(kAlloc);

  const EthAddress recipient = address_of(3);
  auto legacy = sign(legacy_transfer(kConformanceChainId, 0, recipient, kEther, 3 * kGwei), 1);
  auto typed = sign(
      eip1559_transfer(kConformanceChainId, 0, recipient, 2 * kEther, 10 * kGwei, 2 * kGwei), 2);
  node.submit(legacy);
  node.submit(typed);

  PayloadBuilt built = node.build(1);
  INFO(built.error);
  REQUIRE(built.error.empty());
  const ExecutionPayload& payload = built.payload;
  CHECK(payload.number == 1);
  CHECK(payload.timestamp_s == kConformanceGenesisMs / 1000 + 2);
  REQUIRE(payload.transactions.size() == 2);
  CHECK(payload.gas_used == 42'000);
  const Wei base_fee = base_fee_of(payload);
  REQUIRE(base_fee <= 3 * kGwei);
  const Wei typed_price = std::min<Wei>(10 * kGwei, base_fee + 2 * kGwei);

  PayloadExecuted executed = node.execute(payload);
  INFO(executed.error);
  REQUIRE(executed.error.empty());
  CHECK(executed.state_root == payload.state_root);
  CHECK(wei_from_be(executed.fees_wei) == 21'000 * 3 * kGwei + 21'000 * typed_price);
  node.import(payload, executed);

  CHECK(node.info().head_payload_hash == payload.block_hash);
  CHECK(node.balance(recipient) == 3 * kEther);
  CHECK(node.balance(address_of(1)) == 9 * kEther - 21'000 * 3 * kGwei);
  CHECK(node.balance(address_of(2)) == 8 * kEther - 21'000 * typed_price);
  CHECK(node.eth("eth_getTransactionCount", {to_0x_hex(address_of(1)), "latest"}) == "0x1");

  // The same transaction again is no new work: it is not in the next payload.
  node.submit(legacy);
  PayloadBuilt next = node.build(2);
  REQUIRE(next.error.empty());
  CHECK(next.payload.transactions.empty());
}

TEST_CASE("conformance: mints are credited once, and only the mints built with") {
  Backend backend;
  if (backend.skipped) return;
  ConformanceNode node(backend.dir.path(), backend.geth_or_null());
  node.genesis(kAlloc);
  const EthAddress to = address_of(4);
  const std::vector<Mint> mints{mint_of(to, kPegInWei)};

  PayloadBuilt built = node.build(1, mints);
  INFO(built.error);
  REQUIRE(built.error.empty());
  // Executed with other mints (none, another amount, another recipient): refused.
  CHECK_FALSE(node.execute(built.payload).error.empty());
  CHECK_FALSE(node.execute(built.payload, {mint_of(to, kPegInWei + kWeiPerSatoshi)}).error.empty());
  CHECK_FALSE(node.execute(built.payload, {mint_of(address_of(5), kPegInWei)}).error.empty());
  CHECK(node.info().head_number == 0);

  PayloadExecuted executed = node.execute(built.payload, mints);
  REQUIRE(executed.error.empty());
  node.import(built.payload, executed);
  CHECK(node.balance(to) == kPegInWei);
  // The next block mints nothing more.
  node.produce(2);
  CHECK(node.balance(to) == kPegInWei);
}

TEST_CASE("conformance: a payload is checked field by field and the head stays put") {
  Backend backend;
  if (backend.skipped) return;
  ConformanceNode node(backend.dir.path(), backend.geth_or_null());
  ExecutionPayload genesis = node.genesis(kAlloc);
  node.submit(sign(legacy_transfer(kConformanceChainId, 0, address_of(3), kEther, 2 * kGwei), 1));
  PayloadBuilt built = node.build(1);
  REQUIRE(built.error.empty());
  const ExecutionPayload good = built.payload;

  ExecutionPayload p = good;
  p.block_hash[0] ^= 1;
  CHECK_FALSE(node.execute(p).error.empty());
  p = good;
  p.state_root[31] ^= 1;
  CHECK_FALSE(node.execute(p).error.empty());
  p = good;
  p.transactions.clear();
  CHECK_FALSE(node.execute(p).error.empty());
  p = good;
  p.number = 2;
  CHECK_FALSE(node.execute(p).error.empty());
  // Refusals change nothing: the head is the genesis, and the good payload still executes.
  CHECK(node.info().head_payload_hash == genesis.block_hash);
  PayloadExecuted executed = node.execute(good);
  REQUIRE(executed.error.empty());
  // Executing does not move the head; only CommitPayload does.
  CHECK(node.info().head_payload_hash == genesis.block_hash);
  CHECK(node.balance(address_of(3)) == 0);

  // A payload on the genesis built before `good` was committed: its parent is no longer the head.
  PayloadBuilt rival = node.build(2);
  REQUIRE(rival.error.empty());
  node.import(good, executed);
  CHECK(node.info().head_payload_hash == good.block_hash);
  PayloadExecuted late = node.execute(rival.payload);
  CHECK_THAT(late.error, Contains("head"));
  CHECK(node.info().head_payload_hash == good.block_hash);
}

TEST_CASE("conformance: requestPegOut is reported once its block is committed") {
  Backend backend;
  if (backend.skipped) return;
  ConformanceNode node(backend.dir.path(), backend.geth_or_null());
  node.genesis(kAlloc);
  const std::string bitcoin_address = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080";
  eth::Transaction call = legacy_transfer(kConformanceChainId, 0,
                                          *fixed_from_hex<20>(std::string(kBridgeContractAddress)),
                                          kPegInWei, 2 * kGwei);
  call.gas_limit = 200'000;  // the contract's event and transfer cost more than a plain transfer
  call.data = request_peg_out_calldata(bitcoin_address);
  const Bytes raw = sign(call, 1);
  node.submit(raw);

  PayloadBuilt built = node.build(1);
  REQUIRE(built.error.empty());
  REQUIRE(built.payload.transactions.size() == 1);
  PayloadExecuted executed = node.execute(built.payload);
  REQUIRE(executed.error.empty());
  CHECK(node.peg_out_reports().empty());  // executed, not yet committed
  node.import(built.payload, executed);

  std::vector<PegOutsRequested> reports = node.peg_out_reports();
  REQUIRE(reports.size() == 1);
  CHECK(reports[0].height == 1);
  CHECK(reports[0].payload_hash == built.payload.block_hash);
  REQUIRE(reports[0].requests.size() == 1);
  const PegOutRequested& request = reports[0].requests[0];
  CHECK(request.transaction_hash == keccak256(raw));
  CHECK(request.evm_address == address_of(1));
  CHECK(std::string(request.bitcoin_address.begin(), request.bitcoin_address.end()) ==
        bitcoin_address);
  CHECK(wei_from_be(request.value_wei) == kPegInWei);
  // The value is burned: the bridge keeps nothing.
  CHECK(node.balance(*fixed_from_hex<20>(std::string(kBridgeContractAddress))) == 0);

  node.produce(2);
  CHECK(node.peg_out_reports().size() == 1);  // once
}

TEST_CASE("conformance: a restarted engine carries on from the same head") {
  Backend backend;
  if (backend.skipped) return;
  ExecutionPayload head;
  {
    ConformanceNode node(backend.dir.path(), backend.geth_or_null());
    node.genesis(kAlloc);
    node.submit(sign(legacy_transfer(kConformanceChainId, 0, address_of(3), kEther, 2 * kGwei), 1));
    node.produce(1);
    head = node.produce(2, {mint_of(address_of(4), kPegInWei)});
  }
  ConformanceNode restarted(backend.dir.path(), backend.geth_or_null());
  Info info = restarted.info();
  CHECK(info.has_head);
  CHECK(info.head_number == 2);
  CHECK(info.head_payload_hash == head.block_hash);
  CHECK(info.state_root == head.state_root);
  CHECK(restarted.balance(address_of(3)) == kEther);
  CHECK(restarted.balance(address_of(4)) == kPegInWei);
  ExecutionPayload next = restarted.produce(3);
  CHECK(next.parent_hash == head.block_hash);
}

TEST_CASE("conformance: a hot swap keeps the head and the next payload builds on it") {
  Backend backend;
  if (backend.skipped) return;
  ConformanceNode node(backend.dir.path(), backend.geth_or_null());
  node.genesis(kAlloc);
  ExecutionPayload head = node.produce(1);
  alys::testing::SwapResult swapped = node.harness().swap("engine", ALYS_ENGINE_PLUGIN);
  INFO(swapped.stage << ": " << swapped.message);
  REQUIRE(swapped.ok);
  CHECK(swapped.mode == "state");
  CHECK(node.info().head_payload_hash == head.block_hash);
  node.submit(sign(legacy_transfer(kConformanceChainId, 0, address_of(3), kEther, 2 * kGwei), 2));
  ExecutionPayload next = node.produce(2);
  CHECK(next.parent_hash == head.block_hash);
  CHECK(next.transactions.size() == 1);
  CHECK(node.balance(address_of(3)) == kEther);
}

// engine-api only (the embedded backend has no client to lose): while Geth is down a payload gets
// no verdict (`unavailable`, which the chain counts as engine_timeout, not payload_invalid), and a
// block committed meanwhile reaches Geth by the re-sync on its return, its peg-out reported then.
TEST_CASE("engine-api: no verdict while Geth is down; its peg-outs reported after") {
  if (conformance_backend() != "engine-api") return;
  Backend backend;
  if (backend.skipped) return;
  ConformanceNode node(backend.dir.path(), backend.geth_or_null());
  node.genesis(kAlloc);
  node.produce(1);
  eth::Transaction call = legacy_transfer(kConformanceChainId, 0,
                                          *fixed_from_hex<20>(std::string(kBridgeContractAddress)),
                                          kPegInWei, 2 * kGwei);
  call.gas_limit = 200'000;
  call.data = request_peg_out_calldata("bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080");
  node.submit(sign(call, 1));
  PayloadBuilt built = node.build(2);
  REQUIRE(built.error.empty());
  REQUIRE(built.payload.transactions.size() == 1);
  PayloadExecuted executed = node.execute(built.payload);
  REQUIRE(executed.error.empty());
  PayloadBuilt rival = node.build(3);  // on block 1 too: executed below while Geth is down
  REQUIRE(rival.error.empty());

  backend.geth->kill();
  // The chain commits block 2 to storage and sends CommitPayload: the engine cannot pass it on.
  node.import(built.payload, executed);
  CHECK(node.peg_out_reports().empty());
  PayloadExecuted no_verdict = node.execute(rival.payload);
  CHECK_FALSE(no_verdict.error.empty());
  CHECK(no_verdict.unavailable);
  CHECK_FALSE(node.build(4).error.empty());

  backend.geth->start_again();
  for (int i = 0; i < 100 && node.peg_out_reports().empty(); ++i)
    node.harness().advance(std::chrono::milliseconds(200));
  std::vector<PegOutsRequested> reports = node.peg_out_reports();
  REQUIRE(reports.size() == 1);
  CHECK(reports[0].height == 2);
  CHECK(reports[0].payload_hash == built.payload.block_hash);
  CHECK(node.info().head_payload_hash == built.payload.block_hash);
  // A payload that Geth judges is invalid, with a verdict: a transaction changed and rehashed is
  // not possible here, so the wrong parent is the refusal; it is not "unavailable".
  PayloadExecuted late = node.execute(rival.payload);
  CHECK_FALSE(late.error.empty());
  CHECK_FALSE(late.unavailable);
  node.produce(4);
  CHECK(node.peg_out_reports().size() == 1);
}

// engine-api only: a Geth started again on an empty data dir gets a long chain back (more blocks
// than Geth takes without a head after its start: 131 in a run of the Geth benchmark).
TEST_CASE("engine-api: 160 blocks replayed into a Geth that lost its data dir") {
  if (conformance_backend() != "engine-api") return;
  Backend backend;
  if (backend.skipped) return;
  ExecutionPayload head;
  {
    ConformanceNode node(backend.dir.path(), backend.geth_or_null(), "build_wait_ms = 0\n");
    node.genesis(kAlloc);
    // A mint in every block: each block changes the state (Geth keeps 128 state layers in memory,
    // and empty blocks would leave the state as it was).
    for (std::uint64_t slot = 1; slot <= 160; ++slot)
      head = node.produce(slot, {mint_of(address_of(4), kPegInWei)});
  }
  backend.geth->start_empty(backend.dir.path());
  ConformanceNode restarted(backend.dir.path(), backend.geth_or_null(), "build_wait_ms = 0\n");
  Info info = restarted.info();
  INFO(restarted.harness().dead_letters().size());
  CHECK(info.head_payload_hash == head.block_hash);
  auto latest = restarted.eth("eth_getBlockByNumber", {"latest", false});
  CHECK(latest.at("hash").as_string() == to_0x_hex(head.block_hash));
  CHECK(latest.at("stateRoot").as_string() == to_0x_hex(head.state_root));
  CHECK(restarted.balance(address_of(4)) == 160 * kPegInWei);
}
