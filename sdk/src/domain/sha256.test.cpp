#include "alys/domain/sha256.hpp"

#include <secp256k1.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using namespace alys;

namespace {

Bytes bytes_of(std::string_view text) { return Bytes(text.begin(), text.end()); }

Bytes hex(std::string_view text) {
  auto bytes = from_hex(text);
  REQUIRE(bytes);
  return *bytes;
}

// The BIP340 vector rows that carry a secret key (the signing rows).
struct SigningRow {
  std::string index;
  std::array<std::uint8_t, 32> secret_key{};
  std::array<std::uint8_t, 32> aux_rand{};
  Bytes message;
  Bytes signature;
};

std::vector<SigningRow> bip340_signing_rows() {
  std::ifstream file(ALYS_SOURCE_DIR "/tests/data/bip340_test_vectors.csv");
  REQUIRE(file);
  std::vector<SigningRow> rows;
  std::string line;
  std::getline(file, line);  // header
  while (std::getline(file, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::vector<std::string> cells;
    std::stringstream stream(line);
    std::string cell;
    while (std::getline(stream, cell, ',')) cells.push_back(cell);
    REQUIRE(cells.size() >= 7);
    if (cells[1].empty()) continue;
    SigningRow row;
    row.index = cells[0];
    row.secret_key = *fixed_from_hex<32>(cells[1]);
    row.aux_rand = *fixed_from_hex<32>(cells[3]);
    row.message = hex(cells[4]);
    row.signature = hex(cells[5]);
    rows.push_back(row);
  }
  return rows;
}

Bytes concat(std::initializer_list<ByteView> parts) {
  Bytes out;
  for (ByteView part : parts) out.insert(out.end(), part.begin(), part.end());
  return out;
}

}  // namespace

// FIPS 180-4 examples (NIST CSRC "SHA256.pdf", "SHA2_Additional.pdf").
TEST_CASE("SHA-256 NIST vectors", "[sha256]") {
  CHECK(to_hex(sha256(Bytes{})) ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(to_hex(sha256(bytes_of("abc"))) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(to_hex(sha256(bytes_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))) ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(to_hex(sha256(bytes_of("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijk"
                               "lmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"))) ==
        "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
  CHECK(to_hex(sha256(Bytes(1'000'000, 'a'))) ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("SHA-256 updates in chunks equal one shot, across block boundaries", "[sha256]") {
  Bytes message(300);
  for (std::size_t i = 0; i < message.size(); ++i) message[i] = static_cast<std::uint8_t>(i * 7);
  for (std::size_t length : {0u, 1u, 55u, 56u, 63u, 64u, 65u, 119u, 120u, 127u, 128u, 129u, 300u}) {
    ByteView whole = ByteView(message).first(length);
    const Hash32 expected = sha256(whole);
    for (std::size_t chunk : {1u, 3u, 63u, 64u, 65u, 200u}) {
      Sha256 hasher;
      for (std::size_t offset = 0; offset < length; offset += chunk)
        hasher.update(whole.subspan(offset, std::min(chunk, length - offset)));
      INFO("length " << length << " chunk " << chunk);
      CHECK(hasher.finish() == expected);
    }
  }
  // The string_view overload hashes the same bytes.
  CHECK(Sha256().update(std::string_view("ab")).update(std::string_view("c")).finish() ==
        sha256(bytes_of("abc")));
}

TEST_CASE("a reset Sha256 hashes a new message in the same context", "[sha256]") {
  Sha256 hasher;
  CHECK(hasher.update(bytes_of("abc")).finish() == sha256(bytes_of("abc")));
  // After finish() and after a partial message alike, reset() starts from the empty message.
  CHECK(hasher.reset().finish() == sha256(Bytes{}));
  hasher.reset().update(bytes_of("partial"));
  CHECK(hasher.reset().update(Bytes(1'000'000, 'a')).finish() == sha256(Bytes(1'000'000, 'a')));
  for (std::uint8_t i = 0; i < 3; ++i) {
    const Bytes message(80, i);
    CHECK(sha256d(hasher, message) == sha256(sha256(message)));
  }
}

TEST_CASE("a copied Sha256 continues from the same state on its own", "[sha256]") {
  Sha256 prefix;
  prefix.update(bytes_of("alys/"));
  Sha256 copy = prefix;
  CHECK(copy.update(bytes_of("approval")).finish() == sha256(bytes_of("alys/approval")));
  CHECK(prefix.update(bytes_of("other")).finish() == sha256(bytes_of("alys/other")));

  Sha256 assigned;
  assigned.update(bytes_of("overwritten"));
  Sha256 source;
  source.update(bytes_of("ab"));
  assigned = source;
  CHECK(assigned.update(bytes_of("c")).finish() == sha256(bytes_of("abc")));
  Sha256 moved = std::move(source);
  CHECK(moved.update(bytes_of("c")).finish() == sha256(bytes_of("abc")));
}

TEST_CASE("sha256d is Bitcoin's double hash", "[sha256]") {
  CHECK(to_hex(sha256d(Bytes{})) ==
        "5df6e0e2761359d30a8275058e299fcc0381534545f55cf43e41983f5d4c9456");
  CHECK(sha256d(bytes_of("hello")) == sha256(sha256(bytes_of("hello"))));
  // Bitcoin's genesis block header and its well-known hash (display order).
  const Bytes genesis_header = hex(
      "0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b27ac7"
      "2c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4a29ab5f49ffff001d1dac2b7c");
  CHECK(to_hex(reversed(sha256d(genesis_header))) ==
        "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f");
}

TEST_CASE("tagged_hash is SHA256(SHA256(tag) || SHA256(tag) || data)", "[sha256]") {
  const Bytes data = bytes_of("payload");
  const Hash32 tag = sha256(bytes_of("BIP0340/challenge"));
  CHECK(tagged_hash("BIP0340/challenge", data) == sha256(concat({tag, tag, data})));
  CHECK(tagged_hash("BIP0340/challenge", data) != tagged_hash("BIP0340/aux", data));
}

// BIP340 signing redone step by step with this tagged_hash, using libsecp256k1 only for scalar
// and point arithmetic: if any of the three tagged hashes ("BIP0340/aux", "BIP0340/nonce",
// "BIP0340/challenge") were wrong, r or s would differ from the official signature.
TEST_CASE("tagged_hash reproduces the BIP340 signing vectors", "[sha256][bip340]") {
  secp256k1_context* context = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
  REQUIRE(context != nullptr);
  struct Destroy {
    secp256k1_context* context;
    ~Destroy() { secp256k1_context_destroy(context); }
  } destroy{context};

  // x(P) and whether P = d * G has an odd y.
  auto public_point = [&](const std::array<std::uint8_t, 32>& scalar, bool& odd_y) {
    secp256k1_pubkey point;
    REQUIRE(secp256k1_ec_pubkey_create(context, &point, scalar.data()));
    std::uint8_t compressed[33];
    std::size_t size = sizeof compressed;
    REQUIRE(
        secp256k1_ec_pubkey_serialize(context, compressed, &size, &point, SECP256K1_EC_COMPRESSED));
    odd_y = compressed[0] == 0x03;
    std::array<std::uint8_t, 32> x{};
    std::copy(compressed + 1, compressed + 33, x.begin());
    return x;
  };

  const auto rows = bip340_signing_rows();
  REQUIRE(rows.size() == 8);
  for (const SigningRow& row : rows) {
    INFO("BIP340 vector " << row.index);
    std::array<std::uint8_t, 32> d = row.secret_key;
    bool odd_y = false;
    const auto px = public_point(d, odd_y);
    if (odd_y) REQUIRE(secp256k1_ec_seckey_negate(context, d.data()));

    const Hash32 aux_hash = tagged_hash("BIP0340/aux", row.aux_rand);
    std::array<std::uint8_t, 32> t{};
    for (std::size_t i = 0; i < 32; ++i) t[i] = d[i] ^ aux_hash[i];
    // k = tagged_hash(...) mod n: a hash at or above n has probability ~2^-128, and
    // seckey_verify below would flag it.
    std::array<std::uint8_t, 32> k = tagged_hash("BIP0340/nonce", concat({t, px, row.message}));
    REQUIRE(secp256k1_ec_seckey_verify(context, k.data()));
    bool r_odd_y = false;
    const auto rx = public_point(k, r_odd_y);
    if (r_odd_y) REQUIRE(secp256k1_ec_seckey_negate(context, k.data()));
    CHECK(to_hex(rx) == to_hex(ByteView(row.signature).first(32)));

    const Hash32 e = tagged_hash("BIP0340/challenge", concat({rx, px, row.message}));
    // s = k + e * d mod n
    std::array<std::uint8_t, 32> s = d;
    REQUIRE(secp256k1_ec_seckey_tweak_mul(context, s.data(), e.data()));
    REQUIRE(secp256k1_ec_seckey_tweak_add(context, s.data(), k.data()));
    CHECK(to_hex(s) == to_hex(ByteView(row.signature).subspan(32)));
  }
}
