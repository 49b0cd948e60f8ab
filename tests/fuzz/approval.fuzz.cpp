// An approval as a peer sends it: strict decoding, then the member's BIP340 signature over the
// approval message of its round.
#include "alys/domain/block.hpp"
#include "alys/schemas/chain.hpp"
#include "fuzz_fixture.hpp"

using namespace alys;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ByteView bytes(data, size);
  chain::ApproveBlock approval;
  try {
    approval = decode_strict<chain::ApproveBlock>(bytes);
  } catch (const DecodeError&) {
    return 0;
  }
  ALYS_FUZZ_REQUIRE(encode(approval) == Bytes(bytes.begin(), bytes.end()));
  // Members 1..3 of the fuzz chain; any other index is a non-member.
  if (approval.approval.member_index >= 3) return 0;
  XOnlyPublicKey member =
      fuzz::member_key(static_cast<std::uint8_t>(approval.approval.member_index + 1))
          .xonly_public_key();
  Hash32 message = approval_message(fuzz::kChainId, approval.block_hash, approval.round);
  (void)schnorr_verify(member, message, approval.approval.signature);
  return 0;
}
