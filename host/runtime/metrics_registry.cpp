#include "host/runtime/metrics_registry.hpp"

#include "alys/abi.h"

namespace alys::host {

bool MetricsRegistry::valid_name(const std::string& name) {
  if (name.empty() || name.size() > 128) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || c == '_' || (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

MetricSample* MetricsRegistry::slot(const std::string& role, const std::string& name,
                                    MetricSample::Kind kind) {
  if (!valid_name(name)) return nullptr;
  auto [it, inserted] = samples_.try_emplace({role, name});
  if (inserted) {
    it->second.role = role;
    it->second.name = name;
    it->second.kind = kind;
  } else if (it->second.kind != kind) {
    return nullptr;
  }
  return &it->second;
}

std::int32_t MetricsRegistry::counter_add(const std::string& role, const std::string& name,
                                          std::uint64_t delta) {
  std::lock_guard lock(mutex_);
  MetricSample* sample = slot(role, name, MetricSample::Kind::counter);
  if (!sample) return ALYS_ERR_INVALID;
  sample->counter += delta;
  return ALYS_OK;
}

std::int32_t MetricsRegistry::gauge_set(const std::string& role, const std::string& name,
                                        double value) {
  std::lock_guard lock(mutex_);
  MetricSample* sample = slot(role, name, MetricSample::Kind::gauge);
  if (!sample) return ALYS_ERR_INVALID;
  sample->gauge = value;
  return ALYS_OK;
}

std::int32_t MetricsRegistry::histogram_observe(const std::string& role, const std::string& name,
                                                double value) {
  std::lock_guard lock(mutex_);
  MetricSample* sample = slot(role, name, MetricSample::Kind::histogram);
  if (!sample) return ALYS_ERR_INVALID;
  HistogramValue& histogram = sample->histogram;
  for (std::size_t i = 0; i < HistogramValue::kBounds.size(); ++i) {
    if (value <= HistogramValue::kBounds[i]) {
      ++histogram.buckets[i];
      break;
    }
  }
  ++histogram.count;
  histogram.sum += value;
  return ALYS_OK;
}

std::vector<MetricSample> MetricsRegistry::snapshot() const {
  std::lock_guard lock(mutex_);
  std::vector<MetricSample> out;
  out.reserve(samples_.size());
  for (const auto& [key, sample] : samples_) out.push_back(sample);
  return out;
}

std::optional<MetricSample> MetricsRegistry::find(const std::string& role,
                                                  const std::string& name) const {
  std::lock_guard lock(mutex_);
  auto it = samples_.find({role, name});
  if (it == samples_.end()) return std::nullopt;
  return it->second;
}

}  // namespace alys::host
