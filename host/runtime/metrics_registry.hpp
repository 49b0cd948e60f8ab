// Metrics that plugins report through the host API, labelled with their role. The Prometheus
// exposition of these (and of the host's own counters) is the admin server's job.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace alys::host {

struct HistogramValue {
  // Upper bounds of the buckets (the Prometheus client defaults); +Inf is implicit.
  static constexpr std::array<double, 11> kBounds{0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                  0.5,   1,    2.5,   5,    10};
  std::array<std::uint64_t, kBounds.size()> buckets{};  // not cumulative
  std::uint64_t count = 0;
  double sum = 0;
};

struct MetricSample {
  enum class Kind { counter, gauge, histogram };
  std::string role;
  std::string name;
  Kind kind = Kind::counter;
  std::uint64_t counter = 0;
  double gauge = 0;
  HistogramValue histogram;
};

class MetricsRegistry {
 public:
  // Thread-safe. ALYS_ERR_INVALID for a bad name or a name already used with another kind.
  std::int32_t counter_add(const std::string& role, const std::string& name, std::uint64_t delta);
  std::int32_t gauge_set(const std::string& role, const std::string& name, double value);
  std::int32_t histogram_observe(const std::string& role, const std::string& name, double value);

  std::vector<MetricSample> snapshot() const;
  std::optional<MetricSample> find(const std::string& role, const std::string& name) const;

  static bool valid_name(const std::string& name);

 private:
  MetricSample* slot(const std::string& role, const std::string& name, MetricSample::Kind kind);

  mutable std::mutex mutex_;
  std::map<std::pair<std::string, std::string>, MetricSample> samples_;
};

}  // namespace alys::host
