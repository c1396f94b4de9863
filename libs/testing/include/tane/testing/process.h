#pragma once
/// A child process for tests and benchmarks: a server binary started,
/// SIGKILLed as a crash would, and started again (RedisServer uses it; fault
/// tests run service binaries with it).
///
/// The child dies with the process that started it (PR_SET_PDEATHSIG, which
/// follows the starting *thread*), runs in its own process group (a Ctrl-C
/// on the terminal reaches only the test), inherits no file descriptors and
/// no blocked signals, and writes stdout and stderr to a log file.
///
/// Not thread-safe: one thread drives a ChildProcess.

#include <sys/types.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace tane::testing {

class ChildProcess final {
 public:
  struct Options {
    /// argv[0] is looked up on PATH when it has no '/'.
    std::vector<std::string> argv;
    /// Set in the child's environment, over this process's.
    std::vector<std::pair<std::string, std::string>> env;
    /// Where stdout and stderr go (appended); empty: /dev/null.
    std::string log_path;
  };

  /// Forks and execs. INVALID_ARGUMENT for an empty argv; an exec that fails
  /// shows as the child exiting with status 127 (see Exited()).
  static absl::StatusOr<std::unique_ptr<ChildProcess>> Start(Options options);
  /// Terminate().
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  /// Started and not yet reaped.
  bool running() const { return pid_ > 0; }
  /// Non-blocking: true when the child has exited (it is then reaped and
  /// `how`, if given, says how: "exited with status 1", "killed by signal 9").
  bool Exited(std::string* how = nullptr);
  /// SIGTERM, up to 30 s for it to exit, then SIGKILL.
  void Terminate();
  /// SIGKILL, as a crash would, and reap.
  void Kill();
  /// Starts it again with the same options once it is not running.
  absl::Status Restart();
  /// The last lines of the log, for failure messages.
  std::string LogTail(size_t max_lines = 20) const;

 private:
  explicit ChildProcess(Options options) : options_(std::move(options)) {}
  absl::Status Launch();
  void Reap();

  Options options_;
  pid_t pid_ = -1;
};

}  // namespace tane::testing
