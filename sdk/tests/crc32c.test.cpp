#include "alys/crc32c.hpp"

#include <catch2/catch.hpp>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

using alys::Bytes;
using alys::ByteView;
using alys::crc32c;

namespace {

Bytes bytes_of(const std::string& text) { return Bytes(text.begin(), text.end()); }

Bytes random_bytes(std::mt19937_64& random, std::size_t size) {
  Bytes bytes(size);
  for (std::uint8_t& byte : bytes) byte = static_cast<std::uint8_t>(random());
  return bytes;
}

std::uint32_t portable(ByteView data, std::uint32_t crc = 0) {
  return ~alys::crc32c_detail::extend_portable(~crc, data.data(), data.size());
}

// The lengths that reach every part of both paths: the byte tail, whole words, the short and the
// long three-stream runs, and their edges.
std::vector<std::size_t> lengths_to_try(std::mt19937_64& random) {
  std::vector<std::size_t> lengths;
  for (std::size_t n = 0; n <= 64; ++n) lengths.push_back(n);
  for (std::size_t edge : {767u, 768u, 769u, 24575u, 24576u, 24577u, 25344u, 25345u, 49152u})
    lengths.push_back(edge);
  for (int i = 0; i < 40; ++i) lengths.push_back(static_cast<std::size_t>(random() % 80'000));
  return lengths;
}

}  // namespace

TEST_CASE("crc32c gives the published check values (RFC 3720 B.4, the CRC catalogue)") {
  CHECK(crc32c(Bytes(32, 0x00)) == 0x8A9136AAu);
  CHECK(crc32c(Bytes(32, 0xFF)) == 0x62A8AB43u);
  Bytes incrementing(32);
  Bytes decrementing(32);
  for (std::size_t i = 0; i < 32; ++i) {
    incrementing[i] = static_cast<std::uint8_t>(i);
    decrementing[i] = static_cast<std::uint8_t>(31 - i);
  }
  CHECK(crc32c(incrementing) == 0x46DD794Eu);
  CHECK(crc32c(decrementing) == 0x113FDB5Cu);
  CHECK(crc32c(bytes_of("123456789")) == 0xE3069283u);
  CHECK(crc32c(Bytes{}) == 0u);
}

TEST_CASE("the table fallback gives the published check values") {
  CHECK(portable(Bytes(32, 0x00)) == 0x8A9136AAu);
  CHECK(portable(Bytes(32, 0xFF)) == 0x62A8AB43u);
  CHECK(portable(bytes_of("123456789")) == 0xE3069283u);
}

#if defined(__x86_64__)
TEST_CASE("the crc32 instruction and the table fallback agree at every length and alignment") {
  if (!alys::crc32c_detail::hardware_available()) {
    WARN("this CPU has no SSE4.2: only the table fallback was tested");
    return;
  }
  std::mt19937_64 random(20240611);
  const Bytes buffer = random_bytes(random, 80'000 + 16);
  for (std::size_t length : lengths_to_try(random)) {
    for (std::size_t alignment = 0; alignment < 8; ++alignment) {
      const std::uint8_t* data = buffer.data() + alignment;
      const auto seed = static_cast<std::uint32_t>(random());
      INFO("length " << length << ", alignment " << alignment << ", register " << seed);
      CHECK(alys::crc32c_detail::extend_hardware(seed, data, length) ==
            alys::crc32c_detail::extend_portable(seed, data, length));
    }
  }
}
#endif

TEST_CASE("chained calls give the CRC of the concatenation") {
  std::mt19937_64 random(7);
  const Bytes whole = random_bytes(random, 60'000);
  const std::uint32_t expected = crc32c(whole);
  CHECK(expected == portable(whole));
  for (std::size_t split :
       {std::size_t{0}, std::size_t{1}, std::size_t{7}, std::size_t{8}, std::size_t{769},
        std::size_t{24'577}, std::size_t{59'999}, std::size_t{60'000}}) {
    INFO("split at " << split);
    const ByteView view(whole);
    CHECK(crc32c(view.subspan(split), crc32c(view.first(split))) == expected);
    CHECK(portable(view.subspan(split), portable(view.first(split))) == expected);
  }
  std::uint32_t by_pieces = 0;
  for (std::size_t at = 0; at < whole.size(); at += 1'000)
    by_pieces = crc32c(ByteView(whole).subspan(at, std::min<std::size_t>(1'000, whole.size() - at)),
                       by_pieces);
  CHECK(by_pieces == expected);
}

TEST_CASE("a flipped bit changes the CRC") {
  std::mt19937_64 random(11);
  Bytes bytes = random_bytes(random, 30'000);
  const std::uint32_t before = crc32c(bytes);
  for (std::size_t at : {std::size_t{0}, std::size_t{12'345}, std::size_t{29'999}}) {
    bytes[at] ^= 0x10;
    CHECK(crc32c(bytes) != before);
    bytes[at] ^= 0x10;
  }
  CHECK(crc32c(bytes) == before);
}
