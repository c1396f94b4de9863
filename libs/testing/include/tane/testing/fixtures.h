#pragma once
/// Real components for tests: a real redis-server on a free loopback port in a
/// temporary directory, and librdkafka's mock cluster (the Kafka protocol,
/// consumer groups included) on loopback. No hand-written fakes.
///
/// This library does not depend on GoogleTest, so tools (tane-devbroker) and
/// benchmarks can use it too.

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace tane::testing {

class ChildProcess;

/// Polls `condition` until it is true or `timeout` passes. Returns whether it
/// became true. The only sanctioned way for a test to wait.
bool WaitFor(const std::function<bool()>& condition, absl::Duration timeout = absl::Seconds(20),
             absl::Duration poll = absl::Milliseconds(5));

/// A free TCP port on 127.0.0.1 (bound then released).
int FreeLoopbackPort();

/// The last `max_lines` lines of the file at `path`, each after "\n  | ",
/// for failure messages; "(no log at <path>)" or "(empty log)" otherwise.
std::string FileTail(const std::string& path, size_t max_lines = 20);

class RedisServer final {
 public:
  struct Options {
    bool append_only = true;          // appendonly yes
    std::string appendfsync = "always";
    std::string directory;            // empty: a new temporary directory, removed at the end
    int port = 0;                     // 0: a free loopback port
  };

  /// Starts redis-server (Debian's, from PATH) and waits until it answers PING.
  static absl::StatusOr<std::unique_ptr<RedisServer>> Start(Options options);
  static absl::StatusOr<std::unique_ptr<RedisServer>> Start() { return Start(Options{}); }
  ~RedisServer();  // stops the server, removes a temporary directory

  std::string host() const { return "127.0.0.1"; }
  int port() const { return port_; }
  const std::string& directory() const { return directory_; }
  /// Where redis-server writes its log (in directory()).
  std::string log_path() const;

  /// SHUTDOWN-like stop (SIGTERM) and wait for exit.
  void Stop();
  /// SIGKILL, as a crash would.
  void Kill();
  /// Starts again on the same port and directory (the AOF is reloaded) and
  /// waits until it answers PING.
  absl::Status Restart();
  bool running() const;

 private:
  RedisServer() = default;
  absl::Status Launch();

  Options options_;
  std::string directory_;
  bool owns_directory_ = false;
  int port_ = 0;
  std::unique_ptr<ChildProcess> process_;
};

/// librdkafka's mock cluster hosted in this process.
class KafkaCluster final {
 public:
  static absl::StatusOr<std::unique_ptr<KafkaCluster>> Start(int brokers = 3);
  ~KafkaCluster();

  /// "127.0.0.1:port,127.0.0.1:port,..." for bootstrap.servers.
  const std::string& bootstrap_servers() const { return bootstrap_servers_; }
  absl::Status CreateTopic(const std::string& topic, int partitions, int replication_factor = 1);
  /// Takes every broker down (connections refused / closed) or brings them up.
  void SetAllBrokersDown(bool down);

 private:
  KafkaCluster() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string bootstrap_servers_;
};

}  // namespace tane::testing
