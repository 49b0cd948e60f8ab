#include "host/runtime/metrics_registry.hpp"

#include <string_view>

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

namespace {

constexpr std::size_t kMaxLabels = 2;
constexpr std::size_t kMaxLabelText = 64;

bool all_of(std::string_view text, bool digits) {
  if (text.empty() || text.size() > kMaxLabelText) return false;
  for (char c : text) {
    bool ok = (c >= 'a' && c <= 'z') || c == '_' || (digits && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

}  // namespace

bool MetricsRegistry::parse_name(const std::string& text, std::string& name, MetricLabels& labels) {
  labels.clear();
  const auto brace = text.find('{');
  name = text.substr(0, brace);
  if (!valid_name(name)) return false;
  if (brace == std::string::npos) return true;
  if (text.back() != '}') return false;
  // Between the braces: label="value" pairs separated by commas, nothing else.
  std::string_view rest(text);
  rest = rest.substr(brace + 1, rest.size() - brace - 2);
  while (!rest.empty()) {
    const auto equals = rest.find('=');
    if (equals == std::string_view::npos || equals + 1 >= rest.size() || rest[equals + 1] != '"')
      return false;
    const std::string_view label = rest.substr(0, equals);
    const auto close = rest.find('"', equals + 2);
    if (close == std::string_view::npos) return false;
    const std::string_view value = rest.substr(equals + 2, close - equals - 2);
    if (!all_of(label, false) || label == "role" || label == "le" || !all_of(value, true))
      return false;
    for (const auto& [seen, unused] : labels)
      if (seen == label) return false;
    labels.emplace_back(label, value);
    rest = rest.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ',' || rest.size() == 1) return false;
      rest = rest.substr(1);
    }
  }
  return !labels.empty() && labels.size() <= kMaxLabels;
}

MetricSample* MetricsRegistry::slot(const std::string& role, const std::string& text,
                                    MetricSample::Kind kind) {
  std::string name;
  MetricLabels labels;
  if (!parse_name(text, name, labels)) return nullptr;
  // One kind per family: the exposition writes one # TYPE for all its label sets.
  auto [family, first] = family_kinds_.try_emplace({role, name}, kind);
  if (!first && family->second != kind) return nullptr;
  auto [it, inserted] = samples_.try_emplace(Key{role, name, labels});
  if (inserted) {
    it->second.role = role;
    it->second.name = std::move(name);
    it->second.labels = std::move(labels);
    it->second.kind = kind;
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
                                                  const std::string& text) const {
  std::string name;
  MetricLabels labels;
  if (!parse_name(text, name, labels)) return std::nullopt;
  std::lock_guard lock(mutex_);
  auto it = samples_.find(Key{role, name, labels});
  if (it == samples_.end()) return std::nullopt;
  return it->second;
}

}  // namespace alys::host
