// How many GetBlocks of one peer are served at a time. Each one is a storage read of up to 15 MiB;
// a peer asking many under the message rate limit would otherwise fill storage's mailbox and make
// it refuse the chain's own CommitBlock. At most `max_running` per peer run, `max_waiting` more
// wait their turn, and any beyond are refused (the caller counts them as misbehaviour).
// Not thread-safe: the actor owns it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>

namespace alys::network {

enum class Admission { run, wait, refuse };

class ServeLimiter {
 public:
  using Job = std::function<void()>;

  ServeLimiter(std::size_t max_running, std::size_t max_waiting)
      : max_running_(max_running), max_waiting_(max_waiting) {}

  // `run`: the caller runs `job` now and calls finish(peer) when it is done. `wait`: kept, and
  // returned by a later finish(peer). `refuse`: dropped.
  Admission submit(std::uint64_t peer, Job job);
  // One of `peer`'s jobs is done: the next waiting one, now counted as running, if any.
  std::optional<Job> finish(std::uint64_t peer);
  // The peer is gone: what waits is dropped; what runs may still finish().
  void forget(std::uint64_t peer);

  std::size_t running(std::uint64_t peer) const;
  std::size_t waiting(std::uint64_t peer) const;

 private:
  struct Lane {
    std::size_t running = 0;
    std::deque<Job> waiting;
  };
  std::size_t max_running_;
  std::size_t max_waiting_;
  std::map<std::uint64_t, Lane> lanes_;
};

}  // namespace alys::network
