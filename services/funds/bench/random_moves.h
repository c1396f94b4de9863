#pragma once
// What the funds benchmarks share: random transfers from a closed loop of
// clients running for a while. redis-benchmark beside each measurement,
// percentiles and the server's version are the benchmarks' common ones
// (tests/bench/support, tane::bench).

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "tane/bench/bench.h"

namespace tane::funds::bench {

using tane::bench::BenchmarkEvalsha;
using tane::bench::ClosedLoop;
using tane::bench::Percentile;
using tane::bench::RedisBenchmark;
using tane::bench::RedisVersion;
using tane::bench::RunRedisBenchmark;

/// A transfer between two of `accounts` distinct accounts, as the benchmarks
/// book them: client c's n-th is "b<c>-<n>", 1..1,000,000 yen.
struct RandomMove {
  std::string id;
  size_t from = 0;
  size_t to = 0;
  int64_t amount = 0;
};

/// `clients` threads, each calling `op` with its next RandomMove as soon as
/// the last returned, for `duration`. The first errors are printed.
ClosedLoop RunClosedLoop(int clients, absl::Duration duration, size_t accounts,
                         const std::function<absl::Status(int client, const RandomMove& move)>& op);

}  // namespace tane::funds::bench
