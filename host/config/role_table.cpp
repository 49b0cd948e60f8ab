#include <toml++/toml.h>

#include <map>
#include <string>

#include "host/config/config.hpp"
#include "host/config/toml_reader.hpp"

namespace alys::host {
namespace toml_config {
namespace {

// Every key and array element of `node`, by dotted path, with where it is written.
void index_positions(const toml::node& node, const std::string& path,
                     std::map<std::string, SourcePos>& out) {
  if (const toml::table* table = node.as_table()) {
    for (auto&& [k, child] : *table) {
      const std::string child_path = join_key(path, k.str());
      out.emplace(child_path, to_pos(k.source()));
      index_positions(child, child_path, out);
    }
  } else if (const toml::array* array = node.as_array()) {
    for (std::size_t i = 0; i < array->size(); ++i) {
      const std::string child_path = path + "[" + std::to_string(i) + "]";
      out.emplace(child_path, to_pos((*array)[i].source()));
      index_positions((*array)[i], child_path, out);
    }
  }
}

// The path one level up: "a.b[2]" -> "a.b" -> "a" -> "".
std::string enclosing(const std::string& path) {
  const std::size_t cut = path.find_last_of(".[");
  return cut == std::string::npos ? std::string() : path.substr(0, cut);
}

class TomlRoleTable final : public RoleTable {
 public:
  TomlRoleTable(toml::table table, const toml::table* written) : table_(std::move(table)) {
    if (written == nullptr) return;
    positions_.emplace("", to_pos(written->source()));
    index_positions(*written, "", positions_);
  }

  SourcePos position(const std::string& key) const override {
    for (std::string path = key;; path = enclosing(path)) {
      if (const auto found = positions_.find(path); found != positions_.end()) return found->second;
      if (path.empty()) return {};
    }
  }

  Lookup get_int(const std::string& key, std::int64_t& out) const override {
    return get_exact(key, out);
  }
  Lookup get_double(const std::string& key, double& out) const override {
    const toml::node_view<const toml::node> node = table_.at_path(key);
    if (!node) return Lookup::not_found;
    if (const auto i = node.value_exact<std::int64_t>()) {
      out = static_cast<double>(*i);
      return Lookup::found;
    }
    return get_exact(key, out);
  }
  Lookup get_bool(const std::string& key, bool& out) const override { return get_exact(key, out); }
  Lookup get_string(const std::string& key, std::string& out) const override {
    return get_exact(key, out);
  }
  std::string to_json() const override {
    std::ostringstream out;
    out << toml::json_formatter(static_cast<const toml::node&>(table_));
    return out.str();
  }

 private:
  template <typename T>
  Lookup get_exact(const std::string& key, T& out) const {
    const toml::node_view<const toml::node> node = table_.at_path(key);
    if (!node) return Lookup::not_found;
    const std::optional<T> value = node.value_exact<T>();
    if (!value) return Lookup::wrong_type;
    out = *value;
    return Lookup::found;
  }

  toml::table table_;
  std::map<std::string, SourcePos> positions_;  // "" is the table itself
};

}  // namespace

std::shared_ptr<const RoleTable> make_role_table(toml::table table, const toml::table* written) {
  return std::make_shared<const TomlRoleTable>(std::move(table), written);
}

}  // namespace toml_config

Result<std::shared_ptr<const RoleTable>> parse_role_table(const std::string& toml_text) {
  try {
    toml::table table = toml::parse(toml_text);
    return toml_config::make_role_table(std::move(table));
  } catch (const toml::parse_error& failure) {
    return Status::Invalid(std::string(failure.description()) + " at line " +
                           std::to_string(failure.source().begin.line));
  }
}

}  // namespace alys::host
