// The `memory` backend: the storage's key space in a std::map, for tests and development. Same
// validation, ordering and paging as every backend (they share Backend's code); nothing survives
// the instance except what a hot swap hands to the next one (storage_state.hpp).
#pragma once

#include <map>
#include <string>

#include "storage/backend.hpp"

namespace alys::storage {

class MemoryBackend final : public Backend {
 public:
  // The entries a previous instance held (a hot swap), or none. Throws StoreFailure when they are
  // not a database of this format.
  explicit MemoryBackend(std::map<Bytes, Bytes> entries = {});

  const std::map<Bytes, Bytes>& entries() const { return entries_; }

  std::string describe() const override { return "memory database"; }

 protected:
  std::optional<Bytes> get(ByteView key) const override;
  // Atomic as far as the map goes: an allocation failure halfway leaves part of the batch
  // applied (the process is then out of memory anyway).
  void write(const std::vector<BatchWrite>& batch) override;
  void scan(ByteView first,
            const std::function<bool(ByteView key, ByteView value)>& visit) const override;

 private:
  // std::less<Bytes> compares unsigned bytes lexicographically: LevelDB's bytewise order.
  std::map<Bytes, Bytes> entries_;
};

}  // namespace alys::storage
