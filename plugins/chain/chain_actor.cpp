// The chain actor's messages, its job queue and its status; the plugin's exports. See
// chain_actor.hpp for the whole and for where each concern lives.
#include "chain_actor.hpp"

#include <utility>

#include "alys/json_rpc.hpp"
#include "alys/plugin.hpp"
#include "alys_version.hpp"

namespace alys::chain {

std::string short_hex(const Hash32& hash) { return to_hex(hash).substr(0, 12); }

ChainActor::ChainActor(Context context) : Actor(context) {
  on<ImportBlock>([this](const ImportBlock& message, const Envelope& envelope) {
    Hash32 hash = block_hash(message.block.block);
    if (queued_.size() >= kMaxQueuedJobs) {
      this->context().counter_add("chain_imports_refused_busy_total");
      if (envelope.is_request())
        (void)this->context().reply(
            envelope.correlation_id,
            ImportResult{false, false, "busy", "too many blocks waiting; send it again later", hash,
                         message.block.block.height});
      return;
    }
    enqueue(ImportJob{message.block,
                      hash,
                      Answer{envelope.is_request() ? envelope.correlation_id : 0},
                      false,
                      {}});
  });
  on<HandedOver>([this](const HandedOver&, const Envelope&) {
    if (!confirming_head_) return;
    confirming_head_ = false;
    confirm_head();
  });
  on<ApproveBlock>([this](const ApproveBlock& message, const Envelope&) { approve(message); });
  on_request<GetStatus>([this](const GetStatus&, const Envelope&) { return chain_status(); });
  on_request<GetSpec>([this](const GetSpec&, const Envelope&) { return spec_info(); });
  on<OfferAuxPow>([this](const OfferAuxPow& message, const Envelope&) { offer_aux_pow(message); });
  on<SlotTick>([this](const SlotTick&, const Envelope& envelope) {
    // A tick of a previous instance's timer (left in the mailbox across a restart) is ignored:
    // this instance has its own.
    // So is the previous instance's after a hot swap: its ticks are this slot clock's too, and
    // produce() skips a slot that has passed or has its block.
    if (envelope.kind == ALYS_KIND_TIMER &&
        (envelope.topic_id == slot_timer_ ||
         (previous_slot_timer_ != 0 && envelope.topic_id == previous_slot_timer_)))
      on_slot();
  });

  rpc("chain_status", 0, [this](std::string_view) {
    if (!running_)
      throw RpcError(json_rpc::kOperationFailed,
                     "the chain is starting: reading its head from storage");
    return render_status(status());
  });
  // Changes what the chain mints: callers need the admin token.
  rpc_async("chain_queuePegIn", ALYS_RPC_MUTATING,
            [this](std::string_view params, RpcResponder responder) {
              queue_pegin(params, std::move(responder));
            });
  rpc("createauxblock", 0, [this](std::string_view params) { return create_aux_block(params); });
  rpc("submitauxblock", 0, [this](std::string_view params) { return submit_aux_block(params); });
  rpc_async("chain_getBlockByHeight", 0, [this](std::string_view params, RpcResponder responder) {
    answer_block_query(
        BlockQuery{responder.correlation_id(), false, parse_height_param(params), {}});
  });
  rpc_async("chain_getBlockByHash", 0, [this](std::string_view params, RpcResponder responder) {
    answer_block_query(BlockQuery{responder.correlation_id(), true, 0, parse_hash_param(params)});
  });
}

void ChainActor::fatal(const std::string& message) { throw Error(ALYS_ERR_FAILED, message); }

std::function<void(const Status&)> ChainActor::fatal_unless_answered(std::string what) {
  return [what = std::move(what)](const Status& error) { fatal(what + ": " + error.to_string()); };
}

void ChainActor::answer_block_query(BlockQuery query) {
  const std::uint64_t number = next_block_query_++;
  const RpcResponder responder(context(), query.rpc_correlation_id);
  block_queries_.emplace(number, query);
  auto on_found = [this, number, responder](const storage::BlockFound& found) {
    block_queries_.erase(number);
    if (!found.error.empty())
      return responder.fail(json_rpc::kOperationFailed, "storage: " + found.error);
    if (!found.found) return responder.answer("null");
    responder.answer(render_block(decode<SignedBlock>(found.block.block), found.block.hash));
  };
  auto on_error = [this, number, responder](const Status& error) {
    block_queries_.erase(number);
    responder.fail(json_rpc::kOperationFailed, "storage: " + error.to_string());
  };
  if (query.by_hash)
    ask(storage_, storage::GetBlockByHash{query.hash}, config_.node.storage_timeout_ms)
        .then(on_found, on_error);
  else
    ask(storage_, storage::GetBlockByHeight{query.height}, config_.node.storage_timeout_ms)
        .then(on_found, on_error);
}

// --- the job queue ------------------------------------------------------------------------------

void ChainActor::enqueue(Job job) {
  queued_.push_back(std::move(job));
  if (!busy_) next_job();
}

void ChainActor::next_job() {
  if (queued_.empty()) return;
  busy_ = true;
  Job job = std::move(queued_.front());
  queued_.pop_front();
  if (auto* produce_job = std::get_if<ProduceJob>(&job)) {
    producing_ = *produce_job;
    return produce(produce_job->slot);
  }
  run_import(std::move(std::get<ImportJob>(job)));
}

void ChainActor::finish_job() {
  busy_ = false;
  producing_.reset();
  importing_.reset();
  next_job();
}

// --- state and status ---------------------------------------------------------------------------

void ChainActor::set_head(const Hash32& hash, const Block& block) {
  head_.height = block.height;
  head_.hash = hash;
  head_.slot = block.slot;
  head_.payload_hash = block.payload.block_hash;
  head_.payload_timestamp_s = block.payload.timestamp_s;
  context().gauge_set("chain_head_height", static_cast<double>(block.height));
}

StatusView ChainActor::status() const {
  StatusView view;
  view.head_height = head_.height;
  view.head_hash = head_.hash;
  view.head_slot = head_.slot;
  if (finalized_) {
    view.has_finalized = true;
    view.finalized_height = finalized_->first;
    view.finalized_hash = finalized_->second;
  }
  view.current_slot = config_.spec.slot_ms ? config_.spec.slot_at(context().now_ms()) : 0;
  view.member_index = my_index_;
  view.producing = running_ && my_index_.has_value();
  view.pending_blocks = static_cast<std::uint32_t>(pending_.size());
  if (mining_)
    view.pow = StatusView::Pow{mining_->state().bits, mining_->state().auxpow_height,
                               head_.height - finalized_height(),
                               config_.spec.pow->max_blocks_without_pow, paused_};
  return view;
}

ChainSpecInfo ChainActor::spec_info() const {
  ChainSpecInfo info;
  info.ready = genesis_hash_.has_value();
  info.chain_id = config_.spec.chain_id;
  if (genesis_hash_) info.genesis_hash = *genesis_hash_;
  info.members = config_.spec.members;
  info.threshold = config_.spec.threshold;
  info.slot_ms = config_.spec.slot_ms;
  info.spec_digest = spec_digest(config_.spec);
  return info;
}

// While the start-up reads the head, the head and finalized fields are still the defaults (zero):
// `syncing` says not to take them for the chain's.
ChainStatus ChainActor::chain_status() const {
  ChainStatus answer;
  answer.syncing = !running_;
  if (!running_) return answer;
  answer.head_height = head_.height;
  answer.head_hash = head_.hash;
  if (finalized_) {
    answer.has_finalized = true;
    answer.finalized_height = finalized_->first;
    answer.finalized_hash = finalized_->second;
  }
  return answer;
}

}  // namespace alys::chain

ALYS_PLUGIN(alys::chain::ChainActor,
            (alys::PluginInfo{.role = "chain",
                              .name = "alys-chain",
                              .version = ALYS_NODE_VERSION ALYS_CHAIN_BUILD_SUFFIX,
                              .state_schema_version = alys::chain::kStateSchema,
                              .capabilities = ALYS_CAP_SWAPPABLE,
                              .requires_roles = {"storage", "engine"}}));
