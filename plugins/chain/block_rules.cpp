#include "block_rules.hpp"

#include <set>

namespace alys::chain {

namespace {

std::string short_hex(const Hash32& hash) { return to_hex(hash).substr(0, 16); }

Rejection reject(std::string code, std::string message) {
  return Rejection{std::move(code), std::move(message)};
}

}  // namespace

Rejection engine_unanswered(const std::string& detail) {
  return reject("engine_timeout", "the engine did not execute the payload: " + detail);
}

std::optional<Rejection> check_header(const ChainSpec& spec, const HeadView& head,
                                      const Block& block, const Hash32& block_hash,
                                      std::uint64_t now_ms) {
  if (block_hash == head.hash) return reject("already_imported", "the block is the head already");
  if (block.parent_hash == head.hash) {
    if (block.height != head.height + 1)
      return reject("wrong_height", "height " + std::to_string(block.height) +
                                        " on a parent at height " + std::to_string(head.height) +
                                        " (expected " + std::to_string(head.height + 1) + ")");
  } else if (block.height <= head.height) {
    // Fork choice: the first block at a height to collect `threshold` approvals stays (a majority
    // threshold means no second one can), so a competitor at an imported height is stale.
    return reject("stale_height", "height " + std::to_string(block.height) +
                                      " is already decided (head is at " +
                                      std::to_string(head.height) + ")");
  } else {
    return reject("wrong_parent", "parent " + short_hex(block.parent_hash) + " is not the head " +
                                      short_hex(head.hash) + " (blocks must arrive in order)");
  }
  if (block.slot <= head.slot)
    return reject("slot_not_after_parent", "slot " + std::to_string(block.slot) +
                                               " is not after the parent's slot " +
                                               std::to_string(head.slot));
  // Compared as slots: slot * slot_ms of a huge slot would wrap around to "now".
  if (block.slot > spec.slot_at(now_ms + spec.max_future_drift_ms))
    return reject("slot_in_future", "slot " + std::to_string(block.slot) +
                                        " starts after this node's clock plus the allowed drift (" +
                                        std::to_string(spec.max_future_drift_ms) + " ms)");
  const std::uint64_t slot_start = spec.slot_start_ms(block.slot);
  if (slot_start > now_ms + spec.max_future_drift_ms)
    return reject("slot_in_future", "slot " + std::to_string(block.slot) + " starts " +
                                        std::to_string(slot_start - now_ms) +
                                        " ms from now (allowed drift " +
                                        std::to_string(spec.max_future_drift_ms) + " ms)");
  if (block.timestamp_ms != slot_start)
    return reject("wrong_timestamp", "timestamp " + std::to_string(block.timestamp_ms) +
                                         " is not the start of slot " + std::to_string(block.slot) +
                                         " (" + std::to_string(slot_start) + ")");
  const std::uint32_t author = spec.author_of(block.slot);
  if (block.author_index != author)
    return reject("wrong_author", "slot " + std::to_string(block.slot) + " belongs to member " +
                                      std::to_string(author) + ", not " +
                                      std::to_string(block.author_index));
  const ExecutionPayload& payload = block.payload;
  if (payload.number != block.height)
    return reject("payload_mismatch", "payload number " + std::to_string(payload.number) +
                                          " is not the block height " +
                                          std::to_string(block.height));
  if (payload.parent_hash != head.payload_hash)
    return reject("payload_mismatch", "payload parent " + short_hex(payload.parent_hash) +
                                          " is not the head's payload " +
                                          short_hex(head.payload_hash));
  if (payload.timestamp_s != block.timestamp_ms / 1000)
    return reject("payload_mismatch", "payload timestamp " + std::to_string(payload.timestamp_s) +
                                          " s does not match the block's " +
                                          std::to_string(block.timestamp_ms) + " ms");
  // The fees are minted again when a block finalizes this one: a payload paying its tips anywhere
  // else would pay them twice.
  if (payload.fee_recipient != kFeeBurnAddress)
    return reject("wrong_fee_recipient",
                  "the payload pays its fees to " + to_0x_hex(payload.fee_recipient) +
                      ", not to the burn address " + to_0x_hex(kFeeBurnAddress));
  if (!block.pegout_proposal.empty() || !block.finalized_pegouts.empty())
    return reject("unsupported_content", "peg-outs are not accepted by this node yet");
  if (block.auxpow.size() > 1) return reject("bad_auxpow", "more than one AuxPoW header");
  if (!block.auxpow.empty() && !spec.pow)
    return reject("unsupported_content", "an AuxPoW header on a chain without [chain.auxpow]");
  return std::nullopt;
}

std::optional<Rejection> check_pegins(const std::vector<PegIn>& pegins,
                                      const std::set<PegInId>& minted) {
  if (pegins.size() > kMaxPegInsPerBlock)
    return reject("too_many_pegins", std::to_string(pegins.size()) + " peg-ins, at most " +
                                         std::to_string(kMaxPegInsPerBlock) + " per block");
  std::set<PegInId> seen;
  for (const PegIn& pegin : pegins) {
    const std::string name =
        to_hex(reversed(pegin.bitcoin_txid)) + ":" + std::to_string(pegin.vout);
    if (pegin.amount_sats == 0)
      return reject("pegin_zero_amount", "peg-in " + name + " mints nothing (0 sats)");
    if (!seen.insert(pegin_id(pegin)).second)
      return reject("pegin_duplicate", "peg-in " + name + " appears twice in the block");
    if (minted.contains(pegin_id(pegin)))
      return reject("pegin_already_minted", "peg-in " + name + " was minted by an earlier block");
  }
  return std::nullopt;
}

ApprovalTally check_approvals(const ChainSpec& spec, const Hash32& block_hash,
                              const std::vector<Approval>& approvals, std::uint32_t round) {
  ApprovalTally tally;
  const Hash32 message = approval_message(spec.chain_id, block_hash, round);
  std::set<std::uint32_t> seen;
  for (const Approval& approval : approvals) {
    if (approval.member_index >= spec.members.size()) {
      tally.rejection =
          reject("bad_approval", "approval from member " + std::to_string(approval.member_index) +
                                     ", but there are " + std::to_string(spec.members.size()) +
                                     " members");
      return tally;
    }
    if (!seen.insert(approval.member_index).second) {
      tally.rejection =
          reject("duplicate_approval",
                 "member " + std::to_string(approval.member_index) + " approved twice");
      return tally;
    }
    if (!schnorr_verify(spec.members[approval.member_index], message, approval.signature)) {
      tally.rejection =
          reject("bad_approval", "the approval of member " + std::to_string(approval.member_index) +
                                     " does not verify");
      return tally;
    }
    ++tally.valid;
  }
  return tally;
}

}  // namespace alys::chain
