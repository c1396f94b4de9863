#pragma once
/// A closed-loop HTTP/1.1 load generator on Boost.Beast: `connections`
/// keep-alive connections, each sending its next request as soon as the
/// previous response arrived, all on asynchronous I/O (no thread per
/// connection). Reports throughput and latency percentiles.

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace tane::gateway {

struct LoadRequest {
  std::string method = "GET";
  std::string target = "/";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

struct LoadOptions {
  std::string host = "127.0.0.1";
  int port = 0;
  int connections = 50;
  /// Requests to send in total (spread over the connections).
  uint64_t requests = 10000;
  /// Threads running the I/O.
  int threads = 1;
  /// The i-th request (0-based); called from the I/O threads.
  std::function<LoadRequest(uint64_t i)> make_request;
};

struct LoadResult {
  uint64_t requests = 0;
  /// Transport errors and responses outside 2xx.
  uint64_t errors = 0;
  std::map<int, uint64_t> statuses;
  absl::Duration elapsed;
  double requests_per_second = 0;
  absl::Duration p50, p90, p99, max;
};

/// Runs the load to completion. UNAVAILABLE when no connection can be made.
absl::StatusOr<LoadResult> RunLoad(const LoadOptions& options);

}  // namespace tane::gateway
