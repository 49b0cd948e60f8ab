// The baseline: the same two benchmarks on CAF 0.17 (Debian's libcaf-dev), 2 worker threads.
//   caf_baseline oneway N    one sender actor sends N u64 to one counting receiver
//   caf_baseline pingpong N  N request/response round trips, one at a time
// Prints BENCH lines. CAF's mailbox is unbounded: the sender is never back-pressured.
#include <sys/resource.h>

#include <algorithm>
#include <caf/all.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <string>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;

double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

void oneway(caf::actor_system& system, std::uint64_t n) {
  std::promise<void> done;
  auto finished = done.get_future();
  auto receiver = system.spawn([n, &done](caf::event_based_actor*) -> caf::behavior {
    auto count = std::make_shared<std::uint64_t>(0);
    return {[=, &done](std::uint64_t) {
      if (++*count == n) done.set_value();
    }};
  });
  auto start = clock_type::now();
  system.spawn([receiver, n](caf::event_based_actor* self) {
    for (std::uint64_t i = 0; i < n; ++i) self->send(receiver, i);
  });
  finished.wait();
  double seconds = std::chrono::duration<double>(clock_type::now() - start).count();
  std::printf("BENCH caf_oneway_msgs_per_s %.0f msg/s\n", static_cast<double>(n) / seconds);
  std::printf("BENCH caf_oneway_peak_rss_mb %.1f MB\n", peak_rss_mb());
}

void pingpong(caf::actor_system& system, std::uint64_t n) {
  std::promise<std::vector<std::uint64_t>> done;
  auto finished = done.get_future();
  auto pong = system.spawn([](caf::event_based_actor*) -> caf::behavior {
    return {[](std::uint64_t value) { return value; }};
  });
  auto start = clock_type::now();
  system.spawn([pong, n, &done](caf::event_based_actor* self) -> caf::behavior {
    auto latencies = std::make_shared<std::vector<std::uint64_t>>();
    latencies->reserve(n);
    auto next = std::make_shared<std::function<void()>>();
    *next = [self, pong, n, latencies, next, &done] {
      auto sent = clock_type::now();
      self->request(pong, caf::infinite, std::uint64_t{latencies->size()})
          .then([=, &done](std::uint64_t) {
            latencies->push_back(static_cast<std::uint64_t>(
                std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now() - sent)
                    .count()));
            if (latencies->size() < n) {
              (*next)();
              return;
            }
            done.set_value(*latencies);
            // Both actors must end, or the actor system's destructor waits for them forever.
            self->send_exit(pong, caf::exit_reason::user_shutdown);
            self->quit();
          });
    };
    (*next)();
    // A behavior keeps the actor alive while its responses are pending.
    return {[](const std::string&) {}};
  });
  auto latencies = finished.get();
  double seconds = std::chrono::duration<double>(clock_type::now() - start).count();
  std::sort(latencies.begin(), latencies.end());
  auto at = [&](double q) {
    return latencies[static_cast<std::size_t>(q * (latencies.size() - 1))];
  };
  std::printf("BENCH caf_pingpong_round_trips_per_s %.0f rt/s\n", static_cast<double>(n) / seconds);
  std::printf("BENCH caf_pingpong_p50_us %.2f us\n", static_cast<double>(at(0.5)) / 1000.0);
  std::printf("BENCH caf_pingpong_p99_us %.2f us\n", static_cast<double>(at(0.99)) / 1000.0);
  std::printf("BENCH caf_pingpong_peak_rss_mb %.1f MB\n", peak_rss_mb());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: caf_baseline oneway|pingpong N\n");
    return 2;
  }
  std::string mode = argv[1];
  std::uint64_t n = std::strtoull(argv[2], nullptr, 10);
  caf::actor_system_config config;
  config.set("scheduler.max-threads", 2);
  caf::actor_system system{config};
  if (mode == "oneway")
    oneway(system, n);
  else if (mode == "pingpong")
    pingpong(system, n);
  else
    return 2;
  return 0;
}
