#include "alys/domain/eth_transaction.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>

#include "alys/domain/keccak.hpp"
#include "alys/domain/rlp.hpp"

using namespace alys;
using namespace alys::eth;

namespace {

Bytes hex(std::string_view text) {
  auto bytes = from_hex(text);
  REQUIRE(bytes);
  return *bytes;
}

template <std::size_t N>
std::array<std::uint8_t, N> fixed(std::string_view text) {
  auto value = fixed_from_hex<N>(text);
  REQUIRE(value);
  return *value;
}

SecretKey secret_key(std::string_view text) {
  auto key = SecretKey::from_bytes(fixed<32>(text));
  REQUIRE(key);
  return *key;
}

// The example of the EIP-155 text.
constexpr const char* kEip155Raw =
    "f86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a028ef"
    "61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aecb703304b3800cc"
    "f555c9f3dc64214b297fb1966a3b6d83";
constexpr const char* kEip155Key =
    "4646464646464646464646464646464646464646464646464646464646464646";

Transaction eip155_transaction() {
  Transaction tx;
  tx.type = TxType::legacy;
  tx.chain_id = 1;
  tx.nonce = 9;
  tx.gas_price = 20'000'000'000ULL;
  tx.gas_limit = 21000;
  tx.to = fixed<20>("3535353535353535353535353535353535353535");
  tx.value = 1'000'000'000'000'000'000ULL;
  return tx;
}

std::string rejection(ByteView raw) {
  try {
    decode_signed_transaction(raw);
  } catch (const TransactionError& error) {
    return error.what();
  }
  return "accepted";
}

// The encoded fields of an RLP list, to edit one and re-encode.
std::vector<Bytes> fields_of(ByteView list) {
  std::vector<Bytes> out;
  const rlp::Item decoded = rlp::decode(list);
  for (const rlp::Item& item : decoded.items)
    out.emplace_back(item.encoded.begin(), item.encoded.end());
  return out;
}

Bytes edited_legacy(const std::function<void(std::vector<Bytes>&)>& edit) {
  std::vector<Bytes> fields = fields_of(hex(kEip155Raw));
  edit(fields);
  return rlp::encode_list(fields);
}

// The first ethers vector (type 2), edited.
Bytes edited_type2(const Bytes& raw, const std::function<void(std::vector<Bytes>&)>& edit) {
  std::vector<Bytes> fields = fields_of(ByteView(raw).subspan(1));
  edit(fields);
  Bytes out{0x02};
  Bytes list = rlp::encode_list(fields);
  out.insert(out.end(), list.begin(), list.end());
  return out;
}

Bytes scalar_bytes(std::string_view text) { return rlp::encode_string(hex(text)); }

const char* const kCurveOrder = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";

// n - s, for 0 < s < n.
std::array<std::uint8_t, 32> negate_scalar(const std::array<std::uint8_t, 32>& s) {
  const auto n = fixed<32>(kCurveOrder);
  std::array<std::uint8_t, 32> out{};
  int borrow = 0;
  for (std::size_t i = 32; i-- > 0;) {
    int difference = n[i] - s[i] - borrow;
    borrow = difference < 0 ? 1 : 0;
    out[i] = static_cast<std::uint8_t>(difference + 256 * borrow);
  }
  return out;
}

boost::json::object ethers_vectors() {
  std::ifstream file(ALYS_SOURCE_DIR "/tests/data/ethers_signed_transactions.json");
  REQUIRE(file);
  std::stringstream text;
  text << file.rdbuf();
  return boost::json::parse(text.str()).as_object();
}

std::string text_of(const boost::json::value& value) {
  return std::string(value.as_string().c_str(), value.as_string().size());
}

Wei wei_of(const boost::json::value& value) {
  auto parsed = wei_parse(text_of(value));
  REQUIRE(parsed);
  return *parsed;
}

std::uint64_t u64_of(const boost::json::value& value) { return std::stoull(text_of(value)); }

std::string lower(std::string text) {
  for (char& c : text)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return text;
}

}  // namespace

TEST_CASE("EIP-155 example: signing hash, decode, sender, and exact re-signing", "[eth]") {
  const Transaction tx = eip155_transaction();
  CHECK(to_hex(signing_hash(tx)) ==
        "daf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53");

  const Bytes raw = hex(kEip155Raw);
  const SignedTransaction signed_tx = decode_signed_transaction(raw);
  CHECK(signed_tx.tx.type == TxType::legacy);
  CHECK(signed_tx.tx.chain_id == 1);
  CHECK(signed_tx.tx.nonce == 9);
  CHECK(signed_tx.tx.gas_price == tx.gas_price);
  CHECK(signed_tx.tx.fee_cap() == tx.gas_price);
  CHECK(signed_tx.tx.gas_limit == 21000);
  CHECK(signed_tx.tx.to == tx.to);
  CHECK(signed_tx.tx.value == tx.value);
  CHECK(signed_tx.tx.data.empty());
  CHECK(signed_tx.tx.access_list.empty());
  CHECK(signed_tx.signature.recovery_id == 0);  // v = 37 = 1 * 2 + 35
  CHECK(to_hex(signed_tx.signature.r) ==
        "28ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276");
  CHECK(to_hex(signed_tx.signature.s) ==
        "67cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83");
  CHECK(to_hex(signed_tx.sender) == "9d8a62f656a8d1615c1294fd71e9cfb3e4855a4f");
  // ethers 6.17.0: Transaction.from(raw).hash
  CHECK(to_hex(signed_tx.hash) ==
        "33469b22e9f636356c4160a87eb19df52b7412e8eac32a4a55ffe88ea8350788");
  CHECK(signed_tx.hash == keccak256(raw));
  CHECK(signed_tx.raw == raw);

  CHECK(to_hex(sign_transaction(tx, secret_key(kEip155Key))) == kEip155Raw);
}

// tests/data/ethers_signed_transactions.json: signed by ethers' Wallet.signTransaction (see
// tests/data/README.md). Each decodes to ethers' fields, sender and hash, and re-signing gives the
// same bytes (both sides use RFC 6979).
TEST_CASE("transactions signed by ethers decode and re-sign byte for byte", "[eth]") {
  const boost::json::object vectors = ethers_vectors();
  const boost::json::array& transactions = vectors.at("transactions").as_array();
  REQUIRE(transactions.size() == 5);
  bool saw_access_list = false, saw_creation = false, saw_legacy_data = false;
  for (const boost::json::value& entry : transactions) {
    const boost::json::object& v = entry.as_object();
    INFO(text_of(v.at("description")));
    const Bytes raw = hex(text_of(v.at("raw")));
    const SignedTransaction decoded = decode_signed_transaction(raw);
    const Transaction& tx = decoded.tx;

    const std::int64_t type = v.at("type").as_int64();
    CHECK(static_cast<std::int64_t>(tx.type) == type);
    CHECK(tx.chain_id == u64_of(v.at("chain_id")));
    CHECK(tx.nonce == u64_of(v.at("nonce")));
    CHECK(tx.gas_limit == u64_of(v.at("gas_limit")));
    CHECK(tx.value == wei_of(v.at("value")));
    CHECK(to_0x_hex(tx.data) == text_of(v.at("data")));
    if (v.at("to").is_null()) {
      CHECK_FALSE(tx.to);
      saw_creation = true;
    } else {
      REQUIRE(tx.to);
      CHECK(to_0x_hex(*tx.to) == lower(text_of(v.at("to"))));
    }
    if (type == 0) {
      CHECK(tx.gas_price == wei_of(v.at("gas_price")));
      CHECK(tx.access_list.empty());
      saw_legacy_data = saw_legacy_data || !tx.data.empty();
    } else {
      CHECK(tx.max_priority_fee_per_gas == wei_of(v.at("max_priority_fee_per_gas")));
      CHECK(tx.max_fee_per_gas == wei_of(v.at("max_fee_per_gas")));
      CHECK(tx.fee_cap() == tx.max_fee_per_gas);
      const boost::json::array& access_list = v.at("access_list").as_array();
      REQUIRE(tx.access_list.size() == access_list.size());
      for (std::size_t i = 0; i < access_list.size(); ++i) {
        const boost::json::object& expected = access_list[i].as_object();
        CHECK(to_0x_hex(tx.access_list[i].address) == lower(text_of(expected.at("address"))));
        const boost::json::array& keys = expected.at("storageKeys").as_array();
        REQUIRE(tx.access_list[i].storage_keys.size() == keys.size());
        for (std::size_t k = 0; k < keys.size(); ++k)
          CHECK(to_0x_hex(tx.access_list[i].storage_keys[k]) == text_of(keys[k]));
      }
      saw_access_list = saw_access_list || !tx.access_list.empty();
    }
    CHECK(decoded.signature.recovery_id == v.at("y_parity").as_int64());
    CHECK(to_0x_hex(decoded.signature.r) == text_of(v.at("r")));
    CHECK(to_0x_hex(decoded.signature.s) == text_of(v.at("s")));
    CHECK(to_0x_hex(signing_hash(tx)) == text_of(v.at("signing_hash")));
    CHECK(to_0x_hex(decoded.sender) == lower(text_of(v.at("from"))));
    CHECK(to_0x_hex(decoded.hash) == text_of(v.at("hash")));

    const Bytes resigned = sign_transaction(tx, secret_key(text_of(v.at("private_key"))));
    CHECK(to_hex(resigned) == to_hex(raw));
  }
  CHECK(saw_access_list);
  CHECK(saw_creation);
  CHECK(saw_legacy_data);
}

TEST_CASE("sign_transaction output decodes back to the same transaction", "[eth]") {
  const SecretKey key = SecretKey::generate();
  Transaction tx;
  tx.type = TxType::eip1559;
  tx.chain_id = 263634;
  tx.nonce = 42;
  tx.max_priority_fee_per_gas = 1;
  tx.max_fee_per_gas = ~Wei{0};  // the largest value the decoder admits
  tx.gas_limit = ~std::uint64_t{0};
  tx.value = static_cast<Wei>(1) << 100;
  tx.data = Bytes(100, 0xab);
  tx.access_list = {{fixed<20>("00000000000000000000000000000000000000aa"), {Hash32{}, Hash32{}}}};
  const Bytes raw = sign_transaction(tx, key);
  const SignedTransaction decoded = decode_signed_transaction(raw);
  CHECK(decoded.sender == eth_address(key.uncompressed_public_key()));
  CHECK(decoded.tx.max_fee_per_gas == tx.max_fee_per_gas);
  CHECK(decoded.tx.gas_limit == tx.gas_limit);
  CHECK(decoded.tx.value == tx.value);
  CHECK(decoded.tx.data == tx.data);
  REQUIRE(decoded.tx.access_list.size() == 1);
  CHECK(decoded.tx.access_list[0].storage_keys.size() == 2);
  CHECK(signing_hash(decoded.tx) == signing_hash(tx));
}

TEST_CASE("unsupported transaction types are refused by number", "[eth]") {
  const Bytes list = hex(kEip155Raw);  // a valid body behind each type byte
  for (std::uint8_t type : {0x00, 0x01, 0x03, 0x04, 0x7f}) {
    Bytes raw{type};
    raw.insert(raw.end(), list.begin(), list.end());
    CHECK(rejection(raw) == "transaction type 0x" + to_hex(Bytes{type}) + " is not supported");
  }
  CHECK(rejection(hex("01c0")) == "transaction type 0x01 is not supported");
  CHECK_THAT(rejection(hex("8180")), Catch::Contains("not a transaction"));
  CHECK(rejection(Bytes{}) == "empty transaction");

  Transaction access_list_type = eip155_transaction();
  access_list_type.type = static_cast<TxType>(1);
  CHECK_THROWS_WITH(signing_hash(access_list_type), "transaction type 0x01 is not supported");
}

TEST_CASE("legacy transactions without EIP-155 are refused", "[eth]") {
  for (std::uint64_t v : {27u, 28u}) {
    const Bytes raw = edited_legacy([&](auto& f) { f[6] = rlp::encode_u64(v); });
    CHECK(rejection(raw) == "legacy transaction without EIP-155 replay protection is not accepted");
  }
  const Bytes v_one = edited_legacy([](auto& f) { f[6] = rlp::encode_u64(1); });
  CHECK_THAT(rejection(v_one), Catch::StartsWith("invalid signature"));
  // Another chain id in v changes what was signed: a different sender, not the original one.
  const Bytes chain_two = edited_legacy([](auto& f) { f[6] = rlp::encode_u64(2 * 2 + 35); });
  const SignedTransaction on_chain_two = decode_signed_transaction(chain_two);
  CHECK(on_chain_two.tx.chain_id == 2);
  CHECK(to_hex(on_chain_two.sender) != "9d8a62f656a8d1615c1294fd71e9cfb3e4855a4f");
}

TEST_CASE("malformed RLP and wrong field counts are refused", "[eth]") {
  const Bytes raw = hex(kEip155Raw);
  Bytes trailing = raw;
  trailing.push_back(0x00);
  CHECK_THAT(rejection(trailing), Catch::StartsWith("RLP:") && Catch::Contains("trailing"));
  const Bytes truncated(raw.begin(), raw.end() - 1);
  CHECK_THAT(rejection(truncated), Catch::StartsWith("RLP:"));
  // The nonce 9 wrapped in a string header: non-canonical.
  const Bytes wrapped_nonce = edited_legacy([](auto& f) { f[0] = Bytes{0x81, 0x09}; });
  CHECK_THAT(rejection(wrapped_nonce), Catch::Contains("single byte below 0x80"));
  const Bytes zero_led_nonce = edited_legacy([](auto& f) { f[0] = Bytes{0x82, 0x00, 0x09}; });
  CHECK(rejection(zero_led_nonce) == "nonce: integer with a leading zero");

  const Bytes eight = edited_legacy([](auto& f) { f.pop_back(); });
  CHECK(rejection(eight) == "legacy transaction: expected 9 fields, got 8");
  const Bytes ten = edited_legacy([](auto& f) { f.push_back(rlp::encode_u64(0)); });
  CHECK(rejection(ten) == "legacy transaction: expected 9 fields, got 10");
  const Bytes list_as_nonce = edited_legacy([](auto& f) { f[0] = rlp::encode_list({}); });
  CHECK(rejection(list_as_nonce) == "nonce: expected a string, got a list");

  const Bytes type2 = hex(text_of(ethers_vectors().at("transactions").as_array()[0].at("raw")));
  const Bytes eleven = edited_type2(type2, [](auto& f) { f.pop_back(); });
  CHECK(rejection(eleven) == "type 2 transaction: expected 12 fields, got 11");
  Bytes type2_string{0x02};
  const Bytes string = rlp::encode_string(Bytes(3, 0xaa));
  type2_string.insert(type2_string.end(), string.begin(), string.end());
  CHECK(rejection(type2_string) == "type 2 transaction: expected an RLP list");
}

TEST_CASE("field sizes: to, values past 128 bits, integers past 64 bits", "[eth]") {
  const Bytes short_to = edited_legacy([](auto& f) { f[3] = rlp::encode_string(Bytes(19, 0x35)); });
  CHECK(rejection(short_to) == "to: must be empty or 20 bytes, got 19");
  const Bytes long_to = edited_legacy([](auto& f) { f[3] = rlp::encode_string(Bytes(21, 0x35)); });
  CHECK(rejection(long_to) == "to: must be empty or 20 bytes, got 21");

  Bytes big(17, 0x00);
  big[0] = 0x01;  // 2^128
  const Bytes value = edited_legacy([&](auto& f) { f[4] = rlp::encode_string(big); });
  CHECK(rejection(value) == "value: needs more than 128 bits");
  const Bytes gas_price = edited_legacy([&](auto& f) { f[1] = rlp::encode_string(big); });
  CHECK(rejection(gas_price) == "gas_price: needs more than 128 bits");

  Bytes nine(9, 0x00);
  nine[0] = 0x01;  // 2^64
  const Bytes nonce = edited_legacy([&](auto& f) { f[0] = rlp::encode_string(nine); });
  CHECK(rejection(nonce) == "nonce: does not fit 64 bits");
  const Bytes gas = edited_legacy([&](auto& f) { f[2] = rlp::encode_string(nine); });
  CHECK(rejection(gas) == "gas_limit: does not fit 64 bits");
  const Bytes v = edited_legacy([&](auto& f) { f[6] = rlp::encode_string(nine); });
  CHECK(rejection(v) == "v: does not fit 64 bits");

  const Bytes type2 = hex(text_of(ethers_vectors().at("transactions").as_array()[0].at("raw")));
  const Bytes chain_id = edited_type2(type2, [&](auto& f) { f[0] = rlp::encode_string(nine); });
  CHECK(rejection(chain_id) == "chain_id: does not fit 64 bits");
  const Bytes max_fee = edited_type2(type2, [&](auto& f) { f[3] = rlp::encode_string(big); });
  CHECK(rejection(max_fee) == "max_fee_per_gas: needs more than 128 bits");
  const Bytes short_address = edited_type2(type2, [](auto& f) {
    f[8] = rlp::encode_list(
        {rlp::encode_list({rlp::encode_string(Bytes(19, 0x11)), rlp::encode_list({})})});
  });
  CHECK(rejection(short_address) == "access_list: address must be 20 bytes");
  const Bytes short_key = edited_type2(type2, [](auto& f) {
    f[8] = rlp::encode_list(
        {rlp::encode_list({rlp::encode_string(Bytes(20, 0x11)),
                           rlp::encode_list({rlp::encode_string(Bytes(31, 1))})})});
  });
  CHECK(rejection(short_key) == "access_list: storage key must be 32 bytes");
  const Bytes not_a_list = edited_type2(type2, [](auto& f) { f[8] = rlp::encode_string({}); });
  CHECK(rejection(not_a_list) == "access_list: expected a list");
  const Bytes y_parity = edited_type2(type2, [](auto& f) { f[9] = rlp::encode_u64(2); });
  CHECK(rejection(y_parity) == "invalid signature: y_parity 2");
}

TEST_CASE("signatures: r and s in range, low s, and recoverable", "[eth]") {
  const std::string r_hex = "28ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276";
  const std::string s_hex = "67cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83";

  const Bytes zero_r = edited_legacy([](auto& f) { f[7] = rlp::encode_string({}); });
  CHECK(rejection(zero_r) == "invalid signature: r out of range");
  const Bytes zero_s = edited_legacy([](auto& f) { f[8] = rlp::encode_string({}); });
  CHECK(rejection(zero_s) == "invalid signature: s out of range");
  const Bytes r_at_n = edited_legacy([](auto& f) { f[7] = scalar_bytes(kCurveOrder); });
  CHECK(rejection(r_at_n) == "invalid signature: r out of range");
  const Bytes s_at_n = edited_legacy([](auto& f) { f[8] = scalar_bytes(kCurveOrder); });
  CHECK(rejection(s_at_n) == "invalid signature: s out of range");
  const Bytes r_too_long = edited_legacy([&](auto& f) { f[7] = scalar_bytes("01" + r_hex); });
  CHECK(rejection(r_too_long) == "r: longer than 32 bytes");
  const Bytes r_zero_led = edited_legacy([&](auto& f) { f[7] = scalar_bytes("00" + r_hex); });
  CHECK(rejection(r_zero_led) == "r: integer with a leading zero");

  // (r, n - s) with the other parity is the same signature in its high-s form: EIP-2 refuses it.
  const auto high_s = negate_scalar(fixed<32>(s_hex));
  const Bytes malleated = edited_legacy([&](auto& f) {
    f[6] = rlp::encode_u64(38);
    f[8] = rlp::encode_string(high_s);
  });
  CHECK(rejection(malleated) == "invalid signature: high s");

  // An r that is no point's x coordinate (BIP340 vector 11 uses it for that): nothing recovers.
  const Bytes no_point = edited_legacy([](auto& f) {
    f[7] = scalar_bytes("4a298dacae57395a15d0795ddbfd1dcb564da82b0f269bc70a74f8220429ba1d");
  });
  CHECK(rejection(no_point) == "invalid signature");
}

TEST_CASE("a legacy transaction cannot carry an access list", "[eth]") {
  Transaction tx = eip155_transaction();
  tx.access_list.push_back({});
  CHECK_THROWS_WITH(signing_hash(tx), "an access list needs a type 2 transaction");
  CHECK_THROWS_AS(sign_transaction(tx, secret_key(kEip155Key)), TransactionError);
}

TEST_CASE("legacy chain ids up to the largest that v can carry", "[eth]") {
  const SecretKey key = secret_key(kEip155Key);
  Transaction tx = eip155_transaction();
  tx.chain_id = (~std::uint64_t{0} - 36) / 2;  // v = chain_id * 2 + 36 still fits 64 bits
  const SignedTransaction decoded = decode_signed_transaction(sign_transaction(tx, key));
  CHECK(decoded.tx.chain_id == tx.chain_id);
  CHECK(to_hex(decoded.sender) == "9d8a62f656a8d1615c1294fd71e9cfb3e4855a4f");
  tx.chain_id += 1;
  CHECK_THROWS_WITH(sign_transaction(tx, key), "chain_id: too large for an EIP-155 v");
}
