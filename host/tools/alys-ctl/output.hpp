// alys-ctl's output: reading fields out of JSON answers, aligned tables, and the one-line JSON
// that --json prints.
#pragma once

#include <boost/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace alys::ctl {

namespace json = boost::json;

const json::value* field(const json::object& object, std::string_view key);
std::string text(const json::object& object, std::string_view key);
std::optional<double> number(const json::object& object, std::string_view key);
bool flag(const json::object& object, std::string_view key);
std::string or_dash(std::string value);
std::string format_uptime(double seconds);
void print_table(const std::vector<std::vector<std::string>>& rows);
void print_actors(const json::object& node, bool with_plugin);
void write_json(std::string& out, const json::value& value);
void print_json(const json::value& value);

}  // namespace alys::ctl
