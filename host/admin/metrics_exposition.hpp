// The node's metrics in the Prometheus text exposition format 0.0.4, written by the project (no
// packaged client exists). The admin server collects a NodeMetricsSample and renders it.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "host/runtime/histogram.hpp"
#include "host/runtime/metrics_registry.hpp"

namespace alys::host {

struct ActorMetricsSample {
  std::string role;
  std::string state;  // to_string(ActorState)
  std::uint64_t handled = 0;
  std::uint64_t rejected = 0;
  std::uint64_t dropped = 0;
  std::uint64_t dead_lettered = 0;
  std::uint64_t failures = 0;
  std::uint64_t restarts = 0;
  std::uint64_t mailbox_depth = 0;
  bool degraded = false;  // its health probe answered ALYS_DEGRADED (ActorCell::degraded)
  HistogramSnapshot handling_seconds;
};

struct SwapCounts {
  std::uint64_t swapped = 0;      // new version serving with the old state
  std::uint64_t restarted = 0;    // non-swappable: swapped by restart with fresh state
  std::uint64_t rolled_back = 0;  // failed; the old version serves again
};

struct ProcessMetricsSample {
  double resident_memory_bytes = 0;
  double virtual_memory_bytes = 0;
  double cpu_seconds = 0;         // user + system
  double start_time_seconds = 0;  // unix time
  std::uint64_t threads = 0;
  std::uint64_t open_fds = 0;
  std::uint64_t max_fds = 0;
};

struct NodeMetricsSample {
  std::vector<ActorMetricsSample> actors;
  std::map<std::string, SwapCounts> swaps;  // by role
  HistogramSnapshot swap_pause_seconds;
  std::uint64_t unload_failures = 0;  // old plugin mappings still present after unload
  std::uint64_t dead_letters = 0;
  std::uint64_t requests = 0;
  std::uint64_t replies = 0;
  std::uint64_t request_timeouts = 0;
  std::uint64_t late_replies = 0;
  std::vector<MetricSample> plugin_metrics;  // from MetricsRegistry::snapshot()
  ProcessMetricsSample process;
};

// Renders every family with # HELP and # TYPE, in a stable order; labels escaped per the format.
std::string render_prometheus(const NodeMetricsSample& sample);

// Reads this process's figures from /proc/self (stat, status, fd, limits).
ProcessMetricsSample read_process_metrics();

}  // namespace alys::host
