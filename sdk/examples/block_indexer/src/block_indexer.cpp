// example-block-indexer: keeps the most recent blocks the `chain` role announces and answers
// queries about them, by message (GetBlock, see indexer_schemas.hpp) and on the node's admin
// JSON-RPC API (indexer_status, indexer_get_block).
//
// Role settings (the `[indexer]` table of the node's config):
//   keep_blocks = 1000    how many of the most recent blocks to keep (>= 1)
//
// Metrics (alys_plugin_<name>{role="indexer"} on /metrics, counters with _total appended): counter
// `blocks_indexed`, gauges `highest_height` and `chain_head_at_start` (the chain's head when this
// instance started: on start, the indexer asks the chain where it stands, alys.chain.GetStatus/1).
//
// Swappable: the retained blocks and the transaction total go to the next version on a hot swap
// (state schema 2; reads 1 and 2, and writes 1 for a build that reads only that).
#include <algorithm>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "alys/json.hpp"
#include "alys/plugin.hpp"
#include "alys/schemas/chain.hpp"
#include "alys/schemas/chain_events.hpp"
#include "indexer_schemas.hpp"

// Set by the build (CMake cache variable BLOCK_INDEXER_VERSION); the fallback marks a build that
// did not go through it.
#ifndef BLOCK_INDEXER_VERSION
#define BLOCK_INDEXER_VERSION "0.0.0-unversioned"
#endif

namespace {

using alys::chain::BlockImported;
using alys::chain::ChainStatus;
using example::indexer::Block;
using example::indexer::GetBlock;
using example::indexer::Hash;
using example::indexer::StateV1;
using example::indexer::StateV2;
using example::indexer::StoredBlock;

constexpr std::int64_t kDefaultKeepBlocks = 1000;
constexpr std::uint64_t kLogEveryBlocks = 100;
constexpr std::uint64_t kChainStatusTimeoutMs = 5000;

// Ethereum-style: the chain is EVM-compatible, and its tools print hashes this way.
std::string to_hex(const Hash& hash) {
  constexpr std::string_view kDigits = "0123456789abcdef";
  std::string out = "0x";
  out.reserve(2 + 2 * hash.size());
  for (std::uint8_t byte : hash) {
    out += kDigits[byte >> 4];
    out += kDigits[byte & 0x0f];
  }
  return out;
}

// The usage of indexer_get_block, added to its params errors: the operator sees the message.
constexpr const char* kGetBlockUsage =
    R"( (indexer_get_block takes {"height": N}, N a non-negative integer))";

class BlockIndexer : public alys::Actor {
 public:
  explicit BlockIndexer(alys::Context context) : Actor(context) {
    on<BlockImported>([this](const BlockImported& block, const alys::Envelope&) { index(block); });
    // The returned Block is the reply. A GetBlock sent without a request is dead-lettered as
    // invalid and the indexer carries on: a misdirected message is the sender's bug.
    on_request<GetBlock>(
        [this](const GetBlock& request, const alys::Envelope&) { return find(request.height); });
  }

  void on_start() override {
    keep_blocks_ = read_keep_blocks();
    evict();  // a state handed over by a swap may hold more blocks than this config keeps
    if (!blocks_.empty()) context().gauge_set("highest_height", highest_height());

    // Subscriptions and admin methods belong to the role and survive restarts and swaps; doing
    // both on every start costs nothing and covers a fresh node and a swapped-in version alike.
    context().subscribe(alys::chain::kBlockImportedTopic);
    ask_where_the_chain_stands();
    register_rpc("indexer_status", [this](const alys::json::Field&) { return status(); });
    register_rpc("indexer_get_block",
                 [this](const alys::json::Field& params) -> alys::Result<alys::json::Value> {
                   alys::Result<std::uint64_t> height = params.get_uint64("height");
                   if (!height.ok())
                     return alys::Status::Invalid(height.status().message() + kGetBlockUsage);
                   return block(*height);
                 });
  }

  // SIGHUP with a changed [indexer] table: a new keep_blocks applies without a restart, which
  // would otherwise cost nothing but the index itself.
  bool on_config_changed(std::string_view) override {
    try {
      keep_blocks_ = read_keep_blocks();
    } catch (const std::exception& error) {
      // Restarting on a bad value would fail the start and, repeated, the supervisor: keep
      // serving with the value that works and say so.
      context().log(alys::LogLevel::warn, std::string(error.what()) + "; keeping keep_blocks = " +
                                              std::to_string(keep_blocks_));
      return true;
    }
    evict();
    return true;
  }

  alys::StateSnapshot snapshot(std::uint32_t target_schema_version) override {
    if (target_schema_version >= 2) return {alys::encode(StateV2{retained(), transactions_}), 2};
    // An older build that reads only schema 1: the transaction total has no place in it and is
    // lost; that build never knew it anyway.
    if (target_schema_version == 1) return {alys::encode(StateV1{retained()}), 1};
    throw alys::Error(ALYS_ERR_SCHEMA,
                      "example-block-indexer writes state schema 1 at the oldest; asked for " +
                          std::to_string(target_schema_version));
  }

  // Runs after create and before on_start, so keep_blocks is not known yet: on_start evicts.
  void restore(alys::ByteView bytes, std::uint32_t schema_version) override {
    if (schema_version == 2) {
      StateV2 state = alys::decode<StateV2>(bytes);
      load(state.blocks);
      transactions_ = state.transactions;
    } else if (schema_version == 1) {
      StateV1 state = alys::decode<StateV1>(bytes);
      load(state.blocks);
      // Schema 1 kept no total. The retained blocks' sum is the best available (a lower bound
      // once blocks were evicted); say so rather than report it as exact without a word.
      transactions_ = 0;
      for (const auto& [height, block] : blocks_) transactions_ += block.transaction_count;
      context().log(alys::LogLevel::warn,
                    "restored from state schema 1, which has no transaction total: counting only "
                    "the " +
                        std::to_string(blocks_.size()) + " retained blocks");
    } else {
      throw alys::Error(ALYS_ERR_SCHEMA, "example-block-indexer " BLOCK_INDEXER_VERSION
                                         " restores state schema 1 or 2, got " +
                                             std::to_string(schema_version));
    }
  }

 private:
  std::size_t read_keep_blocks() const {
    std::int64_t keep = context().config_int("keep_blocks").value_or(kDefaultKeepBlocks);
    if (keep < 1)
      throw std::runtime_error("keep_blocks must be at least 1, got " + std::to_string(keep));
    return static_cast<std::size_t>(keep);
  }

  // Parsing the params and writing the result is rpc_json's (alys/json.hpp): hand-written JSON is
  // where escaping and strictness go wrong.
  template <class F>
  void register_rpc(const std::string& method, F&& handler) {
    try {
      rpc_json(method, 0, std::forward<F>(handler));
    } catch (const alys::Error& error) {
      // The likely cause, which the host's code ("invalid") does not say: method names are
      // unique in a node, so a second role running this plugin cannot offer them again.
      throw std::runtime_error(std::string(error.what()) +
                               " (is another role already running example-block-indexer?)");
    }
  }

  // The events tell what the chain does from now on; what happened while this instance was not
  // running (a first start mid-chain, a restart, a swap), only the chain can tell. Not knowing
  // it costs nothing but the log line and the gauge, so a chain that does not answer is no reason
  // to fail.
  void ask_where_the_chain_stands() {
    // The indexer does not require a chain (its manifest lists none): a node without one is a
    // node with nothing to index yet, not a reason to refuse to start.
    alys::Result<alys::Address> chain = context().find_role("chain");
    if (!chain.ok()) {
      context().log(alys::LogLevel::info,
                    "this node runs no chain role; indexing whatever blocks are published");
      return;
    }
    request(*chain, alys::chain::GetStatus{}, kChainStatusTimeoutMs)
        .then([this](const ChainStatus& status) { chain_stands_at(status); },
              [this](const alys::Status& error) {
                context().log(alys::LogLevel::warn,
                              "the chain did not say where it stands (" + error.to_string() +
                                  "); following its events from the next block");
              });
  }

  void chain_stands_at(const ChainStatus& status) {
    if (status.syncing) {
      context().log(alys::LogLevel::info,
                    "the chain is still starting; following its events from the next block");
      return;
    }
    context().gauge_set("chain_head_at_start", static_cast<double>(status.head_height));
    const std::uint64_t head = status.head_height;
    std::string line =
        "the chain is at height " + std::to_string(head) + " " + to_hex(status.head_hash) + "; ";
    if (blocks_.empty()) {
      line += "the index is empty";
      if (head > 0) line += ": the blocks up to it came before this instance and are not indexed";
    } else {
      line += "the index holds heights " + std::to_string(blocks_.begin()->first) + ".." +
              std::to_string(highest_height());
      if (head > highest_height())
        line += ": " + std::to_string(highest_height() + 1) + ".." + std::to_string(head) +
                " came while no instance ran and are not indexed";
    }
    context().log(alys::LogLevel::info, line);
  }

  void index(const BlockImported& imported) {
    // The event announces a new head. A height the index already holds means the chain
    // reorganized (or the demo chain restarted): the blocks from that height up are no longer on
    // the chain, and their transactions no longer count. (Those of a reorg deeper than the window
    // were evicted and cannot be taken back; the total then over-counts.)
    for (auto stale = blocks_.lower_bound(imported.height); stale != blocks_.end();
         stale = blocks_.erase(stale))
      transactions_ -= std::min<std::uint64_t>(transactions_, stale->second.transaction_count);

    blocks_[imported.height] =
        StoredBlock{imported.height, imported.hash,         imported.parent_hash,
                    imported.slot,   imported.timestamp_ms, imported.transaction_count};
    transactions_ += imported.transaction_count;
    evict();

    context().counter_add("blocks_indexed");
    context().gauge_set("highest_height", static_cast<double>(imported.height));
    if (imported.height % kLogEveryBlocks == 0) {
      std::string line = "indexed height " + std::to_string(imported.height) + " (" +
                         std::to_string(blocks_.size()) + " blocks kept from height " +
                         std::to_string(blocks_.begin()->first) + ", " +
                         std::to_string(transactions_) + " transactions)";
      context().log(alys::LogLevel::info, line);
    }
  }

  void evict() {
    while (blocks_.size() > keep_blocks_) blocks_.erase(blocks_.begin());
  }

  void load(const std::vector<StoredBlock>& blocks) {
    blocks_.clear();
    for (const StoredBlock& block : blocks) blocks_[block.height] = block;
  }

  std::vector<StoredBlock> retained() const {
    std::vector<StoredBlock> out;
    out.reserve(blocks_.size());
    for (const auto& [height, block] : blocks_) out.push_back(block);
    return out;
  }

  std::uint64_t highest_height() const { return blocks_.empty() ? 0 : blocks_.rbegin()->first; }

  Block find(std::uint64_t height) const {
    auto found = blocks_.find(height);
    if (found == blocks_.end()) return Block{.found = false, .height = height};
    const StoredBlock& block = found->second;
    return Block{.found = true,
                 .height = block.height,
                 .hash = block.hash,
                 .parent_hash = block.parent_hash,
                 .slot = block.slot,
                 .timestamp_ms = block.timestamp_ms,
                 .transaction_count = block.transaction_count};
  }

  // `highest` is null while nothing is indexed (0 would claim a genesis block).
  alys::json::Value status() const {
    return alys::json::Object{
        {"version", BLOCK_INDEXER_VERSION},
        {"indexed", blocks_.size()},
        {"highest", blocks_.empty() ? alys::json::Value() : alys::json::Value(highest_height())},
        {"transactions", transactions_}};
  }

  alys::Result<alys::json::Value> block(std::uint64_t height) const {
    auto found = blocks_.find(height);
    if (found == blocks_.end()) {
      std::string held = blocks_.empty()
                             ? "the index is empty"
                             : "the index holds heights " + std::to_string(blocks_.begin()->first) +
                                   ".." + std::to_string(highest_height());
      return alys::Status::NotFound("block " + std::to_string(height) + " is not indexed (" + held +
                                    ")");
    }
    const StoredBlock& stored = found->second;
    return alys::json::Value(alys::json::Object{{"height", stored.height},
                                                {"hash", to_hex(stored.hash)},
                                                {"parent_hash", to_hex(stored.parent_hash)},
                                                {"slot", stored.slot},
                                                {"timestamp_ms", stored.timestamp_ms},
                                                {"transaction_count", stored.transaction_count}});
  }

  std::map<std::uint64_t, StoredBlock> blocks_;  // by height; the lowest is evicted first
  std::uint64_t transactions_ = 0;
  std::size_t keep_blocks_ = static_cast<std::size_t>(kDefaultKeepBlocks);
};

}  // namespace

ALYS_PLUGIN(BlockIndexer,
            alys::PluginInfo{.role = "indexer",
                             .name = "example-block-indexer",
                             .version = BLOCK_INDEXER_VERSION,
                             .state_schema_version = example::indexer::kStateSchemaVersion,
                             .capabilities = ALYS_CAP_SWAPPABLE});
