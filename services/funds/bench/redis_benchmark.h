#pragma once
// What the funds benchmarks share: redis-benchmark's figures on the same
// server as the thing measured, latency percentiles, the server's version.

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tane/store/redis.h"

namespace tane::funds::bench {

struct RedisBenchmark {
  double rps = 0;
  double p50_ms = 0;
  double p99_ms = 0;
};

/// Runs `redis-benchmark <options> --csv <command>` (redis-tools) and reads
/// its one result line:
/// "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
absl::StatusOr<RedisBenchmark> RunRedisBenchmark(const std::string& options, const std::string& command);

/// `script` loaded on the server, then redis-benchmark -c clients -n requests
/// EVALSHA <sha> <keys...> against it.
absl::StatusOr<RedisBenchmark> BenchmarkEvalsha(store::RedisPool& pool, int port, int clients, int requests,
                                                const std::string& script, const std::string& keys = "0");

/// A transfer between two of `accounts` distinct accounts, as the benchmarks
/// book them: client c's n-th is "b<c>-<n>", 1..1,000,000 yen.
struct RandomMove {
  std::string id;
  size_t from = 0;
  size_t to = 0;
  int64_t amount = 0;
};

struct ClosedLoop {
  std::vector<double> latencies_ms;  // sorted
  double per_second = 0;
  int64_t errors = 0;
};

/// `clients` threads, each calling `op` with its next RandomMove as soon as
/// the last returned, for `duration`. The first errors are printed.
ClosedLoop RunClosedLoop(int clients, absl::Duration duration, size_t accounts,
                         const std::function<absl::Status(int client, const RandomMove& move)>& op);

/// The p-th percentile (0..1) of sorted values; 0 for none.
double Percentile(const std::vector<double>& sorted, double p);

/// The server's redis_version.
std::string RedisVersion(store::RedisPool& pool);

}  // namespace tane::funds::bench
