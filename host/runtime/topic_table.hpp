// TopicTable — who subscribed to which topic. Topics are keyed by their id (alys/type_id.hpp's
// topic_id), so a publish hashes the name once and compares no strings.
//
// Threads: every member may be called from any thread; one mutex guards the table, and a publisher
// works on a copy of the subscriber list, so delivering never holds it.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "alys/abi.h"
#include "alys/status.hpp"

namespace alys::host {

class TopicTable {
 public:
  // Adds `subscriber` to `topic` (once: subscribing again changes nothing). Invalid for an empty
  // topic name.
  Status subscribe(alys_address subscriber, const std::string& topic);
  // The subscribers of the topic `topic_id`, in subscription order; empty when there are none.
  std::vector<alys_address> subscribers(std::uint64_t topic_id) const;

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::uint64_t, std::vector<alys_address>> subscribers_;
};

}  // namespace alys::host
