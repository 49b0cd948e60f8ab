// Keccak-256 as Ethereum uses it (the original Keccak padding 0x01, not SHA3-256's 0x06).
#pragma once

#include "alys/codec.hpp"
#include "alys/domain/hash.hpp"

namespace alys {

Hash32 keccak256(ByteView data);

}  // namespace alys
