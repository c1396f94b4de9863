#pragma once
/// A thread-safe pool of hiredis connections. Callers run one command at a
/// time and get a Reply copied out of hiredis, so nothing has to be freed.

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

struct redisContext;

namespace tane::store {

struct RedisOptions {
  std::string host = "127.0.0.1";
  int port = 6479;
  int pool_size = 8;
  absl::Duration connect_timeout = absl::Seconds(1);
  /// A command that takes longer fails with UNAVAILABLE (its outcome unknown).
  absl::Duration command_timeout = absl::Seconds(5);
  /// After a failed connect, further connects wait at least this long,
  /// doubling per failure up to max_backoff, so a down Redis is not hammered.
  absl::Duration initial_backoff = absl::Milliseconds(50);
  absl::Duration max_backoff = absl::Seconds(2);
};

/// Parses "host:port" into options (other fields keep their defaults).
absl::StatusOr<RedisOptions> ParseRedisAddress(const std::string& address);

/// A Redis reply, owned. Redis error replies (e.g. a script's error_reply)
/// are a Reply of type kError, not a failed Status: a Status failure always
/// means the command's outcome is unknown or it was never sent.
struct Reply {
  enum class Type { kNil, kInteger, kString, kStatus, kError, kArray };
  Type type = Type::kNil;
  int64_t integer = 0;
  std::string str;  // kString, kStatus, kError
  std::vector<Reply> elements;

  bool is_nil() const { return type == Type::kNil; }
  bool is_error() const { return type == Type::kError; }
};

class RedisPool final {
 public:
  explicit RedisPool(RedisOptions options);
  ~RedisPool();
  RedisPool(const RedisPool&) = delete;
  RedisPool& operator=(const RedisPool&) = delete;

  /// Runs one command. UNAVAILABLE when Redis cannot be reached or the
  /// connection broke mid-command (the connection is dropped and reopened on
  /// a later call). Blocks while all connections are in use. Thread-safe.
  absl::StatusOr<Reply> Command(const std::vector<std::string>& args);

  /// Runs several commands on one connection, pipelined, in order.
  absl::StatusOr<std::vector<Reply>> Pipeline(const std::vector<std::vector<std::string>>& commands);

  /// OK when PING answers PONG.
  absl::Status Ping();

  const RedisOptions& options() const { return options_; }

 private:
  struct Slot;
  Slot* Acquire();
  void Release(Slot* slot);
  absl::Status EnsureConnected(Slot* slot);

  RedisOptions options_;
  std::mutex mu_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::vector<Slot*> idle_;
  absl::Time next_connect_attempt_ = absl::InfinitePast();
  absl::Duration backoff_;
};

}  // namespace tane::store
