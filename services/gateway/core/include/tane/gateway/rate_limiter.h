#pragma once
/// Per-caller rate limiting: one token bucket per key (the authenticated
/// subject, or "ip:<address>" for anonymous callers). A bucket holds up to
/// `burst` tokens and refills at `rate_per_second`; each request takes one.
/// An empty bucket means 429 with Retry-After.
///
/// Thread-safe: buckets live in shards, each under its own mutex. Buckets
/// that have refilled completely carry no information and are dropped, so
/// memory follows the number of recently active callers.

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "absl/time/time.h"

namespace tane::gateway {

struct RateLimitOptions {
  /// Sustained requests per second per key; <= 0 disables limiting.
  double rate_per_second = 50;
  /// Requests a key may make at once after being idle.
  double burst = 100;
};

class RateLimiter final {
 public:
  explicit RateLimiter(RateLimitOptions options);

  struct Decision {
    bool allowed = true;
    /// When refused: how long until one token is back (at least 1 s when
    /// rounded up for Retry-After).
    absl::Duration retry_after;
  };

  /// Takes a token from `key`'s bucket at time `now`.
  Decision Acquire(std::string_view key, absl::Time now);

  bool enabled() const { return options_.rate_per_second > 0; }
  /// Buckets currently held (for tests and metrics).
  size_t size() const;

 private:
  struct Bucket {
    double tokens;
    absl::Time updated;
  };
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<std::string, Bucket> buckets;
  };
  static constexpr size_t kShards = 16;

  void Sweep(Shard& shard, absl::Time now);  // locks shard.mu

  const RateLimitOptions options_;
  std::array<Shard, kShards> shards_;
  // Every kSweepEvery acquisitions one shard (in turn) is swept, so idle
  // shards are cleaned too.
  std::atomic<uint64_t> acquisitions_{0};
};

}  // namespace tane::gateway
