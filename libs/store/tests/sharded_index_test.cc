#include "tane/store/sharded_index.h"

#include <set>

#include "gtest/gtest.h"
#include "tane/core/errors.h"
#include "tane/core/ids.h"
#include "tane/testing/fixtures.h"

namespace tane::store {
namespace {

class ShardedIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = tane::testing::RedisServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    RedisOptions options;
    options.port = server_->port();
    pool_ = std::make_unique<RedisPool>(options);
    store_ = std::make_unique<AggregateStore>(*pool_, Keyspace("calls", 4));
    index_ = std::make_unique<ShardedIndex>(*pool_, Keyspace("calls", 4));
  }

  // One aggregate per id, each indexed under "idx:call-apps:c1" in its own shard.
  void AddApplication(const std::string& id, absl::Time submitted, const std::string& state) {
    Commit c;
    c.aggregate_type = "application";
    c.aggregate_id = id;
    c.data = state;
    c.index_ops.push_back(IndexAdd("idx:call-apps:c1", SortKeyOfTime(submitted), id));
    c.index_ops.push_back(CounterAdd("cnt:call-apps:c1", state, 1));
    auto result = store_->Commit(c);
    ASSERT_TRUE(result.ok()) << result.status();
  }

  std::unique_ptr<tane::testing::RedisServer> server_;
  std::unique_ptr<RedisPool> pool_;
  std::unique_ptr<AggregateStore> store_;
  std::unique_ptr<ShardedIndex> index_;
};

TEST_F(ShardedIndexTest, PagesMergeEveryShardInOrderWithoutGapsOrRepeats) {
  const absl::Time t0 = absl::FromUnixSeconds(1496000000);
  std::vector<std::string> expected;
  for (int i = 0; i < 37; ++i) {
    const std::string id = core::NewUuid();
    AddApplication(id, t0 + absl::Seconds(i), "SUBMITTED");
    expected.push_back(id);
  }
  // The ids landed in more than one shard, or the test proves nothing.
  Keyspace ks("calls", 4);
  std::set<int> shards;
  for (const auto& id : expected) shards.insert(ks.ShardOf(id));
  ASSERT_GT(shards.size(), 1u);

  std::vector<std::string> seen;
  std::string cursor;
  int pages = 0;
  do {
    auto page = index_->Page("idx:call-apps:c1", cursor, 5);
    ASSERT_TRUE(page.ok()) << page.status();
    ASSERT_LE(page->members.size(), 5u);
    for (const auto& m : page->members) seen.emplace_back(IndexMemberId(m));
    cursor = page->next_cursor;
    ++pages;
  } while (!cursor.empty());
  EXPECT_EQ(seen, expected);  // time order, across shards
  EXPECT_EQ(pages, 8);        // 7 full pages and one of 2

  auto newest = index_->Page("idx:call-apps:c1", "", 3, /*descending=*/true);
  ASSERT_TRUE(newest.ok());
  ASSERT_EQ(newest->members.size(), 3u);
  EXPECT_EQ(IndexMemberId(newest->members[0]), expected[36]);
  EXPECT_EQ(IndexMemberId(newest->members[2]), expected[34]);
}

TEST_F(ShardedIndexTest, EntriesAddedBehindTheCursorDoNotShiftLaterPages) {
  const absl::Time t0 = absl::FromUnixSeconds(1496000000);
  for (int i = 0; i < 4; ++i) AddApplication(core::NewUuid(), t0 + absl::Seconds(10 * i), "SUBMITTED");
  auto first = index_->Page("idx:call-apps:c1", "", 2);
  ASSERT_TRUE(first.ok());
  AddApplication(core::NewUuid(), t0 - absl::Seconds(1), "SUBMITTED");  // sorts before the cursor
  auto second = index_->Page("idx:call-apps:c1", first->next_cursor, 2);
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->members.size(), 2u);
  EXPECT_GT(second->members[0], first->members[1]);
  auto all = index_->All("idx:call-apps:c1");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 5u);
}

TEST_F(ShardedIndexTest, CountersSumOverShards) {
  const absl::Time t0 = absl::FromUnixSeconds(1496000000);
  for (int i = 0; i < 9; ++i) AddApplication(core::NewUuid(), t0, i % 3 == 0 ? "DRAFT" : "SUBMITTED");
  auto counts = index_->Counters("cnt:call-apps:c1");
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ((*counts)["DRAFT"], 3);
  EXPECT_EQ((*counts)["SUBMITTED"], 6);
  auto none = index_->Counters("cnt:call-apps:unknown");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST_F(ShardedIndexTest, RejectsNonPositiveLimit) {
  EXPECT_EQ(index_->Page("idx:x", "", 0).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(PageTokenTest, RoundTripsAndRefusesForeignTokens) {
  const std::string cursor = IndexMember(SortKeyOfTime(absl::FromUnixSeconds(5)), "id-1");
  auto decoded = DecodePageToken(EncodePageToken(cursor));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, cursor);
  EXPECT_EQ(EncodePageToken(""), "");
  EXPECT_EQ(*DecodePageToken(""), "");
  for (const char* bad : {"!!!", "aGVsbG8", "YzE6"}) {  // not base64; no prefix; prefix only
    auto status = DecodePageToken(bad, "page_token").status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad;
    auto violations = core::ViolationsOf(status);
    ASSERT_EQ(violations.size(), 1u) << bad;
    EXPECT_EQ(violations[0].field, "page_token");
  }
}

TEST(IndexMemberTest, SortKeyOfTimeOrdersLexically) {
  EXPECT_LT(SortKeyOfTime(absl::FromUnixSeconds(9)), SortKeyOfTime(absl::FromUnixSeconds(10)));
  EXPECT_EQ(SortKeyOfTime(absl::FromUnixSeconds(-5)), SortKeyOfTime(absl::UnixEpoch()));
  EXPECT_EQ(SortKeyOfTime(absl::UnixEpoch()).size(), 20u);
  EXPECT_EQ(IndexMemberId("00000000000000000001|abc"), "abc");
}

}  // namespace
}  // namespace tane::store
