// Peg-ins: chain_queuePegIn, the injection point until the bridge role lands, and the set of
// peg-ins this chain has minted, kept in storage so that each is minted once across restarts.
#include <algorithm>

#include "alys/json_rpc.hpp"
#include "chain_actor.hpp"

namespace alys::chain {

namespace {

std::string pegin_name(const PegIn& pegin) {
  return to_hex(reversed(pegin.bitcoin_txid)) + ":" + std::to_string(pegin.vout);
}

}  // namespace

void ChainActor::queue_pegin(std::string_view params_json, RpcResponder responder) {
  const PegIn pegin = parse_pegin_params(params_json);
  if (!running_ || !pegins_loaded_)
    throw RpcError(json_rpc::kOperationFailed,
                   "the chain is starting: reading the minted peg-ins from storage");
  if (minted_pegins_.contains(pegin_id(pegin)))
    throw RpcError(json_rpc::kInvalidParams,
                   "peg-in " + pegin_name(pegin) + " is already minted on this chain");
  if (std::any_of(queued_pegins_.begin(), queued_pegins_.end(),
                  [&](const PegIn& queued) { return pegin_id(queued) == pegin_id(pegin); }))
    throw RpcError(json_rpc::kInvalidParams, "peg-in " + pegin_name(pegin) + " is already queued");
  // Queued at once, so that a second call for it is refused while storage writes this one; the
  // caller hears "queued" only once the entry is on disk.
  queued_pegins_.push_back(pegin);
  context().gauge_set("chain_pegins_queued", static_cast<double>(queued_pegins_.size()));
  const std::string key = pegin_key(kPegInQueuedPrefix, pegin);
  ask(storage_, storage::PutChainState{{{key_bytes(key), encode(pegin)}}},
      config_.node.storage_timeout_ms)
      .then(
          [this, pegin, responder](const storage::Committed& committed) {
            if (!committed.error.empty()) {
              std::erase_if(queued_pegins_, [&](const PegIn& queued) {
                return pegin_id(queued) == pegin_id(pegin);
              });
              return responder.fail(json_rpc::kOperationFailed,
                                    "storage did not queue the peg-in: " + committed.error);
            }
            context().counter_add("chain_pegins_queued_total");
            context().log(LogLevel::info, "queued peg-in " + pegin_name(pegin) + " of " +
                                              std::to_string(pegin.amount_sats) + " sats to " +
                                              to_0x_hex(pegin.to));
            responder.answer(render_pegin(pegin));
          },
          // Whether the entry landed is unknown: the next start (or a re-queue) tells.
          [responder](const Status& error) {
            responder.fail(json_rpc::kOperationFailed,
                           "storage did not confirm the queued peg-in: " + error.to_string());
          });
}

void ChainActor::load_pegins(const std::vector<storage::KeyValue>& entries) {
  minted_pegins_.clear();
  queued_pegins_.clear();
  std::vector<PegIn> queued;
  for (const storage::KeyValue& entry : entries) {
    const std::string_view key = key_text(entry.key);
    if (key.starts_with(kPegInMintedPrefix))
      minted_pegins_.insert(pegin_id(decode<PegIn>(entry.value)));
    else if (key.starts_with(kPegInQueuedPrefix) && !entry.value.empty())
      queued.push_back(decode<PegIn>(entry.value));
  }
  // A queue entry written after the block that minted it (the call raced the commit) stays on
  // disk; the minted record wins.
  for (const PegIn& pegin : queued)
    if (!minted_pegins_.contains(pegin_id(pegin))) queued_pegins_.push_back(pegin);
  pegins_loaded_ = true;
  context().gauge_set("chain_pegins_minted", static_cast<double>(minted_pegins_.size()));
  context().gauge_set("chain_pegins_queued", static_cast<double>(queued_pegins_.size()));
}

// The queue holds no minted peg-in (pegins_minted, load_pegins); skipped here all the same, since
// one would make every block of this member fail its own import.
std::vector<PegIn> ChainActor::pegins_for_block() const {
  std::vector<PegIn> pegins;
  for (const PegIn& pegin : queued_pegins_) {
    if (pegins.size() == kMaxPegInsPerBlock) break;
    if (!minted_pegins_.contains(pegin_id(pegin))) pegins.push_back(pegin);
  }
  return pegins;
}

void ChainActor::add_pegin_puts(const std::vector<PegIn>& pegins, CommitExtras& extras) const {
  for (const PegIn& pegin : pegins) {
    extras.chain_puts.push_back({key_bytes(pegin_key(kPegInMintedPrefix, pegin)), encode(pegin)});
    const bool queued_here =
        std::any_of(queued_pegins_.begin(), queued_pegins_.end(),
                    [&](const PegIn& queued) { return pegin_id(queued) == pegin_id(pegin); });
    if (queued_here)
      extras.chain_puts.push_back({key_bytes(pegin_key(kPegInQueuedPrefix, pegin)), Bytes{}});
  }
}

void ChainActor::pegins_minted(const Block& block) {
  if (block.pegins.empty()) return;
  std::uint64_t sats = 0;
  for (const PegIn& pegin : block.pegins) {
    minted_pegins_.insert(pegin_id(pegin));
    std::erase_if(queued_pegins_,
                  [&](const PegIn& queued) { return pegin_id(queued) == pegin_id(pegin); });
    sats += pegin.amount_sats;
  }
  context().counter_add("chain_pegins_minted_total", block.pegins.size());
  context().gauge_set("chain_pegins_minted", static_cast<double>(minted_pegins_.size()));
  context().gauge_set("chain_pegins_queued", static_cast<double>(queued_pegins_.size()));
  context().log(LogLevel::info, "block " + std::to_string(block.height) + " minted " +
                                    std::to_string(block.pegins.size()) + " peg-ins, " +
                                    std::to_string(sats) + " sats");
}

}  // namespace alys::chain
