// The process's allocator, tuned for hot swaps (docs/performance.md, "Hot swap pause of the
// built-in plugins"). A swap moves megabytes inside its pause (the engine's snapshot with 10,000
// pending transactions is 2.3 MB: written by the old instance, copied by the host, read into the
// new one). glibc serves blocks that large with fresh mmaps, or not, depending on a threshold it
// adapts to what the process freed before; fresh pages fault inside the pause, which made the same
// swap take 1.3 ms in one process and 2.5 ms in another. Fixed thresholds keep blocks up to 64 MiB
// in the heap and up to 32 MiB of free heap mapped, so a swap reuses the pages the previous one
// touched. The cost is that much more resident memory after a peak.
#pragma once

namespace alys::host {

// Call once at start, before threads allocate. Returns false when the C library refused a setting
// (the process then runs with its defaults).
bool keep_large_allocations_in_heap();

}  // namespace alys::host
