// Benchmark (not a test): the pause of a hot swap of the storage role (v1 <-> v2, state handed
// over) over a database of N committed blocks, for each backend. LevelDB closes and reopens the
// database; the memory backend hands every entry over, so its pause grows with the data.
// Prints `BENCH <name> <value> <unit>` lines. Build the release preset for real figures:
//   cmake --build --preset release --target alys_bench_storage_swap_pause
//   build/release/tests/bench/alys_bench_storage_swap_pause [swaps] [blocks]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "alys/schemas/storage.hpp"
#include "alys/testing.hpp"
#include "host/runtime/allocator_tuning.hpp"
#include "temp_dir.hpp"

using namespace alys;
using namespace alys::storage;

namespace {

// A block of about the dev chain's size with a few engine entries, as the chain commits them.
CommitBlock block_at(std::uint64_t height) {
  CommitBlock commit;
  commit.height = height;
  for (int i = 0; i < 8; ++i) commit.hash[31 - i] = static_cast<std::uint8_t>(height >> (8 * i));
  commit.block = Bytes(600, static_cast<std::uint8_t>(height));
  for (std::uint8_t account = 0; account < 4; ++account) {
    Bytes key{'a', account, static_cast<std::uint8_t>(height % 251)};
    commit.engine_puts.push_back({key, Bytes(40, account)});
  }
  return commit;
}

int run(const char* backend, const std::string& toml, int swaps, std::uint64_t blocks) {
  testing::Harness harness;
  harness.add("storage", ALYS_STORAGE_PLUGIN, toml);
  harness.start();
  for (std::uint64_t height = 0; height < blocks; ++height) {
    std::uint64_t id = harness.request("storage", block_at(height));
    harness.run();
    auto committed = harness.reply_as<Committed>(id);
    if (!committed || !committed->error.empty()) {
      std::fprintf(stderr, "commit %llu failed\n", static_cast<unsigned long long>(height));
      return 1;
    }
  }
  std::vector<std::uint64_t> pauses;
  for (int i = 0; i < swaps; ++i) {
    testing::SwapResult swapped =
        harness.swap("storage", i % 2 == 0 ? ALYS_STORAGE_V2_PLUGIN : ALYS_STORAGE_PLUGIN);
    if (!swapped.ok || swapped.mode != "state") {
      std::fprintf(stderr, "swap %d failed at %s: %s\n", i, swapped.stage.c_str(),
                   swapped.message.c_str());
      return 1;
    }
    pauses.push_back(swapped.pause_us);
  }
  std::uint64_t id = harness.request("storage", GetHead{});
  harness.run();
  auto head = harness.reply_as<Head>(id);
  if (!head || head->height + 1 != blocks) {
    std::fprintf(stderr, "the head moved across the swaps\n");
    return 1;
  }
  std::sort(pauses.begin(), pauses.end());
  auto at = [&](double q) { return pauses[static_cast<std::size_t>(q * (pauses.size() - 1))]; };
  std::printf("BENCH storage_%s_swap_blocks %llu blocks\n", backend,
              static_cast<unsigned long long>(blocks));
  std::printf("BENCH storage_%s_swap_pause_p50_us %llu us\n", backend,
              static_cast<unsigned long long>(at(0.50)));
  std::printf("BENCH storage_%s_swap_pause_p99_us %llu us\n", backend,
              static_cast<unsigned long long>(at(0.99)));
  std::printf("BENCH storage_%s_swap_pause_max_us %llu us\n", backend,
              static_cast<unsigned long long>(pauses.back()));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // As alysd does (host/runtime/allocator_tuning.hpp): the figures are a node's.
  alys::host::keep_large_allocations_in_heap();
  const int swaps = argc > 1 ? std::atoi(argv[1]) : 200;
  const std::uint64_t blocks = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 10'000;
  testing::TempDir dir("alys-bench-storage-swap");
  const std::string leveldb =
      "backend = \"leveldb\"\npath = \"" + (dir.path() / "chain.db").string() + "\"\n";
  if (int failed = run("leveldb", leveldb, swaps, blocks)) return failed;
  return run("memory", "backend = \"memory\"\n", swaps, blocks);
}
