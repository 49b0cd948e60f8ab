#include "host/runtime/allocator_tuning.hpp"

#include <malloc.h>

namespace alys::host {

bool keep_large_allocations_in_heap() {
  constexpr int kMmapThreshold = 64 << 20;
  constexpr int kTrimThreshold = 32 << 20;
  const bool mmap_set = mallopt(M_MMAP_THRESHOLD, kMmapThreshold) == 1;
  const bool trim_set = mallopt(M_TRIM_THRESHOLD, kTrimThreshold) == 1;
  return mmap_set && trim_set;
}

}  // namespace alys::host
