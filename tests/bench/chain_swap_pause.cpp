// Benchmark (not a test): hot swaps of the chain while it produces. Prints `BENCH <name> <value>
// <unit>` lines. chain + engine + storage (memory) run in the in-process runtime on the real clock
// (100 ms slots, dev merged mining: every block finalizes its parent); the chain is swapped N times
// between alys_chain and alys_chain_v2 (state schema 1 <-> 2) at spread-out points of its slots.
//   host pause        dispatch to the chain paused: snapshot + stop + create + restore + start
//   first answer      the pause plus the time from its end until the new instance answers a
//                     GetStatus sent then (what another role waiting on the chain sees)
//   snapshot bytes    the state handed over, taken every 10 swaps
// Build the release preset for real figures:
//   cmake --build --preset release --target alys_bench_chain_swap_pause
//   build/release/tests/bench/alys_bench_chain_swap_pause [swaps]
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "alys/domain/secp256k1.hpp"
#include "alys/schemas/chain.hpp"
#include "alys/schemas/storage.hpp"
#include "host/config/config.hpp"
#include "host/runtime/allocator_tuning.hpp"
#include "host/runtime/runtime.hpp"
#include "probe.hpp"
#include "temp_dir.hpp"

using namespace alys;
using namespace alys::host;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::uint64_t kChainId = 263634;
constexpr std::uint64_t kSlotMs = 100;

std::uint64_t unix_ms() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

std::uint64_t micros(Clock::duration duration) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(duration).count());
}

void report(const std::string& name, std::vector<std::uint64_t> values, const char* unit) {
  std::sort(values.begin(), values.end());
  auto at = [&](double q) {
    return static_cast<unsigned long long>(
        values[static_cast<std::size_t>(q * static_cast<double>(values.size() - 1))]);
  };
  std::printf("BENCH %s_p50 %llu %s\n", name.c_str(), at(0.50), unit);
  std::printf("BENCH %s_p99 %llu %s\n", name.c_str(), at(0.99), unit);
  std::printf("BENCH %s_max %llu %s\n", name.c_str(), at(1.0), unit);
}

void add(Runtime& runtime, const std::string& role, const char* file, const std::string& toml,
         std::vector<std::string> requires_roles, const testing::TempDir& dir) {
  auto library = PluginLibrary::load(file, dir.path() / "plugins");
  auto table = parse_role_table(toml);
  if (!library.ok() || !table.ok()) {
    std::fprintf(stderr, "cannot set up %s: %s%s\n", role.c_str(),
                 library.ok() ? "" : library.status().message().c_str(),
                 table.ok() ? "" : table.status().message().c_str());
    std::exit(1);
  }
  ActorSpec spec = testing::actor(role, std::move(library).value());
  spec.requires_roles = std::move(requires_roles);
  spec.role_table = std::move(table).value();
  runtime.add_actor(std::move(spec));
}

// The reply to `correlation_id`, polled (a condition variable's wake-up would blur the figure).
testing::Received await_reply(testing::Probe& probe, std::uint64_t correlation_id) {
  for (const auto deadline = Clock::now() + std::chrono::seconds(10); Clock::now() < deadline;) {
    if (auto received = probe.inbox->find_correlation(correlation_id)) return *received;
    std::this_thread::yield();
  }
  std::fprintf(stderr, "no reply to request %llu\n",
               static_cast<unsigned long long>(correlation_id));
  std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  // As alysd does (host/runtime/allocator_tuning.hpp): the figures are a node's.
  alys::host::keep_large_allocations_in_heap();
  const int swaps = argc > 1 ? std::atoi(argv[1]) : 200;
  testing::TempDir dir("alys-bench-chain-swap");
  std::array<std::uint8_t, 32> secret{};
  secret[0] = 0x5e;
  secret[31] = 1;
  const SecretKey key = *SecretKey::from_bytes(secret);
  const auto key_file = dir.write("member.key", to_hex(key.bytes()));
  ::chmod(key_file.c_str(), 0600);
  const std::uint64_t genesis_ms = unix_ms() / kSlotMs * kSlotMs;
  const std::string chain_toml =
      "chain_id = " + std::to_string(kChainId) + "\nmembers = [\"" +
      to_hex(key.xonly_public_key()) + "\"]\nthreshold = 1\nslot_ms = " + std::to_string(kSlotMs) +
      "\ngenesis_timestamp_ms = " + std::to_string(genesis_ms) + "\nkey_file = \"" +
      key_file.string() +
      "\"\ndev_mine = true\nauxpow = { chain_id = 1953, max_blocks_without_pow = 100, "
      "initial_bits = \"207fffff\", retarget_interval = 1000, target_spacing_s = 2 }\n";

  RuntimeOptions options = testing::threaded_options(2);
  options.scratch_dir = dir.path() / "swaps";
  Runtime runtime(options);
  testing::Probe probe;
  runtime.add_actor(testing::actor("probe", probe.library));
  add(runtime, "storage", ALYS_STORAGE_PLUGIN, "backend = \"memory\"\n", {}, dir);
  add(runtime, "engine", ALYS_ENGINE_PLUGIN,
      "chain_id = " + std::to_string(kChainId) + "\nbase_fee_wei = 7\n", {"storage"}, dir);
  add(runtime, "chain", ALYS_CHAIN_PLUGIN, chain_toml, {"storage", "engine"}, dir);
  if (Status started = runtime.start(); !started.ok()) {
    std::fprintf(stderr, "start failed: %s\n", started.message().c_str());
    return 1;
  }
  const Address chain = *runtime.resolve("chain");
  auto status = [&] {
    return await_reply(probe, probe.context().request(chain, chain::GetStatus{}, 5000))
        .as<chain::ChainStatus>();
  };
  std::this_thread::sleep_for(std::chrono::milliseconds(5 * kSlotMs));
  auto counter = [&](const char* name) {
    auto sample = runtime.metrics().find("chain", name);
    return sample ? sample->counter : 0;
  };
  const chain::ChainStatus before = status();
  const std::uint64_t skipped_before = counter("chain_slots_skipped_total");
  const auto started_at = Clock::now();

  std::vector<std::uint64_t> pauses, first_answers, snapshot_bytes;
  for (int i = 0; i < swaps; ++i) {
    // Spread the swaps over the slot: some land while a block is built or committed.
    std::this_thread::sleep_for(std::chrono::milliseconds((i * 7) % 50));
    std::promise<std::pair<SwapOutcome, std::uint64_t>> settled;
    Clock::time_point ended{};
    runtime.swap(
        "chain", i % 2 == 0 ? ALYS_CHAIN_V2_PLUGIN : ALYS_CHAIN_PLUGIN,
        [&](const SwapOutcome& outcome) {
          ended = Clock::now();  // the role resumed just before `done` runs
          settled.set_value({outcome, probe.context().request(chain, chain::GetStatus{}, 5000)});
        });
    auto [outcome, correlation] = settled.get_future().get();
    if (!outcome.ok || outcome.mode != "state") {
      std::fprintf(stderr, "swap %d failed at %s: %s\n", i, outcome.stage.c_str(),
                   outcome.message.c_str());
      return 1;
    }
    const testing::Received answer = await_reply(probe, correlation);
    const auto answered = Clock::now();
    if (answer.kind != ALYS_KIND_REPLY || answer.as<chain::ChainStatus>().syncing) {
      std::fprintf(stderr, "swap %d: the chain did not answer GetStatus as running\n", i);
      return 1;
    }
    pauses.push_back(outcome.pause_us);
    first_answers.push_back(outcome.pause_us + micros(answered - ended));
    if (i % 10 == 0) {
      std::promise<std::size_t> size;
      runtime.post_control([&] {
        ActorCell* cell = runtime.cell("chain");
        cell->pause();
        auto state = cell->snapshot(2);  // schema 2 from the v2 build, 1 from v1
        cell->resume();
        size.set_value(state.ok() ? state.value().bytes.size() : 0);
      });
      snapshot_bytes.push_back(size.get_future().get());
    }
  }
  const chain::ChainStatus after = status();
  const std::uint64_t skipped = counter("chain_slots_skipped_total") - skipped_before;
  const double elapsed_s = std::chrono::duration<double>(Clock::now() - started_at).count();
  const std::uint64_t restarts = runtime.cell("chain")->counters().restarts.load();
  runtime.shutdown();
  runtime.wait();

  std::printf("BENCH chain_swap_count %zu swaps\n", pauses.size());
  report("chain_swap_pause", pauses, "us");
  report("chain_swap_first_answer", first_answers, "us");
  report("chain_swap_snapshot", snapshot_bytes, "bytes");
  std::printf("BENCH chain_swap_blocks_during %llu blocks\n",
              static_cast<unsigned long long>(after.head_height - before.head_height));
  std::printf("BENCH chain_swap_slots_during %.0f slots\n",
              elapsed_s * 1000.0 / static_cast<double>(kSlotMs));
  std::printf("BENCH chain_swap_slots_skipped %llu slots\n",
              static_cast<unsigned long long>(skipped));
  std::printf("BENCH chain_swap_finalized_behind %llu blocks\n",
              static_cast<unsigned long long>(after.head_height - after.finalized_height));
  std::printf("BENCH chain_swap_restarts %llu restarts\n",
              static_cast<unsigned long long>(restarts));
  return restarts == 0 ? 0 : 1;
}
