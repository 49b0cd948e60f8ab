#include "alys/domain/rlp.hpp"

#include <catch2/catch.hpp>
#include <string_view>

#include "alys/domain/hash.hpp"

using namespace alys;

namespace {

Bytes hex(std::string_view text) {
  auto bytes = from_hex(text);
  REQUIRE(bytes);
  return *bytes;
}

Bytes bytes_of(std::string_view text) { return Bytes(text.begin(), text.end()); }

std::string rejection(std::string_view encoded_hex) {
  try {
    rlp::decode(hex(encoded_hex));
  } catch (const rlp::RlpError& error) {
    return error.what();
  }
  return "accepted";
}

}  // namespace

// The examples of the Ethereum wiki's RLP page and the Yellow Paper, appendix B.
TEST_CASE("RLP encodes the canonical examples", "[rlp]") {
  CHECK(to_hex(rlp::encode_string(bytes_of("dog"))) == "83646f67");
  CHECK(to_hex(rlp::encode_list({rlp::encode_string(bytes_of("cat")),
                                 rlp::encode_string(bytes_of("dog"))})) == "c88363617483646f67");
  CHECK(to_hex(rlp::encode_string({})) == "80");
  CHECK(to_hex(rlp::encode_list({})) == "c0");
  CHECK(to_hex(rlp::encode_u64(0)) == "80");
  CHECK(to_hex(rlp::encode_string(Bytes{0x00})) == "00");
  CHECK(to_hex(rlp::encode_u64(15)) == "0f");
  CHECK(to_hex(rlp::encode_u64(1024)) == "820400");
  CHECK(to_hex(rlp::encode_u64(0x80)) == "8180");
  CHECK(to_hex(rlp::encode_u64(~std::uint64_t{0})) == "88ffffffffffffffff");
  // The set-theoretic representation of three: [ [], [[]], [ [], [[]] ] ].
  const Bytes empty = rlp::encode_list({});
  const Bytes one = rlp::encode_list({empty});
  CHECK(to_hex(rlp::encode_list({empty, one, rlp::encode_list({empty, one})})) ==
        "c7c0c1c0c3c0c1c0");
  CHECK(to_hex(rlp::encode_string(
            bytes_of("Lorem ipsum dolor sit amet, consectetur adipisicing elit"))) ==
        "b838" + to_hex(bytes_of("Lorem ipsum dolor sit amet, consectetur adipisicing elit")));
}

TEST_CASE("RLP length boundaries: 55 short, 56 long, multi-byte lengths", "[rlp]") {
  CHECK(rlp::encode_string(Bytes(55, 0xaa))[0] == 0x80 + 55);
  CHECK(to_hex(ByteView(rlp::encode_string(Bytes(56, 0xaa))).first(2)) == "b838");
  CHECK(to_hex(ByteView(rlp::encode_string(Bytes(1024, 0xaa))).first(3)) == "b90400");
  CHECK(to_hex(ByteView(rlp::encode_list({Bytes(55, 0x01)})).first(1)) == "f7");
  CHECK(to_hex(ByteView(rlp::encode_list({Bytes(56, 0x01)})).first(2)) == "f838");
  for (std::size_t size : {0u, 1u, 55u, 56u, 255u, 256u, 70000u}) {
    Bytes payload(size, 0xaa);
    rlp::Item item = rlp::decode(rlp::encode_string(payload));
    CHECK_FALSE(item.is_list);
    CHECK(item.bytes == payload);
  }
}

TEST_CASE("RLP decodes the canonical examples", "[rlp]") {
  // An item's `encoded` views the input: keep each input alive while its item is read.
  const Bytes dog_rlp = hex("83646f67");
  rlp::Item dog = rlp::decode(dog_rlp);
  CHECK_FALSE(dog.is_list);
  CHECK(dog.bytes == bytes_of("dog"));
  CHECK(to_hex(dog.encoded) == "83646f67");

  const Bytes list_rlp = hex("c88363617483646f67");
  rlp::Item list = rlp::decode(list_rlp);
  REQUIRE(list.is_list);
  REQUIRE(list.items.size() == 2);
  CHECK(list.items[0].bytes == bytes_of("cat"));
  CHECK(list.items[1].bytes == bytes_of("dog"));
  CHECK(to_hex(list.items[1].encoded) == "83646f67");

  CHECK(rlp::decode(hex("80")).bytes.empty());
  CHECK_FALSE(rlp::decode(hex("80")).is_list);
  CHECK(rlp::decode(hex("c0")).is_list);
  CHECK(rlp::decode(hex("c0")).items.empty());
  CHECK(rlp::to_u64(rlp::decode(hex("80"))) == 0);
  CHECK(rlp::to_u64(rlp::decode(hex("0f"))) == 15);
  CHECK(rlp::to_u64(rlp::decode(hex("820400"))) == 1024);
  CHECK(rlp::to_u64(rlp::decode(hex("88ffffffffffffffff"))) == ~std::uint64_t{0});

  const Bytes three_rlp = hex("c7c0c1c0c3c0c1c0");
  rlp::Item three = rlp::decode(three_rlp);
  REQUIRE(three.items.size() == 3);
  CHECK(three.items[0].items.empty());
  REQUIRE(three.items[1].items.size() == 1);
  CHECK(three.items[1].items[0].is_list);
  REQUIRE(three.items[2].items.size() == 2);
  CHECK(to_hex(three.items[2].encoded) == "c3c0c1c0");

  const Bytes lorem = bytes_of("Lorem ipsum dolor sit amet, consectetur adipisicing elit");
  CHECK(rlp::decode(rlp::encode_string(lorem)).bytes == lorem);
}

TEST_CASE("RLP refuses non-canonical encodings", "[rlp]") {
  // A single byte below 0x80 must stand for itself.
  for (const char* encoded : {"8100", "8101", "817f"})
    CHECK_THAT(rejection(encoded), Catch::Contains("single byte below 0x80"));
  CHECK(rlp::decode(hex("8180")).bytes == Bytes{0x80});  // 0x80 and up need the header
  // Long form for fewer than 56 bytes.
  CHECK_THAT(rejection("b80161"), Catch::Contains("below 56"));
  CHECK_THAT(rejection("b837" + std::string(55 * 2, 'a')), Catch::Contains("below 56"));
  CHECK_THAT(rejection("f80100"), Catch::Contains("below 56"));
  CHECK_THAT(rejection("f837" + std::string(55 * 2, '0')), Catch::Contains("below 56"));
  // A leading zero in a long-form length.
  CHECK_THAT(rejection("b90038" + std::string(56 * 2, 'a')), Catch::Contains("leading zero"));
  CHECK_THAT(rejection("f90038" + std::string(56 * 2, '0')), Catch::Contains("leading zero"));
}

TEST_CASE("RLP refuses truncated input and trailing bytes", "[rlp]") {
  CHECK_THAT(rejection(""), Catch::Contains("empty"));
  CHECK_THAT(rejection("83646f"), Catch::Contains("past the input"));
  CHECK_THAT(rejection("c88363617483646f"), Catch::Contains("past the input"));
  CHECK_THAT(rejection("c3836361"), Catch::Contains("past the input"));  // inner runs past the list
  CHECK_THAT(rejection("b838" + std::string(55 * 2, 'a')), Catch::Contains("past the input"));
  CHECK_THAT(rejection("b9"), Catch::Contains("inside a length"));
  CHECK_THAT(rejection("b904"), Catch::Contains("inside a length"));
  CHECK_THAT(rejection("bfffffffffffffffff"), Catch::Contains("past the input"));
  CHECK_THAT(rejection("83646f6700"), Catch::Contains("1 trailing bytes"));
  CHECK_THAT(rejection("c0c0"), Catch::Contains("trailing"));
  CHECK_THAT(rejection("0000"), Catch::Contains("trailing"));
}

TEST_CASE("RLP refuses lists nested past the depth limit", "[rlp]") {
  // 64 levels below the outer list decode; one more is refused.
  auto nested = [](int depth) {
    Bytes encoded = rlp::encode_list({});
    for (int i = 0; i < depth; ++i) encoded = rlp::encode_list({encoded});
    return encoded;
  };
  CHECK_NOTHROW(rlp::decode(nested(64)));
  CHECK_THROWS_WITH(rlp::decode(nested(65)), Catch::Contains("nested too deeply"));
}

TEST_CASE("rlp::to_u64 refuses leading zeros, lists and more than 8 bytes", "[rlp]") {
  CHECK_THROWS_WITH(rlp::to_u64(rlp::decode(hex("00"))), Catch::Contains("leading zero"));
  CHECK_THROWS_WITH(rlp::to_u64(rlp::decode(hex("820004"))), Catch::Contains("leading zero"));
  CHECK_THROWS_WITH(rlp::to_u64(rlp::decode(hex("c0"))), Catch::Contains("list"));
  CHECK_THROWS_WITH(rlp::to_u64(rlp::decode(hex("89010000000000000000"))),
                    Catch::Contains("64 bits"));
}

TEST_CASE("RLP round-trips integers", "[rlp]") {
  for (std::uint64_t value :
       {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{0x7f}, std::uint64_t{0x80},
        std::uint64_t{0xff}, std::uint64_t{0x100}, std::uint64_t{1} << 32, ~std::uint64_t{0}}) {
    CHECK(rlp::to_u64(rlp::decode(rlp::encode_u64(value))) == value);
  }
}
