#include "alys/domain/bitcoin.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "alys/domain/sha256.hpp"

using namespace alys;
using namespace alys::btc;
namespace json = boost::json;

namespace {

Bytes hex(std::string_view text) {
  auto bytes = from_hex(text);
  REQUIRE(bytes);
  return *bytes;
}

std::string read_file(const std::string& path) {
  std::ifstream file(path);
  REQUIRE(file);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

json::value read_json(const std::string& name) {
  return json::parse(read_file(ALYS_SOURCE_DIR "/tests/data/" + name));
}

std::string str(const json::value& value, std::string_view key) {
  return std::string(value.at(key).as_string());
}

struct HeaderRow {
  int height = 0;
  std::string hash;  // display order
  std::uint32_t bits = 0;
  std::uint32_t time = 0;
  Bytes header;
};

std::vector<HeaderRow> mainnet_headers() {
  std::stringstream lines(read_file(ALYS_SOURCE_DIR "/tests/data/bitcoin_mainnet_headers_0_9.tsv"));
  std::vector<HeaderRow> rows;
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#' || line.starts_with("height")) continue;
    std::vector<std::string> cells;
    std::stringstream split(line);
    for (std::string cell; std::getline(split, cell, '\t');) cells.push_back(cell);
    REQUIRE(cells.size() == 5);
    rows.push_back({std::stoi(cells[0]), cells[1],
                    static_cast<std::uint32_t>(std::stoul(cells[2], nullptr, 16)),
                    static_cast<std::uint32_t>(std::stoul(cells[3])), hex(cells[4])});
  }
  return rows;
}

Transaction parse_whole(const Bytes& bytes) {
  std::size_t consumed = 0;
  Transaction tx = parse_transaction(bytes, consumed);
  CHECK(consumed == bytes.size());
  return tx;
}

}  // namespace

TEST_CASE("Bitcoin mainnet headers 0-9 parse, serialize back and hash to their block hash") {
  auto rows = mainnet_headers();
  REQUIRE(rows.size() == 10);
  Hash32 previous{};
  for (const HeaderRow& row : rows) {
    INFO("height " << row.height);
    BlockHeader header = BlockHeader::parse(row.header);
    CHECK(header.version == 1);
    CHECK(header.bits == row.bits);
    CHECK(header.time == row.time);
    CHECK(header.prev_block == previous);
    CHECK(header.serialize() == row.header);
    CHECK(to_hex(reversed(header.hash())) == row.hash);
    previous = header.hash();
  }
  // Genesis: its merkle root is the display-order coinbase txid 4a5e1e4b...
  BlockHeader genesis = BlockHeader::parse(rows[0].header);
  CHECK(to_hex(reversed(genesis.merkle_root)) ==
        "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b");
  CHECK(genesis.nonce == 2083236893u);
}

TEST_CASE("BlockHeader::parse wants exactly 80 bytes") {
  Bytes header = mainnet_headers()[0].header;
  Bytes short_header(header.begin(), header.end() - 1);
  Bytes long_header = header;
  long_header.push_back(0);
  CHECK_THROWS_AS(BlockHeader::parse(short_header), ParseError);
  CHECK_THROWS_AS(BlockHeader::parse(long_header), ParseError);
}

TEST_CASE("Non-witness transactions: real Namecoin and Dogecoin parent coinbases and their txids") {
  json::value vectors = read_json("auxpow_vectors.json");
  int checked = 0;
  for (const json::value& vector : vectors.as_array()) {
    if (!vector.as_object().contains("parsed")) continue;
    const json::value& parsed = vector.at("parsed");
    INFO(str(vector, "name"));
    Bytes raw = hex(str(parsed, "coinbase_tx_hex"));
    Transaction tx = parse_whole(raw);
    CHECK_FALSE(tx.has_witness());
    REQUIRE(tx.inputs.size() == 1);
    CHECK(tx.inputs[0].prev_txid == Hash32{});
    CHECK(tx.inputs[0].prev_vout == 0xffffffffu);
    CHECK(to_hex(tx.inputs[0].script_sig) == str(parsed, "coinbase_scriptsig_hex"));
    CHECK(tx.serialize(false) == raw);
    CHECK(tx.serialize(true) == raw);  // no witness: the legacy form either way
    CHECK(to_hex(reversed(tx.txid())) == str(parsed, "coinbase_txid"));
    ++checked;
  }
  CHECK(checked == 7);
}

TEST_CASE("A witness transaction: BIP341's fully signed transaction") {
  json::value vectors = read_json("bip341_wallet_test_vectors.json");
  const json::value& spending = vectors.at("keyPathSpending").at(0);
  Bytes signed_raw = hex(str(spending.at("auxiliary"), "fullySignedTx"));
  Bytes unsigned_raw = hex(str(spending.at("given"), "rawUnsignedTx"));

  Transaction tx = parse_whole(signed_raw);
  CHECK(tx.has_witness());
  CHECK(tx.version == 2);
  REQUIRE(tx.inputs.size() == 9);
  CHECK(tx.outputs.size() == 2);
  // Every key-path input's witness is the one BIP341 expects.
  int taproot_inputs = 0;
  for (const json::value& input : spending.at("inputSpending").as_array()) {
    auto index = static_cast<std::size_t>(input.at("given").at("txinIndex").as_int64());
    const json::array& expected = input.at("expected").at("witness").as_array();
    REQUIRE(tx.inputs[index].witness.size() == expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i)
      CHECK(to_hex(tx.inputs[index].witness[i]) == std::string(expected[i].as_string()));
    ++taproot_inputs;
  }
  CHECK(taproot_inputs == 7);
  CHECK(tx.inputs[2].witness.empty());  // the P2PKH input signs in its script
  CHECK_FALSE(tx.inputs[2].script_sig.empty());
  CHECK(tx.inputs[5].witness.size() == 2);  // P2WPKH: signature and key

  CHECK(tx.serialize(true) == signed_raw);
  // The txid covers the legacy form: without witnesses, and with the scripts cleared it is the
  // unsigned transaction BIP341 starts from.
  Bytes legacy = tx.serialize(false);
  CHECK(tx.txid() == sha256d(legacy));
  CHECK(tx.txid() != sha256d(signed_raw));
  Transaction stripped = parse_whole(legacy);
  CHECK_FALSE(stripped.has_witness());
  for (TxIn& input : stripped.inputs) input.script_sig.clear();
  CHECK(stripped.serialize(false) == unsigned_raw);
}

TEST_CASE("parse_transaction reports malformed transactions") {
  std::size_t consumed = 0;
  Bytes coinbase = hex(
      "01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff29285ca6"
      "bad276325045620eb532b4008bd4220d8d6a8384ac9b1b655fcf85649acb0100000000000000ffffffff000000"
      "0000");
  CHECK_NOTHROW(parse_transaction(coinbase, consumed));
  CHECK(consumed == coinbase.size());

  SECTION("truncated") {
    Bytes truncated(coinbase.begin(), coinbase.end() - 1);
    CHECK_THROWS_WITH(parse_transaction(truncated, consumed), Catch::Contains("truncated"));
  }
  SECTION("a non-canonical CompactSize") {
    Bytes padded = coinbase;
    padded[4] = 0xfd;  // the input count 1 as fd 01 00
    padded.insert(padded.begin() + 5, {0x01, 0x00});
    CHECK_THROWS_WITH(parse_transaction(padded, consumed), Catch::Contains("non-canonical"));
  }
  SECTION("a witness flag without any witness") {
    // version | marker 00, flag 01 | one null input | no outputs | an empty stack | lock time
    Bytes superfluous =
        hex("010000000001"
            "01" +
            std::string(64, '0') + "ffffffff00ffffffff" +
            "00"
            "00"
            "00000000");
    CHECK_THROWS_WITH(parse_transaction(superfluous, consumed),
                      Catch::Contains("superfluous witness record"));
  }
  SECTION("an unknown optional-data flag") {
    Transaction tx;
    tx.inputs.push_back(TxIn{});
    tx.inputs[0].witness.push_back({0x01});
    Bytes with_witness = tx.serialize(true);
    REQUIRE(with_witness[5] == 0x01);
    with_witness[5] = 0x03;  // flag bit 1 is not defined
    CHECK_THROWS_WITH(parse_transaction(with_witness, consumed),
                      Catch::Contains("unknown transaction optional data"));
  }
}

TEST_CASE("A transaction without inputs or outputs reads back as Core reads it") {
  Transaction empty;
  Bytes raw = empty.serialize(true);
  CHECK(to_hex(raw) == "01000000000000000000");
  std::size_t consumed = 0;
  Transaction back = parse_transaction(raw, consumed);
  CHECK(consumed == raw.size());
  CHECK(back.inputs.empty());
  CHECK(back.outputs.empty());
}

TEST_CASE("merkle_root_from_branch puts the sibling on the left for a 1 bit of the index") {
  Hash32 leaf = sha256d(Bytes{1});
  Hash32 a = sha256d(Bytes{2});
  Hash32 b = sha256d(Bytes{3});
  auto pair = [](const Hash32& left, const Hash32& right) {
    Bytes joined(left.begin(), left.end());
    joined.insert(joined.end(), right.begin(), right.end());
    return sha256d(joined);
  };
  CHECK(merkle_root_from_branch(leaf, {}, 5) == leaf);
  CHECK(merkle_root_from_branch(leaf, {a}, 0) == pair(leaf, a));
  CHECK(merkle_root_from_branch(leaf, {a}, 1) == pair(a, leaf));
  CHECK(merkle_root_from_branch(leaf, {a, b}, 2) == pair(b, pair(leaf, a)));
  CHECK(merkle_root_from_branch(leaf, {a, b}, 1) == pair(pair(a, leaf), b));
  CHECK(merkle_root_from_branch(leaf, {a}, 0b10) == pair(leaf, a));  // bits past the branch
}
