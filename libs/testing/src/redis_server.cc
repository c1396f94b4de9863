#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tane/testing/fixtures.h"

namespace tane::testing {
namespace {

namespace fs = std::filesystem;

constexpr absl::Duration kStartTimeout = absl::Seconds(10);
constexpr absl::Duration kStopTimeout = absl::Seconds(30);

std::string LogPath(const std::string& dir) { return dir + "/redis.log"; }

// The last `max_lines` lines of a file, for error messages.
std::string Tail(const std::string& path, size_t max_lines = 20) {
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

// True when our redis-server (`pid`) answers on 127.0.0.1:port and is ready
// for commands: PING answers PONG (not -LOADING while the AOF is replayed;
// INFO would answer during loading) and INFO names our pid, so it is not some
// other server that already held the port.
bool Ready(int port, pid_t pid) {
  const timeval timeout{0, 200 * 1000};
  redisContext* c = redisConnectWithTimeout("127.0.0.1", port, timeout);
  if (c == nullptr) return false;
  bool pong = false;
  long answering_pid = -1;
  if (c->err == 0) {
    redisSetTimeout(c, timeout);
    auto* reply = static_cast<redisReply*>(redisCommand(c, "PING"));
    pong = reply != nullptr && reply->type == REDIS_REPLY_STATUS &&
           absl::string_view(reply->str, reply->len) == "PONG";
    if (reply != nullptr) freeReplyObject(reply);
    reply = pong ? static_cast<redisReply*>(redisCommand(c, "INFO server")) : nullptr;
    if (reply != nullptr && reply->type == REDIS_REPLY_STRING) {  // hiredis 0.14: RESP2 only
      for (absl::string_view line :
           absl::StrSplit(absl::string_view(reply->str, reply->len), '\n')) {
        if (absl::ConsumePrefix(&line, "process_id:")) {
          if (!absl::SimpleAtoi(absl::StripTrailingAsciiWhitespace(line), &answering_pid)) {
            answering_pid = -1;
          }
          break;
        }
      }
    }
    if (reply != nullptr) freeReplyObject(reply);
  }
  redisFree(c);
  return pong && answering_pid == pid;
}

// Non-blocking: true when `pid` has exited (and is reaped).
bool Reaped(pid_t pid, int* status) {
  const pid_t r = ::waitpid(pid, status, WNOHANG);
  return r == pid || (r < 0 && errno == ECHILD);
}

std::string DescribeExit(int status) {
  if (WIFEXITED(status)) return absl::StrCat("exited with status ", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return absl::StrCat("killed by signal ", WTERMSIG(status));
  return "ended";
}

// Waits (bounded) for the child to exit; SIGKILLs it if it does not.
void Reap(pid_t pid) {
  int status = 0;
  if (WaitFor([&] { return Reaped(pid, &status); }, kStopTimeout, absl::Milliseconds(2))) return;
  ::kill(pid, SIGKILL);
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<RedisServer>> RedisServer::Start(Options options) {
  std::unique_ptr<RedisServer> server(new RedisServer());
  server->options_ = options;

  if (options.directory.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern =
        absl::StrCat((tmp != nullptr && *tmp != '\0') ? tmp : "/tmp", "/tane-redis-XXXXXX");
    if (::mkdtemp(pattern.data()) == nullptr) {
      return absl::InternalError(absl::StrCat("mkdtemp ", pattern, ": ", std::strerror(errno)));
    }
    server->directory_ = pattern;
    server->owns_directory_ = true;
  } else {
    std::error_code ec;
    fs::create_directories(options.directory, ec);
    if (ec) {
      return absl::InternalError(absl::StrCat("create ", options.directory, ": ", ec.message()));
    }
    // Absolute, because redis-server resolves --logfile after chdir to --dir.
    server->directory_ = fs::absolute(options.directory, ec).lexically_normal().string();
    if (ec) return absl::InternalError(absl::StrCat("absolute path: ", ec.message()));
  }

  // A port picked by us can be taken by someone else before redis binds it;
  // try a few. An explicit port is tried once.
  const int attempts = options.port == 0 ? 5 : 1;
  absl::Status status;
  for (int i = 0; i < attempts; ++i) {
    server->port_ = options.port != 0 ? options.port : FreeLoopbackPort();
    if (server->port_ <= 0) return absl::InternalError("no free loopback port");
    status = server->Launch();
    if (status.ok()) return server;
  }
  return status;
}

absl::Status RedisServer::Launch() {
  if (running()) return absl::FailedPreconditionError("redis-server already running");

  // Everything the child needs is prepared before fork(): after it, only
  // async-signal-safe calls.
  const std::string port = std::to_string(port_);
  const std::string log = LogPath(directory_);
  std::vector<std::string> args = {
      "redis-server",
      "--port",
      port,
      "--bind",
      "127.0.0.1",
      "--protected-mode",
      "no",
      "--dir",
      directory_,
      "--appendonly",
      options_.append_only ? "yes" : "no",
      "--appendfsync",
      options_.appendfsync,
      "--save",
      "",
      "--daemonize",
      "no",
      "--logfile",
      log,
  };
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t parent = ::getpid();

  const pid_t pid = ::fork();
  if (pid < 0) return absl::InternalError(absl::StrCat("fork: ", std::strerror(errno)));
  if (pid == 0) {
    // Die with the test process: a crashed or killed test must not leave
    // redis-server behind. (Note: PDEATHSIG follows the *thread* that forked.)
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    // Own process group so a Ctrl-C on the terminal reaches only the test,
    // which then stops redis cleanly.
    ::setpgid(0, 0);
    // Anything printed before --logfile is in effect (bad arguments) goes to
    // the same log.
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
    ::execvp(argv[0], argv.data());
    const char msg[] = "redis-server: exec failed (is redis-server on PATH?)\n";
    [[maybe_unused]] auto n = ::write(STDERR_FILENO, msg, sizeof(msg) - 1);
    ::_exit(127);
  }
  pid_ = pid;

  int exit_status = 0;
  bool exited = false;
  const bool up = WaitFor(
      [&] {
        if (Reaped(pid, &exit_status)) {
          exited = true;
          return true;
        }
        return Ready(port_, pid);
      },
      kStartTimeout, absl::Milliseconds(10));
  if (up && !exited) return absl::OkStatus();

  std::string why;
  if (exited) {
    why = DescribeExit(exit_status);
  } else {
    why = absl::StrCat("did not answer PING within ", absl::FormatDuration(kStartTimeout));
    ::kill(pid, SIGKILL);
    Reap(pid);
  }
  pid_ = -1;
  return absl::UnavailableError(absl::StrCat("redis-server on 127.0.0.1:", port_, " in ",
                                             directory_, " ", why, "; log tail:", Tail(log)));
}

void RedisServer::Stop() {
  if (!running()) return;
  // SIGTERM makes redis-server fsync the AOF and exit, like SHUTDOWN.
  ::kill(pid_, SIGTERM);
  Reap(pid_);
  pid_ = -1;
}

void RedisServer::Kill() {
  if (!running()) return;
  ::kill(pid_, SIGKILL);
  Reap(pid_);
  pid_ = -1;
}

absl::Status RedisServer::Restart() {
  Stop();
  return Launch();
}

RedisServer::~RedisServer() {
  Stop();
  if (owns_directory_ && !directory_.empty()) {
    std::error_code ec;
    fs::remove_all(directory_, ec);
  }
}

}  // namespace tane::testing
