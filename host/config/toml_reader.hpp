// Reading TOML for the node's config: positions, an error sink that reports in file order, and
// a typed table reader whose accessors name the dotted key of anything wrong. Internal to the
// config code (config.cpp, role_table.cpp): it includes toml++, which nothing else should.
#pragma once

#include <toml++/toml.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "host/config/config.hpp"

namespace alys::host::toml_config {
namespace fs = std::filesystem;

inline constexpr std::int64_t kMaxInt = std::numeric_limits<std::int64_t>::max();

inline SourcePos to_pos(const toml::source_region& region) {
  return {static_cast<int>(region.begin.line), static_cast<int>(region.begin.column)};
}

inline bool before(const SourcePos& a, const SourcePos& b) {
  return std::pair(a.line, a.column) < std::pair(b.line, b.column);
}

inline std::string join_key(std::string_view prefix, std::string_view key) {
  return prefix.empty() ? std::string(key) : std::string(prefix) + "." + std::string(key);
}

inline std::string in_quotes(std::string_view text) { return "\"" + std::string(text) + "\""; }

inline std::string join_names(const std::vector<std::string>& names, std::string_view separator) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : std::string(separator)) + name;
  return out;
}

inline std::string_view type_name(toml::node_type type) {
  switch (type) {
    case toml::node_type::table:
      return "table";
    case toml::node_type::array:
      return "array";
    case toml::node_type::string:
      return "string";
    case toml::node_type::integer:
      return "integer";
    case toml::node_type::floating_point:
      return "float";
    case toml::node_type::boolean:
      return "boolean";
    case toml::node_type::date:
      return "date";
    case toml::node_type::time:
      return "time";
    case toml::node_type::date_time:
      return "date-time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

template <typename Range>
inline std::string one_of(const Range& names, std::string_view got) {
  std::string list;
  for (std::string_view name : names) list += (list.empty() ? "" : ", ") + std::string(name);
  return "must be one of " + list + "; got " + in_quotes(got);
}

// Role names become ABI strings (ALYS_NAME_MAX) and log/metric labels, hence the narrow alphabet.
inline fs::path normalized(const fs::path& path) {
  fs::path out = path.lexically_normal();
  if (!out.has_filename() && out.has_relative_path()) out = out.parent_path();
  return out;
}

inline fs::path resolve(const fs::path& base, const fs::path& path) {
  return normalized(path.is_absolute() ? path : base / path);
}

class ErrorSink {
 public:
  explicit ErrorSink(fs::path file) : file_(std::move(file)) {}

  void add(SourcePos pos, std::string key, std::string message) {
    errors_.push_back({file_, pos, std::move(key), std::move(message)});
  }
  // Command-line values have no place in the file, so their errors name only the flag.
  void add_override(std::string flag, std::string message) {
    errors_.push_back({{}, {}, std::move(flag), std::move(message)});
  }
  bool empty() const { return errors_.empty(); }

  // Checks run section by section, but users read errors top to bottom.
  std::vector<ConfigError> take_in_file_order() {
    std::stable_sort(
        errors_.begin(), errors_.end(),
        [](const ConfigError& a, const ConfigError& b) { return before(a.pos, b.pos); });
    return std::move(errors_);
  }

 private:
  fs::path file_;
  std::vector<ConfigError> errors_;
};

// A string element of an array, kept with its position for later cross-reference errors.
struct NamedRef {
  std::string name;
  SourcePos pos;
};

// One TOML table being read: typed accessors that report problems under the table's dotted name.
// Each accessor returns nullopt both when the key is absent and when it is invalid (already
// reported), so callers just keep their default.
class TableReader {
 public:
  TableReader(const toml::table& table, std::string name, ErrorSink& errors)
      : table_(table), name_(std::move(name)), errors_(errors) {}

  const toml::table& table() const { return table_; }
  const std::string& name() const { return name_; }
  // Position of `key` itself (not its value); the table's own position when the key is absent.
  SourcePos key_pos(std::string_view key) const {
    const auto it = table_.find(key);
    return it == table_.end() ? pos() : to_pos(it->first.source());
  }
  SourcePos pos() const { return to_pos(table_.source()); }
  std::string key(std::string_view key) const { return join_key(name_, key); }
  void error(const toml::node& node, std::string_view key, std::string message) const {
    errors_.add(to_pos(node.source()), this->key(key), std::move(message));
  }
  void error_here(std::string_view key, std::string message) const {
    errors_.add(pos(), this->key(key), std::move(message));
  }

  void reject_unknown_keys(std::initializer_list<std::string_view> known) const {
    for (auto&& [k, node] : table_) {
      if (std::find(known.begin(), known.end(), k.str()) == known.end()) {
        errors_.add(to_pos(k.source()), key(k.str()), "unknown key");
      }
    }
  }

  const toml::node* typed(std::string_view key, toml::node_type want) const {
    const toml::node* node = table_.get(key);
    if (node == nullptr || node->type() == want) return node;
    error(*node, key,
          "expected " + std::string(type_name(want)) + ", got " +
              std::string(type_name(node->type())));
    return nullptr;
  }

  std::optional<std::int64_t> integer(std::string_view key, std::int64_t min,
                                      std::int64_t max = kMaxInt) const {
    const toml::node* node = typed(key, toml::node_type::integer);
    if (node == nullptr) return std::nullopt;
    const std::int64_t value = node->as_integer()->get();
    if (value < min) return out_of_range(*node, key, ">= " + std::to_string(min), value);
    if (value > max) return out_of_range(*node, key, "<= " + std::to_string(max), value);
    return value;
  }

  std::optional<bool> boolean(std::string_view key) const {
    const toml::node* node = typed(key, toml::node_type::boolean);
    return node ? std::optional(node->as_boolean()->get()) : std::nullopt;
  }

  std::optional<std::string> string(std::string_view key) const {
    const toml::node* node = typed(key, toml::node_type::string);
    return node ? std::optional(node->as_string()->get()) : std::nullopt;
  }

  // A non-empty path string, resolved against `base`.
  std::optional<fs::path> path(std::string_view key, const fs::path& base) const {
    const std::optional<std::string> text = string(key);
    if (!text) return std::nullopt;
    if (text->empty()) {
      error(*table_.get(key), key, "must not be empty");
      return std::nullopt;
    }
    return resolve(base, *text);
  }

  template <typename E, std::size_t N>
  std::optional<E> choice(std::string_view key,
                          const std::pair<std::string_view, E> (&choices)[N]) const {
    const toml::node* node = typed(key, toml::node_type::string);
    if (node == nullptr) return std::nullopt;
    const std::string& value = node->as_string()->get();
    for (const auto& [name, e] : choices) {
      if (name == value) return e;
    }
    std::vector<std::string_view> names;
    for (const auto& entry : choices) names.push_back(entry.first);
    error(*node, key, one_of(names, value));
    return std::nullopt;
  }

  std::optional<std::vector<NamedRef>> string_list(std::string_view key) const {
    const toml::node* node = typed(key, toml::node_type::array);
    if (node == nullptr) return std::nullopt;
    std::vector<NamedRef> out;
    const toml::array& array = *node->as_array();
    for (std::size_t i = 0; i < array.size(); ++i) {
      if (const auto* s = array[i].as_string()) {
        out.push_back({s->get(), to_pos(s->source())});
      } else {
        errors_.add(to_pos(array[i].source()), this->key(key) + "[" + std::to_string(i) + "]",
                    "expected string, got " + std::string(type_name(array[i].type())));
      }
    }
    return out;
  }

  const toml::table* subtable(std::string_view key) const {
    const toml::node* node = typed(key, toml::node_type::table);
    return node ? node->as_table() : nullptr;
  }

 private:
  std::nullopt_t out_of_range(const toml::node& node, std::string_view key,
                              const std::string& bound, std::int64_t value) const {
    error(node, key, "must be " + bound + ", got " + std::to_string(value));
    return std::nullopt;
  }

  const toml::table& table_;
  std::string name_;
  ErrorSink& errors_;
};

// A role's own table, as plugins read it through the host API. `written` is the table as the file
// has it (nullptr when the file has none): its positions answer RoleTable::position, since a
// copied toml++ node keeps no source position.
std::shared_ptr<const RoleTable> make_role_table(toml::table table,
                                                 const toml::table* written = nullptr);

}  // namespace alys::host::toml_config
