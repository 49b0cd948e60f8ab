// Prints the logs of the processes a test started when the test case ends early (a failed
// REQUIRE), so that a failure shows what they said; always with ALYS_TEST_SHOW_LOGS set. CHECKs do
// not end a test case: the ones that must stop it are REQUIREs.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <utility>
#include <vector>

#include "dev_files.hpp"

namespace alys::testing {

class LogsOnFailure {
 public:
  explicit LogsOnFailure(std::vector<std::filesystem::path> logs) : logs_(std::move(logs)) {}
  ~LogsOnFailure() {
    if (finished_ && !std::getenv("ALYS_TEST_SHOW_LOGS")) return;
    for (const auto& log : logs_)
      std::cerr << "----- " << log.filename().string() << "\n" << read_file(log) << "\n";
  }
  LogsOnFailure(const LogsOnFailure&) = delete;
  LogsOnFailure& operator=(const LogsOnFailure&) = delete;
  // The test case ran to its end: nothing to show.
  void finished() { finished_ = true; }

 private:
  std::vector<std::filesystem::path> logs_;
  bool finished_ = false;
};

}  // namespace alys::testing
