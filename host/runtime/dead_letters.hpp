// Messages that could not be delivered or whose handling failed: kept (the most recent ones),
// counted, and inspectable through the runtime (and the admin API).
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "host/runtime/envelope.hpp"

namespace alys::host {

struct DeadLetter {
  std::string role;    // addressee
  std::string reason;  // "handler failed: ...", "unhandled", "mailbox full (drop-oldest)", ...
  std::uint64_t type_id = 0;
  std::uint64_t correlation_id = 0;
  alys_address sender = 0;
  std::uint32_t kind = 0;
  std::uint32_t priority = 0;
  std::size_t payload_size = 0;
};

class DeadLetters {
 public:
  explicit DeadLetters(std::size_t keep = 1000) : keep_(keep) {}

  // Thread-safe.
  void add(const std::string& role, const Envelope& envelope, std::string reason);
  std::vector<DeadLetter> recent() const;
  std::uint64_t total() const;

 private:
  mutable std::mutex mutex_;
  std::size_t keep_;
  std::deque<DeadLetter> recent_;
  std::uint64_t total_ = 0;
};

}  // namespace alys::host
