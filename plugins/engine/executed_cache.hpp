// Payloads the engine executed on its head, waiting for their CommitPayload (docs/engine.md,
// "Protocol with the chain"). Competing payloads for one height are few, so the cache holds the
// 16 executed last and forgets the oldest. Every entry ran on the current head: the engine clears
// the cache whenever the head moves. Not thread-safe.
#pragma once

#include <cstddef>
#include <deque>
#include <map>

#include "alys/codec.hpp"
#include "engine/embedded/payload_executor.hpp"

namespace alys::engine {

struct PendingCommit {
  embedded::ExecutedPayload executed;
  bool genesis = false;
  Bytes mints;  // the encoded mints it ran with: a re-execution must bring the same ones
};

class ExecutedCache {
 public:
  static constexpr std::size_t kCapacity = 16;

  // Keeps `pending` under its payload's hash (replacing an entry with that hash), evicting the
  // oldest entry when the cache is full.
  void remember(PendingCommit pending);
  // nullptr when absent; valid until the cache changes.
  const PendingCommit* find(const Hash32& payload_hash) const;
  void clear();
  std::size_t size() const { return by_hash_.size(); }

  // Hand-over (hot swap): the entries oldest first, so that eviction order survives a swap.
  void write_image(Writer& writer) const;
  // Replaces the entries with an image write_image() wrote. Throws DecodeError (bytes cut short,
  // more entries than the capacity, a payload listed twice), and the cache is empty then.
  void read_image(Reader& reader);

 private:
  std::map<Hash32, PendingCommit> by_hash_;
  std::deque<Hash32> order_;  // oldest first
};

}  // namespace alys::engine
