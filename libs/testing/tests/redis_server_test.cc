#include <gtest/gtest.h>
#include <hiredis/hiredis.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "tane/testing/fixtures.h"

namespace tane::testing {
namespace {

struct ContextDeleter {
  void operator()(redisContext* c) const { redisFree(c); }
};
using Context = std::unique_ptr<redisContext, ContextDeleter>;

struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

Context Connect(const RedisServer& server) {
  Context c(redisConnect(server.host().c_str(), server.port()));
  EXPECT_NE(c, nullptr);
  if (c) {
    EXPECT_EQ(c->err, 0) << c->errstr;
  }
  return c;
}

template <typename... Args>
Reply Command(redisContext* c, const char* format, Args... args) {
  return Reply(static_cast<redisReply*>(redisCommand(c, format, args...)));
}

TEST(RedisServer, StartsAndServesSetGet) {
  auto server = RedisServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_TRUE((*server)->running());
  EXPECT_GT((*server)->port(), 0);
  EXPECT_TRUE(std::filesystem::is_directory((*server)->directory()));

  Context c = Connect(**server);
  ASSERT_TRUE(c && c->err == 0);
  Reply set = Command(c.get(), "SET %s %s", "greeting", "konnichiwa");
  ASSERT_NE(set, nullptr);
  EXPECT_EQ(set->type, REDIS_REPLY_STATUS);
  Reply get = Command(c.get(), "GET %s", "greeting");
  ASSERT_NE(get, nullptr);
  ASSERT_EQ(get->type, REDIS_REPLY_STRING);
  EXPECT_EQ(std::string(get->str, get->len), "konnichiwa");

  // Configured as documented: AOF with fsync on every write, no RDB snapshots.
  Reply aof = Command(c.get(), "CONFIG GET appendfsync");
  ASSERT_NE(aof, nullptr);
  ASSERT_EQ(aof->type, REDIS_REPLY_ARRAY);
  ASSERT_EQ(aof->elements, 2u);
  EXPECT_EQ(std::string(aof->element[1]->str), "always");
  Reply save = Command(c.get(), "CONFIG GET save");
  ASSERT_NE(save, nullptr);
  ASSERT_EQ(save->elements, 2u);
  EXPECT_EQ(std::string(save->element[1]->str), "");
}

TEST(RedisServer, DataSurvivesKillAndRestart) {
  auto started = RedisServer::Start();
  ASSERT_TRUE(started.ok()) << started.status();
  RedisServer& server = **started;
  const int port = server.port();
  {
    Context c = Connect(server);
    ASSERT_TRUE(c && c->err == 0);
    for (int i = 0; i < 100; ++i) {
      Reply r = Command(c.get(), "SET key:%d value:%d", i, i);
      ASSERT_NE(r, nullptr);
      ASSERT_EQ(r->type, REDIS_REPLY_STATUS);
    }
  }

  server.Kill();  // no chance to flush anything: only appendfsync always saves us
  EXPECT_FALSE(server.running());
  ASSERT_TRUE(server.Restart().ok());
  EXPECT_TRUE(server.running());
  EXPECT_EQ(server.port(), port);

  Context c = Connect(server);
  ASSERT_TRUE(c && c->err == 0);
  Reply size = Command(c.get(), "DBSIZE");
  ASSERT_NE(size, nullptr);
  ASSERT_EQ(size->type, REDIS_REPLY_INTEGER) << (size->str ? size->str : "");
  EXPECT_EQ(size->integer, 100);
  Reply get = Command(c.get(), "GET key:%d", 42);
  ASSERT_NE(get, nullptr);
  ASSERT_EQ(get->type, REDIS_REPLY_STRING);
  EXPECT_EQ(std::string(get->str, get->len), "value:42");
}

TEST(RedisServer, StopThenRestartKeepsData) {
  auto started = RedisServer::Start();
  ASSERT_TRUE(started.ok()) << started.status();
  RedisServer& server = **started;
  {
    Context c = Connect(server);
    ASSERT_TRUE(c && c->err == 0);
    Reply r = Command(c.get(), "SET %s %s", "k", "v");
    ASSERT_NE(r, nullptr);
  }
  server.Stop();
  EXPECT_FALSE(server.running());
  ASSERT_TRUE(server.Restart().ok());
  Context c = Connect(server);
  ASSERT_TRUE(c && c->err == 0);
  Reply get = Command(c.get(), "GET %s", "k");
  ASSERT_NE(get, nullptr);
  ASSERT_EQ(get->type, REDIS_REPLY_STRING);
  EXPECT_EQ(std::string(get->str, get->len), "v");
}

TEST(RedisServer, TemporaryDirectoryRemovedGivenDirectoryKept) {
  std::string temp_dir;
  {
    auto server = RedisServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    temp_dir = (*server)->directory();
    EXPECT_TRUE(std::filesystem::exists(temp_dir + "/redis.log"));
  }
  EXPECT_FALSE(std::filesystem::exists(temp_dir));

  const std::string mine = temp_dir + "-given";
  {
    RedisServer::Options options;
    options.directory = mine;
    auto server = RedisServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    EXPECT_EQ((*server)->directory(), mine);
  }
  EXPECT_TRUE(std::filesystem::exists(mine + "/appendonlydir"));
  std::filesystem::remove_all(mine);
}

TEST(RedisServer, PortTakenByAnotherServerIsAnError) {
  auto first = RedisServer::Start();
  ASSERT_TRUE(first.ok()) << first.status();
  RedisServer::Options options;
  options.port = (*first)->port();
  auto second = RedisServer::Start(options);
  ASSERT_FALSE(second.ok());
  // The error carries the log tail, which says why.
  EXPECT_NE(second.status().message().find("log tail"), std::string::npos) << second.status();
  // The first one is untouched.
  Context c = Connect(**first);
  ASSERT_TRUE(c && c->err == 0);
  Reply pong = Command(c.get(), "PING");
  ASSERT_NE(pong, nullptr);
  EXPECT_EQ(std::string(pong->str), "PONG");
}

TEST(RedisServer, DiesWithTheProcessThatStartedIt) {
  char dir[] = "/tmp/tane-redis-orphan-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // A "test process" that starts Redis, reports its port, then is killed.
    ::close(fds[0]);
    RedisServer::Options options;
    options.directory = dir;
    auto server = RedisServer::Start(options);
    const int port = server.ok() ? (*server)->port() : -1;
    [[maybe_unused]] auto n = ::write(fds[1], &port, sizeof(port));
    for (;;) ::pause();
  }
  ::close(fds[1]);
  int port = -1;
  ASSERT_EQ(::read(fds[0], &port, sizeof(port)), static_cast<ssize_t>(sizeof(port)));
  ::close(fds[0]);
  ASSERT_GT(port, 0);

  ::kill(child, SIGKILL);  // no destructor runs
  ASSERT_EQ(::waitpid(child, nullptr, 0), child);
  EXPECT_TRUE(WaitFor(
      [&] {
        redisContext* c = redisConnect("127.0.0.1", port);
        const bool refused = c == nullptr || c->err != 0;
        if (c != nullptr) redisFree(c);
        return refused;
      },
      absl::Seconds(10)));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tane::testing
