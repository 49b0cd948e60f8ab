// An AuxPoW as a peer gossips it: byte 0 even, the OfferAuxPow message (decode_strict) whose
// header carries the AuxPoW; odd, the AuxPoW bytes alone. Then Namecoin's parser and checks.
#include "alys/domain/auxpow.hpp"
#include "alys/schemas/chain.hpp"
#include "fuzz_fixture.hpp"

using namespace alys;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  ByteView rest(data + 1, size - 1);
  Bytes raw;
  std::uint32_t bits = 0x207fffff;
  std::uint32_t chain_id = 7;
  Hash32 aux_hash = fuzz::genesis_hash();
  if (data[0] % 2 == 0) {
    try {
      chain::OfferAuxPow offer = decode_strict<chain::OfferAuxPow>(rest);
      ALYS_FUZZ_REQUIRE(encode(offer) == Bytes(rest.begin(), rest.end()));
      raw = offer.header.auxpow;
      bits = offer.header.bits;
      chain_id = offer.header.chain_id;
    } catch (const DecodeError&) {
      return 0;
    }
  } else {
    raw.assign(rest.begin(), rest.end());
  }
  AuxPow auxpow;
  try {
    auxpow = AuxPow::parse(raw);
  } catch (const btc::ParseError&) {
    return 0;
  }
  ALYS_FUZZ_REQUIRE(auxpow.serialize() == raw);
  for (auto commitment : {AuxPowCommitment::coinbase_script, AuxPowCommitment::coinbase_output})
    (void)check_auxpow(auxpow, aux_hash, chain_id, true, commitment);
  (void)parent_meets_bits(auxpow, bits);
  return 0;
}
