#include "engine/embedded/ledger.hpp"

#include <catch2/catch.hpp>

#include "alys/domain/keccak.hpp"
#include "consensus_vectors.hpp"

using namespace alys;
using namespace alys::engine::embedded;

namespace {

EthAddress address(std::uint8_t last) {
  EthAddress out{};
  out[19] = last;
  return out;
}

// The commitment spelled out independently of the hasher: address || nonce BE8 || balance BE32.
Bytes entry(const EthAddress& addr, std::uint64_t nonce, Wei balance) {
  Bytes out(addr.begin(), addr.end());
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(nonce >> (8 * i)));
  auto be = wei_to_be32(balance);
  out.insert(out.end(), be.begin(), be.end());
  return out;
}

}  // namespace

TEST_CASE("an empty ledger commits to keccak256 of nothing") {
  Ledger ledger;
  CHECK(to_hex(ledger.state_root()) ==
        "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
  CHECK(ledger.account(address(1)) == Account{});
}

TEST_CASE("the state root covers non-empty accounts in address order") {
  Ledger ledger;
  ledger.set(address(9), Account{3, 500});
  ledger.set(address(2), Account{0, 7});
  ledger.set(address(5), Account{});  // empty: not stored

  Bytes preimage = entry(address(2), 0, 7);
  Bytes second = entry(address(9), 3, 500);
  preimage.insert(preimage.end(), second.begin(), second.end());
  CHECK(ledger.state_root() == keccak256(preimage));
  CHECK(ledger.size() == 2);

  // Insertion order does not matter.
  Ledger other;
  other.set(address(2), Account{0, 7});
  other.set(address(9), Account{3, 500});
  CHECK(other.state_root() == ledger.state_root());

  // An account emptied disappears, as if it never existed.
  other.set(address(7), Account{1, 1});
  other.set(address(7), Account{});
  CHECK(other.size() == 2);
  CHECK(other.state_root() == ledger.state_root());
}

TEST_CASE("the nonce and the balance both change the root") {
  Ledger a, b, c;
  a.set(address(1), Account{1, 100});
  b.set(address(1), Account{2, 100});
  c.set(address(1), Account{1, 101});
  CHECK(a.state_root() != b.state_root());
  CHECK(a.state_root() != c.state_root());
  Ledger big;
  big.set(address(1), Account{~std::uint64_t{0}, ~Wei{0}});
  CHECK(big.state_root() == keccak256(entry(address(1), ~std::uint64_t{0}, ~Wei{0})));
}

TEST_CASE("an overlay reads through to its base and leaves it untouched") {
  Ledger base;
  base.set(address(1), Account{1, 100});
  base.set(address(3), Account{0, 300});
  const Hash32 base_root = base.state_root();

  LedgerOverlay overlay(base);
  CHECK(overlay.account(address(1)) == Account{1, 100});
  CHECK(overlay.state_root() == base_root);
  CHECK(overlay.changes().empty());

  overlay.set(address(1), Account{2, 50});
  overlay.set(address(2), Account{0, 25});  // new, sorts between the base's two
  overlay.set(address(3), Account{});       // emptied
  overlay.set(address(4), Account{});       // written empty, was empty: no change
  CHECK(overlay.account(address(1)) == Account{2, 50});
  CHECK(base.account(address(1)) == Account{1, 100});
  CHECK(base.state_root() == base_root);

  AccountChanges changes = overlay.changes();
  CHECK(changes == AccountChanges{{address(1), Account{2, 50}},
                                  {address(2), Account{0, 25}},
                                  {address(3), Account{}}});

  // The overlay's root is the root of the base with the changes applied.
  Ledger applied = base;
  applied.apply(changes);
  CHECK(applied.size() == 2);
  CHECK(overlay.state_root() == applied.state_root());
  CHECK(overlay.state_root() != base_root);
}

TEST_CASE("an overlay that writes back the base's value reports no change") {
  Ledger base;
  base.set(address(1), Account{1, 100});
  LedgerOverlay overlay(base);
  overlay.set(address(1), Account{2, 90});
  overlay.set(address(1), Account{1, 100});
  CHECK(overlay.changes().empty());
  CHECK(overlay.state_root() == base.state_root());
}

// Pinned vector (tests/data/consensus_vectors.json), generated once: the tests above recompute the
// root with the same rules the code follows, so they would not notice the rules changing; this one
// does. A mismatch is a fork: never regenerate the vector to make this pass.
TEST_CASE("the state root of several accounts matches the pinned consensus vector") {
  namespace vectors = alys::testing::vectors;
  const auto file = vectors::load_consensus_vectors();
  const auto& pinned = vectors::object_field(file, "state_root");
  const std::string root = vectors::string_field(pinned, "state_root");
  // The file's preimage is what its root commits to (the file is consistent with itself).
  CHECK(to_hex(keccak256(vectors::bytes_field(pinned, "preimage"))) == root);

  Ledger ledger;
  Ledger empty_base;
  LedgerOverlay overlay(empty_base);
  for (const auto& value : vectors::array_field(pinned, "accounts")) {
    const auto& account = value.as_object();
    const auto balance = wei_parse(vectors::string_field(account, "balance_wei"));
    REQUIRE(balance);
    const Account parsed{vectors::u64_field(account, "nonce"), *balance};
    ledger.set(vectors::fixed_field<20>(account, "address"), parsed);
    overlay.set(vectors::fixed_field<20>(account, "address"), parsed);
  }
  REQUIRE(ledger.size() == 5);  // six accounts, one of them empty
  CHECK(to_hex(ledger.state_root()) == root);
  CHECK(to_hex(overlay.state_root()) == root);
}

TEST_CASE("a ledger image reads back the same accounts; one out of order or empty is refused") {
  Ledger ledger;
  for (std::uint8_t i = 1; i <= 50; ++i) {
    EthAddress address{};
    address[0] = static_cast<std::uint8_t>(i * 37);  // not in insertion order
    ledger.set(address, Account{i, Wei{i} << 100});
  }
  Writer writer;
  ledger.write_image(writer);
  Bytes image = writer.take();
  Ledger restored;
  restored.set(EthAddress{9}, Account{1, 1});  // replaced by the image
  Reader reader(image);
  restored.read_image(reader);
  CHECK(reader.remaining() == 0);
  CHECK(restored.accounts() == ledger.accounts());
  CHECK(restored.state_root() == ledger.state_root());

  // Two accounts swapped (each record is 20 + 8 + 16 bytes after the one-byte count).
  Bytes swapped = image;
  std::swap_ranges(swapped.begin() + 1, swapped.begin() + 45, swapped.begin() + 45);
  Reader out_of_order(swapped);
  CHECK_THROWS_WITH(restored.read_image(out_of_order), Catch::Matchers::Contains("out of order"));
  CHECK(restored.size() == 0);
  Bytes emptied = image;
  std::fill(emptied.begin() + 21, emptied.begin() + 45, 0);  // nonce and balance of the first
  Reader empty_account(emptied);
  CHECK_THROWS_WITH(restored.read_image(empty_account), Catch::Matchers::Contains("empty account"));
}
