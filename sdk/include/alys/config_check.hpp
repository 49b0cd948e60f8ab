// Checking a role's config table. A plugin's parser reports what is wrong with a table into
// ConfigProblems instead of throwing at the first problem, so that one parser serves both the
// start of an instance (which refuses the table: throw_if_any) and the side-effect-free check the
// host asks for before it applies a table (an actor's static check_config, see plugin.hpp).
//
// Header-only and free of static locals, so it is safe inside plugins (no GNU-unique symbols).
// Not thread-safe: one ConfigProblems per check.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "alys/abi.h"
#include "alys/status.hpp"

namespace alys {

// One problem in a role table.
struct ConfigProblem {
  // Dotted path inside the role's table, array elements as [i]: "auxpow.chain_id", "members[2]".
  // Empty: the table as a whole.
  std::string key;
  // ALYS_ERR_TYPE: a value of the wrong type; ALYS_ERR_NOT_FOUND: a required key is missing;
  // ALYS_ERR_INVALID: anything else (out of range, unknown key, malformed text).
  std::int32_t code = ALYS_ERR_INVALID;
  std::string message;  // a sentence for the operator; the key is not repeated in it
};

class ConfigProblems {
 public:
  void add(ConfigProblem problem) { problems_.push_back(std::move(problem)); }
  void invalid(std::string key, std::string message) {
    add({std::move(key), ALYS_ERR_INVALID, std::move(message)});
  }
  void wrong_type(std::string key, std::string message) {
    add({std::move(key), ALYS_ERR_TYPE, std::move(message)});
  }
  void missing(std::string key, std::string message) {
    add({std::move(key), ALYS_ERR_NOT_FOUND, std::move(message)});
  }

  bool empty() const { return problems_.empty(); }
  std::size_t size() const { return problems_.size(); }
  const std::vector<ConfigProblem>& list() const { return problems_; }

  // Every problem as "<role>.<key>: <message>", one per line, in the order found.
  std::string describe(std::string_view role) const {
    std::string out;
    for (const ConfigProblem& problem : problems_) {
      if (!out.empty()) out += "\n";
      out += std::string(role);
      if (!problem.key.empty()) out += "." + problem.key;
      out += ": " + problem.message;
    }
    return out;
  }

  // What a start does with a table it cannot run with: throws Error(ALYS_ERR_INVALID, describe())
  // when there is any problem.
  void throw_if_any(std::string_view role) const {
    if (!problems_.empty()) throw Error(ALYS_ERR_INVALID, describe(role));
  }

 private:
  std::vector<ConfigProblem> problems_;
};

// The dotted path of `key` inside the table at `prefix` ("" for the role's table itself).
inline std::string config_key(std::string_view prefix, std::string_view key) {
  return prefix.empty() ? std::string(key) : std::string(prefix) + "." + std::string(key);
}

}  // namespace alys
