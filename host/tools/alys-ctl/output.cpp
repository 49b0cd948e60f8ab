#include "host/tools/alys-ctl/output.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <iostream>
#include <sstream>

namespace alys::ctl {

const json::value* field(const json::object& object, std::string_view key) {
  return object.if_contains(key);
}

std::string text(const json::object& object, std::string_view key) {
  const json::value* value = field(object, key);
  if (!value || value->is_null()) return "";
  if (value->is_string()) return std::string(value->get_string());
  if (value->is_bool()) return value->get_bool() ? "true" : "false";
  if (value->is_int64()) return std::to_string(value->get_int64());
  if (value->is_uint64()) return std::to_string(value->get_uint64());
  if (value->is_array()) {
    std::string joined;
    for (const auto& item : value->get_array()) {
      if (!joined.empty()) joined += ",";
      joined += item.is_string() ? std::string(item.get_string()) : json::serialize(item);
    }
    return joined;
  }
  return json::serialize(*value);
}

std::optional<double> number(const json::object& object, std::string_view key) {
  const json::value* value = field(object, key);
  if (!value) return std::nullopt;
  if (value->is_double()) return value->get_double();
  if (value->is_int64()) return static_cast<double>(value->get_int64());
  if (value->is_uint64()) return static_cast<double>(value->get_uint64());
  return std::nullopt;
}

bool flag(const json::object& object, std::string_view key) {
  const json::value* value = field(object, key);
  return value && value->is_bool() && value->get_bool();
}

std::string or_dash(std::string value) { return value.empty() ? "-" : value; }

// "12.5 s" below a minute, else "3d 4h 05m 06s" without the leading zero units.
std::string format_uptime(double seconds) {
  if (seconds < 60) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.1f s", seconds);
    return buffer;
  }
  auto whole = static_cast<long long>(seconds);
  long long days = whole / 86400, hours = whole / 3600 % 24, minutes = whole / 60 % 60,
            secs = whole % 60;
  char buffer[64];
  if (days > 0)
    std::snprintf(buffer, sizeof buffer, "%lldd %lldh %02lldm %02llds", days, hours, minutes, secs);
  else if (hours > 0)
    std::snprintf(buffer, sizeof buffer, "%lldh %02lldm %02llds", hours, minutes, secs);
  else
    std::snprintf(buffer, sizeof buffer, "%lldm %02llds", minutes, secs);
  return buffer;
}

// Columns separated by two spaces, each as wide as its widest cell; the first row is the header.
void print_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()), 0);
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string out;
    for (std::size_t i = 0; i < row.size(); ++i) {
      out += row[i];
      if (i + 1 < row.size()) out += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    out.erase(out.find_last_not_of(' ') + 1);
    std::cout << out << "\n";
  }
}

// One row per actor of node_status or /health; the last column says why a degraded actor is.
void print_actors(const json::object& node, bool with_plugin) {
  std::vector<std::vector<std::string>> rows;
  if (with_plugin)
    rows.push_back(
        {"ROLE", "STATE", "RESTARTS", "MAILBOX", "PLUGIN", "VERSION", "LAST ERROR", "DEGRADED"});
  else
    rows.push_back({"ROLE", "STATE", "RESTARTS", "MAILBOX", "LAST ERROR", "DEGRADED"});
  const json::value* actors = field(node, "actors");
  if (actors && actors->is_array()) {
    for (const auto& item : actors->get_array()) {
      if (!item.is_object()) continue;
      const json::object& actor = item.get_object();
      std::vector<std::string> row = {text(actor, "role"), text(actor, "state"),
                                      text(actor, "restarts"), text(actor, "mailbox_depth")};
      if (with_plugin) {
        row.push_back(or_dash(text(actor, "plugin")));
        row.push_back(or_dash(text(actor, "plugin_version")));
      }
      row.push_back(or_dash(text(actor, "last_error")));
      row.push_back(or_dash(text(actor, "degraded_reason")));  // absent from older nodes
      rows.push_back(std::move(row));
    }
  }
  print_table(rows);
}

// Compact JSON like json::serialize, except that doubles are written in their shortest
// round-trip form ("12.5", where serialize writes "1.25E1"), which reads better and diffs cleanly.
void write_json(std::string& out, const json::value& value) {
  switch (value.kind()) {
    case json::kind::double_: {
      char buffer[64];
      auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value.get_double());
      out.append(buffer, ec == std::errc() ? end : buffer);
      return;
    }
    case json::kind::array: {
      out += '[';
      bool first = true;
      for (const auto& item : value.get_array()) {
        if (!std::exchange(first, false)) out += ',';
        write_json(out, item);
      }
      out += ']';
      return;
    }
    case json::kind::object: {
      out += '{';
      bool first = true;
      for (const auto& [key, item] : value.get_object()) {
        if (!std::exchange(first, false)) out += ',';
        out += json::serialize(json::string_view(key));
        out += ':';
        write_json(out, item);
      }
      out += '}';
      return;
    }
    default:
      out += json::serialize(value);
  }
}

// What --json prints: one line per answer.
void print_json(const json::value& value) {
  std::string out;
  write_json(out, value);
  std::cout << out << "\n";
}

}  // namespace alys::ctl
