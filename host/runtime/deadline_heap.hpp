// DeadlineHeap — request deadlines in one min-heap, so a request costs no timer of its own: the
// owner arms one timer for the earliest deadline and, when it fires, takes what is due.
//
// Removal is lazy: an answered request leaves its entry behind, and the owner's `is_live`
// predicate skips it when it comes due. So stale entries cannot pile up between firings (every
// request is answered long before its deadline in the common case), the owner compacts the heap
// when stale entries outnumber the live ones: O(n) each time, O(1) amortised per request.
//
// Not synchronized; the owner holds its lock.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <vector>

namespace alys::host {

class DeadlineHeap {
 public:
  // Below this many entries the heap is never compacted: a few stale entries cost nothing.
  static constexpr std::size_t kCompactFloor = 64;

  // Returns whether `due_ms` is now the earliest deadline, i.e. the owner's timer must be moved
  // earlier. Ties are taken in id order.
  bool push(std::uint64_t due_ms, std::uint64_t id) {
    std::optional<std::uint64_t> before = earliest();
    entries_.push_back(Entry{due_ms, id});
    std::push_heap(entries_.begin(), entries_.end(), later);
    return !before || due_ms < *before;
  }

  // Appends to `out`, in deadline order, the ids due at `now_ms` or before for which
  // `is_live(id)`; removes every entry due, live or stale.
  template <typename IsLive>
  void pop_due(std::uint64_t now_ms, IsLive&& is_live, std::vector<std::uint64_t>& out) {
    while (!entries_.empty() && entries_.front().due_ms <= now_ms) {
      std::pop_heap(entries_.begin(), entries_.end(), later);
      std::uint64_t id = entries_.back().id;
      entries_.pop_back();
      if (is_live(id)) out.push_back(id);
    }
  }

  // Drops the stale entries once they outnumber the `live` ones (and the floor is passed).
  template <typename IsLive>
  void compact_if_stale(std::size_t live, IsLive&& is_live) {
    if (entries_.size() <= kCompactFloor || entries_.size() <= 2 * live) return;
    std::erase_if(entries_, [&](const Entry& entry) { return !is_live(entry.id); });
    std::make_heap(entries_.begin(), entries_.end(), later);
  }

  std::optional<std::uint64_t> earliest() const {
    if (entries_.empty()) return std::nullopt;
    return entries_.front().due_ms;
  }
  std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::uint64_t due_ms;
    std::uint64_t id;
  };
  // std heaps are max-heaps: "less" is "due later", so the front is the earliest deadline.
  static bool later(const Entry& a, const Entry& b) {
    return a.due_ms != b.due_ms ? a.due_ms > b.due_ms : a.id > b.id;
  }

  std::vector<Entry> entries_;
};

}  // namespace alys::host
