// Gathers the figures of a running node for the metrics exposition and the admin API.
#pragma once

#include "host/admin/metrics_exposition.hpp"

namespace alys::host {

class Runtime;

// Thread-safe: reads counters and states only.
NodeMetricsSample collect_node_metrics(const Runtime& runtime);

}  // namespace alys::host
