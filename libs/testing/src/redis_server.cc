#include <hiredis/hiredis.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tane/testing/fixtures.h"
#include "tane/testing/process.h"

namespace tane::testing {
namespace {

namespace fs = std::filesystem;

constexpr absl::Duration kStartTimeout = absl::Seconds(10);

std::string LogPath(const std::string& dir) { return dir + "/redis.log"; }

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
    server->process_.reset();  // a new command line for the new port
    status = server->Launch();
    if (status.ok()) return server;
  }
  return status;
}

absl::Status RedisServer::Launch() {
  if (running()) return absl::FailedPreconditionError("redis-server already running");
  const std::string log = LogPath(directory_);
  if (process_) {
    // The same command line: port, directory and AOF.
    if (auto s = process_->Restart(); !s.ok()) return s;
  } else {
    ChildProcess::Options child;
    child.argv = {
        "redis-server",
        "--port",
        std::to_string(port_),
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
        // Anything printed before --logfile is in effect (bad arguments) goes
        // to the same log through the child's stdout.
        "--logfile",
        log,
    };
    child.log_path = log;
    auto started = ChildProcess::Start(std::move(child));
    if (!started.ok()) return started.status();
    process_ = std::move(*started);
  }

  std::string exit;
  bool exited = false;
  const bool up = WaitFor(
      [&] {
        if (process_->Exited(&exit)) {
          exited = true;
          return true;
        }
        return Ready(port_, process_->pid());
      },
      kStartTimeout, absl::Milliseconds(10));
  if (up && !exited) return absl::OkStatus();

  std::string why;
  if (exited) {
    why = exit;
  } else {
    why = absl::StrCat("did not answer PING within ", absl::FormatDuration(kStartTimeout));
    process_->Kill();
  }
  return absl::UnavailableError(absl::StrCat("redis-server on 127.0.0.1:", port_, " in ", directory_, " ", why,
                                             "; log tail:", FileTail(log)));
}

bool RedisServer::running() const { return process_ && process_->running(); }

std::string RedisServer::log_path() const { return LogPath(directory_); }

void RedisServer::Stop() {
  // SIGTERM makes redis-server fsync the AOF and exit, like SHUTDOWN.
  if (running()) process_->Terminate();
}

void RedisServer::Kill() {
  if (running()) process_->Kill();
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
