#include "tane/store/aggregate_store.h"

#include <atomic>
#include <thread>

#include "gtest/gtest.h"
#include "tane/core/ids.h"
#include "tane/testing/fixtures.h"

namespace tane::store {
namespace {

using tane::common::v1::EventEnvelope;

EventEnvelope Event(const std::string& aggregate_id, const std::string& type) {
  EventEnvelope e;
  e.set_event_id(tane::core::NewUuid());
  e.set_type(type);
  e.set_aggregate_type("application");
  e.set_aggregate_id(aggregate_id);
  return e;
}

class AggregateStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = tane::testing::RedisServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    RedisOptions options;
    options.port = server_->port();
    options.pool_size = 16;
    pool_ = std::make_unique<RedisPool>(options);
    store_ = std::make_unique<AggregateStore>(*pool_, Keyspace("calls", 4));
  }

  int64_t OutboxLength(const std::string& aggregate_id) {
    auto reply = pool_->Command({"XLEN", store_->keyspace().OutboxKey(store_->ShardOf(aggregate_id))});
    return reply->integer;
  }

  Commit Write(const std::string& id, int64_t expected, const std::string& data) {
    Commit c;
    c.aggregate_type = "application";
    c.aggregate_id = id;
    c.expected_version = expected;
    c.data = data;
    c.events.push_back(Event(id, "tane.calls.v1.ApplicationSubmitted"));
    return c;
  }

  std::unique_ptr<tane::testing::RedisServer> server_;
  std::unique_ptr<RedisPool> pool_;
  std::unique_ptr<AggregateStore> store_;
};

TEST_F(AggregateStoreTest, CreatesLoadsAndUpdatesWithVersions) {
  auto missing = store_->Load("application", "a1");
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->version, 0);

  auto created = store_->Commit(Write("a1", 0, "研究提案 v1"));
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->version, 1);
  auto updated = store_->Commit(Write("a1", 1, "研究提案 v2"));
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ(updated->version, 2);

  auto loaded = store_->Load("application", "a1");
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->version, 2);
  EXPECT_EQ(loaded->data, "研究提案 v2");
  EXPECT_EQ(OutboxLength("a1"), 2);
}

TEST_F(AggregateStoreTest, LoadManyReadsEveryShardInOrderWithMissingOnesAtVersionZero) {
  ASSERT_TRUE(store_->Commit(Write("a1", 0, "one")).ok());
  ASSERT_TRUE(store_->Commit(Write("a2", 0, "two")).ok());
  ASSERT_TRUE(store_->Commit(Write("a2", 1, "two-b")).ok());
  ASSERT_NE(store_->ShardOf("a1"), store_->ShardOf("a2"));
  auto loaded = store_->LoadMany("application", {"a2", "nope", "a1"});
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_EQ(loaded->size(), 3u);
  EXPECT_EQ((*loaded)[0].version, 2);
  EXPECT_EQ((*loaded)[0].data, "two-b");
  EXPECT_EQ((*loaded)[1].version, 0);
  EXPECT_EQ((*loaded)[2].version, 1);
  EXPECT_EQ((*loaded)[2].data, "one");
  auto none = store_->LoadMany("application", {});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST_F(AggregateStoreTest, StaleVersionIsAbortedAndWritesNothing) {
  ASSERT_TRUE(store_->Commit(Write("a1", 0, "v1")).ok());
  auto stale = store_->Commit(Write("a1", 0, "other"));
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kAborted);
  auto again = store_->Commit(Write("a1", 5, "other"));
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(store_->Load("application", "a1")->data, "v1");
  EXPECT_EQ(OutboxLength("a1"), 1);
}

TEST_F(AggregateStoreTest, EventsCarryTheNewVersionInTheOutbox) {
  ASSERT_TRUE(store_->Commit(Write("a1", 0, "v1")).ok());
  ASSERT_TRUE(store_->Commit(Write("a1", 1, "v2")).ok());
  auto entries = pool_->Command({"XRANGE", store_->keyspace().OutboxKey(store_->ShardOf("a1")), "-", "+"});
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->elements.size(), 2u);
  for (int i = 0; i < 2; ++i) {
    const auto& fields = entries->elements[i].elements[1].elements;  // [id, [k, v, ...]]
    ASSERT_EQ(fields.size(), 8u);
    EXPECT_EQ(fields[6].str, "env");
    EventEnvelope env;
    ASSERT_TRUE(env.ParseFromString(fields[7].str));
    EXPECT_EQ(env.aggregate_version(), i + 1);
    EXPECT_EQ(env.aggregate_id(), "a1");
  }
}

TEST_F(AggregateStoreTest, ConcurrentWritersExactlyOneWinsPerVersion) {
  ASSERT_TRUE(store_->Commit(Write("hot", 0, "0")).ok());
  std::atomic<int> wins{0};
  std::atomic<int> aborted{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < 8; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        auto current = store_->Load("application", "hot");
        ASSERT_TRUE(current.ok());
        auto result = store_->Commit(Write("hot", current->version, std::to_string(t)));
        if (result.ok()) {
          ++wins;
        } else {
          ASSERT_EQ(result.status().code(), absl::StatusCode::kAborted) << result.status();
          ++aborted;
        }
      }
    });
  }
  for (auto& w : writers) w.join();
  EXPECT_EQ(wins + aborted, 400);
  EXPECT_GT(aborted.load(), 0);
  // Every win produced one version and one event, no more.
  EXPECT_EQ(store_->Load("application", "hot")->version, 1 + wins.load());
  EXPECT_EQ(OutboxLength("hot"), 1 + wins.load());
}

TEST_F(AggregateStoreTest, DedupeKeyReturnsFirstResultAndChangesNothing) {
  Commit first = Write("a1", 0, "v1");
  first.dedupe_key = "idem:portal-42";
  first.dedupe_result = "a1@1";
  auto r1 = store_->Commit(first);
  ASSERT_TRUE(r1.ok());
  EXPECT_FALSE(r1->duplicate);

  Commit retry = Write("a1", 0, "v1");  // would conflict, but the key was seen
  retry.dedupe_key = "idem:portal-42";
  auto r2 = store_->Commit(retry);
  ASSERT_TRUE(r2.ok());
  EXPECT_TRUE(r2->duplicate);
  EXPECT_EQ(r2->dedupe_result, "a1@1");
  EXPECT_EQ(OutboxLength("a1"), 1);
  EXPECT_EQ(store_->LookupDedupe("a1", "idem:portal-42")->value_or(""), "a1@1");
  EXPECT_FALSE(store_->LookupDedupe("a1", "idem:never")->has_value());
}

TEST_F(AggregateStoreTest, IndexOpsApplyInTheSameShard) {
  Commit c = Write("a1", 0, "v1");
  c.index_ops.push_back({IndexOp::Kind::kSortedSetAdd, "idx:call:c1", "a1", "17"});
  c.index_ops.push_back({IndexOp::Kind::kHashIncrement, "count:call:c1", "SUBMITTED", "1"});
  ASSERT_TRUE(store_->Commit(c).ok());
  const int shard = store_->ShardOf("a1");
  auto members = pool_->Command({"ZRANGE", store_->keyspace().Key(shard, "idx:call:c1"), "0", "-1"});
  ASSERT_EQ(members->elements.size(), 1u);
  EXPECT_EQ(members->elements[0].str, "a1");
  EXPECT_EQ(pool_->Command({"HGET", store_->keyspace().Key(shard, "count:call:c1"), "SUBMITTED"})->str, "1");
}

TEST_F(AggregateStoreTest, ReadModelCommitWithoutAggregate) {
  Commit c;
  c.shard_key = "researcher:12345678";
  c.dedupe_key = "event:e-1";
  c.index_ops.push_back({IndexOp::Kind::kHashSet, "effort:12345678", "project-1", "40"});
  ASSERT_FALSE(store_->Commit(c)->duplicate);
  EXPECT_TRUE(store_->Commit(c)->duplicate);
  Commit bad;
  EXPECT_EQ(store_->Commit(bad).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(AggregateStoreTest, UnavailableWhenRedisIsDown) {
  server_->Kill();
  EXPECT_EQ(store_->Commit(Write("a1", 0, "v1")).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(store_->Load("application", "a1").status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace tane::store
