// The seen cache's names for gossip messages: SHA-256 over a kind byte and what makes a message
// the same message whoever relays it, so that every copy has one digest and two kinds of message
// never share one. README.md ("Seen cache") says what each identity covers and why.
#pragma once

#include "alys/domain/hash.hpp"
#include "alys/schemas/chain.hpp"

namespace alys::network {

// (block hash, member, round, stated height): not the signature, whose nonce differs per signing.
Hash32 approval_digest(const chain::ApproveBlock& approval);
// The block hash: copies with other approvals are the same proposal.
Hash32 proposal_digest(const Hash32& block_hash);
// The offer's encoding.
Hash32 auxpow_digest(const chain::OfferAuxPow& offer);
// The transaction hash (keccak256 of its raw bytes, as engine.transaction_pooled names it).
Hash32 transaction_digest(const Hash32& transaction_hash);

}  // namespace alys::network
