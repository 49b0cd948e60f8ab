#include "alys/domain/compact.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using namespace alys;

namespace {

std::uint32_t parse_u32(const std::string& text) {
  return static_cast<std::uint32_t>(std::stoul(text, nullptr, 16));
}

// A row of compact_nbits_vectors.tsv (Bitcoin Core's bignum_SetCompact cases).
struct CompactRow {
  std::string compact;
  std::string value_hex;  // SetCompact's value, hex without leading zeros
  std::string roundtrip;  // GetCompact's, "-" when undefined; may carry a note in parentheses
  bool negative = false;
  bool overflow = false;
};

std::vector<CompactRow> compact_rows() {
  std::ifstream file(ALYS_SOURCE_DIR "/tests/data/compact_nbits_vectors.tsv");
  REQUIRE(file);
  std::vector<CompactRow> rows;
  std::string line;
  bool header_seen = false;
  while (std::getline(file, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (!header_seen) {
      header_seen = true;  // the column names
      continue;
    }
    std::vector<std::string> cells;
    std::stringstream split(line);
    for (std::string cell; std::getline(split, cell, '\t');) cells.push_back(cell);
    REQUIRE(cells.size() == 5);
    rows.push_back({cells[0], cells[1], cells[2], cells[3] == "true", cells[4] == "true"});
  }
  return rows;
}

std::string without_leading_zeros(const std::string& hex) {
  std::size_t first = hex.find_first_not_of('0');
  return first == std::string::npos ? "0" : hex.substr(first);
}

}  // namespace

TEST_CASE("decode_compact and encode_compact match every Bitcoin Core vector") {
  auto rows = compact_rows();
  REQUIRE(rows.size() == 20);
  for (const CompactRow& row : rows) {
    INFO("compact " << row.compact);
    CompactTarget decoded = decode_compact(parse_u32(row.compact));
    CHECK(decoded.negative == row.negative);
    CHECK(decoded.overflow == row.overflow);
    if (row.overflow) continue;  // the value is undefined there
    CHECK(without_leading_zeros(decoded.target.to_be_hex()) == row.value_hex);
    REQUIRE(row.roundtrip != "-");
    // Rows whose round trip is GetCompact(negative=true) say so after the value.
    bool with_sign = row.roundtrip.find("negative=true") != std::string::npos;
    CHECK(with_sign == row.negative);
    std::uint32_t expected = parse_u32(row.roundtrip.substr(0, 10));
    CHECK(encode_compact(decoded.target, with_sign) == expected);
    if (!with_sign) CHECK(encode_compact(decoded.target) == expected);
  }
}

TEST_CASE("encode_compact never produces the sign bit") {
  CHECK(encode_compact(U256(0x80)) == 0x02008000u);
  CHECK(encode_compact(U256(0x7f)) == 0x017f0000u);
  CHECK(encode_compact(U256()) == 0u);
  // Bitcoin's genesis target and the regtest limit round-trip.
  for (std::uint32_t bits : {0x1d00ffffu, 0x207fffffu, 0x1b00b269u, 0x172c071du}) {
    INFO(bits);
    CHECK(encode_compact(decode_compact(bits).target) == bits);
  }
  // A negative decoded target is re-encoded without its sign unless asked.
  CHECK(encode_compact(decode_compact(0x04923456).target) == 0x04123456u);
}

TEST_CASE("hash_meets_bits compares the little-endian hash with a usable target") {
  U256 target = decode_compact(0x1d00ffff).target;
  CHECK(hash_meets_bits(target.to_le(), 0x1d00ffff));
  CHECK_FALSE(hash_meets_bits((target + U256(1)).to_le(), 0x1d00ffff));
  CHECK(hash_meets_bits(Hash32{}, 0x1d00ffff));
  // Bitcoin's genesis block hash (internal order) meets its own bits.
  auto genesis =
      fixed_from_hex<32>("000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f");
  REQUIRE(genesis);
  CHECK(hash_meets_bits(reversed(*genesis), 0x1d00ffff));
  CHECK_FALSE(hash_meets_bits(*genesis, 0x1d00ffff));  // the display order is not the number
  // Unusable bits: negative, overflowing, zero.
  CHECK_FALSE(hash_meets_bits(Hash32{}, 0x04923456));
  CHECK_FALSE(hash_meets_bits(Hash32{}, 0xff123456));
  CHECK_FALSE(hash_meets_bits(Hash32{}, 0x00000000));
  CHECK_FALSE(hash_meets_bits(Hash32{}, 0x01003456));
}
