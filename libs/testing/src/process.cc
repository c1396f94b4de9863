#include "tane/testing/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "tane/testing/fixtures.h"

extern char** environ;

namespace tane::testing {
namespace {

constexpr absl::Duration kStopTimeout = absl::Seconds(30);

std::string DescribeExit(int status) {
  if (WIFEXITED(status)) return absl::StrCat("exited with status ", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return absl::StrCat("killed by signal ", WTERMSIG(status));
  return "ended";
}

}  // namespace

absl::StatusOr<std::unique_ptr<ChildProcess>> ChildProcess::Start(Options options) {
  if (options.argv.empty()) return absl::InvalidArgumentError("a child process needs an argv");
  std::unique_ptr<ChildProcess> child(new ChildProcess(std::move(options)));
  if (auto s = child->Launch(); !s.ok()) return s;
  return child;
}

absl::Status ChildProcess::Launch() {
  if (running()) return absl::FailedPreconditionError("child process already running");
  // Everything the child needs is prepared before fork(): after it, only
  // async-signal-safe calls.
  std::vector<std::string> args = options_.argv;
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string entry(*e);
    bool replaced = false;
    for (const auto& [name, value] : options_.env) replaced |= entry.rfind(name + "=", 0) == 0;
    if (!replaced) env_strings.push_back(entry);
  }
  for (const auto& [name, value] : options_.env) env_strings.push_back(name + "=" + value);
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  const std::string log = options_.log_path.empty() ? std::string("/dev/null") : options_.log_path;
  const bool search_path = args[0].find('/') == std::string::npos;
  const pid_t parent = ::getpid();

  const pid_t pid = ::fork();
  if (pid < 0) return absl::InternalError(absl::StrCat("fork: ", std::strerror(errno)));
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::setpgid(0, 0);
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0) {
      ::dup2(fd, STDOUT_FILENO);
      ::dup2(fd, STDERR_FILENO);
    }
    const int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    ::close_range(3, ~0U, 0);  // no inherited sockets or files
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);  // callers may block signals (sigwait)
    if (search_path) {
      ::execvpe(argv[0], argv.data(), envp.data());
    } else {
      ::execve(argv[0], argv.data(), envp.data());
    }
    const char msg[] = "child process: exec failed\n";
    [[maybe_unused]] auto n = ::write(STDERR_FILENO, msg, sizeof(msg) - 1);
    ::_exit(127);
  }
  pid_ = pid;
  return absl::OkStatus();
}

bool ChildProcess::Exited(std::string* how) {
  if (!running()) return true;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_ || (r < 0 && errno == ECHILD)) {
    if (how != nullptr) *how = r == pid_ ? DescribeExit(status) : "ended";
    pid_ = -1;
    return true;
  }
  return false;
}

void ChildProcess::Reap() {
  if (WaitFor([&] { return Exited(); }, kStopTimeout, absl::Milliseconds(2))) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

void ChildProcess::Terminate() {
  if (!running()) return;
  ::kill(pid_, SIGTERM);
  Reap();
}

void ChildProcess::Kill() {
  if (!running()) return;
  ::kill(pid_, SIGKILL);
  Reap();
}

absl::Status ChildProcess::Restart() {
  if (running() && !Exited()) return absl::FailedPreconditionError("child process still running");
  return Launch();
}

std::string ChildProcess::LogTail(size_t max_lines) const { return FileTail(options_.log_path, max_lines); }

std::string FileTail(const std::string& path, size_t max_lines) {
  std::ifstream in(path);
  if (!in) return "(no log at " + path + ")";
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    lines.push_back(std::move(line));
    if (lines.size() > max_lines) lines.erase(lines.begin());
  }
  std::string out;
  for (const auto& line : lines) absl::StrAppend(&out, "\n  | ", line);
  return out.empty() ? "(empty log)" : out;
}

ChildProcess::~ChildProcess() { Terminate(); }

}  // namespace tane::testing
