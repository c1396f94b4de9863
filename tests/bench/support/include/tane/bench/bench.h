#pragma once
/// What the benchmarks share: redis-benchmark's figures on the same server
/// as the thing measured (the bare-Redis ceiling every ratio is taken
/// against), a closed-loop client runner, percentiles, the server version.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tane/store/redis.h"

namespace tane::bench {

struct RedisBenchmark {
  double rps = 0;
  double p50_ms = 0;
  double p99_ms = 0;
};

/// Runs `redis-benchmark <options> --csv <command>` (redis-tools) and reads
/// its one result line:
/// "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
/// INTERNAL with its output when it prints no result.
absl::StatusOr<RedisBenchmark> RunRedisBenchmark(const std::string& options, const std::string& command);

/// `script` loaded on the server, then redis-benchmark -c clients -n requests
/// EVALSHA <sha> <keys...> against it.
absl::StatusOr<RedisBenchmark> BenchmarkEvalsha(store::RedisPool& pool, int port, int clients, int requests,
                                                const std::string& script, const std::string& keys = "0");

struct ClosedLoop {
  std::vector<double> latencies_ms;  // sorted
  double per_second = 0;
  int64_t errors = 0;
};

/// `clients` threads; client c calls op(c, i) for i = c, c + clients,
/// c + 2 × clients, ..., each call as soon as its previous one returned,
/// while i < `total` and `duration` has not passed. The first errors are
/// printed to stderr.
ClosedLoop RunClosedLoop(int clients, int64_t total, absl::Duration duration,
                         const std::function<absl::Status(int client, int64_t i)>& op);

/// The p-th percentile (0..1) of sorted values; 0 for none.
double Percentile(const std::vector<double>& sorted, double p);

/// The server's redis_version ("?" when INFO fails).
std::string RedisVersion(store::RedisPool& pool);

}  // namespace tane::bench
