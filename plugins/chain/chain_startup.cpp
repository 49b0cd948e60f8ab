// The chain's start-up, its first job: read the config and key, then either resume from the head
// storage holds (after checking the engine stands on the same head) or, on an empty database,
// build and commit genesis. Production and import start once it is done (start_running).
#include <filesystem>

#include "alys/key_file.hpp"
#include "chain_actor.hpp"

namespace alys::chain {

void ChainActor::on_start() {
  config_ = parse_chain_config(context().config_json());
  if (!config_.node.key_file.empty()) {
    std::filesystem::path file = config_.node.key_file;
    if (file.is_relative()) {
      auto config_dir = context().config_string("host.config_dir");
      if (!config_dir)
        throw Error(ALYS_ERR_INVALID, "chain.key_file is relative (" + file.string() +
                                          ") and the host gives no config directory");
      file = std::filesystem::path(*config_dir) / file;
    }
    key_ = load_key_file(file);
    my_index_ = config_.spec.member_index(key_->xonly_public_key());
    if (!my_index_)
      throw Error(ALYS_ERR_INVALID, "the key in " + file.string() + " (public key " +
                                        to_hex(key_->xonly_public_key()) +
                                        ") is not one of chain.members");
  }
  storage_ = context().resolve("storage");
  engine_ = context().resolve("engine");
  if (config_.spec.pow) mining_.emplace(*config_.spec.pow);
  if (mining_ && config_.spec.federation_fee_recipient == kFeeBurnAddress)
    context().log(LogLevel::warn,
                  "chain.federation_fee_recipient is not set: the federation's 20% of the fees "
                  "stays burned at " +
                      to_0x_hex(kFeeBurnAddress) +
                      " (docs/mining.md, \"Fees\"); every member must set the same address");
  context().log(LogLevel::info,
                "chain " + std::to_string(config_.spec.chain_id) + ": " +
                    std::to_string(config_.spec.members.size()) + " member(s), threshold " +
                    std::to_string(config_.spec.threshold) + ", slot " +
                    std::to_string(config_.spec.slot_ms) + " ms, " +
                    (my_index_ ? "this node is member " + std::to_string(*my_index_)
                               : std::string("this node is an observer (no key_file)")));
  if (restored_) {
    ChainState state = std::move(*restored_);
    restored_.reset();
    return resume_from(std::move(state));
  }
  busy_ = true;  // the start-up is the first job
  load_head();
}

void ChainActor::load_head() {
  ask(storage_, storage::GetHead{}, config_.node.storage_timeout_ms)
      .then(
          [this](const storage::Head& head) {
            if (!head.error.empty()) fatal("storage cannot read the head: " + head.error);
            if (!head.has_head) return check_engine(std::nullopt);
            finalized_ = head.has_finalized ? std::optional<std::pair<std::uint64_t, Hash32>>(
                                                  {head.finalized_height, head.finalized_hash})
                                            : std::nullopt;
            ask(storage_, storage::GetBlockByHash{head.hash}, config_.node.storage_timeout_ms)
                .then(
                    [this, head](const storage::BlockFound& found) {
                      if (!found.error.empty() || !found.found)
                        fatal("storage names head " + to_hex(head.hash) +
                              " but cannot read it: " + found.error);
                      SignedBlock block;
                      try {
                        block = decode<SignedBlock>(found.block.block);
                      } catch (const DecodeError& error) {
                        // The one format change so far: alys.domain.SignedBlock/2 appended the
                        // Engine API fields to the payload (docs/chain.md, "Block format").
                        fatal("the stored head block " + to_hex(head.hash) +
                              " is not a block of this version's format (" +
                              std::string(SignedBlock::schema_name) + "): " + error.what() +
                              ". The data directory was written by an older alysd whose blocks "
                              "this one cannot read; start on an empty data directory");
                      }
                      check_engine(std::make_pair(head.hash, block.block));
                    },
                    fatal_unless_answered("storage did not give the head block"));
          },
          fatal_unless_answered("storage did not answer GetHead"));
}

void ChainActor::check_engine(std::optional<std::pair<Hash32, Block>> stored_head, bool realigned) {
  ask(engine_, engine::GetInfo{}, config_.node.engine_timeout_ms)
      .then(
          [this, stored_head, realigned](const engine::Info& info) {
            if (!info.error.empty()) fatal("engine: " + info.error);
            if (info.chain_id != config_.spec.chain_id)
              fatal("chain.chain_id is " + std::to_string(config_.spec.chain_id) +
                    " but the engine's chain_id is " + std::to_string(info.chain_id));
            if (!stored_head) {
              if (info.has_head)
                fatal("the engine has state but storage holds no chain: they belong together");
              return build_genesis();
            }
            const Block& block = stored_head->second;
            if (!info.has_head || info.head_payload_hash != block.payload.block_hash) {
              // A chain restarted alone after its commit landed but before CommitPayload reached
              // the engine: an unknown CommitPayload makes the engine reload from storage, and the
              // engine answers GetInfo only once it has.
              if (!realigned) {
                context().log(LogLevel::warn, "the engine is not at the stored head " +
                                                  short_hex(block.payload.block_hash) +
                                                  ": asking it to reload from storage");
                if (!context()
                         .send(engine_, engine::CommitPayload{block.payload.block_hash},
                               Priority::consensus)
                         .ok())
                  fatal("the engine's mailbox refused CommitPayload");
                return check_engine(stored_head, true);
              }
              fatal("the engine's head payload (" + short_hex(info.head_payload_hash) +
                    ") is not the chain head's (" + short_hex(block.payload.block_hash) + ")");
            }
            set_head(stored_head->first, block);
            load_chain_state([this, height = block.height, hash = stored_head->first] {
              context().log(LogLevel::info, "resumed at height " + std::to_string(height) + " " +
                                                short_hex(hash) + ", finalized " +
                                                std::to_string(finalized_height()));
              start_running();
            });
          },
          fatal_unless_answered("engine did not answer GetInfo"));
}

void ChainActor::build_genesis() {
  const ChainSpec& spec = config_.spec;
  ask(engine_, engine::BuildGenesis{spec.genesis_timestamp_ms, spec.genesis_alloc},
      config_.node.engine_timeout_ms)
      .then(
          [this](const engine::PayloadBuilt& built) {
            if (!built.error.empty())
              fatal("engine cannot build the genesis payload: " + built.error);
            SignedBlock genesis;
            genesis.block.height = 0;
            genesis.block.slot = config_.spec.slot_at(config_.spec.genesis_timestamp_ms);
            genesis.block.timestamp_ms = config_.spec.genesis_timestamp_ms;
            genesis.block.payload = built.payload;
            const Hash32 hash = block_hash(genesis.block);
            const engine::ExecutePayload execute_request{genesis.block.payload,
                                                         config_.spec.genesis_alloc, true};
            if (mining_)
              mining_->set_state(
                  PowState{config_.spec.pow->initial_bits, 0, config_.spec.genesis_timestamp_ms});
            execute(
                execute_request,
                [this, genesis, hash](const engine::PayloadExecuted& executed) {
                  commit(genesis, hash, executed, chain_state_puts(std::nullopt, 0),
                         [this, hash](const Block& block) {
                           context().log(LogLevel::info, "genesis " + to_hex(hash));
                           anchor_hash_ = hash;
                           genesis_hash_ = hash;
                           // An empty store: nothing minted or queued yet, no fees.
                           load_pegins({});
                           set_head(hash, block);
                           load_fees({});
                           start_running();
                         });
                },
                [](const Rejection& rejection) {
                  fatal("the engine refused the genesis payload: " + rejection.code + ": " +
                        rejection.message);
                });
          },
          fatal_unless_answered("engine did not answer BuildGenesis"));
}

void ChainActor::load_chain_state(std::function<void()> then) {
  ask(storage_, storage::GetChainState{}, config_.node.storage_timeout_ms)
      .then(
          [this, then](const storage::ChainState& state) {
            if (!state.error.empty()) fatal("storage cannot read the chain state: " + state.error);
            load_pegins(state.entries);
            load_fees(state.entries);
            for (const storage::KeyValue& entry : state.entries) {
              const std::string_view key = key_text(entry.key);
              if (key == kApprovedKey) {
                ApprovedAt approved = decode<ApprovedAt>(entry.value);
                last_approved_height_ = approved.height;
                last_approved_hash_ = approved.hash;
                last_approved_round_ = approved.round;
                // The round this member approved in is where it stands at that height.
                if (approved.height == head_.height + 1) round_ = approved.round;
              } else if (key == kPowKey && mining_) {
                mining_->set_state(decode<PowState>(entry.value));
              }
            }
            if (!mining_) return then();
            if (mining_->state().bits == 0)  // a chain that ran without [chain.auxpow] before
              mining_->set_state(
                  PowState{config_.spec.pow->initial_bits, 0, config_.spec.genesis_timestamp_ms});
            if (finalized_)
              (void)context().send(engine_, engine::SetFinalized{finalized_->first},
                                   Priority::high);
            load_unfinalized(finalized_height(), {}, then);
          },
          fatal_unless_answered("storage did not answer GetChainState"));
}

void ChainActor::load_unfinalized(std::uint64_t from, std::vector<Hash32> hashes,
                                  std::function<void()> then) {
  // hashes[0] is the finalized block (or genesis): the anchor the next work builds on.
  if (from > head_.height) {
    anchor_hash_ = hashes.front();
    hashes.erase(hashes.begin());
    mining_->set_unfinalized(finalized_height() + 1, std::move(hashes));
    return then();
  }
  ask(storage_, storage::GetBlockRange{from, 512, 8 << 20}, config_.node.storage_timeout_ms)
      .then(
          [this, from, hashes, then](const storage::BlockRange& range) mutable {
            if (!range.error.empty() || range.blocks.empty())
              fatal("storage cannot read blocks from " + std::to_string(from) + ": " + range.error);
            for (const storage::StoredBlock& block : range.blocks) hashes.push_back(block.hash);
            load_unfinalized(from + range.blocks.size(), std::move(hashes), then);
          },
          fatal_unless_answered("storage did not answer GetBlockRange"));
}

void ChainActor::start_running() {
  running_ = true;
  learn_genesis_hash();
  advance_rounds();
  arm_slot_timer();
  finish_job();
}

}  // namespace alys::chain

namespace alys::chain {

void ChainActor::learn_genesis_hash() {
  if (genesis_hash_) return;
  ask(storage_, storage::GetBlockByHeight{0}, config_.node.storage_timeout_ms)
      .then(
          [this](const storage::BlockFound& found) {
            if (!found.error.empty() || !found.found)
              fatal("storage holds a chain but not its genesis block: " + found.error);
            genesis_hash_ = found.block.hash;
          },
          fatal_unless_answered("storage did not give the genesis block"));
}

}  // namespace alys::chain
