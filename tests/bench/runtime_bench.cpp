// Our side of the runtime benchmarks: the sender and receiver are separate plugins (files)
// loaded by alysd's runtime, 2 worker threads, bounded mailboxes.
//   runtime_bench oneway N     one source plugin sends N u64 to one sink plugin
//   runtime_bench fanin N      four sources send N/4 each to one sink
//   runtime_bench pingpong N   N request/response round trips between two plugins
//   runtime_bench restart N    N crashes of an actor; time from the crash to dispatch resumed
//   runtime_bench mailbox N    memory per queued message, N messages held in one mailbox; then
//                              how fast a sink alone drains a full 8,192-message mailbox
// Prints `BENCH <name> <value> <unit>` lines; each mode also prints its process's peak RSS.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "bench_messages.hpp"
#include "host/runtime/runtime.hpp"
#include "probe.hpp"

using namespace alys;
using namespace alys::host;
using clock_type = std::chrono::steady_clock;

namespace {

std::shared_ptr<PluginLibrary> bench_plugin(const std::string& name) {
  auto loaded = PluginLibrary::load(std::filesystem::path(ALYS_BENCH_PLUGIN_DIR) / (name + ".so"),
                                    std::filesystem::temp_directory_path() / "alys-bench-copies");
  if (!loaded.ok()) {
    std::fprintf(stderr, "%s\n", loaded.status().message().c_str());
    std::exit(1);
  }
  return std::move(loaded).value();
}

double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

double current_rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  long total = 0, resident = 0;
  statm >> total >> resident;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE));
}

RuntimeOptions options() {
  RuntimeOptions runtime;
  runtime.workers = 2;
  runtime.logger = testing::test_logger();
  return runtime;
}

ActorSpec role(std::string name, std::shared_ptr<PluginLibrary> library,
               std::size_t capacity = 8192) {
  ActorSpec spec = testing::actor(std::move(name), std::move(library),
                                  MailboxConfig{capacity, OverflowPolicy::reject, 256});
  return spec;
}

// Waits for `count` Done events from `who`; returns the last.
bench::Done wait_done(testing::Probe& probe, const std::string& who, std::size_t count = 1) {
  bench::Done last;
  probe.inbox->wait_until(
      [&](const auto& items) {
        std::size_t seen = 0;
        for (const auto& item : items) {
          if (!item.template is<bench::Done>()) continue;
          auto done = item.template as<bench::Done>();
          if (done.who == who) {
            ++seen;
            last = done;
          }
        }
        return seen >= count;
      },
      std::chrono::minutes(10));
  return last;
}

int oneway(std::uint64_t n, int sources) {
  Runtime runtime(options());
  testing::Probe probe;
  runtime.add_actor(testing::actor("probe", probe.library));
  ActorSpec sink = role("sink", bench_plugin("bench_sink"));
  sink.role_table = parse_role_table("expect = " + std::to_string(n)).value();
  runtime.add_actor(sink);
  for (int i = 0; i < sources; ++i)
    runtime.add_actor(role("source" + std::to_string(i), bench_plugin("bench_source")));
  if (alys::Status started = runtime.start(); !started.ok())
    return std::fprintf(stderr, "%s\n", started.message().c_str()), 1;
  probe.context().subscribe(bench::kDoneTopic);
  auto start = clock_type::now();
  for (int i = 0; i < sources; ++i)
    (void)probe.context().send(probe.context().resolve("source" + std::to_string(i)),
                               bench::Go{n / static_cast<std::uint64_t>(sources), "sink"});
  wait_done(probe, "sink");
  double seconds = std::chrono::duration<double>(clock_type::now() - start).count();
  const char* name = sources == 1 ? "oneway" : "fanin4";
  std::printf("BENCH %s_msgs_per_s %.0f msg/s\n", name, static_cast<double>(n) / seconds);
  std::printf("BENCH %s_peak_rss_mb %.1f MB\n", name, peak_rss_mb());
  runtime.shutdown();
  runtime.wait();
  return 0;
}

int pingpong(std::uint64_t n) {
  Runtime runtime(options());
  testing::Probe probe;
  runtime.add_actor(testing::actor("probe", probe.library));
  runtime.add_actor(role("ping", bench_plugin("bench_ping")));
  runtime.add_actor(role("pong", bench_plugin("bench_pong")));
  if (alys::Status started = runtime.start(); !started.ok())
    return std::fprintf(stderr, "%s\n", started.message().c_str()), 1;
  probe.context().subscribe(bench::kDoneTopic);
  auto start = clock_type::now();
  (void)probe.context().send(probe.context().resolve("ping"), bench::Go{n, "pong"});
  bench::Done done = wait_done(probe, "ping");
  double seconds = std::chrono::duration<double>(clock_type::now() - start).count();
  std::printf("BENCH pingpong_round_trips_per_s %.0f rt/s\n", static_cast<double>(n) / seconds);
  std::printf("BENCH pingpong_p50_us %.2f us\n", static_cast<double>(done.p50_ns) / 1000.0);
  std::printf("BENCH pingpong_p99_us %.2f us\n", static_cast<double>(done.p99_ns) / 1000.0);
  std::printf("BENCH pingpong_peak_rss_mb %.1f MB\n", peak_rss_mb());
  runtime.shutdown();
  runtime.wait();
  return 0;
}

int restart(std::uint64_t n) {
  RuntimeOptions runtime_options = options();
  Runtime runtime(runtime_options);
  testing::Probe probe;
  runtime.add_actor(testing::actor("probe", probe.library));
  runtime.add_actor(role("pong", bench_plugin("bench_pong")));
  SupervisorConfig root;
  root.name = "root";
  root.children = {"probe", "pong"};
  root.max_restarts = static_cast<std::uint32_t>(n + 1);
  root.backoff_initial_ms = 0;  // measure the mechanism, not a configured delay
  root.backoff_max_ms = 0;
  runtime.set_supervisors({root});
  if (alys::Status started = runtime.start(); !started.ok())
    return std::fprintf(stderr, "%s\n", started.message().c_str()), 1;
  Address pong = probe.context().resolve("pong");
  std::vector<std::uint64_t> resumed_ns;
  for (std::uint64_t i = 0; i < n; ++i) {
    auto crashed_at = clock_type::now();
    (void)probe.context().send(pong, bench::Crash{});
    std::uint64_t asked = probe.context().request(pong, bench::Value{i}, 60'000);
    probe.inbox->wait_until(
        [&](const auto& items) {
          return std::any_of(items.begin(), items.end(),
                             [&](const auto& item) { return item.correlation_id == asked; });
        },
        std::chrono::seconds(30));
    resumed_ns.push_back(static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now() - crashed_at)
            .count()));
  }
  std::sort(resumed_ns.begin(), resumed_ns.end());
  auto at = [&](double q) {
    return resumed_ns[static_cast<std::size_t>(q * (resumed_ns.size() - 1))];
  };
  std::printf("BENCH restart_resume_p50_us %.1f us\n", static_cast<double>(at(0.5)) / 1000.0);
  std::printf("BENCH restart_resume_p99_us %.1f us\n", static_cast<double>(at(0.99)) / 1000.0);
  std::printf("BENCH restart_peak_rss_mb %.1f MB\n", peak_rss_mb());
  runtime.shutdown();
  runtime.wait();
  return 0;
}

int mailbox(std::uint64_t n) {
  RuntimeOptions runtime_options = options();
  runtime_options.deterministic = true;  // nothing drains the mailbox while we fill it
  Runtime runtime(runtime_options);
  testing::Probe probe;
  runtime.add_actor(testing::actor("probe", probe.library));
  runtime.add_actor(role("sink", bench_plugin("bench_sink"), static_cast<std::size_t>(n)));
  runtime.add_actor(role("drained", bench_plugin("bench_sink")));
  if (alys::Status started = runtime.start(); !started.ok())
    return std::fprintf(stderr, "%s\n", started.message().c_str()), 1;
  Address sink = probe.context().resolve("sink");
  double before = current_rss_bytes();
  for (std::uint64_t i = 0; i < n; ++i) (void)probe.context().send(sink, bench::Value{i});
  double after = current_rss_bytes();
  std::printf("BENCH mailbox_bytes_per_message %.1f B\n",
              (after - before) / static_cast<double>(n));
  std::printf("BENCH mailbox_peak_rss_mb %.1f MB\n", peak_rss_mb());
  runtime.run_until_idle();

  // The receiving side alone: a sink with one-way's mailbox (8,192) filled, then drained on this
  // thread with no sender running, 100 times. One-way cannot be faster than this.
  Address drained = probe.context().resolve("drained");
  double seconds = 0;
  constexpr int kRounds = 100;
  constexpr std::uint64_t kPerRound = 8192;
  for (int round = 0; round < kRounds; ++round) {
    for (std::uint64_t i = 0; i < kPerRound; ++i)
      (void)probe.context().send(drained, bench::Value{i});
    auto start = clock_type::now();
    runtime.run_until_idle();
    seconds += std::chrono::duration<double>(clock_type::now() - start).count();
  }
  std::printf("BENCH drain_msgs_per_s %.0f msg/s\n", kRounds * kPerRound / seconds);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: runtime_bench oneway|fanin|pingpong|restart|mailbox N\n");
    return 2;
  }
  std::string mode = argv[1];
  std::uint64_t n = std::strtoull(argv[2], nullptr, 10);
  if (mode == "oneway") return oneway(n, 1);
  if (mode == "fanin") return oneway(n, 4);
  if (mode == "pingpong") return pingpong(n);
  if (mode == "restart") return restart(n);
  if (mode == "mailbox") return mailbox(n);
  return 2;
}
