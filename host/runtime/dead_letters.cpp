#include "host/runtime/dead_letters.hpp"

namespace alys::host {

void DeadLetters::add(const std::string& role, const Envelope& envelope, std::string reason) {
  DeadLetter letter{role,
                    std::move(reason),
                    envelope.type_id,
                    envelope.correlation_id,
                    envelope.sender,
                    envelope.kind,
                    envelope.priority,
                    envelope.payload.size()};
  std::lock_guard lock(mutex_);
  ++total_;
  recent_.push_back(std::move(letter));
  if (recent_.size() > keep_) recent_.pop_front();
}

std::vector<DeadLetter> DeadLetters::recent() const {
  std::lock_guard lock(mutex_);
  return {recent_.begin(), recent_.end()};
}

std::uint64_t DeadLetters::total() const {
  std::lock_guard lock(mutex_);
  return total_;
}

}  // namespace alys::host
