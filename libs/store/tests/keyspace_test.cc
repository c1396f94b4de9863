#include "tane/store/keyspace.h"

#include "gtest/gtest.h"

namespace tane::store {
namespace {

TEST(KeyspaceTest, KeysCarryServiceAndShardHashTag) {
  Keyspace ks("calls", 8);
  const int shard = ks.ShardOf("a1");
  EXPECT_EQ(ks.Tag(3), "{calls:3}");
  EXPECT_EQ(ks.AggregateKey(3, "call", "c1"), "{calls:3}:agg:call:c1");
  EXPECT_EQ(ks.OutboxKey(3), "{calls:3}:outbox");
  EXPECT_EQ(ks.DedupeKey(3, "k"), "{calls:3}:dedupe:k");
  EXPECT_GE(shard, 0);
  EXPECT_LT(shard, 8);
}

TEST(KeyspaceTest, ShardingIsStableAcrossProcesses) {
  // FNV-1a 64 of "a" is a published constant; std::hash would not be stable.
  EXPECT_EQ(Fnv1a64("a"), 0xaf63dc4c8601ec8cull);
  EXPECT_EQ(Fnv1a64(""), 14695981039346656037ull);
  Keyspace ks("funds", 16);
  EXPECT_EQ(ks.ShardOf("a"), static_cast<int>(0xaf63dc4c8601ec8cull % 16));
}

TEST(KeyspaceTest, SpreadsIdsOverShards) {
  Keyspace ks("calls", 8);
  std::vector<int> counts(8);
  for (int i = 0; i < 8000; ++i) counts[ks.ShardOf("application-" + std::to_string(i))]++;
  for (int c : counts) {
    EXPECT_GT(c, 800);
    EXPECT_LT(c, 1200);
  }
}

}  // namespace
}  // namespace tane::store
