#include "alys/domain/keccak.hpp"

#include <catch2/catch.hpp>
#include <string_view>

using namespace alys;

namespace {

Bytes bytes_of(std::string_view text) { return Bytes(text.begin(), text.end()); }

// byte i = i mod 256: a message in which every position differs from its neighbours.
Bytes counting_bytes(std::size_t length) {
  Bytes out(length);
  for (std::size_t i = 0; i < length; ++i) out[i] = static_cast<std::uint8_t>(i);
  return out;
}

}  // namespace

TEST_CASE("Keccak-256 of the empty string and of \"abc\"", "[keccak]") {
  // Ethereum's well-known constants (the empty string's is every empty account's code hash).
  CHECK(to_hex(keccak256(Bytes{})) ==
        "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
  CHECK(to_hex(keccak256(bytes_of("abc"))) ==
        "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
}

// Expected values computed with ethers 6.17.0's keccak256 (node, npm package "ethers"), an
// independent implementation:
//   node -e 'const {keccak256}=require("ethers"); const b=new Uint8Array(N);
//            for (let i=0;i<N;i++) b[i]=i&0xff; console.log(keccak256(b))'
// 136 bytes is the rate: 135 leaves one byte for both padding bits (0x81), 136 needs a whole
// padding block, 137 spills one byte into the second block, 272 is exactly two blocks.
TEST_CASE("Keccak-256 around the 136-byte rate boundary (ethers keccak256)", "[keccak]") {
  CHECK(to_hex(keccak256(counting_bytes(135))) ==
        "cbdfd9dee5faad3818d6b06f95a219fd290b0e1706f6a82e5a595b9ce9faca62");
  CHECK(to_hex(keccak256(counting_bytes(136))) ==
        "7ce759f1ab7f9ce437719970c26b0a66ff11fe3e38e17df89cf5d29c7d7f807e");
  CHECK(to_hex(keccak256(counting_bytes(137))) ==
        "ac73d4fae68b8453f764007c1a20ce95994187861f0c3227a3a8e99a73a3b1db");
  CHECK(to_hex(keccak256(counting_bytes(272))) ==
        "fdf2ec49e749960d3c8521a0219af8d03e30e2b3bf19bd16150ee0eaf133d66e");
}

// Also from ethers 6.17.0's keccak256 (toUtf8Bytes of the text; new Uint8Array(1e6).fill(0x61)).
TEST_CASE("Keccak-256 of a sentence and of a million 'a' (ethers keccak256)", "[keccak]") {
  CHECK(to_hex(keccak256(bytes_of("The quick brown fox jumps over the lazy dog"))) ==
        "4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15");
  CHECK(to_hex(keccak256(Bytes(1'000'000, 'a'))) ==
        "fadae6b49f129bbb812be8407b7b2894f34aecf6dbd1f9b0f0c7e9853098fc96");
}
