// Hot swap bookkeeping (docs/operations.md): the swaps whose new version is on trial, and the
// figures swaps leave behind for the admin API and /metrics. The swap itself (hot_swap.cpp) runs
// on the runtime's control thread and decides; these classes only remember.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "host/admin/metrics_exposition.hpp"
#include "host/loading/plugin_library.hpp"
#include "host/runtime/actor_cell.hpp"
#include "host/runtime/histogram.hpp"

namespace alys::host {

// What a hot swap did, for the admin API and the log.
struct SwapOutcome {
  bool ok = false;
  std::string role;
  std::string mode;   // "state" (handed over) or "restart" (fresh state)
  std::string stage;  // on failure: gate, role, busy, snapshot, create, restore, start, trial
  bool rolled_back = false;  // on failure: the old version was stopped and is serving again
  std::string message;
  std::string from_version;
  std::string to_version;
  std::uint32_t state_schema_from = 0;
  std::uint32_t state_schema_to = 0;
  std::uint64_t pause_us = 0;  // dispatch to the role paused, in microseconds
};

using SwapDone = std::function<void(const SwapOutcome&)>;

// A swap whose new version is on trial: what a rollback needs to bring the old version back.
struct SwapTrial {
  std::shared_ptr<PluginLibrary> old_library;
  StateBlob state;  // the pre-swap snapshot, in a schema the old version reads
  bool state_mode = false;
  SwapOutcome outcome;  // the swap's, reported when the trial ends
  SwapDone done;
};

// The trials in progress, at most one per actor.
// Threads: the runtime's control thread only (not synchronized).
class SwapTrials {
 public:
  // Puts `cell` on trial; returns the trial's id, for end(). REQUIRES: !on_trial(cell).
  std::uint64_t begin(ActorCell* cell, SwapTrial trial);
  bool on_trial(const ActorCell* cell) const { return trials_.count(cell) > 0; }
  // Ends the trial of `cell` numbered `id` and hands it back; nullptr when that trial is over
  // already (rolled back, or cut short).
  std::unique_ptr<SwapTrial> end(const ActorCell* cell, std::uint64_t id);
  // Ends the trial of `cell`, whichever it is. REQUIRES: on_trial(cell).
  std::unique_ptr<SwapTrial> end(const ActorCell* cell);
  // Ends every trial (the node stops).
  std::vector<std::pair<ActorCell*, std::unique_ptr<SwapTrial>>> end_all();

 private:
  struct Entry {
    std::uint64_t id = 0;
    ActorCell* cell = nullptr;
    std::unique_ptr<SwapTrial> trial;
  };
  std::unordered_map<const ActorCell*, Entry> trials_;
  std::uint64_t next_id_ = 1;
};

// The figures of the swaps so far.
// Threads: any thread; the counts are under a mutex, the rest is atomic.
class SwapFigures {
 public:
  // Counts a settled swap by its outcome (swapped, restarted or rolled back) for its role.
  void count(const SwapOutcome& outcome);
  void observe_pause(std::uint64_t pause_us) { pause_.observe_ns(pause_us * 1000); }
  // An old library still mapped after its last reference went away.
  void count_unload_failure() { unload_failures_.fetch_add(1, std::memory_order_relaxed); }

  std::map<std::string, SwapCounts> counts() const;
  HistogramSnapshot pause() const { return pause_.snapshot(); }
  std::uint64_t unload_failures() const { return unload_failures_.load(); }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, SwapCounts> counts_;  // by role
  LatencyHistogram pause_;
  std::atomic<std::uint64_t> unload_failures_{0};
};

}  // namespace alys::host
