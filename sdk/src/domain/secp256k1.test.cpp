#include "alys/domain/secp256k1.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "alys/domain/sha256.hpp"

using namespace alys;

namespace {

template <std::size_t N>
std::array<std::uint8_t, N> fixed(std::string_view text) {
  auto value = fixed_from_hex<N>(text);
  REQUIRE(value);
  return *value;
}

Bytes hex(std::string_view text) {
  auto bytes = from_hex(text);
  REQUIRE(bytes);
  return *bytes;
}

Bytes bytes_of(std::string_view text) { return Bytes(text.begin(), text.end()); }

// Initialized before any test runs, so without Catch assertions.
const std::array<std::uint8_t, 32> kOrder =
    *fixed_from_hex<32>("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
const std::array<std::uint8_t, 32> kHalfOrder =
    *fixed_from_hex<32>("7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0");

// Big-endian +/- a small amount (no wrap-around in the values used here).
std::array<std::uint8_t, 32> plus(std::array<std::uint8_t, 32> value, int delta) {
  for (int step = 0; step < (delta < 0 ? -delta : delta); ++step) {
    for (std::size_t i = 32; i-- > 0;) {
      if (delta > 0) {
        if (++value[i] != 0) break;
      } else {
        if (value[i]-- != 0) break;
      }
    }
  }
  return value;
}

struct Bip340Row {
  std::string index;
  std::string secret_key;  // empty for verification-only rows
  XOnlyPublicKey public_key{};
  std::string aux_rand;
  Bytes message;
  SchnorrSignature signature{};
  bool valid = false;
  std::string comment;
};

// tests/data/bip340_test_vectors.csv: the official file from bitcoin/bips, copied unmodified.
std::vector<Bip340Row> bip340_rows() {
  std::ifstream file(ALYS_SOURCE_DIR "/tests/data/bip340_test_vectors.csv");
  REQUIRE(file);
  std::vector<Bip340Row> rows;
  std::string line;
  std::getline(file, line);
  REQUIRE(line.rfind("index,secret key,public key,aux_rand,message,signature,", 0) == 0);
  while (std::getline(file, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::vector<std::string> cells;
    std::stringstream stream(line);
    std::string cell;
    while (std::getline(stream, cell, ',')) cells.push_back(cell);
    if (line.back() == ',') cells.emplace_back();  // an empty comment
    REQUIRE(cells.size() == 8);
    Bip340Row row;
    row.index = cells[0];
    row.secret_key = cells[1];
    // Row 14's "public key" is not a valid field element; it still parses as 32 bytes.
    row.public_key = fixed<32>(cells[2]);
    row.aux_rand = cells[3];
    row.message = hex(cells[4]);
    row.signature = fixed<64>(cells[5]);
    REQUIRE((cells[6] == "TRUE" || cells[6] == "FALSE"));
    row.valid = cells[6] == "TRUE";
    row.comment = cells[7];
    rows.push_back(row);
  }
  return rows;
}

}  // namespace

TEST_CASE("BIP340: every official vector signs and verifies as published", "[secp256k1][bip340]") {
  const auto rows = bip340_rows();
  REQUIRE(rows.size() == 19);
  int signing_rows = 0;
  for (const Bip340Row& row : rows) {
    INFO("BIP340 vector " << row.index << " " << row.comment);
    CHECK(schnorr_verify(row.public_key, row.message, row.signature) == row.valid);
    if (row.secret_key.empty()) continue;
    ++signing_rows;
    auto key = SecretKey::from_bytes(fixed<32>(row.secret_key));
    REQUIRE(key);
    CHECK(key->xonly_public_key() == row.public_key);
    const auto aux_rand = fixed<32>(row.aux_rand);
    CHECK(to_hex(key->schnorr_sign(row.message, aux_rand)) == to_hex(row.signature));
    if (row.message.size() == 32) {
      Hash32 message{};
      std::copy(row.message.begin(), row.message.end(), message.begin());
      CHECK(to_hex(key->schnorr_sign(message, aux_rand)) == to_hex(row.signature));
    }
  }
  CHECK(signing_rows == 8);
}

TEST_CASE("BIP340: a fresh signature verifies and a changed one does not", "[secp256k1][bip340]") {
  const SecretKey key = SecretKey::generate();
  const Hash32 message = sha256(bytes_of("approve block 7"));
  const SchnorrSignature signature = key.schnorr_sign(message);
  CHECK(schnorr_verify(key.xonly_public_key(), message, signature));
  // Fresh aux randomness each time: two signatures of one message differ, and both verify.
  const SchnorrSignature again = key.schnorr_sign(message);
  CHECK(again != signature);
  CHECK(schnorr_verify(key.xonly_public_key(), message, again));

  Hash32 other_message = message;
  other_message[0] ^= 1;
  CHECK_FALSE(schnorr_verify(key.xonly_public_key(), other_message, signature));
  SchnorrSignature tampered = signature;
  tampered[63] ^= 1;
  CHECK_FALSE(schnorr_verify(key.xonly_public_key(), message, tampered));
  const SecretKey other_key = SecretKey::generate();
  CHECK_FALSE(schnorr_verify(other_key.xonly_public_key(), message, signature));
}

TEST_CASE("SecretKey::from_bytes admits exactly 0 < key < n", "[secp256k1]") {
  CHECK_FALSE(SecretKey::from_bytes({}));
  CHECK_FALSE(SecretKey::from_bytes(kOrder));
  CHECK_FALSE(SecretKey::from_bytes(plus(kOrder, 1)));
  CHECK_FALSE(SecretKey::from_bytes(fixed<32>(std::string(64, 'f'))));
  CHECK(SecretKey::from_bytes(plus({}, 1)));
  auto largest = SecretKey::from_bytes(plus(kOrder, -1));
  REQUIRE(largest);
  CHECK(largest->bytes() == plus(kOrder, -1));
}

TEST_CASE("SecretKey::generate and random_bytes32 draw fresh values", "[secp256k1]") {
  std::set<std::array<std::uint8_t, 32>> seen;
  for (int i = 0; i < 16; ++i) seen.insert(random_bytes32());
  CHECK(seen.size() == 16);
  CHECK(SecretKey::generate().bytes() != SecretKey::generate().bytes());
}

TEST_CASE("Public keys: x-only and uncompressed agree; Ethereum addresses", "[secp256k1]") {
  // The generator point G (secret key 1) and its well-known Ethereum address.
  auto one = SecretKey::from_bytes(plus({}, 1));
  REQUIRE(one);
  const UncompressedKey g = one->uncompressed_public_key();
  CHECK(to_hex(g) ==
        "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
        "483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8");
  CHECK(to_hex(one->xonly_public_key()) == to_hex(ByteView(g).first(32)));
  CHECK(to_hex(eth_address(g)) == "7e5f4552091a69125d5dfcb7b8c2659029395bdf");
  // EIP-155's example key.
  auto eip155 = SecretKey::from_bytes(
      fixed<32>("4646464646464646464646464646464646464646464646464646464646464646"));
  REQUIRE(eip155);
  CHECK(to_hex(eth_address(eip155->uncompressed_public_key())) ==
        "9d8a62f656a8d1615c1294fd71e9cfb3e4855a4f");
}

// Expected signatures from ethers 6.17.0 SigningKey.sign (RFC 6979, low s), an independent
// implementation: new SigningKey(key).sign(sha256(toUtf8Bytes(text))).
TEST_CASE("ECDSA: RFC 6979 signatures match ethers and recover the signer", "[secp256k1][ecdsa]") {
  struct Case {
    const char* key;
    const char* text;
    const char* r;
    const char* s;
    int y_parity;
  };
  const Case cases[] = {
      {"0000000000000000000000000000000000000000000000000000000000000001", "Satoshi Nakamoto",
       "934b1ea10a4b3c1757e2b0c017d0b6143ce3c9a7e6a4a49860d7a6ab210ee3d8",
       "2442ce9d2b916064108014783e923ec36b49743e2ffa1c4496f01a512aafd9e5", 1},
      {"fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140", "Alan Turing",
       "1c1db509545dba958fb2a50e119c51380cce152ac41fbda5f70a456906b50a96",
       "5d99abb57b69da8b2abdca085d17ebdb6c5597a5b1a74bd1d96ba6d51e42e061", 1},
  };
  for (const Case& c : cases) {
    INFO(c.text);
    auto key = SecretKey::from_bytes(fixed<32>(c.key));
    REQUIRE(key);
    const Hash32 digest = sha256(bytes_of(c.text));
    const RecoverableSignature signature = key->ecdsa_sign(digest);
    CHECK(to_hex(signature.r) == c.r);
    CHECK(to_hex(signature.s) == c.s);
    CHECK(signature.recovery_id == c.y_parity);
    auto recovered = ecdsa_recover(digest, signature);
    REQUIRE(recovered);
    CHECK(*recovered == key->uncompressed_public_key());
  }
}

TEST_CASE("ECDSA signatures are always low s and deterministic", "[secp256k1][ecdsa]") {
  const SecretKey key = SecretKey::generate();
  for (int i = 0; i < 64; ++i) {
    const Hash32 digest = sha256(Bytes{static_cast<std::uint8_t>(i)});
    const RecoverableSignature signature = key.ecdsa_sign(digest);
    CHECK(ecdsa_is_low_s(signature.s));
    CHECK((signature.recovery_id == 0 || signature.recovery_id == 1));
    const RecoverableSignature again = key.ecdsa_sign(digest);
    CHECK(again.r == signature.r);
    CHECK(again.s == signature.s);
  }
}

TEST_CASE("ecdsa_recover: wrong parity, bad ids and out-of-range scalars", "[secp256k1][ecdsa]") {
  const SecretKey key = SecretKey::generate();
  const Hash32 digest = sha256(bytes_of("transfer"));
  const RecoverableSignature signature = key.ecdsa_sign(digest);

  RecoverableSignature flipped = signature;
  flipped.recovery_id ^= 1;
  auto other = ecdsa_recover(digest, flipped);
  CHECK((!other || *other != key.uncompressed_public_key()));

  for (int id : {-1, 4, 27}) {
    RecoverableSignature bad = signature;
    bad.recovery_id = id;
    CHECK_FALSE(ecdsa_recover(digest, bad));
  }
  RecoverableSignature zero_r = signature;
  zero_r.r = {};
  CHECK_FALSE(ecdsa_recover(digest, zero_r));
  RecoverableSignature zero_s = signature;
  zero_s.s = {};
  CHECK_FALSE(ecdsa_recover(digest, zero_s));
  RecoverableSignature r_at_order = signature;
  r_at_order.r = kOrder;
  CHECK_FALSE(ecdsa_recover(digest, r_at_order));
  RecoverableSignature s_at_order = signature;
  s_at_order.s = kOrder;
  CHECK_FALSE(ecdsa_recover(digest, s_at_order));
}

TEST_CASE("ecdsa_is_low_s: 0 < s <= n/2", "[secp256k1][ecdsa]") {
  CHECK_FALSE(ecdsa_is_low_s({}));
  CHECK(ecdsa_is_low_s(plus({}, 1)));
  CHECK(ecdsa_is_low_s(kHalfOrder));
  CHECK_FALSE(ecdsa_is_low_s(plus(kHalfOrder, 1)));
  CHECK_FALSE(ecdsa_is_low_s(plus(kOrder, -1)));
  CHECK_FALSE(ecdsa_is_low_s(kOrder));
}

// Every function is documented thread-safe: the shared signing context is only read.
TEST_CASE("signing from several threads at once gives correct signatures", "[secp256k1]") {
  const SecretKey key = SecretKey::generate();
  constexpr int kThreads = 4;
  constexpr int kPerThread = 25;
  std::vector<std::vector<SchnorrSignature>> schnorr(kThreads);
  std::vector<std::vector<RecoverableSignature>> ecdsa(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const Hash32 digest =
            sha256(Bytes{static_cast<std::uint8_t>(t), static_cast<std::uint8_t>(i)});
        schnorr[static_cast<std::size_t>(t)].push_back(key.schnorr_sign(digest));
        ecdsa[static_cast<std::size_t>(t)].push_back(key.ecdsa_sign(digest));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kPerThread; ++i) {
      const Hash32 digest =
          sha256(Bytes{static_cast<std::uint8_t>(t), static_cast<std::uint8_t>(i)});
      const auto ti = static_cast<std::size_t>(t);
      const auto ii = static_cast<std::size_t>(i);
      CHECK(schnorr_verify(key.xonly_public_key(), digest, schnorr[ti][ii]));
      auto recovered = ecdsa_recover(digest, ecdsa[ti][ii]);
      REQUIRE(recovered);
      CHECK(*recovered == key.uncompressed_public_key());
    }
  }
}
