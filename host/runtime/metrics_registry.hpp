// Metrics that plugins report through the host API, labelled with their role. The Prometheus
// exposition of these (and of the host's own counters) is the admin server's job.
//
// A plugin may give one label set per sample in the name it passes: `name{reason="garbage"}` —
// at most two labels, names [a-z_]+ (not `role` or `le`, which the exposition writes itself),
// values [a-z0-9_]+, no spaces. Such a set is a sample of its own in the family `name`; every
// sample of a family (per role) has one kind.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
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

// A sample's own labels, in the order the plugin wrote them.
using MetricLabels = std::vector<std::pair<std::string, std::string>>;

struct MetricSample {
  enum class Kind { counter, gauge, histogram };
  std::string role;
  std::string name;  // the family, without labels
  MetricLabels labels;
  Kind kind = Kind::counter;
  std::uint64_t counter = 0;
  double gauge = 0;
  HistogramValue histogram;
};

class MetricsRegistry {
 public:
  // Thread-safe. `name` is a family name, optionally followed by a label set (above).
  // ALYS_ERR_INVALID for a bad name or label set, or a family already used with another kind.
  std::int32_t counter_add(const std::string& role, const std::string& name, std::uint64_t delta);
  std::int32_t gauge_set(const std::string& role, const std::string& name, double value);
  std::int32_t histogram_observe(const std::string& role, const std::string& name, double value);

  std::vector<MetricSample> snapshot() const;
  // `name` as the plugin passed it, label set included.
  std::optional<MetricSample> find(const std::string& role, const std::string& name) const;

  static bool valid_name(const std::string& name);
  // Splits `text` into the family name and its labels; false if either breaks the rules above.
  static bool parse_name(const std::string& text, std::string& name, MetricLabels& labels);

 private:
  using Key = std::tuple<std::string, std::string, MetricLabels>;  // role, family, labels

  MetricSample* slot(const std::string& role, const std::string& text, MetricSample::Kind kind);

  mutable std::mutex mutex_;
  std::map<Key, MetricSample> samples_;
  std::map<std::pair<std::string, std::string>, MetricSample::Kind> family_kinds_;
};

}  // namespace alys::host
