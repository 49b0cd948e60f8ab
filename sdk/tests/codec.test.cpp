#include "alys/codec.hpp"

#include <array>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "alys/type_id.hpp"

namespace {

enum class Color : std::uint8_t { red = 1, green = 2, blue = 0xff };
enum class Delta : std::int16_t { down = -300, none = 0, up = 300 };
enum class Wide : std::uint64_t { big = 0xfedcba9876543210ull };
enum Plain { plain_zero, plain_one, plain_two };

struct Point {
  std::int32_t x = 0;
  std::int32_t y = 0;
  ALYS_FIELDS(x, y)
  bool operator==(const Point&) const = default;
};

struct Integers {
  bool t = false;
  bool f = true;
  std::uint8_t u8 = 0;
  std::uint16_t u16 = 0;
  std::uint32_t u32 = 0;
  std::uint64_t u64 = 0;
  std::int8_t i8 = 0;
  std::int16_t i16 = 0;
  std::int32_t i32 = 0;
  std::int64_t i64 = 0;
  ALYS_FIELDS(t, f, u8, u16, u32, u64, i8, i16, i32, i64)
  bool operator==(const Integers&) const = default;
};

struct Everything {
  Integers integers;
  Color color = Color::red;
  Delta delta = Delta::none;
  Wide wide{};
  Plain plain = plain_zero;
  double real = 0;
  std::string text;
  alys::Bytes bytes;
  std::array<std::uint8_t, 32> hash{};
  std::array<std::uint8_t, 1> one{};
  std::vector<std::uint64_t> numbers;
  std::vector<std::int8_t> small_signed;
  std::vector<std::string> words;
  std::vector<alys::Bytes> blobs;
  std::vector<Point> points;
  std::vector<std::vector<std::uint16_t>> matrix;
  std::vector<Color> colors;
  std::vector<std::array<std::uint8_t, 4>> addresses;
  Point origin;
  ALYS_FIELDS(integers, color, delta, wide, plain, real, text, bytes, hash, one, numbers,
              small_signed, words, blobs, points, matrix, colors, addresses, origin)
  bool operator==(const Everything&) const = default;
};

template <class T>
T round_trip(const T& value) {
  return alys::decode<T>(alys::encode(value));
}

alys::Bytes bytes(std::initializer_list<int> values) {
  alys::Bytes out;
  for (int v : values) out.push_back(static_cast<std::uint8_t>(v));
  return out;
}

// --- Schemas for the evolution tests: same names, fields only appended. ---

struct RecordV1 {
  std::uint32_t a = 0;
  std::string b;
  ALYS_FIELDS(a, b)
};

struct RecordV2 {
  std::uint32_t a = 0;
  std::string b;
  std::uint64_t c = 77;  // appended in version 2
  ALYS_FIELDS(a, b, c)
};

struct InnerV1 {
  std::uint16_t x = 0;
  ALYS_FIELDS(x)
};

struct InnerV2 {
  std::uint16_t x = 0;
  std::string label = "unset";     // appended in version 2
  std::vector<std::uint32_t> ids;  // appended in version 2
  ALYS_FIELDS(x, label, ids)
};

struct OuterV1 {
  InnerV1 inner;
  std::vector<InnerV1> many;
  std::uint32_t after = 0;
  ALYS_FIELDS(inner, many, after)
};

struct OuterV2 {
  InnerV2 inner;
  std::vector<InnerV2> many;
  std::uint32_t after = 0;
  bool flag = true;  // appended in version 2
  ALYS_FIELDS(inner, many, after, flag)
};

// --- Schemas for the malformed-input tests. ---

struct OneU32 {
  std::uint32_t value = 0;
  ALYS_FIELDS(value)
};
struct OneBool {
  bool value = false;
  ALYS_FIELDS(value)
};
struct OneString {
  std::string value;
  ALYS_FIELDS(value)
};
struct OneBytes {
  alys::Bytes value;
  ALYS_FIELDS(value)
};
struct OneDouble {
  double value = 0;
  ALYS_FIELDS(value)
};
struct OneArray {
  std::array<std::uint8_t, 8> value{};
  ALYS_FIELDS(value)
};
struct OneVector {
  std::vector<std::uint64_t> value;
  ALYS_FIELDS(value)
};
struct OneNested {
  Point value;
  ALYS_FIELDS(value)
};
struct VectorOfPoints {
  std::vector<Point> value;
  ALYS_FIELDS(value)
};

// A schema with one field of each kind, at known values, to pin the wire format.
struct WireSample {
  std::uint16_t u16 = 0x0102;
  std::int32_t i32 = -2;
  bool b = true;
  std::string s = "hi";
  std::array<std::uint8_t, 2> fixed{{0xaa, 0xbb}};
  std::vector<std::uint8_t> raw = {9};
  std::vector<std::uint16_t> list = {0x0304};
  Point point{1, 2};
  double d = 1.0;
  Color color = Color::green;
  ALYS_FIELDS(u16, i32, b, s, fixed, raw, list, point, d, color)
};

}  // namespace

// ------------------------------------------------------------------------------------------------
// type ids

static_assert(alys::fnv1a64("") == 0xcbf29ce484222325ull);
static_assert(alys::fnv1a64("a") == 0xaf63dc4c8601ec8cull);
static_assert(alys::fnv1a64("foobar") == 0x85944171f73967e8ull);
static_assert(alys::type_id("alys.test.Ping/1") == alys::fnv1a64("alys.test.Ping/1"));
static_assert(alys::topic_id("alys.test.Ping/1") == alys::fnv1a64("alys.test.Ping/1"));
static_assert(alys::type_id("alys.test.Ping/1") != alys::type_id("alys.test.Ping/2"));
static_assert(noexcept(alys::fnv1a64("x")));

TEST_CASE("type_id is FNV-1a 64 of the schema name", "[codec][type_id]") {
  // Runtime values too, so the check also holds when not constant-folded.
  std::string empty;
  std::string a = "a";
  CHECK(alys::fnv1a64(empty) == 0xcbf29ce484222325ull);
  CHECK(alys::fnv1a64(a) == 0xaf63dc4c8601ec8cull);
  CHECK(alys::fnv1a64(std::string("foobar")) == 0x85944171f73967e8ull);
  CHECK(alys::type_id(std::string("alys.test.Ping/1")) == 0x716d37e92107a4a8ull);
  // Bytes >= 0x80 are hashed as unsigned (char is signed on x86_64).
  CHECK(alys::fnv1a64(std::string("\xff")) == 0xaf64724c8602eb6eull);
  // Usable as a constant expression (a case label, a template argument).
  constexpr std::uint64_t id = alys::type_id("alys.test.Ping/1");
  static_assert(id == 0x716d37e92107a4a8ull);
  CHECK(id == alys::type_id("alys.test.Ping/1"));
}

// ------------------------------------------------------------------------------------------------
// round trips

TEST_CASE("every supported field type round-trips", "[codec]") {
  Everything value;
  value.integers = {true,        false,
                    0xab,        0xbeef,
                    0xdeadbeef,  0x0123456789abcdefull,
                    -5,          -12345,
                    -2000000000, std::numeric_limits<std::int64_t>::min() + 3};
  value.color = Color::blue;
  value.delta = Delta::down;
  value.wide = Wide::big;
  value.plain = plain_two;
  value.real = -1234.5678e-9;
  value.text = std::string("hello\0world \xc3\xa9", 14);
  value.bytes = bytes({0, 1, 0xff, 0x80, 0x7f});
  for (std::size_t i = 0; i < value.hash.size(); ++i)
    value.hash[i] = static_cast<std::uint8_t>(i * 9);
  value.one = {0x42};
  value.numbers = {0, 1, std::numeric_limits<std::uint64_t>::max()};
  value.small_signed = {-128, -1, 0, 127};
  value.words = {"", "one", std::string(300, 'w')};
  value.blobs = {{}, bytes({1}), alys::Bytes(200, 0xcd)};
  value.points = {{1, -1}, {std::numeric_limits<std::int32_t>::min(), 0}, {}};
  value.matrix = {{}, {1, 2, 3}, {0xffff}};
  value.colors = {Color::green, Color::red, Color::blue};
  value.addresses = {{{10, 0, 0, 1}}, {{192, 168, 1, 254}}};
  value.origin = {-7, 7};

  Everything decoded = round_trip(value);
  CHECK(decoded == value);
}

TEST_CASE("default values round-trip", "[codec]") {
  CHECK(round_trip(Everything{}) == Everything{});
  CHECK(round_trip(Integers{}) == Integers{});
}

TEST_CASE("integer extremes round-trip", "[codec]") {
  Integers min;
  min.t = false;
  min.f = false;
  min.i8 = std::numeric_limits<std::int8_t>::min();
  min.i16 = std::numeric_limits<std::int16_t>::min();
  min.i32 = std::numeric_limits<std::int32_t>::min();
  min.i64 = std::numeric_limits<std::int64_t>::min();
  CHECK(round_trip(min) == min);

  Integers max;
  max.t = true;
  max.f = true;
  max.u8 = std::numeric_limits<std::uint8_t>::max();
  max.u16 = std::numeric_limits<std::uint16_t>::max();
  max.u32 = std::numeric_limits<std::uint32_t>::max();
  max.u64 = std::numeric_limits<std::uint64_t>::max();
  max.i8 = std::numeric_limits<std::int8_t>::max();
  max.i16 = std::numeric_limits<std::int16_t>::max();
  max.i32 = std::numeric_limits<std::int32_t>::max();
  max.i64 = std::numeric_limits<std::int64_t>::max();
  CHECK(round_trip(max) == max);
}

TEST_CASE("doubles round-trip bit for bit", "[codec]") {
  for (double d :
       {0.0, -0.0, 1.0, -1.5, 3.141592653589793, std::numeric_limits<double>::min(),
        std::numeric_limits<double>::max(), std::numeric_limits<double>::denorm_min(),
        std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(),
        std::numeric_limits<double>::quiet_NaN()}) {
    CAPTURE(d);
    OneDouble decoded = round_trip(OneDouble{d});
    CHECK(std::memcmp(&decoded.value, &d, sizeof d) == 0);
  }
}

TEST_CASE("long strings and byte vectors round-trip (multi-byte length prefix)", "[codec]") {
  OneString s{std::string(100000, 'z')};
  s.value[12345] = '\0';
  CHECK(round_trip(s).value == s.value);

  OneBytes b;
  for (int i = 0; i < 70000; ++i) b.value.push_back(static_cast<std::uint8_t>(i));
  CHECK(round_trip(b).value == b.value);

  VectorOfPoints points;
  for (int i = 0; i < 1000; ++i) points.value.push_back({i, -i});
  CHECK(round_trip(points).value == points.value);
}

// ------------------------------------------------------------------------------------------------
// wire format

TEST_CASE("the wire format is little-endian, fixed width, varint-prefixed", "[codec]") {
  // clang-format off
  alys::Bytes expected = bytes({
      0x02, 0x01,                    // u16
      0xfe, 0xff, 0xff, 0xff,        // i32 -2
      0x01,                          // bool
      0x02, 'h', 'i',                // string
      0xaa, 0xbb,                    // std::array: no prefix
      0x01, 0x09,                    // Bytes
      0x01, 0x04, 0x03,              // vector<u16>
      0x08, 1, 0, 0, 0, 2, 0, 0, 0,  // nested schema, length-prefixed
      0, 0, 0, 0, 0, 0, 0xf0, 0x3f,  // double 1.0
      0x02,                          // enum as its underlying u8
  });
  // clang-format on
  CHECK(alys::encode(WireSample{}) == expected);
}

TEST_CASE("length prefixes are LEB128 varints", "[codec]") {
  CHECK(alys::encode(OneString{std::string(127, 'a')})[0] == 0x7f);
  alys::Bytes two = alys::encode(OneString{std::string(128, 'a')});
  CHECK(two[0] == 0x80);
  CHECK(two[1] == 0x01);
  alys::Bytes three = alys::encode(OneString{std::string(300, 'a')});
  CHECK(three[0] == 0xac);
  CHECK(three[1] == 0x02);
  CHECK(three.size() == 302);
}

TEST_CASE("Writer and Reader varints round-trip the whole u64 range", "[codec]") {
  const std::vector<std::uint64_t> values = {0,
                                             1,
                                             127,
                                             128,
                                             16383,
                                             16384,
                                             0xffffffffull,
                                             1ull << 63,
                                             std::numeric_limits<std::uint64_t>::max()};
  alys::Bytes out;
  alys::Writer writer(out);  // appends to an external buffer
  for (std::uint64_t v : values) writer.varint(v);
  CHECK(&writer.bytes() == &out);
  alys::Reader reader(out);
  for (std::uint64_t v : values) CHECK(reader.varint() == v);
  CHECK(reader.remaining() == 0);

  alys::Writer max;
  max.varint(std::numeric_limits<std::uint64_t>::max());
  CHECK(max.bytes() == bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}));
}

// ------------------------------------------------------------------------------------------------
// evolution

TEST_CASE("a newer message read by an older schema ignores the appended fields", "[codec]") {
  RecordV2 v2{42, "forty-two", 0xfeedfacecafebeefull};
  RecordV1 v1 = alys::decode<RecordV1>(alys::encode(v2));
  CHECK(v1.a == 42);
  CHECK(v1.b == "forty-two");
}

TEST_CASE("an older message read by a newer schema keeps the appended fields' defaults",
          "[codec]") {
  RecordV1 v1{7, "seven"};
  RecordV2 v2 = alys::decode<RecordV2>(alys::encode(v1));
  CHECK(v2.a == 7);
  CHECK(v2.b == "seven");
  CHECK(v2.c == 77);
}

TEST_CASE("an empty message decodes to all defaults", "[codec]") {
  RecordV2 v2 = alys::decode<RecordV2>(alys::Bytes{});
  CHECK(v2.a == 0);
  CHECK(v2.b.empty());
  CHECK(v2.c == 77);
  CHECK(alys::decode<Everything>(alys::Bytes{}) == Everything{});
}

TEST_CASE("a nested schema that grew: newer bytes read by the older schema", "[codec]") {
  OuterV2 v2;
  v2.inner = {0x1234, "label", {1, 2, 3}};
  v2.many = {{1, "one", {}}, {2, "", {9}}};
  v2.after = 0xa5a5a5a5;
  v2.flag = false;

  OuterV1 v1 = alys::decode<OuterV1>(alys::encode(v2));
  CHECK(v1.inner.x == 0x1234);
  REQUIRE(v1.many.size() == 2);
  CHECK(v1.many[0].x == 1);
  CHECK(v1.many[1].x == 2);
  // The field after the nested schema is read from the right place: the nested length prefix
  // let the old reader skip the inner fields it does not know.
  CHECK(v1.after == 0xa5a5a5a5);
}

TEST_CASE("a nested schema that grew: older bytes read by the newer schema", "[codec]") {
  OuterV1 v1;
  v1.inner = {0x4321};
  v1.many = {{5}, {6}, {7}};
  v1.after = 99;

  OuterV2 v2 = alys::decode<OuterV2>(alys::encode(v1));
  CHECK(v2.inner.x == 0x4321);
  CHECK(v2.inner.label == "unset");
  CHECK(v2.inner.ids.empty());
  REQUIRE(v2.many.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) {
    CAPTURE(i);
    CHECK(v2.many[i].x == 5 + i);
    CHECK(v2.many[i].label == "unset");
  }
  CHECK(v2.after == 99);
  CHECK(v2.flag == true);  // appended at the top level: default
}

TEST_CASE("trailing bytes after the last known field are ignored", "[codec]") {
  alys::Bytes encoded = alys::encode(Point{3, 4});
  for (int extra : {0x00, 0xff, 0x80}) encoded.push_back(static_cast<std::uint8_t>(extra));
  CHECK(alys::decode<Point>(encoded) == Point{3, 4});
}

// ------------------------------------------------------------------------------------------------
// malformed input

TEST_CASE("bytes that end inside a field are a DecodeError", "[codec][malformed]") {
  CHECK_THROWS_AS(alys::decode<OneU32>(bytes({1})), alys::DecodeError);
  CHECK_THROWS_AS(alys::decode<OneU32>(bytes({1, 2, 3})), alys::DecodeError);
  CHECK_THROWS_AS(alys::decode<OneDouble>(bytes({0, 0, 0, 0, 0, 0, 0xf0})), alys::DecodeError);
  CHECK_THROWS_AS(alys::decode<OneArray>(bytes({1, 2, 3, 4, 5, 6, 7})), alys::DecodeError);
  CHECK_THROWS_AS(alys::decode<Point>(bytes({1, 0, 0, 0, 2})), alys::DecodeError);

  // Every strict prefix of a full message that cuts a field is refused; prefixes at field
  // boundaries decode (appended-field rule). Point's boundaries are 0, 4 and 8.
  alys::Bytes full = alys::encode(Point{-1, -2});
  for (std::size_t cut = 0; cut < full.size(); ++cut) {
    CAPTURE(cut);
    alys::ByteView prefix(full.data(), cut);
    if (cut == 0 || cut == 4) {
      CHECK_NOTHROW(alys::decode<Point>(prefix));
    } else {
      CHECK_THROWS_AS(alys::decode<Point>(prefix), alys::DecodeError);
    }
  }
}

TEST_CASE("a field cut inside a nested schema is a DecodeError", "[codec][malformed]") {
  // Length prefix 5: inside, x is whole but y has only one byte.
  CHECK_THROWS_AS(alys::decode<OneNested>(bytes({5, 1, 0, 0, 0, 2})), alys::DecodeError);
  // A vector element cut short.
  CHECK_THROWS_AS(alys::decode<OneVector>(bytes({2, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0})),
                  alys::DecodeError);
}

TEST_CASE("a length prefix exceeding the message is a DecodeError", "[codec][malformed]") {
  CHECK_THROWS_AS(alys::decode<OneString>(bytes({5, 'a', 'b', 'c'})), alys::DecodeError);
  CHECK_THROWS_AS(alys::decode<OneBytes>(bytes({2, 1})), alys::DecodeError);
  CHECK_THROWS_AS(alys::decode<OneNested>(bytes({9, 1, 0, 0, 0, 2, 0, 0, 0})), alys::DecodeError);
  // A huge prefix must not allocate or wrap around.
  CHECK_THROWS_AS(
      alys::decode<OneString>(bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})),
      alys::DecodeError);
  CHECK_THROWS_AS(alys::decode<OneBytes>(bytes({0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2})),
                  alys::DecodeError);
}

TEST_CASE("a bool byte other than 0 or 1 is a DecodeError", "[codec][malformed]") {
  CHECK_FALSE(alys::decode<OneBool>(bytes({0})).value);
  CHECK(alys::decode<OneBool>(bytes({1})).value);
  for (int b : {2, 0x7f, 0x80, 0xff}) {
    CAPTURE(b);
    CHECK_THROWS_AS(alys::decode<OneBool>(bytes({b})), alys::DecodeError);
  }
}

TEST_CASE("a vector count larger than the message can hold is a DecodeError",
          "[codec][malformed]") {
  CHECK_THROWS_AS(alys::decode<OneVector>(bytes({3, 1, 2})), alys::DecodeError);
  CHECK_THROWS_AS(alys::decode<VectorOfPoints>(bytes({4, 0, 0, 0})), alys::DecodeError);
  // A count no memory could hold is refused before anything is allocated.
  CHECK_THROWS_AS(
      alys::decode<OneVector>(bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f})),
      alys::DecodeError);
}

TEST_CASE("a truncated varint is a DecodeError", "[codec][malformed]") {
  CHECK_THROWS_AS(alys::decode<OneString>(bytes({0x80})), alys::DecodeError);
  CHECK_THROWS_AS(alys::decode<OneVector>(bytes({0xff, 0xff})), alys::DecodeError);
}

TEST_CASE("an overlong varint is a DecodeError", "[codec][malformed]") {
  // Eleven bytes, all with the continuation bit: longer than any u64 needs.
  alys::Bytes eleven(11, 0x80);
  eleven.push_back(0x00);
  CHECK_THROWS_AS(alys::decode<OneString>(eleven), alys::DecodeError);
  alys::Reader reader(eleven);
  CHECK_THROWS_AS(reader.varint(), alys::DecodeError);

  // Ten bytes whose tenth still has the continuation bit.
  alys::Bytes ten(9, 0xff);
  ten.push_back(0x81);
  ten.push_back(0x00);
  CHECK_THROWS_AS(alys::decode<OneBytes>(ten), alys::DecodeError);
}

TEST_CASE("a ten-byte varint carrying bits beyond 64 is a DecodeError", "[codec][malformed]") {
  // The tenth byte of a u64 varint holds bit 63 only: anything above 1 encodes a value of more
  // than 64 bits. Read as 5 | (2 << 63), it must not silently wrap to the length 5.
  alys::Bytes wraps = bytes({0x85, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02});
  for (char c : std::string("hello")) wraps.push_back(static_cast<std::uint8_t>(c));
  CHECK_THROWS_AS(alys::decode<OneString>(wraps), alys::DecodeError);

  alys::Bytes too_wide = bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f});
  alys::Reader reader(too_wide);  // a Reader views its bytes: keep them alive
  CHECK_THROWS_AS(reader.varint(), alys::DecodeError);
}

TEST_CASE("DecodeError is a std::runtime_error with a message", "[codec][malformed]") {
  try {
    alys::decode<OneBool>(bytes({2}));
    FAIL("no exception");
  } catch (const std::runtime_error& error) {
    CHECK(std::string(error.what()).size() > 0);
  }
}
