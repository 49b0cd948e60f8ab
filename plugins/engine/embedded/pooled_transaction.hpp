// A pooled transaction rebuilt from its raw bytes and the sender and hash recovered when it was
// admitted. The mempool keeps only what it orders and replaces by (hash, sender, nonce, fee caps,
// arrival) beside the raw bytes, which hold everything else: that keeps its hand-over image small
// on a hot swap. Reading the fields back must not verify the signature again (a secp256k1
// recovery costs some 50 us; eth::decode_signed_transaction always does it), so this parses the
// RLP itself, field for field as eth::decode_signed_transaction does; pooled_transaction.test.cpp
// holds the two to the same result.
#pragma once

#include "alys/codec.hpp"
#include "alys/domain/eth_transaction.hpp"

namespace alys::engine::embedded {

// REQUIRES `raw` was admitted (eth::decode_signed_transaction accepted it) with that sender and
// hash. Throws DecodeError when `raw` is not a legacy or type 2 transaction in canonical RLP
// (bytes damaged since), never reads outside `raw`.
eth::SignedTransaction rebuild_transaction(ByteView raw, const EthAddress& sender,
                                           const Hash32& hash);

}  // namespace alys::engine::embedded
