// What the chain's answer to an ImportBlock says about the peer that sent the block. The chain
// names the rule a rejected block broke (ImportResult::code, docs/chain.md); some rules prove the
// block itself bad (whoever relays it is wrong), others only say that this node is not where the
// block expects it to be (behind, busy, already past it). README.md lists the table.
#pragma once

#include <string_view>

#include "alys/schemas/chain.hpp"

namespace alys::network {

enum class ImportVerdict {
  accepted,  // imported, or valid and waiting for approvals (pending): worth relaying
  invalid,   // the block broke a rule of its own: the sender misbehaved (invalid_block)
  behind,    // the block does not follow our head: we are behind, sync
  benign,    // not the block's fault and not a sign we are behind (stale, busy, early, unknown)
};

ImportVerdict classify_import(const chain::ImportResult& result);

// True for the codes that prove a block bad whoever sent it.
bool proves_block_invalid(std::string_view code);

}  // namespace alys::network
