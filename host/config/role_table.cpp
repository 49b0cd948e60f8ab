#include <toml++/toml.h>

#include "host/config/config.hpp"
#include "host/config/toml_reader.hpp"

namespace alys::host {
namespace toml_config {
namespace {

class TomlRoleTable final : public RoleTable {
 public:
  explicit TomlRoleTable(toml::table table) : table_(std::move(table)) {}

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
};

}  // namespace

std::shared_ptr<const RoleTable> make_role_table(toml::table table) {
  return std::make_shared<const TomlRoleTable>(std::move(table));
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
