// The runtime's control thread: lifecycle work (start, stop, restart, escalation) runs here, one
// task at a time, so supervision decisions never race each other. In deterministic mode there is
// no thread and the fixture runs the tasks.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace alys::host {

class ControlLoop {
 public:
  explicit ControlLoop(bool threaded);
  ~ControlLoop();
  ControlLoop(const ControlLoop&) = delete;
  ControlLoop& operator=(const ControlLoop&) = delete;

  void post(std::function<void()> task);  // thread-safe
  std::size_t run_pending();              // deterministic mode: run queued tasks here
  void stop();  // joins after the current task; later tasks are dropped. Idempotent.

 private:
  void run();

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace alys::host
