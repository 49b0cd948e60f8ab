#include "engine/embedded/payload_executor.hpp"

#include <catch2/catch.hpp>

#include "alys/domain/keccak.hpp"
#include "consensus_vectors.hpp"
#include "engine/testing/signed_transfers.hpp"

using namespace alys;
using namespace alys::engine;
using namespace alys::engine::embedded;
using namespace alys::engine::testing;
using Catch::Matchers::Contains;
using Catch::Matchers::Equals;
using Catch::Matchers::StartsWith;

namespace {

constexpr std::uint64_t kChainId = 1337;
constexpr std::uint64_t kGenesisMs = 1'700'000'000'123;
const EthAddress kFeeRecipient = address_of(200);

Mint mint(const EthAddress& to, Wei amount) { return Mint{to, wei_to_be32(amount)}; }

// The engine's head: a ledger and a history, moved on by committing executed payloads.
struct Chain {
  ChainRules rules{kChainId, kGwei, 30'000'000};
  Ledger state;
  BlockHistory history;

  PayloadExecutor executor() const { return PayloadExecutor(rules, state, history.head()); }

  void commit(const ExecutedPayload& executed) {
    state.apply(executed.accounts);
    history.append(executed.block);
  }

  // Genesis with 10 ether for keys 1 and 2, committed.
  ExecutionPayload start() {
    BuildResult genesis = executor().build_genesis(
        kGenesisMs, {mint(address_of(1), 10 * kEther), mint(address_of(2), 10 * kEther)});
    REQUIRE(genesis.error.empty());
    commit(genesis.executed);
    return genesis.executed.payload;
  }

  BuildPayload request(std::uint64_t timestamp_ms = kGenesisMs + 2000) const {
    BuildPayload request;
    request.parent_payload_hash = history.head()->hash;
    request.timestamp_ms = timestamp_ms;
    request.fee_recipient = kFeeRecipient;
    return request;
  }

  BuildResult build(const std::vector<eth::SignedTransaction>& candidates) const {
    return executor().build(request(), candidates);
  }

  ExecuteResult execute(const ExecutionPayload& payload, std::vector<Mint> mints = {}) const {
    ExecutePayload request;
    request.payload = payload;
    request.mints = std::move(mints);
    return executor().execute(request);
  }
};

// Re-seals a tampered payload's hash so that only the tampered field is wrong.
ExecutionPayload rehashed(ExecutionPayload payload) {
  payload.block_hash = payload_hash(payload);
  return payload;
}

}  // namespace

TEST_CASE("the genesis payload credits the allocation and validates") {
  Chain chain;
  std::vector<Mint> alloc{mint(address_of(1), 10 * kEther), mint(address_of(2), 5)};
  BuildResult built = chain.executor().build_genesis(kGenesisMs, alloc);
  REQUIRE(built.error.empty());
  const ExecutionPayload& payload = built.executed.payload;
  CHECK(payload.number == 0);
  CHECK(is_zero(payload.parent_hash));
  CHECK(payload.timestamp_s == kGenesisMs / 1000);
  CHECK(payload.gas_limit == 30'000'000);
  CHECK(payload.gas_used == 0);
  CHECK(payload.base_fee_per_gas == wei_to_be32(kGwei));
  CHECK(payload.transactions.empty());
  CHECK(payload.transactions_root == keccak256(Bytes{}));
  CHECK(payload.block_hash == payload_hash(payload));

  Ledger expected;
  expected.set(address_of(1), Account{0, 10 * kEther});
  expected.set(address_of(2), Account{0, 5});
  CHECK(payload.state_root == expected.state_root());
  CHECK(built.executed.accounts ==
        AccountChanges{{address_of(1), Account{0, 10 * kEther}}, {address_of(2), Account{0, 5}}});
  CHECK(built.executed.block.summary.hash == payload.block_hash);
  CHECK(built.executed.block.summary.size_bytes == encode(payload).size());

  ExecutePayload execute{payload, alloc, true};
  ExecuteResult executed = chain.executor().execute(execute);
  REQUIRE(executed.error.empty());
  CHECK(executed.executed.payload.state_root == payload.state_root);

  // Another allocation is another state.
  ExecutePayload other{payload, {mint(address_of(1), 10 * kEther)}, true};
  CHECK_THAT(chain.executor().execute(other).error, StartsWith("payload state root"));
  // Without the genesis flag, and with a head, a genesis is refused.
  CHECK_THAT(chain.executor().execute(ExecutePayload{payload, alloc, false}).error,
             Equals("the engine has no head yet: the first payload must be a genesis"));
  chain.commit(built.executed);
  CHECK_THAT(chain.executor().build_genesis(kGenesisMs, alloc).error,
             StartsWith("the engine already has a head: block 0"));
  CHECK_THAT(chain.executor().execute(execute).error,
             StartsWith("a genesis payload is only valid before the first block"));
}

TEST_CASE("a genesis payload must be number 0 with no parent and no transactions") {
  Chain chain;
  BuildResult built = chain.executor().build_genesis(kGenesisMs, {});
  ExecutionPayload numbered = built.executed.payload;
  numbered.number = 1;
  CHECK_THAT(chain.executor().execute(ExecutePayload{numbered, {}, true}).error,
             Equals("genesis payload number 1, expected 0"));
  ExecutionPayload parented = built.executed.payload;
  parented.parent_hash[0] = 1;
  CHECK_THAT(chain.executor().execute(ExecutePayload{parented, {}, true}).error,
             StartsWith("genesis payload parent 0x01"));
  ExecutionPayload with_tx = built.executed.payload;
  with_tx.transactions.push_back(sign(legacy_transfer(kChainId, 0, address_of(3), 1), 1));
  CHECK_THAT(chain.executor().execute(ExecutePayload{with_tx, {}, true}).error,
             Equals("a genesis payload carries no transactions; this one has 1"));
  BuildResult too_much = chain.executor().build_genesis(
      kGenesisMs, {mint(address_of(1), ~Wei{0}), mint(address_of(1), 1)});
  CHECK_THAT(too_much.error, StartsWith("genesis allocation: mint 1: the balance of"));
  Mint beyond{address_of(1), {}};
  beyond.amount_wei[15] = 1;  // 2^128
  CHECK_THAT(chain.executor().build_genesis(kGenesisMs, {beyond}).error,
             StartsWith("genesis allocation: mint 0 to 0x"));
}

TEST_CASE("a built payload charges 21000 gas at the effective price and pays the tip") {
  Chain chain;
  chain.start();
  const EthAddress recipient = address_of(3);
  // Legacy at 3 gwei: tip 2 gwei. Type 2 with max fee 10, priority 2: price 3 gwei, tip 2. A gas
  // limit above 21,000 is not charged beyond 21,000.
  auto legacy = legacy_transfer(kChainId, 0, recipient, kEther, 3 * kGwei);
  legacy.gas_limit = 50'000;
  auto first = signed_tx(legacy, 1);
  auto second =
      signed_tx(eip1559_transfer(kChainId, 0, recipient, 2 * kEther, 10 * kGwei, 2 * kGwei), 2);
  BuildResult built = chain.build({first, second});
  REQUIRE(built.error.empty());
  CHECK(built.dropped.empty());
  const ExecutionPayload& payload = built.executed.payload;
  CHECK(payload.number == 1);
  CHECK(payload.parent_hash == chain.history.head()->hash);
  CHECK(payload.timestamp_s == (kGenesisMs + 2000) / 1000);
  CHECK(payload.fee_recipient == kFeeRecipient);
  CHECK(payload.transactions == std::vector<Bytes>{first.raw, second.raw});
  CHECK(payload.gas_used == 42'000);
  Bytes hashes(first.hash.begin(), first.hash.end());
  hashes.insert(hashes.end(), second.hash.begin(), second.hash.end());
  CHECK(payload.transactions_root == keccak256(hashes));
  CHECK(payload.block_hash == payload_hash(payload));

  const Wei fee = 21'000 * 3 * kGwei;
  CHECK(built.executed.accounts ==
        AccountChanges{{address_of(1), Account{1, 10 * kEther - kEther - fee}},
                       {address_of(2), Account{1, 10 * kEther - 2 * kEther - fee}},
                       {recipient, Account{0, 3 * kEther}},
                       {kFeeRecipient, Account{0, 2 * 21'000 * 2 * kGwei}}});
  const auto& included = built.executed.block.transactions;
  REQUIRE(included.size() == 2);
  CHECK(included[1].index == 1);
  CHECK(included[1].block_number == 1);
  CHECK(included[1].sender == address_of(2));
  CHECK(included[1].effective_gas_price == wei_to_be32(3 * kGwei));

  // Validation of the built payload reaches the same result.
  ExecuteResult executed = chain.execute(payload);
  REQUIRE(executed.error.empty());
  CHECK(executed.executed.accounts == built.executed.accounts);
  CHECK(executed.executed.block.summary.hash == payload.block_hash);
  // The head is untouched until a commit.
  CHECK(chain.state.account(address_of(1)).nonce == 0);
}

TEST_CASE("a transfer to oneself, or by the fee recipient, nets out") {
  Chain chain;
  chain.start();
  BuildPayload request = chain.request();
  request.fee_recipient = address_of(1);
  auto self = signed_tx(eip1559_transfer(kChainId, 0, address_of(1), kEther, 3 * kGwei, kGwei), 1);
  BuildResult built = chain.executor().build(request, {self});
  REQUIRE(built.error.empty());
  // It pays 21000 * 2 gwei and gets its 21000 * 1 gwei tip back: the base fee is burned.
  CHECK(built.executed.accounts ==
        AccountChanges{{address_of(1), Account{1, 10 * kEther - 21'000 * kGwei}}});
}

TEST_CASE("building: mints first; failing candidates are left out and dropped") {
  Chain chain;
  chain.start();
  const EthAddress to = address_of(9);
  // Key 4 has nothing until the payload's mint; then it can pay.
  auto minted_sender = signed_tx(legacy_transfer(kChainId, 0, to, kEther), 4);
  // Key 1 spends 9 ether, then cannot pay another 9; its nonce 2 waits (not dropped).
  auto spend = signed_tx(legacy_transfer(kChainId, 0, to, 9 * kEther), 1);
  auto overspend = signed_tx(legacy_transfer(kChainId, 1, to, 9 * kEther), 1);
  auto after_gap = signed_tx(legacy_transfer(kChainId, 2, to, 1), 1);
  // Key 2's stale nonce cannot run either.
  auto stale = signed_tx(legacy_transfer(kChainId, 0, to, 1), 2);
  auto fresh = signed_tx(legacy_transfer(kChainId, 0, to, 2), 2);

  BuildPayload request = chain.request();
  request.mints = {mint(address_of(4), 2 * kEther)};
  BuildResult built =
      chain.executor().build(request, {minted_sender, spend, overspend, after_gap, fresh, stale});
  REQUIRE(built.error.empty());
  CHECK(built.executed.payload.transactions ==
        std::vector<Bytes>{minted_sender.raw, spend.raw, fresh.raw});
  CHECK(built.dropped == std::vector<Hash32>{overspend.hash, stale.hash});

  // A validator needs the same mints to reach the same state.
  CHECK(chain.execute(built.executed.payload, request.mints).error.empty());
  CHECK_THAT(chain.execute(built.executed.payload).error,
             Equals("transaction 0 " + to_0x_hex(minted_sender.hash) +
                    ": insufficient funds for gas * price + value: balance 0, tx cost "
                    "1000021000000000000"));
}

TEST_CASE("building respects max_transactions, the gas limit and the head") {
  Chain chain;
  chain.start();
  std::vector<eth::SignedTransaction> candidates;
  for (std::uint64_t nonce = 0; nonce < 5; ++nonce)
    candidates.push_back(signed_tx(legacy_transfer(kChainId, nonce, address_of(9), 1), 1));
  BuildPayload request = chain.request();
  request.max_transactions = 3;
  CHECK(chain.executor().build(request, candidates).executed.payload.transactions.size() == 3);

  chain.rules.block_gas_limit = 42'000;  // room for two transfers
  CHECK(chain.build(candidates).executed.payload.transactions.size() == 2);

  BuildPayload wrong_parent = chain.request();
  wrong_parent.parent_payload_hash[0] ^= 1;
  CHECK_THAT(chain.executor().build(wrong_parent, {}).error, StartsWith("payload parent 0x"));
  CHECK_THAT(chain.executor().build(chain.request(kGenesisMs - 1000), {}).error,
             Equals("payload timestamp " + std::to_string(kGenesisMs / 1000 - 1) +
                    " is before its parent's " + std::to_string(kGenesisMs / 1000)));
  Chain empty;
  CHECK_THAT(empty.executor().build(BuildPayload{}, {}).error,
             Equals("the engine has no head yet: build the genesis first"));
}

TEST_CASE("validation refuses each tampered field with its own error") {
  Chain chain;
  chain.start();
  // At 2 gwei the fee recipient earns a tip: it is part of the state.
  auto a = signed_tx(legacy_transfer(kChainId, 0, address_of(3), kEther, 2 * kGwei), 1);
  auto b = signed_tx(legacy_transfer(kChainId, 1, address_of(3), kEther, 2 * kGwei), 1);
  BuildResult built = chain.build({a, b});
  REQUIRE(built.error.empty());
  const ExecutionPayload good = built.executed.payload;
  const std::string head_hash = to_0x_hex(chain.history.head()->hash);
  REQUIRE(chain.execute(good).error.empty());

  ExecutionPayload p = good;
  p.parent_hash[5] ^= 1;
  CHECK_THAT(chain.execute(rehashed(p)).error,
             Equals("payload parent " + to_0x_hex(p.parent_hash) + " is not the engine's head " +
                    head_hash + " (block 0)"));
  p = good;
  p.number = 2;
  CHECK_THAT(chain.execute(rehashed(p)).error, Equals("payload number 2, expected 1"));
  p = good;
  p.timestamp_s = kGenesisMs / 1000 - 1;
  CHECK_THAT(chain.execute(rehashed(p)).error, StartsWith("payload timestamp"));
  p = good;
  p.gas_limit = 29'999'999;
  CHECK_THAT(chain.execute(rehashed(p)).error,
             Equals("payload gas limit 29999999, expected 30000000"));
  p = good;
  p.base_fee_per_gas = wei_to_be32(2 * kGwei);
  CHECK_THAT(chain.execute(rehashed(p)).error,
             Equals("payload base fee 2000000000 wei, expected 1000000000"));
  p = good;
  p.transactions.pop_back();  // a transaction removed: the claimed gas no longer adds up
  CHECK_THAT(chain.execute(rehashed(p)).error, Equals("payload gas used 42000, executed 21000"));
  p = good;
  std::swap(p.transactions[0], p.transactions[1]);  // out of nonce order
  CHECK_THAT(
      chain.execute(rehashed(p)).error,
      Equals("transaction 0 " + to_0x_hex(b.hash) + ": nonce too high: next nonce 0, tx nonce 1"));
  p = good;
  p.transactions[1] = Bytes{0xc0};
  CHECK_THAT(chain.execute(rehashed(p)).error, StartsWith("transaction 1: "));
  p = good;
  p.transactions[1] = sign(legacy_transfer(kChainId + 1, 1, address_of(3), kEther, 2 * kGwei), 1);
  CHECK_THAT(
      chain.execute(rehashed(p)).error,
      StartsWith("transaction 1 0x") && Contains(": invalid chain id: expected 1337, got 1338"));
  p = good;
  p.gas_used = 63'000;
  CHECK_THAT(chain.execute(rehashed(p)).error, Equals("payload gas used 63000, executed 42000"));
  p = good;
  p.transactions_root[0] ^= 1;
  CHECK_THAT(chain.execute(rehashed(p)).error,
             Equals("payload transactions root " + to_0x_hex(p.transactions_root) + ", computed " +
                    to_0x_hex(good.transactions_root)));
  p = good;
  p.state_root[31] ^= 1;
  CHECK_THAT(chain.execute(rehashed(p)).error,
             Equals("payload state root " + to_0x_hex(p.state_root) + ", computed " +
                    to_0x_hex(good.state_root)));
  p = good;
  p.fee_recipient = address_of(201);  // another recipient of the tips: another state root
  CHECK_THAT(chain.execute(rehashed(p)).error, StartsWith("payload state root"));
  p = good;
  p.block_hash[0] ^= 1;
  CHECK_THAT(chain.execute(p).error, Equals("payload block hash " + to_0x_hex(p.block_hash) +
                                            ", computed " + to_0x_hex(good.block_hash)));

  chain.rules.block_gas_limit = 21'000;
  p = good;
  p.gas_limit = 21'000;
  CHECK_THAT(chain.execute(rehashed(p)).error,
             Equals("payload carries 2 transactions: at 21000 gas each they exceed its gas limit "
                    "21000"));
}

TEST_CASE("the embedded backend refuses a payload that sets an Engine API field") {
  Chain chain;
  chain.start();
  auto a = signed_tx(legacy_transfer(kChainId, 0, address_of(3), kEther, 2 * kGwei), 1);
  BuildResult built = chain.build({a});
  REQUIRE(built.error.empty());
  const ExecutionPayload good = built.executed.payload;
  CHECK(engine_api_field_set(good).empty());
  auto refused_for = [&](const char* field, auto&& change) {
    ExecutionPayload p = good;
    change(p);
    CHECK(engine_api_field_set(p) == field);
    CHECK_THAT(chain.execute(rehashed(p)).error,
               Equals(std::string("payload ") + field +
                      " is set: an engine-api payload (this engine is the embedded backend, "
                      "which leaves the Engine API fields empty)"));
  };
  refused_for("receipts_root", [](ExecutionPayload& p) { p.receipts_root[0] = 1; });
  refused_for("logs_bloom", [](ExecutionPayload& p) { p.logs_bloom[255] = 1; });
  refused_for("prev_randao", [](ExecutionPayload& p) { p.prev_randao[31] = 1; });
  refused_for("extra_data", [](ExecutionPayload& p) { p.extra_data = {0}; });
  refused_for("withdrawals", [](ExecutionPayload& p) { p.withdrawals.push_back({}); });
}

TEST_CASE("fees_paid: 21000 x the effective price of each transaction, base fee and tip") {
  Chain chain;
  chain.start();
  auto legacy = signed_tx(legacy_transfer(kChainId, 0, address_of(3), kEther, 3 * kGwei), 1);
  auto typed =
      signed_tx(eip1559_transfer(kChainId, 0, address_of(3), kEther, 10 * kGwei, 2 * kGwei), 2);
  BuildResult built = chain.build({legacy, typed});
  REQUIRE(built.error.empty());
  CHECK(fees_paid(built.executed.block) == Wei{2} * 21'000 * 3 * kGwei);
  BuildResult empty = chain.build({});
  CHECK(fees_paid(empty.executed.block) == 0);
}

// Pinned vector (tests/data/consensus_vectors.json, which the block format does not touch),
// generated once. A mismatch is a fork: never regenerate the vector to make this pass. The block
// whose transactions it covers is the format-2 one (consensus_vectors_format2.json): that file's
// format-1 block is history, checked by no test.
TEST_CASE("transactions_root matches the pinned consensus vector") {
  namespace vectors = alys::testing::vectors;
  const auto file = vectors::load_consensus_vectors();
  const auto& pinned = vectors::object_field(file, "transactions_root");
  const std::string root = vectors::string_field(pinned, "transactions_root");
  CHECK(to_hex(keccak256(vectors::bytes_field(pinned, "preimage"))) == root);

  std::vector<Hash32> hashes;
  for (const auto& hash : vectors::array_field(pinned, "transaction_hashes"))
    hashes.push_back(vectors::fixed_of_hex<32>(hash, "transaction_hashes[]"));
  REQUIRE(hashes.size() == 2);
  CHECK(to_hex(transactions_root(hashes)) == root);
  // They are the hashes of the pinned block's transactions, and its payload commits to this root.
  const auto block_file = vectors::load_consensus_vectors_format2();
  const auto& payload = vectors::object_field(
      vectors::object_field(vectors::object_field(block_file, "block"), "fields"), "payload");
  const auto& raw = vectors::array_field(payload, "transactions");
  REQUIRE(raw.size() == 2);
  for (std::size_t i = 0; i < 2; ++i)
    CHECK(keccak256(vectors::bytes_of_hex(raw[i], "transactions[]")) == hashes[i]);
  CHECK(vectors::string_field(payload, "transactions_root") == root);
}
