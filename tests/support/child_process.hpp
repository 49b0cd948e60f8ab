// A real child process for integration tests: started with posix_spawn, its stdout and stderr
// going to a file, stopped by PID. The destructor kills it if it is still running.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "temp_dir.hpp"

extern char** environ;

namespace alys::testing {

class ChildProcess {
 public:
  ChildProcess(std::vector<std::string> argv, std::filesystem::path output)
      : output_(std::move(output)) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, output_.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    std::vector<char*> args;
    for (auto& arg : argv) args.push_back(arg.data());
    args.push_back(nullptr);
    int rc = posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0)
      throw std::runtime_error("posix_spawn " + argv[0] + " failed: " + std::to_string(rc));
  }

  ~ChildProcess() {
    if (!exit_code_) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
  }

  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool signal(int number) const { return ::kill(pid_, number) == 0; }

  // The exit code (128 + signal number if killed by a signal), or nullopt if still running.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!exit_code_) {
      int status = 0;
      pid_t done = ::waitpid(pid_, &status, WNOHANG);
      if (done == pid_) {
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        break;
      }
      if (std::chrono::steady_clock::now() > deadline) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return exit_code_;
  }

  bool running() { return !wait_exit(std::chrono::milliseconds(0)); }

  std::string output() const {
    std::ifstream in(output_);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  // Waits until the output contains `needle`; false on timeout or when the process exited first.
  bool wait_for_output(const std::string& needle,
                       std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (output().find(needle) != std::string::npos) return true;
      if (!running()) return output().find(needle) != std::string::npos;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

 private:
  std::filesystem::path output_;
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
};

// A program run to its end: its exit code and everything it printed.
struct Finished {
  int code = -1;
  std::string output;
};

// Runs `argv` to its exit, its output kept in `log`; throws when it has not exited within
// `timeout` (the destructor then kills it).
inline Finished run_to_exit(const std::vector<std::string>& argv, const std::filesystem::path& log,
                            std::chrono::milliseconds timeout) {
  ChildProcess run(argv, log);
  const std::optional<int> code = run.wait_exit(timeout);
  if (!code)
    throw std::runtime_error(argv.front() + " did not exit within " +
                             std::to_string(timeout.count()) + " ms:\n" + run.output());
  return Finished{*code, run.output()};
}

}  // namespace alys::testing
