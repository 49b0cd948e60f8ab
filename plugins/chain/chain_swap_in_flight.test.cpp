// Hot swaps of the chain while its job waits for another role, and snapshots it must refuse. The
// real chain, engine and storage plugins run in the host's runtime on a virtual clock (the SDK
// harness swaps only at idle points): pausing the engine or storage holds a reply back, so the swap
// lands while the chain's request is unanswered, and the new instance gets the reply.
#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "alys/admin_rpc.hpp"
#include "alys/schemas/chain.hpp"
#include "alys/schemas/chain_events.hpp"
#include "alys/schemas/engine.hpp"
#include "alys/schemas/storage.hpp"
#include "chain_test_node.hpp"
#include "host/config/config.hpp"
#include "host/runtime/runtime.hpp"
#include "probe.hpp"
#include "temp_dir.hpp"

using namespace alys;
using namespace alys::chain_test;

namespace {

// chain + engine + storage (memory) and a probe that asks them, in a deterministic runtime.
class RuntimeNode {
 public:
  // `settle`: run until the start-up is done; without it the roles have only run on_start.
  RuntimeNode(const TempDir& dir, const NodeSetup& setup, bool settle = true)
      : runtime_(options(dir)) {
    runtime_.add_actor(testing::actor("probe", probe_.library));
    add("storage", ALYS_STORAGE_PLUGIN, setup.storage_toml, {}, dir);
    add("engine", ALYS_ENGINE_PLUGIN, engine_toml(), {"storage"}, dir);
    add("chain", ALYS_CHAIN_PLUGIN, chain_toml(dir, setup), {"storage", "engine"}, dir);
    const Status started = runtime_.start();
    REQUIRE(started.ok());
    probe_.context().subscribe(chain::kBlockImportedTopic);
    if (settle) runtime_.run_until_idle();
  }

  host::Runtime& runtime() { return runtime_; }
  host::ActorCell& cell(const std::string& role) { return *runtime_.cell(role); }

  template <class Request>
  std::uint64_t request(const std::string& role, const Request& request) {
    return probe_.context().request(*runtime_.resolve(role), request, 600'000);
  }
  // The reply to `correlation_id`, if it came.
  template <class Reply>
  std::optional<Reply> reply(std::uint64_t correlation_id) {
    auto received = probe_.inbox->find_correlation(correlation_id);
    if (!received || received->kind != ALYS_KIND_REPLY) return std::nullopt;
    return received->as<Reply>();
  }
  template <class Reply, class Request>
  Reply ask(const std::string& role, const Request& message) {
    const std::uint64_t id = request(role, message);
    runtime_.run_until_idle();
    auto answer = reply<Reply>(id);
    REQUIRE(answer);
    return *answer;
  }

  storage::Head head() { return ask<storage::Head>("storage", storage::GetHead{}); }

  std::size_t blocks_announced() {
    std::size_t count = 0;
    for (const auto& item : probe_.inbox->items())
      if (item.is<chain::BlockImported>()) ++count;
    return count;
  }

  // A block on the head for `slot`, its payload built by the engine, approved by `signers`.
  SignedBlock next_block(std::uint64_t slot, std::vector<std::uint32_t> signers,
                         std::uint32_t members) {
    const storage::Head stored = head();
    auto parent = ask<storage::BlockFound>("storage", storage::GetBlockByHash{stored.hash});
    REQUIRE(parent.found);
    const Block parent_block = decode<SignedBlock>(parent.block.block).block;
    auto built = ask<engine::PayloadBuilt>(
        "engine",
        engine::BuildPayload{parent_block.payload.block_hash,
                             slot * 2000,
                             *fixed_from_hex<20>("0x000000000000000000000000000000000000dEaD"),
                             {},
                             1000});
    REQUIRE(built.error.empty());
    SignedBlock block;
    block.block.height = stored.height + 1;
    block.block.parent_hash = stored.hash;
    block.block.slot = slot;
    block.block.timestamp_ms = slot * 2000;
    block.block.author_index = static_cast<std::uint32_t>(slot % members);
    block.block.payload = built.payload;
    for (std::uint32_t member : signers)
      block.approvals.push_back(approval_by(member, block_hash(block.block)));
    return block;
  }

  void swap_chain(const char* file) {
    const host::SwapOutcome outcome = runtime_.swap_and_wait("chain", file);
    INFO(outcome.stage << ": " << outcome.message);
    REQUIRE(outcome.ok);
    CHECK(outcome.mode == "state");
  }

 private:
  static host::RuntimeOptions options(const TempDir& dir) {
    host::RuntimeOptions options = testing::deterministic_options();
    options.virtual_start_ms = kGenesisMs;
    options.scratch_dir = dir.path() / "swaps";
    return options;
  }

  void add(const std::string& role, const char* file, const std::string& toml,
           std::vector<std::string> requires_roles, const TempDir& dir) {
    auto library = host::PluginLibrary::load(file, dir.path() / "plugins");
    REQUIRE(library.ok());
    auto table = host::parse_role_table(toml);
    REQUIRE(table.ok());
    host::ActorSpec spec = testing::actor(role, std::move(library).value());
    spec.requires_roles = std::move(requires_roles);
    spec.role_table = std::move(table).value();
    runtime_.add_actor(std::move(spec));
  }

  testing::Probe probe_;
  host::Runtime runtime_;
};

}  // namespace

TEST_CASE("swap while an import waits for the engine: the new instance imports it and answers",
          "[chain][swap]") {
  TempDir dir("chain-swap-engine-wait");
  RuntimeNode node(dir, NodeSetup{});  // an observer of a 1-member chain
  node.runtime().advance(2000);
  const std::uint64_t slot = kGenesisMs / 2000 + 1;
  const SignedBlock block = node.next_block(slot, {0}, 1);

  node.cell("engine").pause();
  const std::uint64_t import = node.request("chain", chain::ImportBlock{block});
  node.runtime().run_until_idle();
  CHECK_FALSE(node.reply<chain::ImportResult>(import));  // waiting for ExecutePayload

  node.swap_chain(ALYS_CHAIN_V2_PLUGIN);
  node.cell("engine").resume();
  node.runtime().run_until_idle();

  auto result = node.reply<chain::ImportResult>(import);
  REQUIRE(result);
  CHECK(result->imported);
  CHECK(result->height == 1);
  CHECK(node.head().height == 1);
  CHECK(node.head().hash == block_hash(block.block));
  CHECK(node.ask<engine::Info>("engine", engine::GetInfo{}).head_payload_hash ==
        block.block.payload.block_hash);
  CHECK(node.blocks_announced() == 1);

  // And the chain goes on from there.
  node.runtime().advance(2000);
  const SignedBlock next = node.next_block(slot + 1, {0}, 1);
  CHECK(node.ask<chain::ImportResult>("chain", chain::ImportBlock{next}).imported);
  CHECK(node.head().height == 2);
}

TEST_CASE("swaps while a commit waits for storage: the block is imported once, not twice",
          "[chain][swap]") {
  TempDir dir("chain-swap-storage-wait");
  RuntimeNode node(dir, NodeSetup{});
  node.runtime().advance(2000);
  const SignedBlock block = node.next_block(kGenesisMs / 2000 + 1, {0}, 1);

  node.cell("storage").pause();
  const std::uint64_t import = node.request("chain", chain::ImportBlock{block});
  node.runtime().run_until_idle();  // executed by the engine; CommitBlock waits in storage
  CHECK_FALSE(node.reply<chain::ImportResult>(import));

  node.swap_chain(ALYS_CHAIN_V2_PLUGIN);
  // Swapped again while the new instance waits for storage's head: it hands the job on.
  node.swap_chain(ALYS_CHAIN_PLUGIN);
  node.cell("storage").resume();  // the first instance's commit lands, then GetHead
  node.runtime().run_until_idle();

  auto result = node.reply<chain::ImportResult>(import);
  REQUIRE(result);
  CHECK(result->imported);
  CHECK(result->code.empty());
  CHECK(node.blocks_announced() == 1);
  const storage::Head head = node.head();
  CHECK(head.height == 1);
  CHECK(head.hash == block_hash(block.block));
  // The engine was told to move its head by the new instance.
  CHECK(node.ask<engine::Info>("engine", engine::GetInfo{}).head_payload_hash ==
        block.block.payload.block_hash);
  const auto status = node.ask<chain::ChainStatus>("chain", chain::GetStatus{});
  CHECK(status.head_height == 1);
  CHECK(status.head_hash == block_hash(block.block));
}

TEST_CASE("swap while production waits for the engine's payload: the slot still gets its block",
          "[chain][swap]") {
  TempDir dir("chain-swap-produce-wait");
  NodeSetup setup;
  setup.member = 0;
  RuntimeNode node(dir, setup);

  node.cell("engine").pause();
  node.runtime().advance(2000);  // the slot tick: BuildPayload waits in the engine's mailbox
  node.swap_chain(ALYS_CHAIN_V2_PLUGIN);
  node.cell("engine").resume();
  node.runtime().run_until_idle();

  const storage::Head head = node.head();
  CHECK(head.height == 1);
  CHECK(node.blocks_announced() == 1);
  auto block = node.ask<storage::BlockFound>("storage", storage::GetBlockByHeight{1});
  REQUIRE(block.found);
  CHECK(decode<SignedBlock>(block.block.block).block.slot == kGenesisMs / 2000 + 1);
  node.runtime().advance(2000);
  CHECK(node.head().height == 2);
}

TEST_CASE("restore refuses a truncated snapshot and an unknown schema with a clear error",
          "[chain][swap]") {
  TempDir dir("chain-swap-bad-snapshot");
  NodeSetup setup;
  setup.member = 0;
  RuntimeNode node(dir, setup);
  node.runtime().advance(3 * 2000);
  REQUIRE(node.head().height == 3);

  host::ActorCell& chain = node.cell("chain");
  chain.pause();
  auto taken = chain.snapshot(1);
  REQUIRE(taken.ok());
  const host::StateBlob good = std::move(taken).value();
  CHECK(good.schema_version == 1);
  chain.stop_instance();

  host::StateBlob truncated = good;
  truncated.bytes.resize(truncated.bytes.size() - 40);
  Status refused = chain.start_instance(&truncated);
  CHECK(refused.code() == ALYS_ERR_INVALID);
  CHECK(refused.message().find("restore failed: chain state (schema 1): checksum mismatch") == 0);

  const host::StateBlob unknown{good.bytes, 9};
  refused = chain.start_instance(&unknown);
  CHECK(refused.code() == ALYS_ERR_SCHEMA);
  CHECK(refused.message().find("restores chain state schema 1 to 1, got schema 9") !=
        std::string::npos);

  REQUIRE(chain.start_instance(&good).ok());
  node.runtime().run_until_idle();
  CHECK(node.ask<chain::ChainStatus>("chain", chain::GetStatus{}).head_height == 3);
  node.runtime().advance(2000);
  CHECK(node.head().height == 4);
}

TEST_CASE("a slot that starts while no instance has a timer still gets its block",
          "[chain][swap]") {
  TempDir dir("chain-swap-missed-tick");
  NodeSetup setup;
  setup.member = 0;
  RuntimeNode node(dir, setup);
  node.runtime().advance(2000);
  REQUIRE(node.head().height == 1);

  // The steps of a swap, with the slot boundary between the old instance's stop (its timer dies
  // with it) and the new one's start.
  host::ActorCell& chain = node.cell("chain");
  chain.pause();
  auto taken = chain.snapshot(1);
  REQUIRE(taken.ok());
  const host::StateBlob state = std::move(taken).value();
  chain.stop_instance();
  node.runtime().advance(2300);
  REQUIRE(chain.start_instance(&state).ok());
  node.runtime().run_until_idle();

  const storage::Head head = node.head();
  CHECK(head.height == 2);
  auto block = node.ask<storage::BlockFound>("storage", storage::GetBlockByHeight{2});
  REQUIRE(block.found);
  CHECK(decode<SignedBlock>(block.block.block).block.slot == kGenesisMs / 2000 + 2);
  node.runtime().advance(1700);  // the new timer's first tick: the next slot, once
  CHECK(node.head().height == 3);
  CHECK(node.blocks_announced() == 3);
}

TEST_CASE("a handed-over state older than storage (a rolled-back trial) resumes from storage",
          "[chain][swap]") {
  TempDir dir("chain-swap-stale-state");
  NodeSetup setup;
  setup.member = 0;
  RuntimeNode node(dir, setup);
  node.runtime().advance(2000);
  host::ActorCell& chain = node.cell("chain");
  chain.pause();
  auto taken = chain.snapshot(1);
  REQUIRE(taken.ok());
  const host::StateBlob at_height_1 = std::move(taken).value();
  chain.resume();
  node.runtime().advance(2 * 2000);
  const storage::Head head = node.head();
  REQUIRE(head.height == 3);
  const Hash32 block_2 = block_hash(
      decode<SignedBlock>(
          node.ask<storage::BlockFound>("storage", storage::GetBlockByHeight{2}).block.block)
          .block);

  chain.stop_instance();
  REQUIRE(chain.start_instance(&at_height_1).ok());
  node.runtime().run_until_idle();
  const auto status = node.ask<chain::ChainStatus>("chain", chain::GetStatus{});
  CHECK(status.head_height == 3);
  CHECK(status.head_hash == head.hash);
  node.runtime().advance(2000);
  REQUIRE(node.head().height == 4);
  auto block_4 = node.ask<storage::BlockFound>("storage", storage::GetBlockByHeight{4});
  CHECK(decode<SignedBlock>(block_4.block.block).block.parent_hash == head.hash);
  auto again_2 = node.ask<storage::BlockFound>("storage", storage::GetBlockByHeight{2});
  CHECK(block_hash(decode<SignedBlock>(again_2.block.block).block) == block_2);
  CHECK(node.blocks_announced() == 4);
}

TEST_CASE("swap while the chain is still starting: the new instance does the start-up",
          "[chain][swap]") {
  TempDir dir("chain-swap-starting");
  NodeSetup setup;
  setup.member = 0;
  RuntimeNode node(dir, setup, false);
  node.cell("storage").pause();  // the chain's GetHead waits: its start-up is in flight
  node.swap_chain(ALYS_CHAIN_V2_PLUGIN);
  node.cell("storage").resume();
  node.runtime().run_until_idle();

  const auto status = node.ask<chain::ChainStatus>("chain", chain::GetStatus{});
  CHECK_FALSE(status.syncing);
  CHECK(status.head_height == 0);
  node.runtime().advance(2000);
  CHECK(node.head().height == 1);
  CHECK(node.blocks_announced() == 1);
}

TEST_CASE("swap while chain_getBlockByHeight waits for storage: the new instance answers the call",
          "[chain][swap]") {
  TempDir dir("chain-swap-block-query");
  RuntimeNode node(dir, NodeSetup{});
  const storage::Head stored = node.head();
  REQUIRE(stored.has_head);

  node.cell("storage").pause();
  const std::uint64_t by_height = node.request(
      "chain", RpcCall{"chain_getBlockByHeight", "[" + std::to_string(stored.height) + "]"});
  const std::uint64_t by_hash = node.request(
      "chain", RpcCall{"chain_getBlockByHash", "[\"" + to_0x_hex(stored.hash) + "\"]"});
  node.runtime().run_until_idle();
  CHECK_FALSE(node.reply<RpcResult>(by_height));  // waiting for storage

  node.swap_chain(ALYS_CHAIN_V2_PLUGIN);
  node.cell("storage").resume();
  node.runtime().run_until_idle();
  for (std::uint64_t call : {by_height, by_hash}) {
    auto answered = node.reply<RpcResult>(call);
    REQUIRE(answered);
    INFO(answered->json);
    REQUIRE(answered->ok);
    CHECK(answered->json.find(to_0x_hex(stored.hash)) != std::string::npos);
  }
}

TEST_CASE("a new [chain] table keeps the chain's state; one that changes its rules is rolled back",
          "[chain][swap]") {
  TempDir dir("chain-table-change");
  NodeSetup setup;
  RuntimeNode node(dir, setup);
  host::ActorCell& chain_cell = node.cell("chain");
  auto offer = [&](const std::string& extra) {
    auto table = host::parse_role_table(chain_toml(dir, setup) + extra);
    REQUIRE(table.ok());
    REQUIRE(node.runtime().update_role_table("chain", std::move(table).value()).ok());
    node.runtime().run_until_idle();
  };

  // A local setting: the chain declines the table (it takes none at run time) and is restarted
  // with it, its state handed over.
  offer("storage_timeout_ms = 9000\n");
  CHECK(chain_cell.counters().restarts.load() == 1);
  CHECK(chain_cell.state() == host::ActorState::running);
  CHECK(chain_cell.role_table()->to_json().find("9000") != std::string::npos);

  // Another slot length changes the chain's rules: the handed-over state refuses it, and the
  // table the chain ran with comes back, with the same state.
  offer("slot_ms = 3000\n");
  CHECK(chain_cell.state() == host::ActorState::running);
  CHECK(chain_cell.role_table()->to_json().find("3000") == std::string::npos);
  CHECK(chain_cell.counters().restarts.load() == 2);
  CHECK(chain_cell.last_error().find("another chain spec") != std::string::npos);
  node.runtime().advance(4000);
  node.runtime().run_until_idle();
  CHECK(node.head().has_head);
}
