#include "tane/bus/consumer.h"

#include "bus_test_util.h"

namespace tane::bus {
namespace {

using test::BusFixture;

class ConsumerTest : public BusFixture {
 protected:
  void SetUp() override {
    BusFixture::SetUp();
    ProducerOptions po;
    po.bootstrap_servers = kafka_->bootstrap_servers();
    auto p = Producer::Create(po);
    ASSERT_TRUE(p.ok());
    producer_ = std::move(*p);
  }

  std::vector<common::v1::EventEnvelope> Publish(int count, const std::string& type = "tane.test.Changed") {
    std::vector<common::v1::EventEnvelope> events;
    std::atomic<int> acked{0};
    for (int i = 0; i < count; ++i) {
      auto e = test::TestEvent("thing-" + std::to_string(i % 7));
      e.set_type(type);
      events.push_back(e);
      EXPECT_TRUE(producer_->Produce(kTopic, e.aggregate_id(), e.SerializeAsString(), {},
                                     [&](const Delivery& d) { acked += d.status.ok(); }).ok());
    }
    EXPECT_TRUE(tane::testing::WaitFor([&] { return acked.load() == count; }));
    return events;
  }

  std::unique_ptr<Consumer> NewConsumer(Consumer::Handler handler, const std::string& group = "g1") {
    ConsumerOptions co;
    co.bootstrap_servers = kafka_->bootstrap_servers();
    co.group_id = group;
    co.topics = {kTopic};
    co.dead_letter_topic = kDeadLetters;
    co.max_attempts = 3;
    co.retry_backoff = absl::Milliseconds(5);
    co.extra = test::FastGroupSettings();
    auto c = Consumer::Create(co, std::move(handler), producer_.get());
    EXPECT_TRUE(c.ok()) << c.status();
    return std::move(*c);
  }

  // Applies each event once, counting applications per event id.
  Consumer::Handler CountingHandler() {
    return [this](const common::v1::EventEnvelope& e) -> absl::Status {
      store::Commit c;
      c.shard_key = "counts";
      c.index_ops.push_back({store::IndexOp::Kind::kHashIncrement, "applied", e.event_id(), "1"});
      return ApplyOnce(*store_, e, c).status();
    };
  }

  std::map<std::string, std::string> AppliedCounts() {
    auto reply = pool_->Command({"HGETALL", store_->keyspace().Key(store_->ShardOf("counts"), "applied")});
    std::map<std::string, std::string> out;
    for (size_t i = 0; i + 1 < reply->elements.size(); i += 2) out[reply->elements[i].str] = reply->elements[i + 1].str;
    return out;
  }

  std::unique_ptr<Producer> producer_;
};

TEST_F(ConsumerTest, RestartedConsumerResumesWithoutLoss) {
  auto events = Publish(300);
  auto first = NewConsumer(CountingHandler());
  first->Start();
  ASSERT_TRUE(tane::testing::WaitFor([&] { return first->applied() >= 100; }));
  first->Stop();  // mid-stream
  const int64_t before = first->applied();
  EXPECT_LT(before, 300);

  auto second = NewConsumer(CountingHandler());
  second->Start();
  ASSERT_TRUE(tane::testing::WaitFor([&] { return AppliedCounts().size() == 300; }, absl::Seconds(60)));
  second->Stop();
  auto counts = AppliedCounts();
  for (const auto& e : events) EXPECT_EQ(counts[e.event_id()], "1") << e.event_id();
}

TEST_F(ConsumerTest, PoisonEventGoesToDeadLetterTopicAndOthersContinue) {
  Publish(1, "tane.test.Poison");
  Publish(5);
  auto consumer = NewConsumer([this](const common::v1::EventEnvelope& e) -> absl::Status {
    if (e.type() == "tane.test.Poison") return absl::InvalidArgumentError("cannot apply");
    return CountingHandler()(e);
  });
  consumer->Start();
  ASSERT_TRUE(tane::testing::WaitFor([&] { return AppliedCounts().size() == 5 && consumer->dead_lettered() == 1; }));
  consumer->Stop();
  test::TopicReader dlq(kafka_->bootstrap_servers(), kDeadLetters);
  ASSERT_TRUE(dlq.ReadAtLeast(1));
  EXPECT_EQ(dlq.messages[0].type(), "tane.test.Poison");
  bool has_error = false;
  for (const auto& h : dlq.headers[0]) has_error |= h.first == "error";
  EXPECT_TRUE(has_error);
}

TEST_F(ConsumerTest, TransientErrorsAreRetriedNotDeadLettered) {
  Publish(1);
  std::atomic<int> calls{0};
  auto consumer = NewConsumer([&](const common::v1::EventEnvelope& e) -> absl::Status {
    if (++calls <= 6) return absl::UnavailableError("redis down");  // more than max_attempts
    return CountingHandler()(e);
  });
  consumer->Start();
  ASSERT_TRUE(tane::testing::WaitFor([&] { return consumer->applied() == 1; }));
  consumer->Stop();
  EXPECT_EQ(consumer->dead_lettered(), 0);
  EXPECT_EQ(calls.load(), 7);
}

TEST(ApplyOnceTest, RejectsEventWithoutId) {
  store::RedisPool pool(store::RedisOptions{});
  store::AggregateStore store(pool, store::Keyspace("x", 1));
  EXPECT_EQ(ApplyOnce(store, common::v1::EventEnvelope(), store::Commit()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tane::bus
