#include "engine/engine_state.hpp"

#include <algorithm>
#include <catch2/catch.hpp>

#include "alys/context.hpp"
#include "alys/crc32c.hpp"
#include "alys/schemas/engine.hpp"
#include "alys/status.hpp"
#include "engine/testing/signed_transfers.hpp"

using namespace alys;
using namespace alys::engine;
using namespace alys::engine::embedded;
using namespace alys::engine::testing;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

constexpr std::uint64_t kChainId = 1337;
constexpr std::uint64_t kGenesisMs = 1'700'000'000'000;
const ChainRules kRules{kChainId, kGwei, 30'000'000};
const EthAddress kTo = address_of(99);

Mint mint(const EthAddress& to, Wei amount) { return Mint{to, wei_to_be32(amount)}; }

eth::SignedTransaction transfer(std::uint8_t seed, std::uint64_t nonce, Wei tip,
                                Wei max_fee = 10 * kGwei) {
  return signed_tx(eip1559_transfer(kChainId, nonce, kTo, 1, max_fee, tip), seed);
}

// An engine state with something in every part: a genesis and one committed block with a
// transaction, accounts, pooled transactions (a replaced one, a future one, a legacy one), an
// executed payload waiting for its commit, a finalized number.
EngineState full_state() {
  EngineState state(100);
  state.chain_id = kChainId;
  state.loaded = true;
  state.finalized = 0;
  BuildResult genesis = PayloadExecutor(kRules, state.ledger, nullptr)
                            .build_genesis(kGenesisMs, {mint(address_of(1), 10 * kEther),
                                                        mint(address_of(2), 10 * kEther),
                                                        mint(address_of(3), 10 * kEther)});
  REQUIRE(genesis.error.empty());
  state.ledger.apply(genesis.executed.accounts);
  state.history.append(genesis.executed.block);

  BuildPayload request;
  request.parent_payload_hash = state.history.head()->hash;
  request.timestamp_ms = kGenesisMs + 2000;
  BuildResult first = PayloadExecutor(kRules, state.ledger, state.history.head())
                          .build(request, {transfer(1, 0, kGwei)});
  REQUIRE(first.error.empty());
  REQUIRE(first.executed.block.transactions.size() == 1);
  state.ledger.apply(first.executed.accounts);
  state.history.append(first.executed.block);

  REQUIRE(state.mempool.add(transfer(1, 1, kGwei)).empty());
  REQUIRE(state.mempool.add(transfer(1, 1, 2 * kGwei, 20 * kGwei)).empty());  // replaces it
  REQUIRE(state.mempool.add(transfer(1, 3, 5 * kGwei)).empty());              // future: gap at 2
  REQUIRE(state.mempool.add(transfer(2, 0, 3 * kGwei)).empty());
  REQUIRE(state.mempool.add(signed_tx(legacy_transfer(kChainId, 0, kTo, 7, 4 * kGwei), 3)).empty());

  request.parent_payload_hash = state.history.head()->hash;
  request.timestamp_ms = kGenesisMs + 4000;
  BuildResult pending =
      PayloadExecutor(kRules, state.ledger, state.history.head())
          .build(request, state.mempool.select(state.ledger, kRules.base_fee, 100));
  REQUIRE(pending.error.empty());
  state.executed.remember({pending.executed, false, Bytes{0x00}});
  return state;
}

std::vector<Hash32> selection(const EngineState& state) {
  std::vector<Hash32> hashes;
  for (const auto& tx : state.mempool.select(state.ledger, kRules.base_fee, 100))
    hashes.push_back(tx.hash);
  return hashes;
}

// An image changed on purpose, given the checksum of its new bytes, so that what the parser checks
// behind the checksum is reached.
Bytes resealed(Bytes image) {
  image.resize(image.size() - 4);
  const std::uint32_t crc = crc32c(image);
  for (int i = 0; i < 4; ++i) image.push_back(static_cast<std::uint8_t>(crc >> (8 * i)));
  return image;
}

std::int32_t restore_code(ByteView bytes, std::uint32_t schema, std::uint32_t newest = 2) {
  EngineState state(100);
  try {
    read_engine_state(bytes, schema, newest, state);
  } catch (const Error& error) {
    return error.code();
  }
  return ALYS_OK;
}

}  // namespace

TEST_CASE("the state written is the state read: every part, at schema 1 and 2") {
  EngineState before = full_state();
  before.handoffs = 4;
  for (std::uint32_t schema : {1u, 2u}) {
    INFO("schema " << schema);
    Bytes image = write_engine_state(before, schema);
    EngineState after(7);
    read_engine_state(image, schema, 2, after);
    CHECK(after.chain_id == kChainId);
    CHECK(after.loaded);
    CHECK(after.finalized == std::optional<std::uint64_t>(0));
    CHECK(after.ledger.accounts() == before.ledger.accounts());
    CHECK(after.ledger.state_root() == before.ledger.state_root());
    CHECK(after.history.block_count() == 2);
    CHECK(after.history.transaction_count() == 1);
    CHECK(after.history.check().empty());
    CHECK(after.history.head()->hash == before.history.head()->hash);
    CHECK(after.mempool.size() == 4);
    CHECK(after.mempool.max_transactions() == 7);  // the limit is the reader's configuration
    CHECK(selection(after) == selection(before));
    CHECK(after.mempool.pending_nonce(address_of(1), 1) == 2);
    REQUIRE(after.executed.size() == 1);
    CHECK(after.handoffs == (schema == 2 ? 4u : 0u));
    // Nothing lost, nothing invented: the image of what was read is the same image.
    CHECK(write_engine_state(after, schema) == image);
  }
}

TEST_CASE("a state still loading hands over its mempool and held requests, not a partial ledger") {
  EngineState loading(100);
  loading.chain_id = kChainId;
  loading.ledger.set(address_of(1), Account{0, kEther});  // a page read so far
  REQUIRE(loading.mempool.add(transfer(1, 0, kGwei)).empty());
  loading.held.push_back(HeldRequest{type_id_of<GetInfo>(), 41, encode(GetInfo{})});
  loading.held.push_back(
      HeldRequest{type_id_of<CommitPayload>(), 0, encode(CommitPayload{Hash32{1}})});
  Bytes image = write_engine_state(loading, 1);

  EngineState after(100);
  read_engine_state(image, 1, 1, after);
  CHECK_FALSE(after.loaded);
  CHECK(after.ledger.size() == 0);
  CHECK(after.mempool.size() == 1);
  REQUIRE(after.held.size() == 2);
  CHECK(after.held[0].correlation_id == 41);
  CHECK(after.held[0].type_id == type_id_of<GetInfo>());
  CHECK(decode<CommitPayload>(after.held[1].payload).payload_hash == Hash32{1});
}

TEST_CASE("the schema written is the newest both sides know") {
  CHECK(schema_to_write(1, 1) == 1);
  CHECK(schema_to_write(2, 1) == 1);
  CHECK(schema_to_write(5, 2) == 2);
  CHECK(schema_to_write(1, 2) == 1);
  CHECK_THROWS_WITH(schema_to_write(0, 2), Contains("writes state schema 1 at the oldest"));
  try {
    schema_to_write(0, 1);
  } catch (const Error& error) {
    CHECK(error.code() == ALYS_ERR_SCHEMA);
  }
}

TEST_CASE("an unknown schema is ALYS_ERR_SCHEMA; bad bytes are ALYS_ERR_INVALID, never a crash") {
  Bytes image = write_engine_state(full_state(), 2);
  CHECK(restore_code(image, 2) == ALYS_OK);
  CHECK(restore_code(image, 3) == ALYS_ERR_SCHEMA);
  CHECK(restore_code(image, 0) == ALYS_ERR_SCHEMA);
  CHECK(restore_code(image, 2, 1) == ALYS_ERR_SCHEMA);  // a v1 build given schema 2
  EngineState state(100);
  CHECK_THROWS_WITH(read_engine_state(image, 3, 2, state),
                    Contains("restores state schema 1 to 2, got 3"));

  // Cut anywhere, or any byte changed (the trailer's included): refused by the checksum before
  // anything is parsed.
  auto checksum_refusal = [](ByteView bytes) {
    EngineState target(100);
    try {
      read_engine_state(bytes, 2, 2, target);
    } catch (const Error& error) {
      return error.code() == ALYS_ERR_INVALID &&
             std::string(error.what()).find("checksum mismatch: truncated or corrupt") !=
                 std::string::npos;
    }
    return false;
  };
  for (std::size_t size = 0; size < image.size(); ++size) {
    INFO("cut at " << size << " of " << image.size());
    REQUIRE(checksum_refusal(ByteView(image).first(size)));
  }
  for (std::size_t at = 0; at < image.size(); ++at) {
    Bytes flipped = image;
    flipped[at] ^= 0xa5;
    INFO("byte " << at);
    REQUIRE(checksum_refusal(flipped));
  }
  Bytes longer = image;
  longer.push_back(0);
  CHECK(checksum_refusal(longer));

  // Behind a good checksum the parser is as strict as before.
  Bytes body_longer = image;
  body_longer.insert(body_longer.end() - 4, 0);
  CHECK_THROWS_WITH(read_engine_state(resealed(body_longer), 2, 2, state),
                    StartsWith("engine state schema 2: 1 bytes after the state"));
  // Schema 1 bytes read as schema 2 lack the last field.
  CHECK_THROWS_WITH(read_engine_state(write_engine_state(full_state(), 1), 2, 2, state),
                    StartsWith("engine state schema 2: message ends inside a field"));
  // Any byte of the body changed and resealed: read or refused as invalid, never a crash.
  for (std::size_t at = 0; at + 4 < image.size(); ++at) {
    Bytes flipped = image;
    flipped[at] ^= 0xa5;
    std::int32_t code = restore_code(resealed(flipped), 2);
    INFO("byte " << at);
    REQUIRE((code == ALYS_OK || code == ALYS_ERR_INVALID));
  }
}

TEST_CASE("a history that check() refuses is refused, even behind a good checksum") {
  EngineState before = full_state();
  Bytes image = write_engine_state(before, 1);
  // The one included transaction's index in its block, 0, becomes 1: the history's own check
  // finds it out of place. It is the u32 after (hash, block number) in the transactions part.
  const Hash32 hash = before.history.head()->transaction_hashes.at(0);
  auto at = std::search(image.begin(), image.end(), hash.begin(), hash.end());
  std::vector<std::size_t> places;
  for (; at != image.end(); at = std::search(at + 1, image.end(), hash.begin(), hash.end()))
    places.push_back(static_cast<std::size_t>(at - image.begin()));
  // In the block's hash list, then as the transactions part's key; the executed payload's summary
  // names other transactions.
  REQUIRE(places.size() >= 2);
  std::size_t index_at = places[1] + 32;  // past the key, the nested struct's length (varint)
  while (image[index_at] & 0x80) ++index_at;
  index_at += 1 + 8;  // the length's last byte, the block number
  REQUIRE(image[index_at] == 0);
  image[index_at] = 1;
  EngineState state(100);
  CHECK_THROWS_WITH(read_engine_state(resealed(image), 1, 1, state),
                    Contains("indexed transactions belong to no block"));
}

TEST_CASE("a held request of a type the engine does not hold is refused") {
  EngineState state(100);
  state.held.push_back(HeldRequest{type_id_of<SetFinalized>(), 3, encode(SetFinalized{})});
  Bytes image = write_engine_state(state, 1);
  CHECK_THROWS_WITH(read_engine_state(image, 1, 1, state),
                    Contains("held request of unknown type"));
}
