// Benchmark (not a test): the pause of a hot swap while a sender pushes messages at full speed.
// Prints `BENCH <name> <value> <unit>` lines. Build the release preset for real figures:
//   cmake --preset release && cmake --build --preset release --target alys_bench_swap_pause
//   build/release/tests/bench/alys_bench_swap_pause [swaps]
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include "host/runtime/runtime.hpp"
#include "probe.hpp"
#include "temp_dir.hpp"
#include "test_messages.hpp"

using namespace alys;
using namespace alys::host;

int main(int argc, char** argv) {
  int swaps = argc > 1 ? std::atoi(argv[1]) : 200;
  testing::TempDir scratch("alys-bench-swap");
  RuntimeOptions options = testing::threaded_options(2);
  options.scratch_dir = scratch.path();
  Runtime runtime(options);
  testing::Probe probe;
  runtime.add_actor(testing::actor("probe", probe.library));
  runtime.add_actor(testing::actor("counter", testing::load_test_plugin("counter"),
                                   MailboxConfig{4096, OverflowPolicy::reject, 64}));
  if (alys::Status started = runtime.start(); !started.ok()) {
    std::fprintf(stderr, "start failed: %s\n", started.message().c_str());
    return 1;
  }
  Address counter = probe.context().resolve("counter");
  std::atomic<bool> sending{true};
  std::atomic<std::uint64_t> sent{0};
  std::thread sender([&] {
    std::uint64_t sequence = 1;
    while (sending.load(std::memory_order_relaxed)) {
      if (probe.context().send(counter, test::Count{1, sequence}).ok()) ++sequence;
    }
    sent = sequence - 1;
  });

  std::vector<std::uint64_t> pauses;
  for (int i = 0; i < swaps; ++i) {
    SwapOutcome outcome = runtime.swap_and_wait(
        "counter", testing::test_plugin(i % 2 == 0 ? "counter_v2" : "counter"));
    if (!outcome.ok) {
      std::fprintf(stderr, "swap %d failed at %s: %s\n", i, outcome.stage.c_str(),
                   outcome.message.c_str());
      return 1;
    }
    pauses.push_back(outcome.pause_us);
  }
  sending = false;
  sender.join();
  std::sort(pauses.begin(), pauses.end());
  auto at = [&](double q) { return pauses[static_cast<std::size_t>(q * (pauses.size() - 1))]; };
  std::printf("BENCH swap_count %zu swaps\n", pauses.size());
  std::printf("BENCH swap_pause_p50_us %llu us\n", static_cast<unsigned long long>(at(0.50)));
  std::printf("BENCH swap_pause_p99_us %llu us\n", static_cast<unsigned long long>(at(0.99)));
  std::printf("BENCH swap_pause_max_us %llu us\n", static_cast<unsigned long long>(pauses.back()));
  std::printf("BENCH swap_load_messages %llu messages\n",
              static_cast<unsigned long long>(sent.load()));
  return 0;
}
