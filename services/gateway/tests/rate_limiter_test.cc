#include "tane/gateway/rate_limiter.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace tane::gateway {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'700'000'000);

TEST(RateLimiterTest, BurstThenRefusedWithRetryAfter) {
  RateLimiter limiter({/*rate_per_second=*/2, /*burst=*/3});
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.Acquire("alice", kT0).allowed) << i;
  RateLimiter::Decision refused = limiter.Acquire("alice", kT0);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after, absl::Milliseconds(500));  // one token at 2/s
  // Other subjects have their own buckets.
  EXPECT_TRUE(limiter.Acquire("bob", kT0).allowed);
}

TEST(RateLimiterTest, RefillsAtTheRateUpToTheBurst) {
  RateLimiter limiter({2, 3});
  for (int i = 0; i < 3; ++i) limiter.Acquire("alice", kT0);
  EXPECT_FALSE(limiter.Acquire("alice", kT0 + absl::Milliseconds(400)).allowed);
  EXPECT_TRUE(limiter.Acquire("alice", kT0 + absl::Milliseconds(500)).allowed);
  EXPECT_FALSE(limiter.Acquire("alice", kT0 + absl::Milliseconds(500)).allowed);
  // A long pause refills only to the burst.
  const absl::Time later = kT0 + absl::Hours(1);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.Acquire("alice", later).allowed) << i;
  EXPECT_FALSE(limiter.Acquire("alice", later).allowed);
}

TEST(RateLimiterTest, DisabledAllowsEverything) {
  RateLimiter limiter({0, 0});
  EXPECT_FALSE(limiter.enabled());
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(limiter.Acquire("alice", kT0).allowed);
  EXPECT_EQ(limiter.size(), 0u);
}

TEST(RateLimiterTest, IdleFullBucketsAreDropped) {
  RateLimiter limiter({10, 5});
  for (int i = 0; i < 3000; ++i) limiter.Acquire("caller-" + std::to_string(i), kT0);
  EXPECT_GT(limiter.size(), 2000u);
  // Much later every bucket is full again; sweeps drop them as traffic goes on.
  for (int i = 0; i < 20000; ++i) limiter.Acquire("fresh", kT0 + absl::Hours(1));
  EXPECT_LT(limiter.size(), 50u);
}

TEST(RateLimiterTest, ConcurrentCallersNeverGetMoreThanTheBurst) {
  RateLimiter limiter({1, 100});
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) allowed += limiter.Acquire("shared", kT0).allowed ? 1 : 0;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(allowed.load(), 100);
}

}  // namespace
}  // namespace tane::gateway
