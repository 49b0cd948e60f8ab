// Benchmark (not a test): hot swaps of the engine with a full mempool. Storage (memory backend)
// and the engine run in the in-process runtime with worker threads, as in a node; 10,000 signed
// transfers from many senders wait in the mempool; the engine is swapped v1 <-> v2 N times.
// Prints `BENCH <name> <value> <unit>`: the host's pause (snapshot + stop + create + restore +
// start) and the time from the swap's end until the engine answers a GetInfo, p50/p99/max (the
// first swaps, on cold memory, apart); the
// snapshot's size; and, for comparison, the first answer after a restart, which reads the state
// back from storage instead (what handing the ledger and history over saves).
//
//   alys_bench_engine_swap_pause [--swaps N] [--pending N] [--senders N] [--accounts N]
//                                [--blocks N]
//
// --accounts adds funded accounts to the genesis and --blocks commits blocks of transfers before
// the pool is filled: the chain the engine holds, which a swap hands over and a restart reloads.
// Build the release preset for real figures:
//   cmake --preset release && cmake --build --preset release --target alys_bench_engine_swap_pause
//   build/release/tests/bench/alys_bench_engine_swap_pause
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <future>
#include <string>
#include <vector>

#include "alys/admin_rpc.hpp"
#include "alys/schemas/engine.hpp"
#include "alys/schemas/storage.hpp"
#include "engine/testing/signed_transfers.hpp"
#include "host/config/config.hpp"
#include "host/runtime/allocator_tuning.hpp"
#include "host/runtime/runtime.hpp"
#include "probe.hpp"
#include "temp_dir.hpp"

using namespace alys;
using alys::engine::BuildGenesis;
using alys::engine::BuildPayload;
using alys::engine::CommitPayload;
using alys::engine::ExecutePayload;
using alys::engine::GetInfo;
using alys::engine::Info;
using alys::engine::PayloadBuilt;
using alys::engine::PayloadExecuted;
namespace transfers = alys::engine::testing;
using namespace alys::host;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::uint64_t kChainId = 263634;
constexpr std::uint64_t kGenesisMs = 1'700'000'000'000;
// The first swaps of a process write the snapshot, its host copy and the new pool into heap memory
// never touched before, and page-fault every 4 KiB of it (about 3 x the snapshot size); the
// allocator reuses that memory afterwards. Their figures are printed apart (_cold_).
constexpr int kColdSwaps = 4;

struct Options {
  int swaps = 204;
  std::uint32_t pending = 10'000;
  std::uint32_t senders = 1'000;
  std::uint32_t accounts = 0;
  std::uint32_t blocks = 0;
};

Options parse(int argc, char** argv) {
  Options options;
  for (int i = 1; i + 1 < argc; i += 2) {
    auto value = static_cast<std::uint32_t>(std::strtoul(argv[i + 1], nullptr, 10));
    if (std::strcmp(argv[i], "--swaps") == 0) options.swaps = static_cast<int>(value);
    if (std::strcmp(argv[i], "--pending") == 0) options.pending = value;
    if (std::strcmp(argv[i], "--senders") == 0) options.senders = std::max(1u, value);
    if (std::strcmp(argv[i], "--accounts") == 0) options.accounts = value;
    if (std::strcmp(argv[i], "--blocks") == 0) options.blocks = value;
  }
  return options;
}

// Sender i's key: 30 zero bytes and i (1-based, big-endian): more senders than a seed byte names.
SecretKey sender_key(std::uint32_t i) {
  std::array<std::uint8_t, 32> bytes{};
  bytes[28] = static_cast<std::uint8_t>(i >> 24);
  bytes[29] = static_cast<std::uint8_t>(i >> 16);
  bytes[30] = static_cast<std::uint8_t>(i >> 8);
  bytes[31] = static_cast<std::uint8_t>(i);
  return *SecretKey::from_bytes(bytes);
}

EthAddress numbered_address(std::uint32_t i) {
  EthAddress address{};
  address[0] = 0xee;
  for (int b = 0; b < 4; ++b) address[19 - b] = static_cast<std::uint8_t>(i >> (8 * b));
  return address;
}

std::uint64_t micros_since(Clock::time_point start) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count());
}

std::shared_ptr<PluginLibrary> load(const std::filesystem::path& file,
                                    const std::filesystem::path& scratch) {
  auto loaded = PluginLibrary::load(file, scratch);
  if (!loaded.ok()) throw std::runtime_error(loaded.status().message());
  return std::move(loaded).value();
}

ActorSpec role(std::string name, std::shared_ptr<PluginLibrary> library, const std::string& toml,
               std::vector<std::string> requires_roles = {}) {
  ActorSpec spec = testing::actor(std::move(name), std::move(library),
                                  MailboxConfig{20'000, OverflowPolicy::reject, 64});
  spec.requires_roles = std::move(requires_roles);
  spec.role_table = *parse_role_table(toml);
  return spec;
}

// The chain's side of the protocol, through the probe.
class Chain {
 public:
  Chain(Runtime& runtime, testing::Probe& probe)
      : runtime_(runtime),
        probe_(probe),
        engine_(*runtime.resolve("engine")),
        storage_(*runtime.resolve("storage")) {}

  template <class Reply, class Request>
  Reply ask(Address to, const Request& request) {
    std::uint64_t id = probe_.context().request(to, request, 60'000);
    if (!probe_.inbox->wait_until(
            [id](const auto& items) {
              return std::any_of(items.begin(), items.end(),
                                 [id](const auto& item) { return item.correlation_id == id; });
            },
            std::chrono::seconds(60)))
      throw std::runtime_error("no answer to " + std::string(Request::schema_name));
    auto answer = probe_.inbox->find_correlation(id);
    if (answer->kind != ALYS_KIND_REPLY)
      throw std::runtime_error(std::string(Request::schema_name) + " timed out");
    return answer->template as<Reply>();
  }

  Info info() { return ask<Info>(engine_, GetInfo{}); }

  void import(const ExecutionPayload& payload, std::vector<Mint> mints, bool genesis) {
    PayloadExecuted executed =
        ask<PayloadExecuted>(engine_, ExecutePayload{payload, mints, genesis});
    if (!executed.error.empty()) throw std::runtime_error("execute: " + executed.error);
    storage::CommitBlock commit;
    commit.hash = payload.block_hash;
    commit.height = payload.number;
    commit.block = Bytes{0x00};
    commit.engine_puts = std::move(executed.state_puts);
    commit.engine_deletes = std::move(executed.state_deletes);
    if (auto done = ask<storage::Committed>(storage_, commit); !done.error.empty())
      throw std::runtime_error("commit: " + done.error);
    (void)probe_.context().send(engine_, CommitPayload{payload.block_hash});
  }

  void genesis(const std::vector<Mint>& alloc) {
    PayloadBuilt built = ask<PayloadBuilt>(engine_, BuildGenesis{kGenesisMs, alloc});
    if (!built.error.empty()) throw std::runtime_error("genesis: " + built.error);
    import(built.payload, alloc, true);
  }

  ExecutionPayload produce(std::uint64_t slot) {
    BuildPayload request;
    request.parent_payload_hash = info().head_payload_hash;
    request.timestamp_ms = kGenesisMs + 2000 * slot;
    PayloadBuilt built = ask<PayloadBuilt>(engine_, request);
    if (!built.error.empty()) throw std::runtime_error("build: " + built.error);
    import(built.payload, {}, false);
    return built.payload;
  }

  // eth_sendRawTransaction for each, `window` at a time in flight.
  void submit(const std::vector<Bytes>& raws, std::size_t window = 2000) {
    for (std::size_t begin = 0; begin < raws.size(); begin += window) {
      std::size_t end = std::min(raws.size(), begin + window);
      std::atomic<std::size_t> answered{0};
      std::atomic<std::size_t> refused{0};
      std::promise<void> all;
      for (std::size_t i = begin; i < end; ++i) {
        std::string params = "[\"" + to_0x_hex(raws[i]) + "\"]";
        runtime_.external_request(
            engine_, ALYS_TYPE_RPC_CALL, encode(RpcCall{"eth_sendRawTransaction", params}), 60'000,
            [&, count = end - begin](Result<std::vector<std::uint8_t>> answer) {
              if (!answer.ok() || !decode<RpcResult>(answer.value()).ok) ++refused;
              if (++answered == count) all.set_value();
            });
      }
      all.get_future().wait();
      if (refused > 0) throw std::runtime_error(std::to_string(refused) + " transfers refused");
    }
  }

 private:
  Runtime& runtime_;
  testing::Probe& probe_;
  Address engine_;
  Address storage_;
};

struct Figures {
  std::vector<std::uint64_t> values;
  void print(const char* name) {
    std::sort(values.begin(), values.end());
    auto at = [&](double q) { return values[static_cast<std::size_t>(q * (values.size() - 1))]; };
    std::printf("BENCH %s_p50_us %llu us\n", name, static_cast<unsigned long long>(at(0.50)));
    std::printf("BENCH %s_p99_us %llu us\n", name, static_cast<unsigned long long>(at(0.99)));
    std::printf("BENCH %s_max_us %llu us\n", name, static_cast<unsigned long long>(values.back()));
  }
};

}  // namespace

int main(int argc, char** argv) try {
  // As alysd does (host/runtime/allocator_tuning.hpp): the figures are a node's.
  alys::host::keep_large_allocations_in_heap();
  Options options = parse(argc, argv);
  if (options.swaps <= kColdSwaps) throw std::runtime_error("--swaps must be above 4");
  testing::TempDir scratch("alys-bench-engine-swap");
  RuntimeOptions runtime_options = testing::threaded_options(2);
  runtime_options.scratch_dir = scratch.path();
  Runtime runtime(runtime_options);
  testing::Probe probe;
  runtime.add_actor(testing::actor("probe", probe.library));
  runtime.add_actor(
      role("storage", load(ALYS_STORAGE_PLUGIN, scratch.path()), "backend = \"memory\"\n"));
  runtime.add_actor(role("engine", load(ALYS_ENGINE_PLUGIN, scratch.path()),
                         "chain_id = " + std::to_string(kChainId) +
                             "\nmempool_limit = " + std::to_string(options.pending + 1000) + "\n",
                         {"storage"}));
  if (Status started = runtime.start(); !started.ok())
    throw std::runtime_error("start failed: " + started.message());
  Chain chain(runtime, probe);

  // The chain: funded senders and filler accounts, then blocks of one transfer per sender.
  std::vector<Mint> alloc;
  for (std::uint32_t s = 1; s <= options.senders; ++s)
    alloc.push_back(Mint{eth_address(sender_key(s).uncompressed_public_key()),
                         wei_to_be32(1000 * transfers::kEther)});
  for (std::uint32_t a = 1; a <= options.accounts; ++a)
    alloc.push_back(Mint{numbered_address(a), wei_to_be32(a)});
  chain.genesis(alloc);
  std::vector<std::uint64_t> nonces(options.senders + 1, 0);
  auto transfer = [&](std::uint32_t s) {
    eth::Transaction tx =
        transfers::eip1559_transfer(kChainId, nonces[s]++, numbered_address(s), 1,
                                    3 * transfers::kGwei, (s % 7) * transfers::kGwei / 10);
    return eth::sign_transaction(tx, sender_key(s));
  };
  for (std::uint32_t b = 1; b <= options.blocks; ++b) {
    std::vector<Bytes> raws;
    for (std::uint32_t s = 1; s <= std::min<std::uint32_t>(options.senders, 1000); ++s)
      raws.push_back(transfer(s));
    chain.submit(raws);
    chain.produce(b);
  }
  std::vector<Bytes> raws;
  for (std::uint32_t i = 0; i < options.pending; ++i)
    raws.push_back(transfer(1 + i % options.senders));
  chain.submit(raws);
  const Info before = chain.info();
  if (before.mempool_size != options.pending)
    throw std::runtime_error("mempool holds " + std::to_string(before.mempool_size));

  const std::filesystem::path v1 = ALYS_ENGINE_PLUGIN;
  const std::filesystem::path v2 = ALYS_ENGINE_V2_PLUGIN;
  Figures pauses;
  Figures first_answers;
  Figures cold_pauses;
  Figures cold_first_answers;
  for (int i = 0; i < options.swaps; ++i) {
    SwapOutcome outcome = runtime.swap_and_wait("engine", i % 2 == 0 ? v2 : v1);
    Clock::time_point resumed = Clock::now();
    if (!outcome.ok || outcome.mode != "state")
      throw std::runtime_error("swap " + std::to_string(i) + " failed at " + outcome.stage + ": " +
                               outcome.message);
    Info after = chain.info();
    (i < kColdSwaps ? cold_first_answers : first_answers).values.push_back(micros_since(resumed));
    if (i < kColdSwaps) {
      cold_pauses.values.push_back(outcome.pause_us);
    } else {
      pauses.values.push_back(outcome.pause_us);
    }
    if (after.mempool_size != before.mempool_size ||
        after.head_payload_hash != before.head_payload_hash)
      throw std::runtime_error("swap " + std::to_string(i) + " lost state");
  }
  auto snapshot_bytes = runtime.metrics().find("engine", "engine_state_snapshot_bytes");

  // A restart reads the ledger and history back from storage (and starts with an empty pool).
  Figures reload;
  for (int i = 0; i < 5; ++i) {
    std::promise<Status> restarted;
    Clock::time_point start = Clock::now();
    runtime.restart_actor("engine", [&](Status status) { restarted.set_value(status); });
    if (Status status = restarted.get_future().get(); !status.ok())
      throw std::runtime_error("restart: " + status.message());
    Info loaded = chain.info();
    reload.values.push_back(micros_since(start));
    if (loaded.head_payload_hash != before.head_payload_hash)
      throw std::runtime_error("restart loaded another head");
  }

  std::printf("BENCH engine_swap_count %d swaps (the first %d cold)\n", options.swaps, kColdSwaps);
  std::printf("BENCH engine_swap_pending %u transactions\n", options.pending);
  std::printf("BENCH engine_swap_chain %llu blocks %u accounts\n",
              static_cast<unsigned long long>(before.head_number + 1),
              options.senders + options.accounts + options.senders * (options.blocks > 0));
  std::printf("BENCH engine_swap_snapshot_bytes %.0f bytes\n",
              snapshot_bytes ? snapshot_bytes->gauge : -1.0);
  pauses.print("engine_swap_pause");
  first_answers.print("engine_swap_first_answer");
  cold_pauses.print("engine_swap_cold_pause");
  cold_first_answers.print("engine_swap_cold_first_answer");
  reload.print("engine_restart_reload_first_answer");
  return 0;
} catch (const std::exception& error) {
  std::fprintf(stderr, "engine_swap_pause: %s\n", error.what());
  return 1;
}
