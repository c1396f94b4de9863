// ServiceKit over a real redis-server and librdkafka's mock cluster.
#include "tane/runtime/service_kit.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "google/protobuf/timestamp.pb.h"
#include "google/protobuf/wrappers.pb.h"
#include "tane/bus/envelope.h"
#include "tane/core/errors.h"
#include "tane/core/ids.h"
#include "tane/testing/fixtures.h"
#include "tane/testing/topics.h"

namespace tane::runtime {
namespace {

const bool kSignalsBlocked = [] {
  BlockShutdownSignals();
  return true;
}();

using google::protobuf::StringValue;
using tane::common::v1::EventEnvelope;

// A counter aggregate for the command tests; the response is its new value.
constexpr char kType[] = "counter";

class ServiceKitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto redis = testing::RedisServer::Start();
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = std::move(*redis);
    auto kafka = testing::KafkaCluster::Start(3);
    ASSERT_TRUE(kafka.ok()) << kafka.status();
    kafka_ = std::move(*kafka);
    for (const char* topic : {"tane.kittest.events", "tane.kittest.dlq", "tane.other.events"}) {
      ASSERT_TRUE(kafka_->CreateTopic(topic, 3).ok());
    }
  }

  void StartKit(std::vector<std::string> consume_topics = {}) {
    ServiceConfig config = ServiceConfig::Defaults("kittest", 0, 0);
    config.redis_addr = "127.0.0.1:" + std::to_string(redis_->port());
    config.kafka_bootstrap = kafka_->bootstrap_servers();
    config.shards = 4;
    ServiceHostOptions host_options;
    host_options.handle_signals = false;
    host_options.readiness_interval = absl::Milliseconds(50);
    host_ = std::make_unique<ServiceHost>(config, host_options);
    ServiceKitOptions options;
    options.consume_topics = std::move(consume_topics);
    options.consumer_kafka_extra = {{"session.timeout.ms", "6000"}, {"heartbeat.interval.ms", "300"}};
    options.clock = &clock_;
    options.metrics_interval = absl::Milliseconds(50);
    auto kit = ServiceKit::Create(*host_, options);
    ASSERT_TRUE(kit.ok()) << kit.status();
    kit_ = std::move(*kit);
  }

  void Run() {
    ASSERT_TRUE(kit_->Start().ok());
    ASSERT_TRUE(host_->Start().ok());
  }

  void TearDown() override {
    if (host_) {
      host_->RequestShutdown();
      host_.reset();  // drains and runs the kit's hooks while the kit is alive
    }
    kit_.reset();
  }

  // Adds `delta` to a counter, idempotently under `key`.
  absl::StatusOr<StringValue> Add(const std::string& id, const std::string& key, int delta,
                                  const std::string& subject = "alice") {
    StringValue request;  // stands for the RPC's request message
    request.set_value(key + "/" + std::to_string(delta));
    CommandKey command;
    command.aggregate_id = id;
    command.idempotency_key = key;
    command.subject = subject;
    command.request = &request;
    return RunCommand<StringValue>(kit_->store(), command, [&]() -> absl::StatusOr<Mutation<StringValue>> {
      auto current = kit_->store().Load(kType, id);
      if (!current.ok()) return current.status();
      const int value = (current->version == 0 ? 0 : std::stoi(current->data)) + delta;
      Mutation<StringValue> m;
      m.commit.aggregate_type = kType;
      m.commit.aggregate_id = id;
      m.commit.expected_version = current->version;
      m.commit.data = std::to_string(value);
      RequestContext ctx;
      ctx.caller = {.subject = subject, .role = "operator", .agency = ""};
      ctx.now = clock_.Now();
      StringValue payload;
      payload.set_value(m.commit.data);
      m.commit.events.push_back(ctx.NewEvent(payload, kType, id));
      m.response.set_value(m.commit.data);
      return m;
    });
  }

  int64_t Version(const std::string& id) { return kit_->store().Load(kType, id)->version; }

  core::ManualClock clock_{absl::FromUnixSeconds(1496700000)};
  std::unique_ptr<testing::RedisServer> redis_;
  std::unique_ptr<testing::KafkaCluster> kafka_;
  std::unique_ptr<ServiceHost> host_;
  std::unique_ptr<ServiceKit> kit_;
};

TEST_F(ServiceKitTest, RepeatedKeyReturnsTheFirstResultAndActsOnce) {
  StartKit();
  auto first = Add("c1", "key-1", 5);
  ASSERT_TRUE(first.ok()) << first.status();
  auto again = Add("c1", "key-1", 5);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->value(), "5");
  EXPECT_EQ(Version("c1"), 1);

  auto other = Add("c1", "key-2", 5);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->value(), "10");

  // The same key from another caller is another command.
  auto bob = Add("c1", "key-1", 5, "bob");
  ASSERT_TRUE(bob.ok());
  EXPECT_EQ(bob->value(), "15");
}

TEST_F(ServiceKitTest, KeyReusedForADifferentRequestIsRefusedAndChangesNothing) {
  StartKit();
  ASSERT_TRUE(Add("c1", "key-1", 5).ok());
  auto reused = Add("c1", "key-1", 7);
  ASSERT_EQ(reused.status().code(), absl::StatusCode::kInvalidArgument);
  auto violations = core::ViolationsOf(reused.status());
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].field, "idempotency_key");
  EXPECT_EQ(Version("c1"), 1);
}

TEST_F(ServiceKitTest, ConcurrentRetriesOfOneCommandActOnceAndAllSeeOneAnswer) {
  StartKit();
  constexpr int kThreads = 12;
  std::vector<std::string> answers(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      auto r = Add("c1", "same-key", 3);
      answers[i] = r.ok() ? r->value() : r.status().ToString();
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& a : answers) EXPECT_EQ(a, "3");
  EXPECT_EQ(Version("c1"), 1);
}

TEST_F(ServiceKitTest, ConcurrentRetriesOfOneCreateAllGetTheCreatedResult) {
  StartKit();
  // A create refuses an existing aggregate; its racing retries must still
  // get the first result, not that refusal.
  const std::string id = IdForCreate("counter", "alice", "create-1");
  StringValue request;
  request.set_value("create");
  CommandKey command{.aggregate_id = id, .idempotency_key = "create-1", .subject = "alice", .request = &request};
  auto create = [&]() {
    return RunCommand<StringValue>(kit_->store(), command, [&]() -> absl::StatusOr<Mutation<StringValue>> {
      auto current = kit_->store().Load(kType, id);
      if (!current.ok()) return current.status();
      if (current->version > 0) return absl::AlreadyExistsError("exists");
      Mutation<StringValue> m;
      m.commit.aggregate_type = kType;
      m.commit.aggregate_id = id;
      m.commit.data = "0";
      m.response.set_value(id);
      return m;
    });
  };
  constexpr int kThreads = 12;
  std::vector<std::string> answers(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      auto r = create();
      answers[i] = r.ok() ? r->value() : r.status().ToString();
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& a : answers) EXPECT_EQ(a, id);
  EXPECT_EQ(Version(id), 1);
}

TEST_F(ServiceKitTest, ConcurrentDistinctCommandsAllApplyThroughVersionRetries) {
  StartKit();
  constexpr int kThreads = 8;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      if (!Add("c1", "k" + std::to_string(i), 1).ok()) failures.fetch_add(1);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(Version("c1"), kThreads);
  EXPECT_EQ(kit_->store().Load(kType, "c1")->data, std::to_string(kThreads));
}

TEST_F(ServiceKitTest, IdForCreateIsStablePerCallerAndKey) {
  EXPECT_EQ(IdForCreate("ns", "alice", "k"), IdForCreate("ns", "alice", "k"));
  EXPECT_NE(IdForCreate("ns", "alice", "k"), IdForCreate("ns", "bob", "k"));
  EXPECT_NE(IdForCreate("ns", "alice", "k"), IdForCreate("other", "alice", "k"));
  // Length-prefixed: ("ab","c") and ("a","bc") differ.
  EXPECT_NE(IdForCreate("ns", "ab", "c"), IdForCreate("ns", "a", "bc"));
  EXPECT_NE(IdForCreate("ns", "alice", ""), IdForCreate("ns", "alice", ""));  // no key: fresh ids
  EXPECT_TRUE(core::IsUuid(IdForCreate("ns", "alice", "k")));
}

TEST_F(ServiceKitTest, ListAggregatesPagesFiltersAndBoundsTheScan) {
  StartKit();
  // Ten aggregates "n0".."n9" in an index ordered by n; the filter keeps even n.
  for (int n = 0; n < 10; ++n) {
    StringValue value;
    value.set_value(std::to_string(n));
    store::Commit commit;
    commit.aggregate_type = "number";
    commit.aggregate_id = "n" + std::to_string(n);
    commit.data = value.SerializeAsString();
    commit.index_ops.push_back(store::IndexAdd("idx:numbers", std::to_string(n), commit.aggregate_id));
    ASSERT_TRUE(kit_->store().Commit(commit).ok());
  }
  const std::function<bool(const StringValue&)> even = [](const StringValue& v) {
    return std::stoi(v.value()) % 2 == 0;
  };
  ListRequest request;
  request.index = "idx:numbers";
  request.page_size = 2;
  std::vector<std::string> seen;
  int pages = 0;
  do {
    auto page = ListAggregates<StringValue>(kit_->store(), kit_->index(), "number", request, even);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const auto& v : page->items) seen.push_back(v.value());
    request.page_token = page->next_page_token;
    ASSERT_LT(++pages, 10);
  } while (!request.page_token.empty());
  EXPECT_EQ(seen, (std::vector<std::string>{"0", "2", "4", "6", "8"}));

  // A bounded scan returns a short page and a token that goes on from there.
  ListRequest bounded;
  bounded.index = "idx:numbers";
  bounded.page_size = 5;
  bounded.descending = true;
  bounded.max_scanned = 3;
  auto first = ListAggregates<StringValue>(kit_->store(), kit_->index(), "number", bounded, even);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->items.size(), 1u);  // 9, 8, 7 scanned
  EXPECT_EQ(first->items[0].value(), "8");
  bounded.page_token = first->next_page_token;
  auto second = ListAggregates<StringValue>(kit_->store(), kit_->index(), "number", bounded, even);
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->items.size(), 2u);  // 6, 5, 4 scanned
  EXPECT_EQ(second->items[0].value(), "6");
  EXPECT_EQ(second->items[1].value(), "4");
  EXPECT_FALSE(second->next_page_token.empty());
}

TEST(PageSizeTest, DefaultsCapsAndRefusesNegative) {
  EXPECT_EQ(*PageSizeOf(0), 50);
  EXPECT_EQ(*PageSizeOf(7), 7);
  EXPECT_EQ(*PageSizeOf(100000), 500);
  auto negative = PageSizeOf(-1);
  ASSERT_EQ(negative.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(core::ViolationsOf(negative.status())[0].field, "page_size");
}

TEST_F(ServiceKitTest, CommittedEventsReachTheServiceTopicWithActorAndTrace) {
  StartKit();
  Run();
  ASSERT_TRUE(Add("c1", "key-1", 2).ok());
  ASSERT_TRUE(Add("c1", "key-2", 3).ok());
  testing::TopicReader reader(kafka_->bootstrap_servers(), "tane.kittest.events");
  ASSERT_TRUE(reader.ReadAtLeast(2));
  EXPECT_EQ(reader.messages[0].aggregate_id(), "c1");
  EXPECT_EQ(reader.messages[0].aggregate_version(), 1);
  EXPECT_EQ(reader.messages[1].aggregate_version(), 2);
  EXPECT_EQ(reader.messages[0].actor(), "operator:alice");
  EXPECT_EQ(absl::FromUnixSeconds(reader.messages[0].occurred_at().seconds()), clock_.Now());
  StringValue payload;
  ASSERT_TRUE(bus::UnpackPayload(reader.messages[1], &payload));
  EXPECT_EQ(payload.value(), "5");
}

TEST_F(ServiceKitTest, ConsumedEventsAreDispatchedByTypeAndAppliedOnce) {
  StartKit({"tane.other.events"});
  std::atomic<int> handled{0};
  kit_->On<StringValue>([&](const EventEnvelope& envelope, const StringValue& value) -> absl::Status {
    store::Commit commit;
    commit.shard_key = envelope.aggregate_id();
    commit.index_ops.push_back(store::CounterAdd("rm:seen", value.value(), 1));
    auto applied = bus::ApplyOnce(kit_->store(), envelope, commit);
    if (!applied.ok()) return applied.status();
    handled.fetch_add(1);
    return absl::OkStatus();
  });
  Run();

  StringValue hello;
  hello.set_value("こんにちは");
  EventEnvelope event = bus::NewEvent(hello, "thing", "t1", "applicant:a", "", clock_.Now());
  google::protobuf::Timestamp ignored_payload;
  EventEnvelope ignored = bus::NewEvent(ignored_payload, "thing", "t1", "applicant:a", "", clock_.Now());
  // Delivered twice (a relay that crashed after Kafka acknowledged), plus one
  // type nobody handles, which must not block what follows it.
  ASSERT_TRUE(testing::PublishEnvelopes(kafka_->bootstrap_servers(), "tane.other.events",
                                        {event, ignored, event})
                  .ok());
  ASSERT_TRUE(testing::WaitFor([&] { return handled.load() == 2; }, absl::Seconds(60)));
  auto counts = kit_->index().Counters("rm:seen");
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ((*counts)["こんにちは"], 1);  // applied once, Japanese text intact
  ASSERT_TRUE(testing::WaitFor([&] { return kit_->consumer()->applied() == 3; }));
}

// A service started while Redis is down serves health NOT_SERVING and keeps
// trying; when Redis comes up it becomes ready by itself (no crash loop).
TEST_F(ServiceKitTest, RedisDownAtStartMeansNotReadyUntilItComesUp) {
  const int port = redis_->port();
  redis_->Stop();
  StartKit();
  Run();
  EXPECT_FALSE(host_->WaitUntilReady(absl::Milliseconds(500)));
  EXPECT_EQ(Add("c1", "k", 1).status().code(), absl::StatusCode::kUnavailable);
  testing::RedisServer::Options options;
  options.port = port;
  auto again = testing::RedisServer::Start(options);
  ASSERT_TRUE(again.ok()) << again.status();
  ASSERT_TRUE(host_->WaitUntilReady(absl::Seconds(30)));
  EXPECT_TRUE(Add("c1", "k", 1).ok());
  redis_ = std::move(*again);
}

TEST_F(ServiceKitTest, RedisDownMeansNotReadyAndBackMeansReady) {
  StartKit();
  Run();
  ASSERT_TRUE(host_->WaitUntilReady(absl::Seconds(20)));
  redis_->Kill();
  ASSERT_TRUE(testing::WaitFor([&] { return !host_->Ready(); }));
  EXPECT_EQ(Add("c1", "k", 1).status().code(), absl::StatusCode::kUnavailable);
  ASSERT_TRUE(redis_->Restart().ok());
  ASSERT_TRUE(testing::WaitFor([&] { return host_->Ready(); }));
  EXPECT_TRUE(Add("c1", "k", 1).ok());
}

TEST_F(ServiceKitTest, KafkaDownKeepsServingAndCommittingThenTheRelayCatchesUp) {
  StartKit();
  Run();
  ASSERT_TRUE(host_->WaitUntilReady(absl::Seconds(20)));
  kafka_->SetAllBrokersDown(true);
  auto kafka_gauge = [&] {
    const std::string text = host_->metrics().Exposition();
    return text.find("tane_dependency_up{dependency=\"kafka\",service=\"kittest\"} 0") != std::string::npos;
  };
  ASSERT_TRUE(testing::WaitFor(kafka_gauge, absl::Seconds(30)));
  EXPECT_TRUE(host_->Ready());  // writes still work: the outbox holds the events
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(Add("c1", "k" + std::to_string(i), 1).ok());
  kafka_->SetAllBrokersDown(false);
  testing::TopicReader reader(kafka_->bootstrap_servers(), "tane.kittest.events");
  ASSERT_TRUE(reader.ReadAtLeast(5, absl::Seconds(90)));
  std::set<int64_t> versions;
  for (const auto& m : reader.messages) versions.insert(m.aggregate_version());
  EXPECT_EQ(versions, (std::set<int64_t>{1, 2, 3, 4, 5}));
}

}  // namespace
}  // namespace tane::runtime
