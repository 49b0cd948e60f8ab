// Admission of a raw signed transaction into the mempool, in geth's order: the raw size first
// (before any decoding work); decode and recover the sender; a transaction already pooled is
// "already known"; the access list's size; then the transfer's shape against the chain's rules,
// the sender's nonce and funds in the head state, and the pool's own rules (per-sender limits,
// the sender's pooled transactions' cost together, replacement, capacity; mempool.hpp).
#pragma once

#include <stdexcept>

#include "alys/codec.hpp"
#include "alys/domain/hash.hpp"
#include "engine/embedded/ledger.hpp"
#include "engine/embedded/mempool.hpp"
#include "engine/embedded/transfer_rules.hpp"

namespace alys::engine::embedded {

// The reason a transaction was refused; what() is the message a wallet sees.
class TransactionRejected : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Returns the transaction's hash once it is in `pool`; throws TransactionRejected otherwise, and
// then `pool` is unchanged but for its tally (a refusal by a size limit or a pool rule is counted
// there, mempool.hpp). Decoding errors keep the decoder's message ("invalid signature ..."). The
// size limits are the pool's (Mempool::limits()).
Hash32 admit_transaction(ByteView raw, const ChainRules& rules, const AccountReader& head,
                         Mempool& pool);

}  // namespace alys::engine::embedded
