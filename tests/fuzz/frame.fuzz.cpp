// The path of a peer's bytes after the handshake: records (Opener, fixed key) and frames
// (decode_frame), then each block of a Blocks frame (decode_strict<SignedBlock>).
//
// Input: byte 0 picks the mode and the feeding split; the rest is either the raw record stream
// (odd mode bit clear) or one frame's plaintext that is sealed first (set), so that decode_frame
// sees frames the fuzzer shapes directly.
#include <vector>

#include "alys/domain/block.hpp"
#include "fuzz_fixture.hpp"
#include "wire/messages.hpp"
#include "wire/secure_channel.hpp"

using namespace alys;
using namespace alys::network::wire;

namespace {

void check_frame(ByteView frame) {
  DecodedFrame decoded = decode_frame(frame);
  if (!decoded.ok()) {
    ALYS_FUZZ_REQUIRE(!decoded.detail.empty());
    return;
  }
  // Strict decoding is canonical: the value re-encodes to the very bytes.
  auto again = encode_frame(*decoded.message);
  ALYS_FUZZ_REQUIRE(again && Bytes(frame.begin(), frame.end()) == *again);
  if (auto* blocks = std::get_if<Blocks>(&*decoded.message)) {
    for (const Bytes& raw : blocks->blocks) {
      try {
        SignedBlock block = decode_strict<SignedBlock>(raw);
        (void)block_hash(block.block);
      } catch (const DecodeError&) {
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t mode = data[0];
  ByteView rest(data + 1, size - 1);
  const std::size_t chunk = (mode >> 1) + 1u;
  Bytes stream;
  if (mode & 1) {
    Sealer sealer(fuzz::record_key());
    stream = sealer.seal(rest);
  } else {
    stream.assign(rest.begin(), rest.end());
  }
  Opener opener(fuzz::record_key());
  std::vector<Bytes> frames;
  ChannelFailure failure = ChannelFailure::none;
  for (std::size_t i = 0; i < stream.size() && failure == ChannelFailure::none; i += chunk)
    failure = opener.feed(ByteView(stream).subspan(i, std::min(chunk, stream.size() - i)), frames);
  if (mode & 1) {
    // A record this side sealed always opens, whole and unchanged.
    ALYS_FUZZ_REQUIRE(failure == ChannelFailure::none && frames.size() == 1);
    ALYS_FUZZ_REQUIRE(std::equal(frames[0].begin(), frames[0].end(), rest.begin(), rest.end()));
  }
  for (const Bytes& frame : frames) check_frame(frame);
  return 0;
}
