// What the config tests share: a fixture that loads TOML text as <dir>/node.toml next to three
// plugin files, and helpers that print and find config errors. Test code only.
#pragma once

#include <algorithm>
#include <string>

#include <catch2/catch.hpp>

#include "host/config/config.hpp"
#include "temp_dir.hpp"

namespace alys::host::testing {

using alys::testing::TempDir;

inline std::string describe(const ConfigLoadResult& result) {
  std::string out;
  for (const ConfigError& e : result.errors) out += e.to_string() + "\n";
  return out.empty() ? "(no errors)" : out;
}

inline const ConfigError* find_error(const ConfigLoadResult& result, const std::string& text) {
  const auto it = std::find_if(
      result.errors.begin(), result.errors.end(),
      [&](const ConfigError& e) { return e.to_string().find(text) != std::string::npos; });
  return it == result.errors.end() ? nullptr : &*it;
}

// Loads `text` as if it were <dir>/node.toml, with a.so, b.so and c.so present next to it.
struct Fixture {
  TempDir dir;
  Fixture() {
    for (const char* name : {"a.so", "b.so", "c.so"}) dir.write(name);
  }
  ConfigLoadResult load(const std::string& text, const HostOverrides& overrides = {}) const {
    return load_config_text(text, dir.path() / "node.toml", overrides);
  }
  NodeConfig load_ok(const std::string& text, const HostOverrides& overrides = {}) const {
    ConfigLoadResult result = load(text, overrides);
    INFO(describe(result));
    REQUIRE(result.errors.empty());
    REQUIRE(result.config.has_value());
    return std::move(*result.config);
  }
};

}  // namespace alys::host::testing
