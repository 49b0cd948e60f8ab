#include "host/admin/metrics_exposition.hpp"

#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "host/runtime/histogram.hpp"
#include "host/runtime/metrics_registry.hpp"
#include "temp_dir.hpp"

using alys::host::ActorMetricsSample;
using alys::host::HistogramSnapshot;
using alys::host::LatencyHistogram;
using alys::host::MetricSample;
using alys::host::MetricsRegistry;
using alys::host::NodeMetricsSample;
using alys::host::ProcessMetricsSample;
using alys::host::read_process_metrics;
using alys::host::render_prometheus;

namespace {

std::size_t occurrences(const std::string& text, const std::string& needle) {
  std::size_t found = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos;
       at = text.find(needle, at + needle.size())) {
    ++found;
  }
  return found;
}

bool has_line(const std::string& text, const std::string& line) {
  return text.find(line + "\n") == 0 || text.find("\n" + line + "\n") != std::string::npos;
}

ActorMetricsSample actor(const std::string& role, const std::string& state) {
  ActorMetricsSample sample;
  sample.role = role;
  sample.state = state;
  return sample;
}

MetricSample plugin_sample(const std::string& role, const std::string& name,
                           MetricSample::Kind kind) {
  MetricSample sample;
  sample.role = role;
  sample.name = name;
  sample.kind = kind;
  return sample;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

TEST_CASE("render_prometheus pins the exposition format for a small node") {
  NodeMetricsSample node;
  ActorMetricsSample echo = actor("echo", "running");
  echo.handled = 5;
  echo.rejected = 1;
  echo.dropped = 2;
  echo.dead_lettered = 3;
  echo.failures = 0;
  echo.restarts = 1;
  echo.mailbox_depth = 7;
  echo.handling_seconds = HistogramSnapshot{{0.001, 0.01}, {2, 1, 1}, 4, 0.0135};
  node.actors.push_back(echo);
  node.swaps["echo"] = {1, 0, 2};
  node.swap_pause_seconds = HistogramSnapshot{{1e-6, 0.5}, {0, 1, 0}, 1, 0.25};
  node.dead_letters = 3;
  node.requests = 10;
  node.replies = 9;
  node.request_timeouts = 1;
  node.process.resident_memory_bytes = 12345678;
  node.process.virtual_memory_bytes = 1.5e9;
  node.process.cpu_seconds = 0.5;
  node.process.start_time_seconds = 1700000000.25;
  node.process.threads = 4;
  node.process.open_fds = 7;
  node.process.max_fds = 1024;

  const std::string expected =
      R"(# HELP alys_actor_messages_handled_total Messages the actor has handled.
# TYPE alys_actor_messages_handled_total counter
alys_actor_messages_handled_total{role="echo"} 5
# HELP alys_actor_messages_rejected_total Sends to the actor refused because its mailbox was full.
# TYPE alys_actor_messages_rejected_total counter
alys_actor_messages_rejected_total{role="echo"} 1
# HELP alys_actor_messages_dropped_total Messages dropped from the actor's full mailbox to make room (drop-oldest).
# TYPE alys_actor_messages_dropped_total counter
alys_actor_messages_dropped_total{role="echo"} 2
# HELP alys_actor_dead_letters_total Messages for the actor that went to the dead letters.
# TYPE alys_actor_dead_letters_total counter
alys_actor_dead_letters_total{role="echo"} 3
# HELP alys_actor_failures_total Failures of the actor's handler.
# TYPE alys_actor_failures_total counter
alys_actor_failures_total{role="echo"} 0
# HELP alys_actor_restarts_total Restarts of the actor by its supervisor.
# TYPE alys_actor_restarts_total counter
alys_actor_restarts_total{role="echo"} 1
# HELP alys_actor_mailbox_depth Messages waiting in the actor's mailbox.
# TYPE alys_actor_mailbox_depth gauge
alys_actor_mailbox_depth{role="echo"} 7
# HELP alys_actor_up 1 if the actor is running, else 0; the state is a label.
# TYPE alys_actor_up gauge
alys_actor_up{role="echo",state="running"} 1
# HELP alys_actor_degraded 1 while the actor runs but cannot do its work (its health probe answered degraded), else 0.
# TYPE alys_actor_degraded gauge
alys_actor_degraded{role="echo"} 0
# HELP alys_actor_handling_seconds Time the actor's handler took per message; one message in 16 is timed.
# TYPE alys_actor_handling_seconds histogram
alys_actor_handling_seconds_bucket{role="echo",le="0.001"} 2
alys_actor_handling_seconds_bucket{role="echo",le="0.01"} 3
alys_actor_handling_seconds_bucket{role="echo",le="+Inf"} 4
alys_actor_handling_seconds_sum{role="echo"} 0.0135
alys_actor_handling_seconds_count{role="echo"} 4
# HELP alys_swaps_total Plugin hot swaps by role and result.
# TYPE alys_swaps_total counter
alys_swaps_total{role="echo",result="swapped"} 1
alys_swaps_total{role="echo",result="restarted"} 0
alys_swaps_total{role="echo",result="rolled_back"} 2
# HELP alys_swap_pause_seconds Time an actor stopped serving during a hot swap.
# TYPE alys_swap_pause_seconds histogram
alys_swap_pause_seconds_bucket{le="1e-06"} 0
alys_swap_pause_seconds_bucket{le="0.5"} 1
alys_swap_pause_seconds_bucket{le="+Inf"} 1
alys_swap_pause_seconds_sum 0.25
alys_swap_pause_seconds_count 1
# HELP alys_plugin_unload_failures_total Plugin libraries whose mappings were still present after unloading.
# TYPE alys_plugin_unload_failures_total counter
alys_plugin_unload_failures_total 0
# HELP alys_dead_letters_total Messages that could not be delivered, node-wide.
# TYPE alys_dead_letters_total counter
alys_dead_letters_total 3
# HELP alys_requests_total Requests sent, node-wide.
# TYPE alys_requests_total counter
alys_requests_total 10
# HELP alys_replies_total Replies delivered to their requester, node-wide.
# TYPE alys_replies_total counter
alys_replies_total 9
# HELP alys_request_timeouts_total Requests that timed out before their reply, node-wide.
# TYPE alys_request_timeouts_total counter
alys_request_timeouts_total 1
# HELP alys_late_replies_total Replies that arrived after their request had timed out.
# TYPE alys_late_replies_total counter
alys_late_replies_total 0
# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.
# TYPE process_cpu_seconds_total counter
process_cpu_seconds_total 0.5
# HELP process_open_fds Number of open file descriptors.
# TYPE process_open_fds gauge
process_open_fds 7
# HELP process_max_fds Maximum number of open file descriptors.
# TYPE process_max_fds gauge
process_max_fds 1024
# HELP process_virtual_memory_bytes Virtual memory size in bytes.
# TYPE process_virtual_memory_bytes gauge
process_virtual_memory_bytes 1.5e+09
# HELP process_resident_memory_bytes Resident memory size in bytes.
# TYPE process_resident_memory_bytes gauge
process_resident_memory_bytes 1.2345678e+07
# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.
# TYPE process_start_time_seconds gauge
process_start_time_seconds 1.70000000025e+09
# HELP process_threads Number of OS threads in the process.
# TYPE process_threads gauge
process_threads 4
)";
  CHECK(render_prometheus(node) == expected);
}

TEST_CASE("render_prometheus escapes label values") {
  NodeMetricsSample node;
  node.actors.push_back(actor("a\"b\\c\nd", "failed \"hard\""));
  const std::string text = render_prometheus(node);
  CHECK(has_line(text, R"(alys_actor_messages_handled_total{role="a\"b\\c\nd"} 0)"));
  CHECK(has_line(text, R"(alys_actor_up{role="a\"b\\c\nd",state="failed \"hard\""} 0)"));
  // No raw newline can leak into a sample line.
  CHECK_FALSE(has_line(text, "d\"} 0"));
}

TEST_CASE("render_prometheus writes each family once, actors in role order") {
  NodeMetricsSample node;
  node.actors.push_back(actor("zeta", "stopped"));
  node.actors.push_back(actor("alpha", "running"));
  node.swaps["zeta"] = {};
  node.swaps["alpha"] = {};
  const std::string text = render_prometheus(node);
  CHECK(occurrences(text, "# TYPE alys_actor_up gauge\n") == 1);
  CHECK(occurrences(text, "# HELP alys_actor_handling_seconds ") == 1);
  CHECK(occurrences(text, "# TYPE alys_swaps_total counter\n") == 1);
  CHECK(has_line(text, R"(alys_actor_up{role="alpha",state="running"} 1)"));
  CHECK(has_line(text, R"(alys_actor_up{role="zeta",state="stopped"} 0)"));
  CHECK(text.find(R"(alys_actor_up{role="alpha")") < text.find(R"(alys_actor_up{role="zeta")"));
  CHECK(occurrences(text, "alys_swaps_total{") == 6);
  CHECK(render_prometheus(node) == text);
}

TEST_CASE("render_prometheus: a degraded actor is up, and degraded 1") {
  NodeMetricsSample node;
  ActorMetricsSample engine = actor("engine", "running");
  engine.degraded = true;
  node.actors = {engine, actor("chain", "running")};
  const std::string text = render_prometheus(node);
  CHECK(occurrences(text, "# TYPE alys_actor_degraded gauge\n") == 1);
  CHECK(has_line(text, R"(alys_actor_degraded{role="engine"} 1)"));
  CHECK(has_line(text, R"(alys_actor_degraded{role="chain"} 0)"));
  CHECK(has_line(text, R"(alys_actor_up{role="engine",state="running"} 1)"));
}

TEST_CASE("render_prometheus turns per-bucket counts into cumulative ones") {
  SECTION("host histograms") {
    NodeMetricsSample node;
    ActorMetricsSample worker = actor("worker", "running");
    worker.handling_seconds = HistogramSnapshot{{0.1, 0.5, 1}, {1, 2, 3, 4}, 10, 7.5};
    node.actors.push_back(worker);
    const std::string text = render_prometheus(node);
    const std::string bucket = R"(alys_actor_handling_seconds_bucket{role="worker",le=)";
    CHECK(has_line(text, bucket + R"("0.1"} 1)"));
    CHECK(has_line(text, bucket + R"("0.5"} 3)"));
    CHECK(has_line(text, bucket + R"("1"} 6)"));
    CHECK(has_line(text, bucket + R"("+Inf"} 10)"));
    CHECK(has_line(text, R"(alys_actor_handling_seconds_sum{role="worker"} 7.5)"));
    CHECK(has_line(text, R"(alys_actor_handling_seconds_count{role="worker"} 10)"));
  }
  SECTION("a real LatencyHistogram") {
    LatencyHistogram histogram;
    histogram.observe_ns(500);            // 0.5 µs: first bucket
    histogram.observe_ns(3'000'000);      // 3 ms: le 0.005
    histogram.observe_ns(2'000'000'000);  // 2 s: overflow
    NodeMetricsSample node;
    node.swap_pause_seconds = histogram.snapshot();
    const std::string text = render_prometheus(node);
    CHECK(has_line(text, R"(alys_swap_pause_seconds_bucket{le="1e-06"} 1)"));
    CHECK(has_line(text, R"(alys_swap_pause_seconds_bucket{le="0.0025"} 1)"));
    CHECK(has_line(text, R"(alys_swap_pause_seconds_bucket{le="0.005"} 2)"));
    CHECK(has_line(text, R"(alys_swap_pause_seconds_bucket{le="1"} 2)"));
    CHECK(has_line(text, R"(alys_swap_pause_seconds_bucket{le="+Inf"} 3)"));
    CHECK(has_line(text, R"(alys_swap_pause_seconds_count 3)"));
    CHECK(occurrences(text, "alys_swap_pause_seconds_bucket{") == 17);
  }
  SECTION("plugin histograms, whose overflow bucket is implicit") {
    MetricSample latency = plugin_sample("worker", "job_seconds", MetricSample::Kind::histogram);
    latency.histogram.buckets[0] = 1;  // le 0.005
    latency.histogram.buckets[5] = 2;  // le 0.25
    latency.histogram.count = 4;       // one above 10
    latency.histogram.sum = 12.5;
    NodeMetricsSample node;
    node.plugin_metrics.push_back(latency);
    const std::string text = render_prometheus(node);
    const std::string bucket = R"(alys_plugin_job_seconds_bucket{role="worker",le=)";
    CHECK(has_line(text, bucket + R"("0.005"} 1)"));
    CHECK(has_line(text, bucket + R"("0.1"} 1)"));
    CHECK(has_line(text, bucket + R"("0.25"} 3)"));
    CHECK(has_line(text, bucket + R"("10"} 3)"));
    CHECK(has_line(text, bucket + R"("+Inf"} 4)"));
    CHECK(has_line(text, R"(alys_plugin_job_seconds_sum{role="worker"} 12.5)"));
    CHECK(has_line(text, R"(alys_plugin_job_seconds_count{role="worker"} 4)"));
    CHECK(occurrences(text, "alys_plugin_job_seconds_bucket{") == 12);
  }
}

TEST_CASE("render_prometheus writes a plugin's labels after the role, one TYPE per family") {
  MetricsRegistry registry;
  REQUIRE(registry.counter_add("network", R"(misbehaviour_total{reason="oversize"})", 1) == 0);
  REQUIRE(registry.counter_add("network", R"(misbehaviour_total{reason="garbage"})", 2) == 0);
  REQUIRE(registry.counter_add("bridge", R"(misbehaviour_total{reason="garbage"})", 4) == 0);
  REQUIRE(registry.gauge_set("network", R"(peers{state="banned",kind="observer"})", 1) == 0);
  REQUIRE(registry.histogram_observe("network", R"(frame_seconds{type="block"})", 0.02) == 0);
  NodeMetricsSample node;
  node.plugin_metrics = registry.snapshot();
  const std::string text = render_prometheus(node);
  CHECK(occurrences(text, "# TYPE alys_plugin_misbehaviour_total counter\n") == 1);
  CHECK(has_line(text, R"(alys_plugin_misbehaviour_total{role="bridge",reason="garbage"} 4)"));
  CHECK(has_line(text, R"(alys_plugin_misbehaviour_total{role="network",reason="garbage"} 2)"));
  CHECK(has_line(text, R"(alys_plugin_misbehaviour_total{role="network",reason="oversize"} 1)"));
  CHECK(has_line(text, R"(alys_plugin_peers{role="network",state="banned",kind="observer"} 1)"));
  CHECK(has_line(text,
                 R"(alys_plugin_frame_seconds_bucket{role="network",type="block",le="0.025"} 1)"));
  CHECK(has_line(text, R"(alys_plugin_frame_seconds_count{role="network",type="block"} 1)"));
}

TEST_CASE("render_prometheus names plugin metrics") {
  NodeMetricsSample node;
  MetricSample jobs_a = plugin_sample("a", "jobs", MetricSample::Kind::counter);
  jobs_a.counter = 3;
  MetricSample jobs_b = plugin_sample("b", "jobs", MetricSample::Kind::counter);
  jobs_b.counter = 4;
  MetricSample bytes = plugin_sample("a", "sent_bytes_total", MetricSample::Kind::counter);
  bytes.counter = 100;
  MetricSample queue = plugin_sample("a", "queue_length", MetricSample::Kind::gauge);
  queue.gauge = 2.5;
  MetricSample unknown = plugin_sample("b", "ratio", MetricSample::Kind::gauge);
  unknown.gauge = std::numeric_limits<double>::quiet_NaN();
  MetricSample huge = plugin_sample("b", "huge", MetricSample::Kind::gauge);
  huge.gauge = std::numeric_limits<double>::infinity();
  // A plugin cannot shadow the host's own family in the alys_plugin_ namespace.
  MetricSample shadow = plugin_sample("a", "unload_failures", MetricSample::Kind::counter);
  shadow.counter = 99;
  // Names that map to one family: a second kind, or a second sample for a role already in it,
  // is left out so that the exposition stays valid.
  MetricSample done = plugin_sample("a", "done", MetricSample::Kind::counter);
  done.counter = 5;
  MetricSample done_gauge = plugin_sample("c", "done_total", MetricSample::Kind::gauge);
  done_gauge.gauge = 77;
  MetricSample jobs_again = plugin_sample("a", "jobs_total", MetricSample::Kind::counter);
  jobs_again.counter = 42;
  node.plugin_metrics = {jobs_a, jobs_b, bytes, queue,      unknown,
                         huge,   shadow, done,  done_gauge, jobs_again};

  const std::string text = render_prometheus(node);
  CHECK(occurrences(text, "# TYPE alys_plugin_jobs_total counter\n") == 1);
  CHECK(has_line(text, R"(alys_plugin_jobs_total{role="a"} 3)"));
  CHECK(has_line(text, R"(alys_plugin_jobs_total{role="b"} 4)"));
  CHECK(has_line(text, "# TYPE alys_plugin_sent_bytes_total counter"));
  CHECK(has_line(text, R"(alys_plugin_sent_bytes_total{role="a"} 100)"));
  CHECK(occurrences(text, "_total_total") == 0);
  CHECK(has_line(text, "# TYPE alys_plugin_queue_length gauge"));
  CHECK(has_line(text, R"(alys_plugin_queue_length{role="a"} 2.5)"));
  CHECK(has_line(text, R"(alys_plugin_ratio{role="b"} NaN)"));
  CHECK(has_line(text, R"(alys_plugin_huge{role="b"} +Inf)"));
  CHECK(occurrences(text, "# TYPE alys_plugin_unload_failures_total") == 1);
  CHECK(has_line(text, "alys_plugin_unload_failures_total 0"));
  CHECK(occurrences(text, "99") == 0);
  CHECK(occurrences(text, "# TYPE alys_plugin_done_total counter\n") == 1);
  CHECK(has_line(text, R"(alys_plugin_done_total{role="a"} 5)"));
  CHECK(occurrences(text, "77") == 0);
  CHECK(occurrences(text, "42") == 0);
}

TEST_CASE("render_prometheus writes numbers in the shortest form Go's client writes") {
  NodeMetricsSample node;
  auto gauge = [&node](const std::string& name, double value) {
    MetricSample sample = plugin_sample("r", name, MetricSample::Kind::gauge);
    sample.gauge = value;
    node.plugin_metrics.push_back(sample);
  };
  gauge("a", 0.1 + 0.2);
  gauge("b", 123456);
  gauge("c", 1234567);
  gauge("d", 0.0001);
  gauge("e", 0.00001);
  gauge("f", -2.5);
  gauge("g", -std::numeric_limits<double>::infinity());
  gauge("h", 18446744073709551615.0);
  node.swap_pause_seconds = LatencyHistogram().snapshot();
  const std::string text = render_prometheus(node);
  CHECK(has_line(text, R"(alys_plugin_a{role="r"} 0.30000000000000004)"));
  CHECK(has_line(text, R"(alys_plugin_b{role="r"} 123456)"));
  CHECK(has_line(text, R"(alys_plugin_c{role="r"} 1.234567e+06)"));
  CHECK(has_line(text, R"(alys_plugin_d{role="r"} 0.0001)"));
  CHECK(has_line(text, R"(alys_plugin_e{role="r"} 1e-05)"));
  CHECK(has_line(text, R"(alys_plugin_f{role="r"} -2.5)"));
  CHECK(has_line(text, R"(alys_plugin_g{role="r"} -Inf)"));
  CHECK(has_line(text, R"(alys_plugin_h{role="r"} 1.8446744073709552e+19)"));
  CHECK(has_line(text, R"(alys_swap_pause_seconds_bucket{le="2.5e-05"} 0)"));
  CHECK(has_line(text, R"(alys_swap_pause_seconds_bucket{le="0.0001"} 0)"));
  CHECK(has_line(text, R"(alys_swap_pause_seconds_bucket{le="0.0005"} 0)"));
  // Counters are integers and stay exact beyond 2^53.
  node.requests = 18446744073709551615u;
  CHECK(has_line(render_prometheus(node), "alys_requests_total 18446744073709551615"));
}

TEST_CASE("read_process_metrics reads plausible figures for this process") {
  const ProcessMetricsSample process = read_process_metrics();
  CHECK(process.resident_memory_bytes > 1024.0 * 1024.0);
  CHECK(process.virtual_memory_bytes >= process.resident_memory_bytes);
  CHECK(process.cpu_seconds >= 0);
  CHECK(process.threads >= 1);
  CHECK(process.open_fds >= 3);
  CHECK(process.max_fds >= process.open_fds);
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  CHECK(process.start_time_seconds > now - 24 * 3600);
  CHECK(process.start_time_seconds <= now + 5);  // btime is whole seconds
}

TEST_CASE("promtool accepts a rich exposition without a single lint warning") {
  // Being installed alongside the build: wait for it rather than skip, since this test is the
  // only check that the format is what Prometheus itself parses.
  const std::filesystem::path promtool = "/usr/bin/promtool";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  while (!std::filesystem::exists(promtool) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::seconds(2));
  }
  if (!std::filesystem::exists(promtool)) {
    FAIL("/usr/bin/promtool is missing: install the Debian package `prometheus`");
  }

  NodeMetricsSample node;
  LatencyHistogram echo_latency;
  for (std::uint64_t ns : {800u, 12'000u, 40'000u, 3'000'000u, 700'000'000u, 2'000'000'000u}) {
    echo_latency.observe_ns(ns);
  }
  ActorMetricsSample echo = actor("echo", "running");
  echo.handled = 1234;
  echo.rejected = 2;
  echo.dropped = 5;
  echo.dead_lettered = 1;
  echo.failures = 3;
  echo.restarts = 3;
  echo.mailbox_depth = 17;
  echo.degraded = true;
  echo.handling_seconds = echo_latency.snapshot();
  ActorMetricsSample store = actor("store \"main\"\\eu\n", "restarting");
  store.handling_seconds = LatencyHistogram().snapshot();
  node.actors = {echo, store};
  node.swaps["echo"] = {2, 1, 1};
  node.swaps["store"] = {0, 0, 1};
  LatencyHistogram pauses;
  pauses.observe_ns(150'000);
  pauses.observe_ns(4'000'000);
  node.swap_pause_seconds = pauses.snapshot();
  node.unload_failures = 1;
  node.dead_letters = 6;
  node.requests = 100;
  node.replies = 97;
  node.request_timeouts = 3;
  node.late_replies = 1;

  MetricsRegistry registry;
  REQUIRE(registry.counter_add("echo", "jobs", 10) == 0);
  REQUIRE(registry.counter_add("store", "jobs", 4) == 0);
  REQUIRE(registry.counter_add("store", "written_bytes_total", 4096) == 0);
  REQUIRE(registry.gauge_set("echo", "queue_length", 3) == 0);
  REQUIRE(registry.gauge_set("store", "cache_ratio", 0.75) == 0);
  REQUIRE(registry.histogram_observe("echo", "job_seconds", 0.003) == 0);
  REQUIRE(registry.histogram_observe("echo", "job_seconds", 0.2) == 0);
  REQUIRE(registry.histogram_observe("echo", "job_seconds", 42) == 0);
  REQUIRE(registry.counter_add("network", R"(misbehaviour_total{reason="garbage"})", 2) == 0);
  REQUIRE(registry.counter_add("network", R"(misbehaviour_total{reason="oversize"})", 1) == 0);
  REQUIRE(registry.counter_add("echo", R"(misbehaviour_total{reason="garbage"})", 1) == 0);
  REQUIRE(registry.counter_add("network", R"(messages_total{type="status",way="in"})", 5) == 0);
  REQUIRE(registry.histogram_observe("network", R"(frame_seconds{type="block"})", 0.02) == 0);
  node.plugin_metrics = registry.snapshot();
  node.process = read_process_metrics();

  const std::string text = render_prometheus(node);
  alys::testing::TempDir dir("alys-metrics");
  const std::filesystem::path metrics = dir.write("metrics.prom", text);
  const std::filesystem::path output = dir.path() / "promtool.out";
  const std::string command = promtool.string() + " check metrics < '" + metrics.string() +
                              "' > '" + output.string() + "' 2>&1";
  const int status = std::system(command.c_str());
  const std::string report = read_file(output);
  INFO("exposition:\n" << text);
  INFO("promtool output:\n" << report);
  REQUIRE(status != -1);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(report.empty());
}
