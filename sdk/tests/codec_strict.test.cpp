#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "alys/codec.hpp"

using alys::Bytes;
using alys::decode_strict;
using alys::DecodeError;
using alys::encode;
using alys::min_encoded_size;

namespace {

struct Point {
  std::int32_t x = 0;
  std::int32_t y = 0;
  ALYS_FIELDS(x, y)
  bool operator==(const Point&) const = default;
};

struct Shape {
  std::string name;
  std::vector<Point> points;
  Point origin;
  std::array<std::uint8_t, 3> tag{};
  bool closed = false;
  ALYS_FIELDS(name, points, origin, tag, closed)
  bool operator==(const Shape&) const = default;
};

// Point with a field appended: its bytes are a Point's plus 8.
struct Point3 {
  std::int32_t x = 0;
  std::int32_t y = 0;
  std::uint64_t z = 0;
  ALYS_FIELDS(x, y, z)
};

struct Holder {
  Point point;
  std::uint8_t after = 0;
  ALYS_FIELDS(point, after)
};
struct Holder3 {
  Point3 point;
  std::uint8_t after = 0;
  ALYS_FIELDS(point, after)
};

Shape sample() { return Shape{"tri", {{1, 2}, {3, 4}, {-5, 6}}, {7, 8}, {9, 9, 9}, true}; }

}  // namespace

TEST_CASE("min_encoded_size follows the schema", "[codec][strict]") {
  static_assert(min_encoded_size<std::uint8_t>() == 1);
  static_assert(min_encoded_size<std::int64_t>() == 8);
  static_assert(min_encoded_size<bool>() == 1);
  static_assert(min_encoded_size<double>() == 8);
  static_assert(min_encoded_size<std::string>() == 1);
  static_assert(min_encoded_size<Bytes>() == 1);
  static_assert(min_encoded_size<std::vector<Point>>() == 1);
  static_assert(min_encoded_size<std::array<std::uint8_t, 32>>() == 32);
  static_assert(min_encoded_size<Point>() == 1 + 8);
  static_assert(min_encoded_size<Shape>() == 1 + 1 + 1 + 9 + 3 + 1);
  CHECK(encode(Shape{}).size() + 1 == min_encoded_size<Shape>());
}

TEST_CASE("decode_strict reads what encode wrote", "[codec][strict]") {
  CHECK(decode_strict<Shape>(encode(sample())) == sample());
  CHECK(decode_strict<Shape>(encode(Shape{})) == Shape{});
}

TEST_CASE("decode_strict refuses a missing field", "[codec][strict]") {
  Bytes bytes = encode(sample());
  bytes.pop_back();  // `closed`
  CHECK_THROWS_AS(decode_strict<Shape>(bytes), DecodeError);
  CHECK_THROWS_AS(decode_strict<Point>(Bytes{}), DecodeError);
}

TEST_CASE("decode_strict refuses bytes after the last field", "[codec][strict]") {
  Bytes bytes = encode(sample());
  bytes.push_back(0);
  CHECK_THROWS_WITH(decode_strict<Shape>(bytes), "bytes after the last field");
}

TEST_CASE("decode_strict refuses a nested schema longer than its fields", "[codec][strict]") {
  Bytes newer = encode(Holder3{{1, 2, 3}, 4});
  CHECK_NOTHROW(alys::decode<Holder>(newer));  // the lenient decoder skips the appended field
  CHECK_THROWS_AS(decode_strict<Holder>(newer), DecodeError);
}

TEST_CASE("decode_strict refuses a nested schema missing a field", "[codec][strict]") {
  Bytes older = encode(Holder{{1, 2}, 4});
  CHECK_NOTHROW(alys::decode<Holder3>(older));  // the lenient decoder defaults z
  CHECK_THROWS_AS(decode_strict<Holder3>(older), DecodeError);
}

TEST_CASE("decode_strict bounds a vector count by its elements' size", "[codec][strict]") {
  // After the count come 2 points, origin, tag and closed: 31 bytes. Four points need at least 36.
  Shape shape = sample();
  shape.points.resize(2);
  Bytes bytes = encode(shape);
  std::size_t count_at = 1 + shape.name.size();
  REQUIRE(bytes[count_at] == 2);
  bytes[count_at] = 4;
  // The lenient decoder only knows each element takes a byte: it allocates four, then fails.
  CHECK_THROWS_AS(alys::decode<Shape>(bytes), DecodeError);
  CHECK_THROWS_WITH(decode_strict<Shape>(bytes), "vector count exceeds what the message can hold");
  // A count of 2^63 - 1 never reaches an allocation.
  Bytes bomb = {0};
  for (int i = 0; i < 8; ++i) bomb.push_back(0xff);
  bomb.push_back(0x7f);
  bomb.resize(bomb.size() + 100, 0);
  CHECK_THROWS_AS(decode_strict<Shape>(bomb), DecodeError);
}

TEST_CASE("decode_strict reports truncation at every offset", "[codec][strict]") {
  Bytes bytes = encode(sample());
  for (std::size_t size = 0; size < bytes.size(); ++size)
    CHECK_THROWS_AS(decode_strict<Shape>(Bytes(bytes.begin(), bytes.begin() + size)), DecodeError);
}

TEST_CASE("decode_strict refuses a varint longer than its shortest form", "[codec][strict]") {
  Shape shape;
  shape.name = "a";
  Bytes bytes = encode(shape);
  REQUIRE(bytes[0] == 1);
  // The name's length 1 as two bytes (0x81 0x00): the lenient decoder takes it, strict does not.
  bytes.insert(bytes.begin() + 1, 0x00);
  bytes[0] = 0x81;
  CHECK(alys::decode<Shape>(bytes).name == "a");
  CHECK_THROWS_WITH(decode_strict<Shape>(bytes), "varint not in its shortest form");
}
