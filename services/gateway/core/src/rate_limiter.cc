#include "tane/gateway/rate_limiter.h"

#include <algorithm>
#include <functional>

namespace tane::gateway {
namespace {

// Sweep one shard for full buckets after this many acquisitions.
constexpr uint64_t kSweepEvery = 256;

}  // namespace

RateLimiter::RateLimiter(RateLimitOptions options) : options_(options) {}

RateLimiter::Decision RateLimiter::Acquire(std::string_view key, absl::Time now) {
  if (!enabled()) return {};
  const double burst = std::max(1.0, options_.burst);
  if (const uint64_t n = ++acquisitions_; n % kSweepEvery == 0) Sweep(shards_[(n / kSweepEvery) % kShards], now);
  Shard& shard = shards_[std::hash<std::string_view>()(key) % kShards];
  std::lock_guard lock(shard.mu);
  auto [it, inserted] = shard.buckets.try_emplace(std::string(key), Bucket{burst, now});
  Bucket& bucket = it->second;
  if (!inserted && now > bucket.updated) {
    bucket.tokens =
        std::min(burst, bucket.tokens + absl::ToDoubleSeconds(now - bucket.updated) * options_.rate_per_second);
    bucket.updated = now;
  }
  if (bucket.tokens >= 1.0) {
    bucket.tokens -= 1.0;
    return {};
  }
  return {false, absl::Seconds((1.0 - bucket.tokens) / options_.rate_per_second)};
}

void RateLimiter::Sweep(Shard& shard, absl::Time now) {
  std::lock_guard lock(shard.mu);
  const double burst = std::max(1.0, options_.burst);
  std::erase_if(shard.buckets, [&](const auto& entry) {
    const Bucket& b = entry.second;
    return b.tokens + absl::ToDoubleSeconds(now - b.updated) * options_.rate_per_second >= burst;
  });
}

size_t RateLimiter::size() const {
  size_t n = 0;
  for (const Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    n += shard.buckets.size();
  }
  return n;
}

}  // namespace tane::gateway
