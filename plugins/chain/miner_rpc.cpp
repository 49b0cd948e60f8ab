// The miner RPC, Namecoin's createauxblock / submitauxblock: work for merged miners, and the
// AuxPoWs they find, which finalize blocks in the next block this node produces.
#include "alys/json_rpc.hpp"
#include "chain_actor.hpp"

namespace alys::chain {
namespace {

// Its own code, as Bitcoin Core answers a disabled method: a miner tells it from "nothing to
// finalize" (-1) without reading the message.
constexpr const char* kNoMergedMining =
    "merged mining is not configured on this chain ([chain.auxpow])";

}  // namespace

std::string ChainActor::create_aux_block(std::string_view params_json) {
  if (!mining_) throw RpcError(json_rpc::kMethodNotFound, kNoMergedMining);
  if (!running_) throw RpcError(bitcoin_rpc::kInInitialDownload, "the chain is starting");
  EthAddress recipient = config_.node.fee_recipient;
  if (auto address = string_param(params_json, 0)) {
    auto parsed = fixed_from_hex<20>(*address);
    if (!parsed)
      throw RpcError(bitcoin_rpc::kInvalidAddressOrKey,
                     "address must be a 20-byte hex address (\"0x\" + 40 hex digits)");
    recipient = *parsed;
  }
  auto created = mining_->create_work(recipient);
  if (auto* error = std::get_if<MiningError>(&created)) throw RpcError(error->code, error->message);
  const Work& work = std::get<Work>(created);
  return render_aux_block(AuxBlockView{work.aux_hash, config_.spec.pow->chain_id, anchor_hash_,
                                       work.bits, head_.height + 1, miner_share_now()});
}

std::string ChainActor::submit_aux_block(std::string_view params_json) {
  if (!mining_) throw RpcError(json_rpc::kMethodNotFound, kNoMergedMining);
  auto hash = string_param(params_json, 0);
  auto auxpow = string_param(params_json, 1);
  if (!hash || !auxpow)
    throw RpcError(json_rpc::kInvalidParams, "expected params [hash, auxpow hex]");
  if (auto error = mining_->submit(*hash, *auxpow)) {
    context().counter_add("chain_auxpow_rejected_total");
    context().log(LogLevel::warn, "submitauxblock refused: " + error->message);
    throw RpcError(error->code, error->message);
  }
  context().counter_add("chain_auxpow_accepted_total");
  context().log(LogLevel::info, "AuxPoW accepted; it finalizes blocks from " +
                                    std::to_string(mining_->first_unfinalized_height()) +
                                    " in the next block this node produces");
  announce_queued_auxpow();
  return "true";
}

void ChainActor::offer_aux_pow(const OfferAuxPow& offer) {
  if (!mining_ || !running_) {
    context().counter_add("chain_auxpow_offers_refused_total");
    return;
  }
  if (auto reason = mining_->offer(offer.header, head_.height + 1)) {
    context().counter_add("chain_auxpow_offers_refused_total");
    context().log(LogLevel::debug, "AuxPoW offer not queued: " + *reason);
    return;
  }
  context().counter_add("chain_auxpow_offers_queued_total");
  context().log(LogLevel::info, "AuxPoW from a peer queued: it finalizes blocks " +
                                    std::to_string(offer.header.range_start) + ".." +
                                    std::to_string(offer.header.range_end));
  announce_queued_auxpow();
}

void ChainActor::announce_queued_auxpow() {
  if (const auto& queued = mining_->queued())
    (void)context().publish(kAuxPowQueuedTopic, OfferAuxPow{*queued});
}

}  // namespace alys::chain
