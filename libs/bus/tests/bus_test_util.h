#pragma once
// Shared helpers of the bus tests: a real Redis and a mock Kafka cluster,
// and a plain consumer that reads a topic back.

#include <librdkafka/rdkafkacpp.h>

#include <map>
#include <set>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tane/bus/envelope.h"
#include "tane/common/v1/envelope.pb.h"
#include "tane/core/ids.h"
#include "tane/store/aggregate_store.h"
#include "tane/testing/fixtures.h"
#include "tane/testing/topics.h"

namespace tane::bus::test {

using tane::testing::TopicReader;

// librdkafka's default 45 s session timeout would make every rebalance in a
// test wait that long when a member leaves.
inline std::map<std::string, std::string> FastGroupSettings() {
  return {{"session.timeout.ms", "6000"}, {"heartbeat.interval.ms", "300"}};
}

inline tane::common::v1::EventEnvelope TestEvent(const std::string& aggregate_id) {
  tane::common::v1::EventEnvelope e;
  e.set_event_id(tane::core::NewUuid());
  e.set_type("tane.test.Changed");
  e.set_aggregate_type("thing");
  e.set_aggregate_id(aggregate_id);
  return e;
}

class BusFixture : public ::testing::Test {
 protected:
  static constexpr char kTopic[] = "tane.test.events";
  static constexpr char kDeadLetters[] = "tane.test.dlq";

  void SetUp() override {
    auto redis = tane::testing::RedisServer::Start();
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = std::move(*redis);
    auto kafka = tane::testing::KafkaCluster::Start(3);
    ASSERT_TRUE(kafka.ok()) << kafka.status();
    kafka_ = std::move(*kafka);
    ASSERT_TRUE(kafka_->CreateTopic(kTopic, 6).ok());
    ASSERT_TRUE(kafka_->CreateTopic(kDeadLetters, 1).ok());
    store::RedisOptions options;
    options.port = redis_->port();
    options.pool_size = 8;
    pool_ = std::make_unique<store::RedisPool>(options);
    store_ = std::make_unique<store::AggregateStore>(*pool_, store::Keyspace("test", 4));
  }

  // Commits `per_aggregate` versions of each of `aggregates` aggregates,
  // interleaved, one event per commit. Returns the aggregate ids.
  std::vector<std::string> CommitEvents(int aggregates, int per_aggregate) {
    std::vector<std::string> ids;
    for (int a = 0; a < aggregates; ++a) ids.push_back("thing-" + std::to_string(a));
    for (int v = 0; v < per_aggregate; ++v) {
      for (const auto& id : ids) {
        store::Commit c;
        c.aggregate_type = "thing";
        c.aggregate_id = id;
        c.expected_version = v;
        c.data = std::to_string(v + 1);
        c.events.push_back(TestEvent(id));
        auto r = store_->Commit(c);
        EXPECT_TRUE(r.ok()) << r.status();
      }
    }
    return ids;
  }

  int64_t TotalBacklog() {
    int64_t total = 0;
    for (int s = 0; s < store_->keyspace().shards(); ++s) {
      auto r = pool_->Command({"XLEN", store_->keyspace().OutboxKey(s)});
      if (!r.ok()) return -1;
      total += r->integer;
    }
    return total;
  }

  std::unique_ptr<tane::testing::RedisServer> redis_;
  std::unique_ptr<tane::testing::KafkaCluster> kafka_;
  std::unique_ptr<store::RedisPool> pool_;
  std::unique_ptr<store::AggregateStore> store_;
};

// Checks that, counting each event id once at its first appearance, every
// aggregate's versions appear as 1, 2, ..., n. Returns unique events seen.
inline size_t ExpectFirstSeenInOrder(const std::vector<tane::common::v1::EventEnvelope>& messages,
                                     int per_aggregate) {
  std::set<std::string> seen;
  std::map<std::string, int64_t> last;
  for (const auto& m : messages) {
    if (!seen.insert(m.event_id()).second) continue;
    EXPECT_EQ(m.aggregate_version(), last[m.aggregate_id()] + 1) << m.aggregate_id();
    last[m.aggregate_id()] = m.aggregate_version();
  }
  for (const auto& [id, v] : last) EXPECT_EQ(v, per_aggregate) << id;
  return seen.size();
}

}  // namespace tane::bus::test
