#include "host/admin/metrics_exposition.hpp"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <span>
#include <sstream>
#include <string_view>
#include <system_error>
#include <utility>

namespace alys::host {
namespace {

using Labels = std::vector<std::pair<std::string_view, std::string_view>>;

enum class Type { counter, gauge, histogram };

std::string_view type_name(Type type) {
  switch (type) {
    case Type::counter:
      return "counter";
    case Type::gauge:
      return "gauge";
    case Type::histogram:
      return "histogram";
  }
  return "untyped";
}

std::string format_uint(std::uint64_t value) {
  char buffer[24];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  (void)ec;  // 24 bytes hold any uint64
  return std::string(buffer, end);
}

// The shortest text that parses back to the same double, laid out as Go's
// strconv.FormatFloat(value, 'g', -1) does it, which is what the reference client writes:
// Prometheus 2.x compares `le` labels as strings, so a bound must read "0.0005" as it does in
// every other exporter, not "5e-04". The non-finite values take the spellings the format defines.
std::string format_double(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buffer[32];  // the longest shortest form is about 24 characters
  auto [end, ec] =
      std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific);
  (void)ec;
  const std::string scientific(buffer, end);
  const int exponent = std::atoi(scientific.c_str() + scientific.find('e') + 1);
  if (exponent < -4 || exponent >= 6) return scientific;  // "1e-06", "1.5e+09", as Go writes
  const auto fixed = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::fixed);
  return std::string(buffer, fixed.ptr);
}

void append_label_value(std::string& out, std::string_view value) {
  for (char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
}

// HELP text escapes only backslash and newline; a quote is literal there.
void append_help(std::string& out, std::string_view help) {
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

// Accumulates the exposition text and remembers every series name it has used, so that no
// family (a plugin's above all) can collide with another one: the parser rejects a second TYPE
// for a name and series of one family interleaved with another's.
class Exposition {
 public:
  // Writes the HELP and TYPE lines. False, writing nothing, if a series name of the family is
  // already taken; the caller then skips the family's samples.
  bool begin_family(const std::string& name, std::string_view help, Type type) {
    std::vector<std::string> series{name};
    if (type == Type::histogram) {
      series = {name, name + "_bucket", name + "_sum", name + "_count"};
    }
    for (const auto& taken : series) {
      if (claimed_.count(taken) != 0) return false;
    }
    claimed_.insert(series.begin(), series.end());
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    append_help(out_, help);
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type_name(type);
    out_ += '\n';
    return true;
  }

  void sample(std::string_view series, const Labels& labels, std::string_view value) {
    out_ += series;
    if (!labels.empty()) {
      out_ += '{';
      bool first = true;
      for (const auto& [label, label_value] : labels) {
        if (!first) out_ += ',';
        first = false;
        out_ += label;
        out_ += "=\"";
        append_label_value(out_, label_value);
        out_ += '"';
      }
      out_ += '}';
    }
    out_ += ' ';
    out_ += value;
    out_ += '\n';
  }

  // `counts` holds per-bucket (not cumulative) counts for the finite `bounds`; the exposition
  // wants cumulative ones. The +Inf bucket is `count` by definition of the format.
  void histogram(const std::string& name, const Labels& labels, std::span<const double> bounds,
                 std::span<const std::uint64_t> counts, std::uint64_t count, double sum) {
    const std::string bucket = name + "_bucket";
    Labels with_le = labels;
    with_le.emplace_back("le", "");
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < bounds.size(); ++i) {
      if (i < counts.size()) cumulative += counts[i];
      const std::string le = format_double(bounds[i]);
      with_le.back().second = le;
      sample(bucket, with_le, format_uint(cumulative));
    }
    with_le.back().second = "+Inf";
    sample(bucket, with_le, format_uint(count));
    sample(name + "_sum", labels, format_double(sum));
    sample(name + "_count", labels, format_uint(count));
  }

  std::string take() { return std::move(out_); }

 private:
  std::string out_;
  std::set<std::string> claimed_;
};

struct ActorCounter {
  const char* name;
  const char* help;
  std::uint64_t ActorMetricsSample::*field;
};

constexpr ActorCounter kActorCounters[] = {
    {"alys_actor_messages_handled_total", "Messages the actor has handled.",
     &ActorMetricsSample::handled},
    {"alys_actor_messages_rejected_total",
     "Sends to the actor refused because its mailbox was full.", &ActorMetricsSample::rejected},
    {"alys_actor_messages_dropped_total",
     "Messages dropped from the actor's full mailbox to make room (drop-oldest).",
     &ActorMetricsSample::dropped},
    {"alys_actor_dead_letters_total", "Messages for the actor that went to the dead letters.",
     &ActorMetricsSample::dead_lettered},
    {"alys_actor_failures_total", "Failures of the actor's handler.",
     &ActorMetricsSample::failures},
    {"alys_actor_restarts_total", "Restarts of the actor by its supervisor.",
     &ActorMetricsSample::restarts},
};

struct NodeCounter {
  const char* name;
  const char* help;
  std::uint64_t NodeMetricsSample::*field;
};

constexpr NodeCounter kNodeCounters[] = {
    {"alys_dead_letters_total", "Messages that could not be delivered, node-wide.",
     &NodeMetricsSample::dead_letters},
    {"alys_requests_total", "Requests sent, node-wide.", &NodeMetricsSample::requests},
    {"alys_replies_total", "Replies delivered to their requester, node-wide.",
     &NodeMetricsSample::replies},
    {"alys_request_timeouts_total", "Requests that timed out before their reply, node-wide.",
     &NodeMetricsSample::request_timeouts},
    {"alys_late_replies_total", "Replies that arrived after their request had timed out.",
     &NodeMetricsSample::late_replies},
};

void render_actors(Exposition& out, const std::vector<ActorMetricsSample>& actors) {
  // By role, so that the output does not depend on the order the caller collected them in.
  std::vector<const ActorMetricsSample*> sorted;
  for (const auto& actor : actors) sorted.push_back(&actor);
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto* a, const auto* b) { return a->role < b->role; });

  for (const auto& family : kActorCounters) {
    out.begin_family(family.name, family.help, Type::counter);
    for (const auto* actor : sorted) {
      out.sample(family.name, {{"role", actor->role}}, format_uint(actor->*family.field));
    }
  }

  out.begin_family("alys_actor_mailbox_depth", "Messages waiting in the actor's mailbox.",
                   Type::gauge);
  for (const auto* actor : sorted) {
    out.sample("alys_actor_mailbox_depth", {{"role", actor->role}},
               format_uint(actor->mailbox_depth));
  }

  out.begin_family("alys_actor_up", "1 if the actor is running, else 0; the state is a label.",
                   Type::gauge);
  for (const auto* actor : sorted) {
    out.sample("alys_actor_up", {{"role", actor->role}, {"state", actor->state}},
               actor->state == "running" ? "1" : "0");
  }

  out.begin_family("alys_actor_degraded",
                   "1 while the actor runs but cannot do its work (its health probe answered "
                   "degraded), else 0.",
                   Type::gauge);
  for (const auto* actor : sorted)
    out.sample("alys_actor_degraded", {{"role", actor->role}}, actor->degraded ? "1" : "0");

  const std::string handling = "alys_actor_handling_seconds";
  out.begin_family(handling,
                   "Time the actor's handler took per message; one message in 16 is timed.",
                   Type::histogram);
  for (const auto* actor : sorted) {
    const auto& histogram = actor->handling_seconds;
    out.histogram(handling, {{"role", actor->role}}, histogram.bounds, histogram.counts,
                  histogram.count, histogram.sum);
  }
}

void render_swaps(Exposition& out, const NodeMetricsSample& sample) {
  out.begin_family("alys_swaps_total", "Plugin hot swaps by role and result.", Type::counter);
  for (const auto& [role, counts] : sample.swaps) {
    out.sample("alys_swaps_total", {{"role", role}, {"result", "swapped"}},
               format_uint(counts.swapped));
    out.sample("alys_swaps_total", {{"role", role}, {"result", "restarted"}},
               format_uint(counts.restarted));
    out.sample("alys_swaps_total", {{"role", role}, {"result", "rolled_back"}},
               format_uint(counts.rolled_back));
  }

  const std::string pause = "alys_swap_pause_seconds";
  out.begin_family(pause, "Time an actor stopped serving during a hot swap.", Type::histogram);
  const auto& histogram = sample.swap_pause_seconds;
  out.histogram(pause, {}, histogram.bounds, histogram.counts, histogram.count, histogram.sum);

  out.begin_family("alys_plugin_unload_failures_total",
                   "Plugin libraries whose mappings were still present after unloading.",
                   Type::counter);
  out.sample("alys_plugin_unload_failures_total", {}, format_uint(sample.unload_failures));
}

void render_node_counters(Exposition& out, const NodeMetricsSample& sample) {
  for (const auto& family : kNodeCounters) {
    out.begin_family(family.name, family.help, Type::counter);
    out.sample(family.name, {}, format_uint(sample.*family.field));
  }
}

std::string plugin_family_name(const MetricSample& sample) {
  std::string name = "alys_plugin_" + sample.name;
  constexpr std::string_view total = "_total";
  bool has_total = name.size() >= total.size() &&
                   name.compare(name.size() - total.size(), total.size(), total) == 0;
  if (sample.kind == MetricSample::Kind::counter && !has_total) name += total;
  return name;
}

Type plugin_type(MetricSample::Kind kind) {
  switch (kind) {
    case MetricSample::Kind::counter:
      return Type::counter;
    case MetricSample::Kind::gauge:
      return Type::gauge;
    case MetricSample::Kind::histogram:
      return Type::histogram;
  }
  return Type::gauge;
}

void render_plugin_metrics(Exposition& out, const std::vector<MetricSample>& samples) {
  // Several roles report the same name, and one role several label sets of it; a family must be
  // written once with all of them.
  struct Family {
    MetricSample::Kind kind;
    std::map<std::pair<std::string, MetricLabels>, const MetricSample*> series;
  };
  std::map<std::string, Family> families;
  for (const auto& sample : samples) {
    auto [it, inserted] = families.try_emplace(plugin_family_name(sample), Family{sample.kind, {}});
    // Two roles may use one name with different kinds, and a counter "x" and "x_total" map to
    // one family: the first one seen wins rather than writing an exposition that won't parse.
    if (it->second.kind != sample.kind) continue;
    it->second.series.try_emplace({sample.role, sample.labels}, &sample);
  }

  for (const auto& [name, family] : families) {
    if (!out.begin_family(name, "Plugin metric " + family.series.begin()->second->name + ".",
                          plugin_type(family.kind))) {
      continue;  // collides with a host family or another plugin family's series
    }
    for (const auto& [key, sample] : family.series) {
      Labels labels{{"role", key.first}};
      labels.insert(labels.end(), key.second.begin(), key.second.end());
      switch (family.kind) {
        case MetricSample::Kind::counter:
          out.sample(name, labels, format_uint(sample->counter));
          break;
        case MetricSample::Kind::gauge:
          out.sample(name, labels, format_double(sample->gauge));
          break;
        case MetricSample::Kind::histogram: {
          const auto& histogram = sample->histogram;
          out.histogram(name, labels, HistogramValue::kBounds, histogram.buckets, histogram.count,
                        histogram.sum);
          break;
        }
      }
    }
  }
}

void render_process(Exposition& out, const ProcessMetricsSample& process) {
  auto gauge = [&out](const char* name, const char* help, const std::string& value) {
    out.begin_family(name, help, Type::gauge);
    out.sample(name, {}, value);
  };
  // The names and help texts of the official clients, so that stock dashboards work.
  out.begin_family("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
                   Type::counter);
  out.sample("process_cpu_seconds_total", {}, format_double(process.cpu_seconds));
  gauge("process_open_fds", "Number of open file descriptors.", format_uint(process.open_fds));
  gauge("process_max_fds", "Maximum number of open file descriptors.",
        format_uint(process.max_fds));
  gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.",
        format_double(process.virtual_memory_bytes));
  gauge("process_resident_memory_bytes", "Resident memory size in bytes.",
        format_double(process.resident_memory_bytes));
  gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
        format_double(process.start_time_seconds));
  gauge("process_threads", "Number of OS threads in the process.", format_uint(process.threads));
}

std::string read_text(const char* path) {
  // /proc files report size 0, so read them as a stream rather than by size.
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::uint64_t parse_uint(std::string_view text) {
  std::uint64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

// The value after `key` on the first line starting with it, leading blanks skipped.
std::string_view value_after(std::string_view text, std::string_view key) {
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(at, end - at);
    if (line.substr(0, key.size()) == key) {
      line.remove_prefix(key.size());
      std::size_t start = line.find_first_not_of(" \t");
      if (start == std::string_view::npos) return {};
      line.remove_prefix(start);
      return line.substr(0, line.find_first_of(" \t"));
    }
    at = end + 1;
  }
  return {};
}

}  // namespace

std::string render_prometheus(const NodeMetricsSample& sample) {
  Exposition out;
  render_actors(out, sample.actors);
  render_swaps(out, sample);
  render_node_counters(out, sample);
  render_plugin_metrics(out, sample.plugin_metrics);
  render_process(out, sample.process);
  return out.take();
}

ProcessMetricsSample read_process_metrics() {
  ProcessMetricsSample process;
  const double ticks_per_second = static_cast<double>(::sysconf(_SC_CLK_TCK));
  const double page_size = static_cast<double>(::sysconf(_SC_PAGESIZE));

  // The command name (field 2) is in parentheses and may itself hold spaces and parentheses:
  // fields are counted from after the last ')'.
  const std::string stat = read_text("/proc/self/stat");
  if (std::size_t paren = stat.rfind(')'); paren != std::string::npos) {
    std::istringstream rest(stat.substr(paren + 1));
    std::vector<std::string> fields;  // fields[0] is field 3 (state) of proc(5)
    for (std::string field; rest >> field;) fields.push_back(field);
    if (fields.size() > 21) {
      const double utime = static_cast<double>(parse_uint(fields[11]));        // field 14
      const double stime = static_cast<double>(parse_uint(fields[12]));        // field 15
      const double start_ticks = static_cast<double>(parse_uint(fields[19]));  // field 22
      process.cpu_seconds = (utime + stime) / ticks_per_second;
      process.virtual_memory_bytes = static_cast<double>(parse_uint(fields[20]));  // field 23
      process.resident_memory_bytes =
          static_cast<double>(parse_uint(fields[21])) * page_size;  // field 24, in pages
      // starttime counts ticks since boot; btime is the boot's unix time.
      const std::string system_stat = read_text("/proc/stat");
      const double boot_time = static_cast<double>(parse_uint(value_after(system_stat, "btime")));
      process.start_time_seconds = boot_time + start_ticks / ticks_per_second;
    }
  }

  const std::string status = read_text("/proc/self/status");
  process.threads = parse_uint(value_after(status, "Threads:"));

  // The iterator's own descriptor is counted too, as the official clients do.
  std::error_code ec;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end;
       it.increment(ec)) {
    ++process.open_fds;
  }

  const std::string limits = read_text("/proc/self/limits");
  const std::string_view soft_limit = value_after(limits, "Max open files");
  process.max_fds = soft_limit == "unlimited" ? std::numeric_limits<std::uint64_t>::max()
                                              : parse_uint(soft_limit);
  return process;
}

}  // namespace alys::host
