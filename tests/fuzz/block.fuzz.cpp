// A block as a peer sends it (a proposal or an entry of Blocks): strict decoding and its hash.
#include "alys/domain/block.hpp"
#include "fuzz_fixture.hpp"

using namespace alys;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ByteView bytes(data, size);
  SignedBlock block;
  try {
    block = decode_strict<SignedBlock>(bytes);
  } catch (const DecodeError&) {
    return 0;
  }
  ALYS_FUZZ_REQUIRE(encode(block) == Bytes(bytes.begin(), bytes.end()));
  Hash32 hash = block_hash(block.block);
  ALYS_FUZZ_REQUIRE(hash == sha256(encode(block.block)));
  return 0;
}
