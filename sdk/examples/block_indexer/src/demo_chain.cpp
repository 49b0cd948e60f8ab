// example-demo-chain: a stand-in for the `chain` role, so that the example runs without the node's
// real chain plugin (plugins/chain) and the storage and engine it needs. It publishes
// alys::chain::BlockImported on the topic the real chain plugin publishes it on, so a plugin that
// follows the chain, such as the block indexer, is tested here and runs unchanged against the real
// chain: point [plugins.chain] at the real plugin; nothing else changes.
//
// Every `interval_ms` it announces the next height as the new head, and it answers
// alys.chain.GetStatus/1 with that head (never finalized, never syncing). The blocks are made up:
// no transactions exist, and the hashes are not hashes of anything (see fake_hash).
//
// Role settings (the `[chain]` table of the node's config):
//   interval_ms = 2000    time between blocks (the federation's block time), >= 1
//
// Swappable (state schema 1: the next height), so reloading it does not start the chain over at
// height 1, which a follower would have to treat as a reorganization down to the first block.
#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "alys/plugin.hpp"
#include "alys/schemas/chain.hpp"
#include "alys/schemas/chain_events.hpp"

namespace {

using alys::chain::BlockImported;
using Hash = std::array<std::uint8_t, 32>;

constexpr std::int64_t kDefaultIntervalMs = 2000;

// The timer's message: private to this plugin, so its name only needs to be unique.
struct ProduceBlock {
  static constexpr std::string_view schema_name = "example.demo_chain.ProduceBlock/1";
  ALYS_FIELDS()
};

struct DemoChainStateV1 {
  std::uint64_t next_height = 1;
  ALYS_FIELDS(next_height)
};

// NOT a block hash. A real chain hashes the block's canonical encoding with SHA-256; these blocks
// have no content to hash. The demo only needs bytes that are deterministic (the same height
// always gives the same hash, across restarts and swaps), distinct per height and random-looking
// in a log: the splitmix64 finalizer over (height, word), big-endian, for each 8-byte word.
Hash fake_hash(std::uint64_t height) {
  Hash hash{};
  for (std::size_t word = 0; word < hash.size() / 8; ++word) {
    std::uint64_t z = (height * 4 + word + 1) * 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    for (std::size_t i = 0; i < 8; ++i)
      hash[word * 8 + i] = static_cast<std::uint8_t>(z >> (56 - 8 * i));
  }
  return hash;
}

class DemoChain : public alys::Actor {
 public:
  explicit DemoChain(alys::Context context) : Actor(context) {
    on<ProduceBlock>([this](const ProduceBlock&, const alys::Envelope&) { produce(); });
    on_request<alys::chain::GetStatus>(
        [this](const alys::chain::GetStatus&, const alys::Envelope&) { return status(); });
  }

  void on_start() override {
    std::int64_t interval = context().config_int("interval_ms").value_or(kDefaultIntervalMs);
    if (interval < 1)
      throw std::runtime_error("interval_ms must be at least 1, got " + std::to_string(interval));
    interval_ms_ = static_cast<std::uint64_t>(interval);
    // The timer dies with this instance (the host cancels it at stop), so a restart or a swap
    // never leaves two of them ticking.
    context().start_timer(interval_ms_, interval_ms_, ProduceBlock{});
    context().log(alys::LogLevel::info, "demo chain (fake blocks, not a real chain): one every " +
                                            std::to_string(interval_ms_) + " ms from height " +
                                            std::to_string(next_height_));
  }

  alys::StateSnapshot snapshot(std::uint32_t target_schema_version) override {
    if (target_schema_version < 1)
      throw alys::Error(ALYS_ERR_SCHEMA, "example-demo-chain writes state schema 1 only");
    return {alys::encode(DemoChainStateV1{next_height_}), 1};
  }

  void restore(alys::ByteView bytes, std::uint32_t schema_version) override {
    if (schema_version != 1)
      throw alys::Error(ALYS_ERR_SCHEMA, "example-demo-chain restores state schema 1, got " +
                                             std::to_string(schema_version));
    next_height_ = alys::decode<DemoChainStateV1>(bytes).next_height;
  }

 private:
  alys::chain::ChainStatus status() const {
    alys::chain::ChainStatus status;
    if (next_height_ > 1) {
      status.head_height = next_height_ - 1;
      status.head_hash = fake_hash(status.head_height);
    }
    return status;
  }

  void produce() {
    std::uint64_t now = context().now_ms();  // the host's clock: virtual in tests
    BlockImported block;
    block.height = next_height_;
    block.hash = fake_hash(next_height_);
    block.parent_hash = next_height_ > 1 ? fake_hash(next_height_ - 1) : Hash{};
    block.slot = now / interval_ms_;
    block.timestamp_ms = now;
    block.transaction_count = static_cast<std::uint32_t>(next_height_ % 7);
    // Publishing always succeeds: a full or stopped subscriber is the subscriber's problem and
    // does not hold up the chain.
    (void)context().publish(alys::chain::kBlockImportedTopic, block);
    ++next_height_;
  }

  std::uint64_t next_height_ = 1;
  std::uint64_t interval_ms_ = static_cast<std::uint64_t>(kDefaultIntervalMs);
};

}  // namespace

ALYS_PLUGIN(DemoChain, alys::PluginInfo{.role = "chain",
                                        .name = "example-demo-chain",
                                        .version = "1.0.0",
                                        .state_schema_version = 1,
                                        .capabilities = ALYS_CAP_SWAPPABLE});
