#include "host/admin/node_metrics.hpp"

#include "host/runtime/runtime.hpp"

namespace alys::host {

NodeMetricsSample collect_node_metrics(const Runtime& runtime) {
  NodeMetricsSample sample;
  for (ActorCell* cell : runtime.cells()) {
    ActorCounters& counters = cell->counters();
    ActorMetricsSample actor;
    actor.role = cell->role();
    actor.state = to_string(cell->state());
    actor.handled = counters.handled.load();
    actor.rejected = counters.rejected.load();
    actor.dropped = counters.dropped.load();
    actor.dead_lettered = counters.dead_lettered.load();
    actor.failures = counters.failures.load();
    actor.restarts = counters.restarts.load();
    actor.mailbox_depth = cell->mailbox_depth();
    actor.degraded = cell->degraded();
    actor.handling_seconds = counters.handling_seconds.snapshot();
    sample.actors.push_back(std::move(actor));
  }
  sample.swaps = runtime.swap_counts();
  sample.swap_pause_seconds = runtime.swap_pause();
  sample.unload_failures = runtime.unload_failures();
  sample.dead_letters = runtime.dead_letters().total();
  const RequestCounters& requests = runtime.request_counters();
  sample.requests = requests.requests.load();
  sample.replies = requests.replies.load();
  sample.request_timeouts = requests.timeouts.load();
  sample.late_replies = requests.late_replies.load();
  sample.plugin_metrics = runtime.metrics().snapshot();
  sample.process = read_process_metrics();
  return sample;
}

}  // namespace alys::host
