#include "engine/embedded/mempool.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

#include "engine/embedded/transfer_rules.hpp"
#include "engine/testing/signed_transfers.hpp"

using namespace alys;
using namespace alys::engine::embedded;
using namespace alys::engine::testing;
using Catch::Matchers::Contains;

namespace {

constexpr std::uint64_t kChainId = 7;
const EthAddress kTo = address_of(99);

eth::SignedTransaction tx_from(std::uint8_t seed, std::uint64_t nonce, Wei tip = 0,
                               Wei max_fee = 10 * kGwei) {
  return signed_tx(eip1559_transfer(kChainId, nonce, kTo, 1, max_fee, tip), seed);
}

// Senders 1..40 with an ether each at nonce 0: enough for every test's transactions, so that the
// tests of other rules do not meet the funds rule. Built once: 40 key derivations.
const Ledger& funded() {
  static const Ledger ledger = [] {
    Ledger built;
    for (std::uint8_t seed = 1; seed <= 40; ++seed) built.set(address_of(seed), Account{0, kEther});
    return built;
  }();
  return ledger;
}

std::string add(Mempool& pool, const eth::SignedTransaction& tx,
                const AccountReader& state = funded()) {
  return pool.add(tx, state, kGwei);
}

std::vector<std::pair<EthAddress, std::uint64_t>> order_of(
    const std::vector<eth::SignedTransaction>& selected) {
  std::vector<std::pair<EthAddress, std::uint64_t>> out;
  for (const auto& tx : selected) out.emplace_back(tx.sender, tx.tx.nonce);
  return out;
}

}  // namespace

TEST_CASE("transactions are pooled once; pending nonces count contiguous ones") {
  Mempool pool(100);
  auto first = tx_from(1, 0);
  CHECK(add(pool, first).empty());
  CHECK(add(pool, first) == "already known");
  CHECK(pool.size() == 1);
  REQUIRE(pool.contains(first.hash));
  CHECK(pool.find(first.hash)->raw == first.raw);

  CHECK(add(pool, tx_from(1, 1)).empty());
  CHECK(add(pool, tx_from(1, 3)).empty());  // future: a gap at 2
  const EthAddress sender = address_of(1);
  CHECK(pool.pending_nonce(sender, 0) == 2);
  CHECK(pool.pending_nonce(sender, 1) == 2);
  CHECK(pool.pending_nonce(sender, 5) == 5);
  CHECK(pool.pending_nonce(address_of(2), 4) == 4);
}

TEST_CASE("a replacement needs both fee cap and tip at least 10% higher") {
  Mempool pool(100);
  auto original = tx_from(1, 0, 1 * kGwei, 10 * kGwei);
  REQUIRE(add(pool, original).empty());

  CHECK(add(pool, tx_from(1, 0, 1 * kGwei, 20 * kGwei)) == "replacement transaction underpriced");
  CHECK(add(pool, tx_from(1, 0, 2 * kGwei, 10 * kGwei)) == "replacement transaction underpriced");
  CHECK(add(pool, tx_from(1, 0, 1'099'999'999, 11 * kGwei)) ==
        "replacement transaction underpriced");
  CHECK(pool.contains(original.hash));

  auto replacement = tx_from(1, 0, 1'100'000'000, 11 * kGwei);
  CHECK(add(pool, replacement).empty());
  CHECK(pool.size() == 1);
  CHECK(!pool.contains(original.hash));
  CHECK(pool.contains(replacement.hash));
}

TEST_CASE("a full pool refuses new transactions but still takes replacements") {
  Mempool pool(2);
  CHECK(add(pool, tx_from(1, 0)).empty());
  CHECK(add(pool, tx_from(2, 0)).empty());
  CHECK(add(pool, tx_from(3, 0)) == "txpool is full");
  CHECK(pool.size() == 2);
  CHECK(pool.pending_nonce(address_of(3), 0) == 0);
  CHECK(add(pool, tx_from(1, 0, kGwei, 20 * kGwei)).empty());
  CHECK(pool.size() == 2);
}

TEST_CASE("selection: executable only, best tip first, each sender in nonce order") {
  Mempool pool(100);
  Ledger state;
  state.set(address_of(3), Account{5, kEther});  // sender 3 is at nonce 5

  // Sender 1: nonces 0 (tip 1) and 1 (tip 9): the high tip cannot jump its predecessor.
  REQUIRE(add(pool, tx_from(1, 1, 9 * kGwei)).empty());
  REQUIRE(add(pool, tx_from(1, 0, 1 * kGwei)).empty());
  // Sender 2: nonce 0 (tip 5), then a gap: nonce 2 is not executable.
  REQUIRE(add(pool, tx_from(2, 0, 5 * kGwei)).empty());
  REQUIRE(add(pool, tx_from(2, 2, 50 * kGwei, 60 * kGwei)).empty());
  // Sender 3: nonce 4 is stale, 5 is next (tip 1, arrives after sender 1's tip-1 transaction).
  REQUIRE(add(pool, tx_from(3, 4, 8 * kGwei)).empty());
  REQUIRE(add(pool, tx_from(3, 5, 1 * kGwei)).empty());
  // Sender 4: its fee cap is below the base fee: never selected.
  REQUIRE(add(pool, tx_from(4, 0, 0, kGwei / 2)).empty());

  auto selected = pool.select(state, kGwei, 100);
  CHECK(order_of(selected) == std::vector<std::pair<EthAddress, std::uint64_t>>{
                                  {address_of(2), 0},
                                  {address_of(1), 0},
                                  {address_of(1), 1},
                                  {address_of(3), 5},
                              });
  // Sender 1's second transaction (tip 9) became a head only once nonce 0 was taken, and then
  // beat sender 3's tip-1 transaction.

  auto limited = pool.select(state, kGwei, 2);
  CHECK(order_of(limited) ==
        std::vector<std::pair<EthAddress, std::uint64_t>>{{address_of(2), 0}, {address_of(1), 0}});
}

TEST_CASE("equal tips go by arrival; legacy tips are gas price minus base fee") {
  Mempool pool(100);
  Ledger state;
  REQUIRE(add(pool, signed_tx(legacy_transfer(kChainId, 0, kTo, 1, 3 * kGwei), 5)).empty());
  REQUIRE(add(pool, tx_from(6, 0, 2 * kGwei)).empty());
  REQUIRE(add(pool, tx_from(7, 0, 2 * kGwei)).empty());
  auto selected = pool.select(state, kGwei, 10);
  CHECK(order_of(selected) == std::vector<std::pair<EthAddress, std::uint64_t>>{
                                  {address_of(5), 0}, {address_of(6), 0}, {address_of(7), 0}});
  // With a higher base fee, the legacy tip (3 - 2 = 1 gwei) falls behind the type 2 tips.
  auto at_two_gwei = pool.select(state, 2 * kGwei, 10);
  CHECK(order_of(at_two_gwei) == std::vector<std::pair<EthAddress, std::uint64_t>>{
                                     {address_of(6), 0}, {address_of(7), 0}, {address_of(5), 0}});
}

TEST_CASE("after a commit, included and stale transactions leave the pool") {
  Mempool pool(100);
  auto a0 = tx_from(1, 0), a1 = tx_from(1, 1), a2 = tx_from(1, 2), b0 = tx_from(2, 0);
  for (const auto& tx : {a0, a1, a2, b0}) REQUIRE(add(pool, tx).empty());

  pool.remove(a0.hash);
  Ledger state;
  state.set(address_of(1), Account{2, kEther});  // a0 and a1 (or others with their nonces) ran
  pool.drop_stale(state);
  CHECK(pool.size() == 2);
  CHECK(!pool.contains(a1.hash));
  CHECK(pool.contains(a2.hash));
  CHECK(pool.contains(b0.hash));
  CHECK(pool.pending_nonce(address_of(1), 2) == 3);

  pool.remove(b0.hash);
  pool.remove(b0.hash);  // absent: nothing happens
  CHECK(pool.size() == 1);
  pool.clear();
  CHECK(pool.size() == 0);
  CHECK(pool.select(state, kGwei, 10).empty());
}

namespace {

Mempool read_back(const Mempool& pool, std::size_t limit = 100) {
  Writer writer;
  pool.write_image(writer);
  Bytes image = writer.take();
  Mempool restored(limit);
  Reader reader(image);
  restored.read_image(reader);
  CHECK(reader.remaining() == 0);
  return restored;
}

}  // namespace

TEST_CASE("an image read back selects, replaces and counts arrivals exactly as the original") {
  Mempool pool(100);
  Ledger state;
  REQUIRE(add(pool, tx_from(1, 0, 2 * kGwei)).empty());
  REQUIRE(add(pool, tx_from(1, 1, 2 * kGwei)).empty());
  REQUIRE(add(pool, tx_from(1, 3, 2 * kGwei)).empty());  // future
  REQUIRE(add(pool, tx_from(2, 0, 2 * kGwei)).empty());
  REQUIRE(add(pool, tx_from(2, 0, 3 * kGwei, 11 * kGwei)).empty());  // replaced: arrives later
  REQUIRE(add(pool, signed_tx(legacy_transfer(kChainId, 0, kTo, 1, 3 * kGwei), 5)).empty());

  Mempool restored = read_back(pool);
  CHECK(restored.size() == pool.size());
  CHECK(order_of(restored.select(state, kGwei, 100)) == order_of(pool.select(state, kGwei, 100)));
  CHECK(restored.pending_nonce(address_of(1), 0) == 2);
  for (const auto& tx : pool.select(state, kGwei, 100)) {
    std::optional<eth::SignedTransaction> found = restored.find(tx.hash);
    REQUIRE(found.has_value());
    CHECK(found->raw == tx.raw);
    CHECK(found->sender == tx.sender);
    CHECK(found->signature.r == tx.signature.r);
    CHECK(found->tx.max_fee_per_gas == tx.tx.max_fee_per_gas);
  }
  // The arrival counter went along: a transaction with a tip equal to sender 2's replacement
  // ranks after it in both pools.
  auto late = tx_from(6, 0, 3 * kGwei);
  REQUIRE(add(pool, late).empty());
  REQUIRE(add(restored, late).empty());
  CHECK(order_of(restored.select(state, kGwei, 100)) == order_of(pool.select(state, kGwei, 100)));
  CHECK(add(restored, tx_from(1, 0, 2 * kGwei + 1)) == "replacement transaction underpriced");
  CHECK(add(restored, tx_from(1, 0, 2 * kGwei)) == "already known");
}

TEST_CASE("a pool image out of order or with a transaction twice is refused, leaving it empty") {
  Mempool pool(100);
  REQUIRE(add(pool, tx_from(1, 0)).empty());
  REQUIRE(add(pool, tx_from(1, 1)).empty());
  Writer writer;
  pool.write_image(writer);
  Bytes image = writer.take();
  // next arrival (8), two entries (1), the arena's size (varint), then the two fixed records:
  // the first record in place of the second puts the nonces out of order.
  const std::size_t records = image.size() - 2 * pool.find(tx_from(1, 0).hash)->raw.size();
  std::size_t arena_size_bytes = 1;
  while (image[8 + 1 + arena_size_bytes - 1] & 0x80) ++arena_size_bytes;
  const std::size_t first_entry = 8 + 1 + arena_size_bytes;
  const std::size_t entry_size = (records - first_entry) / 2;
  Bytes twice = image;
  std::copy(image.begin() + first_entry, image.begin() + first_entry + entry_size,
            twice.begin() + first_entry + entry_size);

  Mempool target(100);
  REQUIRE(add(target, tx_from(3, 0)).empty());
  Reader reader(twice);
  CHECK_THROWS_WITH(target.read_image(reader), Contains("out of order"));
  CHECK(target.size() == 0);
  Reader cut(ByteView(image).first(image.size() - 1));
  CHECK_THROWS_AS(target.read_image(cut), DecodeError);
  CHECK(target.size() == 0);
}

TEST_CASE(
    "removed and replaced transactions leave the arena intact for the others, across "
    "compaction and images") {
  Mempool pool(100);
  std::vector<eth::SignedTransaction> pooled;
  for (std::uint8_t seed = 1; seed <= 40; ++seed) pooled.push_back(tx_from(seed, 0));
  for (const auto& tx : pooled) REQUIRE(add(pool, tx).empty());
  auto intact = [&](const Mempool& checked) {
    CHECK(checked.size() == pooled.size());
    for (const auto& tx : pooled) {
      std::optional<eth::SignedTransaction> found = checked.find(tx.hash);
      REQUIRE(found.has_value());
      CHECK(found->raw == tx.raw);
      CHECK(found->tx.nonce == tx.tx.nonce);
      CHECK(found->sender == tx.sender);
    }
  };

  // One replacement: little garbage, the image carries the arena as it is.
  auto bumped = tx_from(40, 0, kGwei, 20 * kGwei);
  REQUIRE(add(pool, bumped).empty());
  pooled.back() = bumped;
  intact(read_back(pool));
  Writer first;
  read_back(pool).write_image(first);
  Writer again;
  read_back(read_back(pool)).write_image(again);
  CHECK(first.bytes() == again.bytes());

  // Half removed: the image leaves the garbage out.
  for (std::size_t i = 0; i < 20; ++i) pool.remove(pooled[i].hash);
  std::vector<eth::SignedTransaction> removed(pooled.begin(), pooled.begin() + 20);
  pooled.erase(pooled.begin(), pooled.begin() + 20);
  intact(read_back(pool));

  // Churn past a megabyte of garbage: the arena is compacted on the way.
  for (int round = 0; round < 600; ++round)
    for (const auto& tx : removed) {
      REQUIRE(add(pool, tx).empty());
      pool.remove(tx.hash);
    }
  intact(pool);
  intact(read_back(pool));
}

TEST_CASE("a pool image whose records share raw bytes in the arena is refused, leaving it empty") {
  Mempool pool(100);
  REQUIRE(add(pool, tx_from(1, 0)).empty());
  REQUIRE(add(pool, tx_from(1, 1)).empty());
  Writer writer;
  pool.write_image(writer);
  const Bytes image = writer.take();
  // next arrival (8), two entries (1), the arena's size (varint), then two 113-byte records whose
  // raw bytes' offset (u64) is at 101 and size (u32) at 109.
  std::size_t arena_size_bytes = 1;
  while (image[8 + 1 + arena_size_bytes - 1] & 0x80) ++arena_size_bytes;
  const std::size_t first = 8 + 1 + arena_size_bytes;
  const std::size_t second = first + 113;
  auto field = [](const Bytes& bytes, std::size_t at, std::size_t width) {
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < width; ++i) value |= std::uint64_t{bytes[at + i]} << (8 * i);
    return value;
  };
  auto set_field = [](Bytes& bytes, std::size_t at, std::size_t width, std::uint64_t value) {
    for (std::size_t i = 0; i < width; ++i)
      bytes[at + i] = static_cast<std::uint8_t>(value >> (8 * i));
  };
  REQUIRE(field(image, first + 101, 8) == 0);
  const std::uint64_t first_size = field(image, first + 109, 4);
  REQUIRE(field(image, second + 101, 8) == first_size);

  // Both records on the first transaction's bytes: the arena's other bytes would count as live.
  Bytes same_bytes = image;
  set_field(same_bytes, second + 101, 8, 0);
  set_field(same_bytes, second + 109, 4, first_size);
  // The first record reaching one byte into the second's.
  Bytes reaching = image;
  set_field(reaching, first + 109, 4, first_size + 1);

  for (const Bytes* forged : {&same_bytes, &reaching}) {
    Mempool target(100);
    REQUIRE(add(target, tx_from(3, 0)).empty());
    Reader reader(*forged);
    CHECK_THROWS_WITH(target.read_image(reader), Contains("overlaps another in the image's arena"));
    CHECK(target.size() == 0);
  }
  Reader genuine(image);
  Mempool target(100);
  target.read_image(genuine);
  CHECK(target.size() == 2);
}

namespace {

Mempool pool_with(std::size_t max_transactions, MempoolLimits limits) {
  Mempool pool(max_transactions);
  pool.set_limits(limits);
  return pool;
}

std::uint64_t refused(Mempool& pool, std::string_view reason) {
  MempoolTally tally = pool.take_tally();
  auto found = tally.refused.find(reason);
  return found == tally.refused.end() ? 0 : found->second;
}

}  // namespace

TEST_CASE("a sender's executable run is capped; filling a gap is always taken") {
  MempoolLimits limits;
  limits.max_pending_per_sender = 3;
  Mempool pool = pool_with(100, limits);
  for (std::uint64_t nonce : {0, 1, 2}) REQUIRE(add(pool, tx_from(1, nonce)).empty());
  CHECK(add(pool, tx_from(1, 3)) ==
        "account limit exceeded: the pool already holds 3 executable transactions from " +
            address_text(address_of(1)) +
            ", the most it takes from one sender; send more once some are included");
  CHECK(refused(pool, refusal::kSenderPending) == 1);
  // A gapped one is not executable: it is not held to the run's cap.
  CHECK(add(pool, tx_from(1, 4)).empty());
  // Another sender is not affected.
  CHECK(add(pool, tx_from(2, 0)).empty());

  // Sender 3: a run of 2 and two waiting behind a gap; the gap's filler makes the run 5.
  for (std::uint64_t nonce : {0, 1, 3, 4}) REQUIRE(add(pool, tx_from(3, nonce)).empty());
  CHECK(add(pool, tx_from(3, 2)).empty());
  CHECK(pool.pending_nonce(address_of(3), 0) == 5);
  CHECK(add(pool, tx_from(3, 5)).starts_with("account limit exceeded"));
}

TEST_CASE("a nonce too far beyond the sender's next one is refused") {
  MempoolLimits limits;
  limits.max_future_per_sender = 2;
  Mempool pool = pool_with(100, limits);
  CHECK(add(pool, tx_from(1, 1)).empty());
  CHECK(add(pool, tx_from(1, 2)).empty());
  CHECK(add(pool, tx_from(1, 3)) ==
        "nonce too high: next nonce 0, tx nonce 3; the pool takes nonces at most 2 beyond the "
        "sender's next one");
  CHECK(refused(pool, refusal::kNonceGap) == 1);
  // Nonce 0 makes 0..2 executable: the window moves on with the sender's next nonce.
  CHECK(add(pool, tx_from(1, 0)).empty());
  CHECK(add(pool, tx_from(1, 5)).empty());
  CHECK(add(pool, tx_from(1, 6)).starts_with("nonce too high: next nonce 3, tx nonce 6"));
  // The window counts from the account's nonce too.
  Ledger state;
  state.set(address_of(2), Account{10, kEther});
  CHECK(add(pool, tx_from(2, 12), state).empty());
  CHECK(add(pool, tx_from(2, 13), state).starts_with("nonce too high: next nonce 10"));

  limits.max_future_per_sender = 0;
  Mempool strict = pool_with(100, limits);
  CHECK(add(strict, tx_from(1, 1)).starts_with("nonce too high"));
  CHECK(add(strict, tx_from(1, 0)).empty());
}

TEST_CASE("a sender's pooled transactions together must be covered by its balance") {
  Mempool pool(100);
  const Wei cost = 21'000 * 10 * kGwei + 1;  // tx_from: 21000 gas at 10 gwei, 1 wei
  Ledger state;
  state.set(address_of(1), Account{0, 3 * cost});
  for (std::uint64_t nonce : {0, 1, 2}) REQUIRE(add(pool, tx_from(1, nonce), state).empty());
  CHECK(add(pool, tx_from(1, 3), state) ==
        "insufficient funds for the sender's pooled transactions: balance " +
            wei_to_decimal(3 * cost) + ", cost of the other pooled ones " +
            wei_to_decimal(3 * cost) + ", tx cost " + wei_to_decimal(cost));
  CHECK(refused(pool, refusal::kSenderFunds) == 1);
  // A replacement's cost takes the place of the old one's: a dearer one no longer fits.
  CHECK(add(pool, tx_from(1, 2, kGwei, 11 * kGwei), state)
            .starts_with("insufficient funds for the sender's pooled transactions"));
  // With a bigger balance it fits; the costs are known again after a hand-over.
  state.set(address_of(1), Account{0, 4 * cost + 21'000 * kGwei - 1});
  REQUIRE(add(pool, tx_from(1, 2, kGwei, 11 * kGwei), state).empty());
  Mempool restored = read_back(pool);
  CHECK(add(restored, tx_from(1, 3), state).starts_with("insufficient funds for the sender's"));
  CHECK(add(restored, tx_from(1, 3, 0, 10 * kGwei - 1), state).empty());
  // Transactions below the account's nonce (run, awaiting the prune) no longer count.
  state.set(address_of(1), Account{2, 2 * cost + 21'000 * kGwei});
  CHECK(add(restored, tx_from(1, 4), state).starts_with("insufficient funds"));
  state.set(address_of(1), Account{3, 2 * cost});
  CHECK(add(restored, tx_from(1, 4), state).empty());
}

TEST_CASE("a full pool evicts another sender's gapped transaction before executable ones") {
  Mempool pool(4);
  // Sender 1 floods: one executable and two gapped; sender 2 has one executable.
  for (std::uint64_t nonce : {0, 5, 6}) REQUIRE(add(pool, tx_from(1, nonce)).empty());
  REQUIRE(add(pool, tx_from(2, 0)).empty());
  // A gapped newcomer evicts nothing.
  CHECK(add(pool, tx_from(3, 1)) == "txpool is full");
  CHECK(refused(pool, refusal::kPoolFull) == 1);
  // An executable one takes the place of the flooder's highest gapped nonce.
  CHECK(add(pool, tx_from(3, 0)).empty());
  CHECK(!pool.contains(tx_from(1, 6).hash));
  CHECK(pool.contains(tx_from(1, 5).hash));
  CHECK(add(pool, tx_from(4, 0)).empty());
  CHECK(!pool.contains(tx_from(1, 5).hash));
  CHECK(pool.take_tally().evicted.at(eviction::kPoolFull) == 2);
  CHECK(pool.size() == 4);
}

TEST_CASE("an executable transaction evicts another sender's only if it pays more") {
  Mempool pool(3);
  REQUIRE(add(pool, tx_from(1, 0, 2 * kGwei)).empty());
  REQUIRE(add(pool, tx_from(1, 1, 3 * kGwei)).empty());
  REQUIRE(add(pool, tx_from(2, 0, 2 * kGwei)).empty());
  // Equal pay (tip 2 gwei) is not enough.
  CHECK(add(pool, tx_from(3, 0, 2 * kGwei)) == "txpool is full");
  // More pay evicts the cheapest last transaction of a run: sender 2's (tip 2; sender 1's last
  // one tips 3, and its first cannot go without stranding the second).
  CHECK(add(pool, tx_from(3, 0, 2 * kGwei + 1)).empty());
  CHECK(!pool.contains(tx_from(2, 0, 2 * kGwei).hash));
  // A sender never evicts its own: sender 3's next, paying the most, still finds the pool full
  // of better-paid runs' tails (sender 1's at 3 gwei, sender 3's own).
  CHECK(add(pool, tx_from(3, 1, 3 * kGwei)) == "txpool is full");
  // Legacy tips are the gas price minus the base fee: 3 gwei + 1 wei - 1 gwei ties sender 3's
  // tip (the cheapest tail now), 2 wei more beats it.
  CHECK(add(pool, signed_tx(legacy_transfer(kChainId, 0, kTo, 1, 3 * kGwei + 1), 5)) ==
        "txpool is full");
  CHECK(add(pool, signed_tx(legacy_transfer(kChainId, 0, kTo, 1, 3 * kGwei + 2), 5)).empty());
  CHECK(!pool.contains(tx_from(3, 0, 2 * kGwei + 1).hash));
  CHECK(pool.contains(tx_from(1, 0, 2 * kGwei).hash));
  CHECK(pool.contains(tx_from(1, 1, 3 * kGwei).hash));
  CHECK(pool.size() == 3);
}

TEST_CASE("after a block, stale transactions and gapped ones past their lifetime leave") {
  MempoolLimits limits;
  limits.lifetime_s = 60;
  Mempool pool = pool_with(100, limits);
  std::uint64_t now = 1'000;
  pool.set_clock([&now] { return now; });
  Ledger state;
  for (std::uint8_t sender = 1; sender <= 3; ++sender)
    state.set(address_of(sender), Account{0, kEther});
  state.set(address_of(4), Account{1, kEther});
  REQUIRE(add(pool, tx_from(1, 0)).empty());  // executable: stays however old
  REQUIRE(add(pool, tx_from(1, 2)).empty());  // gapped
  REQUIRE(add(pool, tx_from(2, 5)).empty());  // gapped
  REQUIRE(add(pool, tx_from(4, 0)).empty());  // stale once sender 4 is at nonce 1
  now = 1'030;
  REQUIRE(add(pool, tx_from(3, 3)).empty());  // gapped, but younger

  now = 1'060;  // exactly the lifetime: nothing expires yet
  pool.prune(state);
  CHECK(pool.size() == 4);
  now = 1'061;
  pool.prune(state);
  CHECK(pool.size() == 2);
  CHECK(pool.contains(tx_from(1, 0).hash));
  CHECK(pool.contains(tx_from(3, 3).hash));
  MempoolTally tally = pool.take_tally();
  CHECK(tally.evicted.at(eviction::kStale) == 1);
  CHECK(tally.evicted.at(eviction::kLifetime) == 2);

  // A hand-over does not carry the times: the lifetime counts from the reading.
  Mempool restored = read_back(pool);
  restored.set_limits(limits);
  restored.set_clock([&now] { return now; });
  now = 1'100;
  restored.prune(state);  // sender 3's gapped one is 70 s old, but counts from the read
  CHECK(restored.size() == 2);
}

// A block elsewhere spent most of the sender's balance: its pooled run can no longer all be paid,
// and from the first unaffordable transaction on none of them could ever run.
TEST_CASE("prune drops a sender's run from the first transaction it can no longer pay") {
  Mempool pool = pool_with(100, MempoolLimits{});
  for (std::uint64_t nonce = 0; nonce < 4; ++nonce) REQUIRE(add(pool, tx_from(5, nonce)).empty());
  REQUIRE(add(pool, tx_from(5, 6)).empty());  // gapped, behind the run
  const Wei one = max_cost(tx_from(5, 0).tx).value();
  Ledger state;
  state.set(address_of(5), Account{0, one + one / 2});  // covers one transaction and a half
  pool.prune(state);
  CHECK(pool.size() == 1);
  CHECK(pool.contains(tx_from(5, 0).hash));
  CHECK(pool.take_tally().evicted.at(eviction::kFunds) == 4);
}
