// Test support: the calldata of the bridge's requestPegOut(bytes) as a wallet's ABI encoder writes
// it (selector, offset 32, length, the bytes padded to a word), built here rather than by the
// engine's decoder under test.
#pragma once

#include <cstdint>
#include <string>

#include "alys/codec.hpp"
#include "alys/domain/keccak.hpp"

namespace alys::engine::testing {

inline Bytes request_peg_out_calldata(const std::string& bitcoin_address) {
  const std::string signature = "requestPegOut(bytes)";
  const Hash32 selector = keccak256(
      ByteView(reinterpret_cast<const std::uint8_t*>(signature.data()), signature.size()));
  Bytes call(selector.begin(), selector.begin() + 4);
  auto word = [&call](std::uint64_t value) {
    for (int i = 31; i >= 0; --i)
      call.push_back(i >= 8 ? 0 : static_cast<std::uint8_t>(value >> (8 * i)));
  };
  word(32);
  word(bitcoin_address.size());
  call.insert(call.end(), bitcoin_address.begin(), bitcoin_address.end());
  call.resize(4 + 64 + (bitcoin_address.size() + 31) / 32 * 32, 0);
  return call;
}

}  // namespace alys::engine::testing
