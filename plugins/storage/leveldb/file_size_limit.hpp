// Test support: makes the disk refuse writes, for real, without root or a full disk.
//
// While a FileSizeLimit lives, no file of this process can grow past `max_bytes`: a write beyond
// it fails with EFBIG (SIGXFSZ is ignored meanwhile, or the kernel would end the process). A
// database write that crosses the limit fails halfway, as it would on a full disk. Keep the scope
// to the write under test: the limit holds for every file the process writes.
#pragma once

#include <signal.h>
#include <sys/resource.h>

#include <cstdint>
#include <stdexcept>

namespace alys::testing {

class FileSizeLimit {
 public:
  explicit FileSizeLimit(std::uint64_t max_bytes) {
    if (::getrlimit(RLIMIT_FSIZE, &saved_limit_) != 0) throw std::runtime_error("getrlimit");
    saved_handler_ = ::signal(SIGXFSZ, SIG_IGN);
    rlimit limit = saved_limit_;
    limit.rlim_cur = max_bytes;
    if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) {
      ::signal(SIGXFSZ, saved_handler_);
      throw std::runtime_error("setrlimit");
    }
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &saved_limit_);
    ::signal(SIGXFSZ, saved_handler_);
  }
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;

 private:
  rlimit saved_limit_{};
  sighandler_t saved_handler_ = SIG_DFL;
};

}  // namespace alys::testing
