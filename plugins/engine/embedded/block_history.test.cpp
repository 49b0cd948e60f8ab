#include "engine/embedded/block_history.hpp"

#include <catch2/catch.hpp>

using namespace alys;
using namespace alys::engine::embedded;
using Catch::Matchers::Contains;

namespace {

Hash32 hash_of(std::uint8_t tag) {
  Hash32 out{};
  out[0] = tag;
  return out;
}

// Block `number` with hash tag number+1 (zero stays the "no parent" hash) and `txs` transactions.
CommittedBlock block(std::uint64_t number, std::size_t txs = 0) {
  CommittedBlock out;
  out.summary.number = number;
  out.summary.hash = hash_of(static_cast<std::uint8_t>(number + 1));
  out.summary.parent_hash = number == 0 ? Hash32{} : hash_of(static_cast<std::uint8_t>(number));
  for (std::size_t i = 0; i < txs; ++i) {
    Hash32 tx = hash_of(static_cast<std::uint8_t>(100 + 10 * number + i));
    out.summary.transaction_hashes.push_back(tx);
    out.transactions.push_back(
        IncludedTransaction{number, static_cast<std::uint32_t>(i), {}, {}, Bytes{0x01}});
  }
  return out;
}

}  // namespace

TEST_CASE("blocks are appended in order and found by number, hash and transaction") {
  BlockHistory history;
  CHECK(history.head() == nullptr);
  history.append(block(0));
  history.append(block(1, 2));
  REQUIRE(history.head() != nullptr);
  CHECK(history.head()->number == 1);
  CHECK(history.by_number(0)->hash == hash_of(1));
  CHECK(history.by_hash(hash_of(2))->number == 1);
  CHECK(history.by_hash(hash_of(9)) == nullptr);
  CHECK(history.by_number(2) == nullptr);
  const IncludedTransaction* tx = history.transaction(hash_of(111));
  REQUIRE(tx != nullptr);
  CHECK(tx->block_number == 1);
  CHECK(tx->index == 1);
  CHECK(history.transaction_count() == 2);
  CHECK(history.check().empty());
}

TEST_CASE("append refuses a block that does not extend the head") {
  BlockHistory history;
  CHECK_THROWS_AS(history.append(block(1)), std::logic_error);  // no genesis yet
  history.append(block(0));
  CHECK_THROWS_AS(history.append(block(2)), std::logic_error);
  CommittedBlock wrong_parent = block(1);
  wrong_parent.summary.parent_hash = hash_of(77);
  CHECK_THROWS_AS(history.append(wrong_parent), std::logic_error);
  CommittedBlock missing_tx = block(1, 2);
  missing_tx.transactions.pop_back();
  CHECK_THROWS_AS(history.append(missing_tx), std::logic_error);
  CHECK(history.block_count() == 1);
  CHECK(history.transaction_count() == 0);
}

TEST_CASE("a loaded history is checked as a whole") {
  auto load = [](std::vector<CommittedBlock> blocks) {
    BlockHistory history;
    for (const auto& b : blocks) {
      history.load_block(b.summary);
      for (std::size_t i = 0; i < b.transactions.size(); ++i)
        history.load_transaction(b.summary.transaction_hashes[i], b.transactions[i]);
    }
    return history;
  };
  CHECK(load({block(1), block(0, 1), block(2, 3)}).check().empty());  // any order
  CHECK(load({}).check().empty());

  CHECK_THAT(load({block(0), block(2)}).check(), Contains("block 1 is missing"));
  CHECK_THAT(load({block(1)}).check(), Contains("block 0 is missing"));

  CommittedBlock orphan = block(1);
  orphan.summary.parent_hash = hash_of(50);
  CHECK_THAT(load({block(0), orphan}).check(), Contains("has parent"));

  BlockHistory history;
  CommittedBlock with_txs = block(0, 2);
  history.load_block(with_txs.summary);
  history.load_transaction(with_txs.summary.transaction_hashes[0], with_txs.transactions[0]);
  CHECK_THAT(history.check(), Contains("is not indexed at its place"));

  history.load_transaction(with_txs.summary.transaction_hashes[1], with_txs.transactions[1]);
  CHECK(history.check().empty());
  history.load_transaction(hash_of(250), IncludedTransaction{});
  CHECK_THAT(history.check(), Contains("belong to no block"));

  // A transaction at another block's place, or past the head: at no place of its own.
  BlockHistory misplaced = load({block(0, 1), block(1, 1)});
  IncludedTransaction moved = *misplaced.transaction(block(1, 1).summary.transaction_hashes[0]);
  moved.block_number = 0;
  misplaced.load_transaction(block(1, 1).summary.transaction_hashes[0], moved);
  CHECK_THAT(misplaced.check(), Contains("belong to no block"));
  moved.block_number = 9;
  misplaced.load_transaction(block(1, 1).summary.transaction_hashes[0], moved);
  CHECK_THAT(misplaced.check(), Contains("belong to no block"));

  // A block loaded twice under two hashes: the first hash still names the number, now another
  // block's (by_hash would answer with a block of another hash).
  CommittedBlock replaced = block(1);
  replaced.summary.hash = hash_of(60);
  CHECK_THAT(load({block(0), block(1), replaced}).check(), Contains("which is another block's"));
  // Two blocks under one hash.
  CommittedBlock same_hash = block(1);
  same_hash.summary.hash = block(0).summary.hash;
  CHECK_THAT(load({block(0), same_hash}).check(), Contains("appears at two numbers"));

  history.clear();
  CHECK(history.head() == nullptr);
  CHECK(history.transaction_count() == 0);
}

TEST_CASE("a history image reads back the same blocks and transactions; a cut one is refused") {
  BlockHistory history;
  history.append(block(0));
  history.append(block(1, 2));
  history.append(block(2, 3));
  Writer writer;
  history.write_image(writer);
  Bytes image = writer.take();

  BlockHistory restored;
  Reader reader(image);
  restored.read_image(reader);
  CHECK(reader.remaining() == 0);
  CHECK(restored.check().empty());
  CHECK(restored.block_count() == 3);
  CHECK(restored.transaction_count() == 5);
  REQUIRE(restored.head() != nullptr);
  CHECK(restored.head()->hash == history.head()->hash);
  CHECK(restored.by_hash(hash_of(2))->number == 1);
  REQUIRE(restored.transaction(hash_of(121)) != nullptr);
  CHECK(restored.transaction(hash_of(121))->index == 1);
  restored.append(block(3));  // and it goes on

  for (std::size_t size = 0; size < image.size(); ++size) {
    Reader cut(ByteView(image).first(size));
    INFO("cut at " << size);
    REQUIRE_THROWS_AS(restored.read_image(cut), DecodeError);
    REQUIRE(restored.block_count() == 0);
  }
}
