#include "tane/store/redis.h"

#include <thread>

#include "gtest/gtest.h"
#include "tane/store/script.h"
#include "tane/testing/fixtures.h"

namespace tane::store {
namespace {

class RedisPoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = tane::testing::RedisServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    RedisOptions options;
    options.port = server_->port();
    options.pool_size = 4;
    pool_ = std::make_unique<RedisPool>(options);
  }
  std::unique_ptr<tane::testing::RedisServer> server_;
  std::unique_ptr<RedisPool> pool_;
};

TEST_F(RedisPoolTest, RunsCommandsAndCopiesReplies) {
  ASSERT_TRUE(pool_->Ping().ok());
  auto set = pool_->Command({"SET", "title", "ナノスケール・サーマルマネージメント"});
  ASSERT_TRUE(set.ok());
  EXPECT_EQ(set->type, Reply::Type::kStatus);
  auto get = pool_->Command({"GET", "title"});
  ASSERT_TRUE(get.ok());
  EXPECT_EQ(get->str, "ナノスケール・サーマルマネージメント");
  auto missing = pool_->Command({"GET", "nothing"});
  ASSERT_TRUE(missing.ok());
  EXPECT_TRUE(missing->is_nil());
  auto bad = pool_->Command({"INCR", "title"});
  ASSERT_TRUE(bad.ok());
  EXPECT_TRUE(bad->is_error());
}

TEST_F(RedisPoolTest, BinarySafeValues) {
  std::string value("a\0b\r\n", 5);
  ASSERT_TRUE(pool_->Command({"SET", "bin", value}).ok());
  EXPECT_EQ(pool_->Command({"GET", "bin"})->str, value);
}

TEST_F(RedisPoolTest, PipelineKeepsOrder) {
  auto replies = pool_->Pipeline({{"RPUSH", "l", "1"}, {"RPUSH", "l", "2"}, {"LRANGE", "l", "0", "-1"}});
  ASSERT_TRUE(replies.ok());
  ASSERT_EQ(replies->size(), 3u);
  EXPECT_EQ((*replies)[2].elements.size(), 2u);
  EXPECT_EQ((*replies)[2].elements[1].str, "2");
}

TEST_F(RedisPoolTest, ConcurrentCallersShareThePool) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([this] {
      for (int i = 0; i < 200; ++i) ASSERT_TRUE(pool_->Command({"INCR", "counter"}).ok());
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(pool_->Command({"GET", "counter"})->str, "1600");
}

TEST_F(RedisPoolTest, UnavailableWhileDownThenReconnects) {
  ASSERT_TRUE(pool_->Command({"SET", "k", "v"}).ok());
  server_->Kill();
  auto down = pool_->Command({"GET", "k"});
  EXPECT_EQ(down.status().code(), absl::StatusCode::kUnavailable);
  ASSERT_TRUE(server_->Restart().ok());
  // The pool backs off between connects; it recovers on its own.
  ASSERT_TRUE(tane::testing::WaitFor([&] { return pool_->Ping().ok(); }));
  EXPECT_EQ(pool_->Command({"GET", "k"})->str, "v");  // AOF, appendfsync always
}

// Every pooled connection is dead after a restart. The first command on each
// used to fail (UNAVAILABLE, "connection lost"), one per connection, long
// after Redis was back; now each finds its connection closed before sending
// and opens a new one.
TEST_F(RedisPoolTest, NoCommandFailsOnAConnectionTheOldServerClosed) {
  // Four callers at once, each blocked in Redis for a moment, hold all four
  // connections of the pool at the same time.
  auto all_connections_at_once = [&] {
    std::vector<std::thread> threads;
    std::vector<absl::Status> results(4);
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] { results[t] = pool_->Command({"BLPOP", "nothing", "0.2"}).status(); });
    }
    for (auto& thread : threads) thread.join();
    return results;
  };
  for (const absl::Status& s : all_connections_at_once()) ASSERT_TRUE(s.ok()) << s;
  server_->Kill();
  ASSERT_TRUE(server_->Restart().ok());
  for (const absl::Status& s : all_connections_at_once()) EXPECT_TRUE(s.ok()) << s;
}

TEST_F(RedisPoolTest, ScriptReloadsAfterScriptCacheFlush) {
  Script script("echo", "return ARGV[1]");
  auto first = script.Run(*pool_, {}, {"一"});
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->str, "一");
  ASSERT_TRUE(pool_->Command({"SCRIPT", "FLUSH"}).ok());
  auto second = script.Run(*pool_, {}, {"二"});
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->str, "二");
}

TEST(RedisAddressTest, Parses) {
  auto ok = ParseRedisAddress("127.0.0.1:6479");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->host, "127.0.0.1");
  EXPECT_EQ(ok->port, 6479);
  EXPECT_FALSE(ParseRedisAddress("localhost").ok());
  EXPECT_FALSE(ParseRedisAddress("localhost:0").ok());
  EXPECT_FALSE(ParseRedisAddress("localhost:70000").ok());
  EXPECT_FALSE(ParseRedisAddress(":6379").ok());
}

}  // namespace
}  // namespace tane::store
