#include "engine/embedded/state_keys.hpp"

#include <catch2/catch.hpp>
#include <map>

#include "engine/testing/signed_transfers.hpp"

using namespace alys;
using namespace alys::engine;
using namespace alys::engine::embedded;
using namespace alys::engine::testing;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

constexpr std::uint64_t kChainId = 99;

// A stand-in for storage's engine key space: puts and deletes applied, scanned in key order.
using Store = std::map<Bytes, Bytes>;

void write_into(Store& store, const StateWrites& writes) {
  for (const auto& put : writes.puts) store[put.key] = put.value;
  for (const auto& key : writes.deletes) store.erase(key);
}

std::string load(const Store& store, Ledger& ledger, BlockHistory& history,
                 std::uint64_t chain_id = kChainId) {
  StateLoader loader(ledger, history);
  for (const auto& [key, value] : store) loader.add(storage::KeyValue{key, value});
  return loader.finish(chain_id);
}

struct Node {
  ChainRules rules{kChainId, kGwei, 30'000'000};
  Ledger state;
  BlockHistory history;
  Store store;

  void commit(const ExecutedPayload& executed, bool genesis) {
    write_into(store, state_writes(executed, genesis, kChainId));
    state.apply(executed.accounts);
    history.append(executed.block);
  }

  // Genesis funding key 1, then a block with two of its transfers.
  void run_two_blocks() {
    PayloadExecutor genesis(rules, state, history.head());
    auto built = genesis.build_genesis(1'000'000, {Mint{address_of(1), wei_to_be32(kEther)}});
    REQUIRE(built.error.empty());
    commit(built.executed, true);
    BuildPayload request;
    request.parent_payload_hash = history.head()->hash;
    request.timestamp_ms = 1'002'000;
    auto next = PayloadExecutor(rules, state, history.head())
                    .build(request, {signed_tx(legacy_transfer(kChainId, 0, address_of(2), 5), 1),
                                     signed_tx(legacy_transfer(kChainId, 1, address_of(3), 6), 1)});
    REQUIRE(next.error.empty());
    REQUIRE(next.executed.payload.transactions.size() == 2);
    commit(next.executed, false);
  }
};

}  // namespace

TEST_CASE("the key layout") {
  EthAddress address{};
  address[0] = 0xaa;
  address[19] = 0xbb;
  Hash32 hash{};
  hash[31] = 0x42;
  CHECK(format_key() == Bytes{'m'});
  CHECK(head_key() == Bytes{'h'});
  CHECK(to_hex(account_key(address)) == "61aa" + std::string(36, '0') + "bb");
  CHECK(to_hex(block_key(0x0102)) == "620000000000000102");
  CHECK(to_hex(payload_number_key(hash)) == "70" + std::string(62, '0') + "42");
  CHECK(to_hex(transaction_key(hash)) == "74" + std::string(62, '0') + "42");
  // Big-endian numbers scan in number order.
  CHECK(block_key(255) < block_key(256));
}

TEST_CASE("the writes of a genesis and of a block") {
  Node node;
  node.run_two_blocks();
  const BlockSummary head = *node.history.head();
  Store& store = node.store;
  CHECK(decode<EngineFormat>(store.at(format_key())).chain_id == kChainId);
  CHECK(decode<EngineFormat>(store.at(format_key())).backend == "embedded");
  HeadPointer pointer = decode<HeadPointer>(store.at(head_key()));
  CHECK(pointer.number == 1);
  CHECK(pointer.payload_hash == head.hash);
  CHECK(decode<BlockSummary>(store.at(block_key(1))).transaction_hashes == head.transaction_hashes);
  CHECK(store.count(block_key(0)) == 1);
  CHECK(store.count(payload_number_key(head.hash)) == 1);
  for (const Hash32& tx : head.transaction_hashes) CHECK(store.count(transaction_key(tx)) == 1);
  StoredAccount sender = decode<StoredAccount>(store.at(account_key(address_of(1))));
  CHECK(sender.nonce == 2);
  CHECK(wei_from_be(sender.balance) == kEther - 11 - 2 * 21'000 * kGwei);
  // The fee recipient (zero address) earned no tip at the base fee: it stays empty, unstored.
  CHECK(store.count(account_key(EthAddress{})) == 0);
  // The format record and head pointer, 3 accounts, 2 blocks, 2 hash index entries, 2 transactions.
  CHECK(store.size() == 2 + 3 + 2 + 2 + 2);
}

TEST_CASE("an emptied account is deleted") {
  ExecutedPayload executed;
  executed.accounts = {{address_of(1), Account{}}, {address_of(2), Account{1, 0}}};
  StateWrites writes = state_writes(executed, false, kChainId);
  CHECK(writes.deletes == std::vector<Bytes>{account_key(address_of(1))});
  bool wrote_second = false;
  for (const auto& put : writes.puts) wrote_second |= put.key == account_key(address_of(2));
  CHECK(wrote_second);
  for (const auto& put : writes.puts) CHECK(put.key != format_key());
}

TEST_CASE("loading rebuilds the same ledger and history") {
  Node node;
  node.run_two_blocks();
  Ledger ledger;
  BlockHistory history;
  REQUIRE(load(node.store, ledger, history) == "");
  CHECK(ledger.accounts() == node.state.accounts());
  CHECK(ledger.state_root() == node.history.head()->state_root);
  REQUIRE(history.head() != nullptr);
  CHECK(history.head()->hash == node.history.head()->hash);
  CHECK(history.transaction_count() == 2);
  const Hash32 tx = node.history.head()->transaction_hashes[1];
  REQUIRE(history.transaction(tx) != nullptr);
  CHECK(history.transaction(tx)->raw == node.history.transaction(tx)->raw);

  // An empty store is a node before genesis.
  Ledger empty_ledger;
  BlockHistory empty_history;
  CHECK(load({}, empty_ledger, empty_history) == "");
  CHECK(empty_history.head() == nullptr);
}

TEST_CASE("loading refuses a store that is not consistent") {
  Node node;
  node.run_two_blocks();
  Ledger ledger;
  BlockHistory history;

  CHECK_THAT(load(node.store, ledger, history, 100),
             Contains("the engine state is for chain id 99, the config says 100"));

  Store other_format = node.store;
  other_format[format_key()] = encode(EngineFormat{"geth", 1, kChainId});
  CHECK_THAT(load(other_format, ledger, history),
             Contains("written by backend 'geth' format 1; this is backend 'embedded' format 1"));

  Store no_format = node.store;
  no_format.erase(format_key());
  CHECK_THAT(load(no_format, ledger, history), Contains("no format record"));

  Store no_head = node.store;
  no_head.erase(head_key());
  CHECK_THAT(load(no_head, ledger, history), Contains("no head pointer"));

  Store stale_head = node.store;
  stale_head[head_key()] = encode(HeadPointer{node.history.by_number(0)->hash, 0});
  CHECK_THAT(load(stale_head, ledger, history), StartsWith("the head pointer names block 0"));

  Store missing_block = node.store;
  missing_block.erase(block_key(0));
  CHECK_THAT(load(missing_block, ledger, history), Contains("block 0 is missing"));

  Store missing_tx = node.store;
  missing_tx.erase(transaction_key(node.history.head()->transaction_hashes[0]));
  CHECK_THAT(load(missing_tx, ledger, history), Contains("is not indexed at its place"));

  Store missing_index = node.store;
  missing_index.erase(payload_number_key(node.history.head()->hash));
  CHECK_THAT(load(missing_index, ledger, history), Contains("payload hash index has 1 entries"));

  Store tampered = node.store;
  tampered[account_key(address_of(2))] = encode(StoredAccount{0, wei_to_be32(6)});
  CHECK_THAT(load(tampered, ledger, history), StartsWith("the stored accounts hash to state root"));

  Store foreign = node.store;
  foreign[Bytes{'z', 1}] = Bytes{};
  CHECK_THROWS_WITH(load(foreign, ledger, history),
                    Contains("engine state key 0x7a01 is not of the embedded engine's key space"));

  Store truncated = node.store;
  truncated[account_key(address_of(2))] = Bytes{1, 2, 3};
  CHECK_THROWS_WITH(load(truncated, ledger, history), Contains("(account)"));

  Store misplaced = node.store;
  misplaced[block_key(7)] = misplaced.at(block_key(1));
  CHECK_THROWS_WITH(load(misplaced, ledger, history), Contains("holds block 1"));
}
