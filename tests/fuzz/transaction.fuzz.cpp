// A transaction as a peer gossips it: the Ethereum decoder (RLP, EIP-155, EIP-1559, signature
// recovery).
#include "alys/domain/eth_transaction.hpp"
#include "alys/domain/keccak.hpp"
#include "fuzz_fixture.hpp"

using namespace alys;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ByteView raw(data, size);
  eth::SignedTransaction tx;
  try {
    tx = eth::decode_signed_transaction(raw);
  } catch (const eth::TransactionError&) {
    return 0;
  }
  ALYS_FUZZ_REQUIRE(tx.raw == Bytes(raw.begin(), raw.end()));
  ALYS_FUZZ_REQUIRE(tx.hash == keccak256(raw));
  // The sender is the key that signed the transaction's own signing hash.
  auto key = ecdsa_recover(eth::signing_hash(tx.tx), tx.signature);
  ALYS_FUZZ_REQUIRE(key && eth_address(*key) == tx.sender);
  return 0;
}
