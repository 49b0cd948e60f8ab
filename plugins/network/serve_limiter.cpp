#include "serve_limiter.hpp"

namespace alys::network {

Admission ServeLimiter::submit(std::uint64_t peer, Job job) {
  Lane& lane = lanes_[peer];
  if (lane.running < max_running_) {
    ++lane.running;
    return Admission::run;
  }
  if (lane.waiting.size() < max_waiting_) {
    lane.waiting.push_back(std::move(job));
    return Admission::wait;
  }
  return Admission::refuse;
}

std::optional<ServeLimiter::Job> ServeLimiter::finish(std::uint64_t peer) {
  auto it = lanes_.find(peer);
  if (it == lanes_.end()) return std::nullopt;
  Lane& lane = it->second;
  if (!lane.waiting.empty()) {
    Job next = std::move(lane.waiting.front());
    lane.waiting.pop_front();
    return next;  // it takes the finished job's place: running stays the same
  }
  if (lane.running > 0) --lane.running;
  if (lane.running == 0) lanes_.erase(it);
  return std::nullopt;
}

void ServeLimiter::forget(std::uint64_t peer) {
  auto it = lanes_.find(peer);
  if (it == lanes_.end()) return;
  it->second.waiting.clear();
  if (it->second.running == 0) lanes_.erase(it);
}

std::size_t ServeLimiter::running(std::uint64_t peer) const {
  auto it = lanes_.find(peer);
  return it == lanes_.end() ? 0 : it->second.running;
}

std::size_t ServeLimiter::waiting(std::uint64_t peer) const {
  auto it = lanes_.find(peer);
  return it == lanes_.end() ? 0 : it->second.waiting.size();
}

}  // namespace alys::network
