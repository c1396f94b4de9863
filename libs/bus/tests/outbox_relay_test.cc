#include "tane/bus/outbox_relay.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>

#include "bus_test_util.h"
#include "tane/bus/consumer.h"

namespace tane::bus {
namespace {

using test::BusFixture;
using test::TopicReader;

class OutboxRelayTest : public BusFixture {
 protected:
  std::unique_ptr<Producer> NewProducer(absl::Duration delivery_timeout = absl::Seconds(30)) {
    ProducerOptions po;
    po.bootstrap_servers = kafka_->bootstrap_servers();
    po.delivery_timeout = delivery_timeout;
    auto p = Producer::Create(po);
    EXPECT_TRUE(p.ok()) << p.status();
    return std::move(*p);
  }

  // One pass over every shard; true when something failed.
  bool PassOverShards(OutboxRelay& relay) {
    bool failed = false;
    for (int s = 0; s < store_->keyspace().shards(); ++s) failed |= !relay.RelayShardOnce(s).ok();
    return failed;
  }
};

TEST_F(OutboxRelayTest, PublishesEveryEntryOnceInOrderPerAggregate) {
  CommitEvents(20, 15);
  ASSERT_EQ(TotalBacklog(), 300);
  auto producer = NewProducer();
  RelayOptions options;
  options.topic = kTopic;
  options.batch_size = 64;
  OutboxRelay relay(*pool_, store_->keyspace(), *producer, options);
  ASSERT_TRUE(tane::testing::WaitFor([&] {
    PassOverShards(relay);
    return TotalBacklog() == 0;
  }));
  EXPECT_EQ(relay.published(), 300);

  TopicReader reader(kafka_->bootstrap_servers(), kTopic);
  ASSERT_TRUE(reader.ReadAtLeast(300));
  EXPECT_EQ(reader.messages.size(), 300u);  // no crash: no duplicates either
  EXPECT_EQ(test::ExpectFirstSeenInOrder(reader.messages, 15), 300u);
  // Headers carry the event id and type for consumers that route on them.
  ASSERT_FALSE(reader.headers[0].empty());
  EXPECT_EQ(reader.headers[0][0].first, "event-id");
}

TEST_F(OutboxRelayTest, BackgroundLoopDrainsNewCommits) {
  auto producer = NewProducer();
  RelayOptions options;
  options.topic = kTopic;
  OutboxRelay relay(*pool_, store_->keyspace(), *producer, options);
  std::vector<ShardBacklog> observed;
  std::mutex mu;
  relay.set_backlog_observer([&](const ShardBacklog& b) {
    std::lock_guard lock(mu);
    observed.push_back(b);
  });
  relay.Start();
  CommitEvents(5, 4);
  ASSERT_TRUE(tane::testing::WaitFor([&] { return TotalBacklog() == 0 && relay.published() == 20; }));
  relay.Stop();
  std::lock_guard lock(mu);
  EXPECT_FALSE(observed.empty());
}

TEST_F(OutboxRelayTest, KafkaDownWritesStillCommitAndRelayCatchesUp) {
  auto producer = NewProducer(absl::Seconds(1));
  RelayOptions options;
  options.topic = kTopic;
  OutboxRelay relay(*pool_, store_->keyspace(), *producer, options);

  kafka_->SetAllBrokersDown(true);
  CommitEvents(10, 5);  // Redis takes the writes; the outbox holds the events
  EXPECT_EQ(TotalBacklog(), 50);
  EXPECT_TRUE(PassOverShards(relay));  // deliveries time out: nothing removed
  EXPECT_EQ(TotalBacklog(), 50);
  EXPECT_EQ(relay.published(), 0);

  kafka_->SetAllBrokersDown(false);
  ASSERT_TRUE(tane::testing::WaitFor([&] {
    PassOverShards(relay);
    return TotalBacklog() == 0;
  }, absl::Seconds(60)));
  TopicReader reader(kafka_->bootstrap_servers(), kTopic);
  ASSERT_TRUE(reader.ReadAtLeast(50));
  EXPECT_EQ(test::ExpectFirstSeenInOrder(reader.messages, 5), 50u);
}

TEST_F(OutboxRelayTest, ShardLeaseKeepsASecondRelayOff) {
  CommitEvents(8, 1);
  auto producer = NewProducer();
  RelayOptions first_options;
  first_options.topic = kTopic;
  first_options.owner = "relay-a";
  first_options.batch_size = 1;
  RelayOptions second_options = first_options;
  second_options.owner = "relay-b";
  OutboxRelay first(*pool_, store_->keyspace(), *producer, first_options);
  OutboxRelay second(*pool_, store_->keyspace(), *producer, second_options);
  int shard = store_->ShardOf("thing-0");
  ASSERT_EQ(first.RelayShardOnce(shard).value(), 1);
  EXPECT_EQ(second.RelayShardOnce(shard).value(), 0);  // held by relay-a
}

// crash_batch > 0: the child dies on that batch after Kafka acknowledged it
// and before removing it from the outbox.
pid_t SpawnRelayChild(int redis_port, const std::string& bootstrap, int batch, int crash_batch = 0) {
  const std::string port = std::to_string(redis_port);
  const std::string batch_size = std::to_string(batch);
  const std::string crash = std::to_string(crash_batch);
  pid_t pid = fork();
  if (pid == 0) {
    execl(TANE_RELAY_CHILD, TANE_RELAY_CHILD, port.c_str(), bootstrap.c_str(), "test", "4", "tane.test.events",
          batch_size.c_str(), crash_batch > 0 ? crash.c_str() : static_cast<char*>(nullptr),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}

TEST_F(OutboxRelayTest, RelayKilledMidBatchLosesNothingAndConsumersApplyOnce) {
  constexpr int kAggregates = 100;
  constexpr int kPerAggregate = 40;
  constexpr int kTotal = kAggregates * kPerAggregate;
  CommitEvents(kAggregates, kPerAggregate);

  // Crash twice at the worst moment: Kafka acknowledged a batch that is
  // still in the outbox, so it is sent again.
  for (int crash_batch : {3, 7}) {
    pid_t child = SpawnRelayChild(redis_->port(), kafka_->bootstrap_servers(), 100, crash_batch);
    ASSERT_GT(child, 0);
    int status = 0;
    waitpid(child, &status, 0);
    ASSERT_TRUE(WIFEXITED(status));
    ASSERT_EQ(WEXITSTATUS(status), 137);
  }
  // Then SIGKILL it three times while it is publishing (the outbox shrinking
  // shows it is mid-stream), and let a fresh one finish.
  for (int64_t remaining : {3000, 2000, 1000}) {
    pid_t child = SpawnRelayChild(redis_->port(), kafka_->bootstrap_servers(), 100);
    ASSERT_GT(child, 0);
    ASSERT_TRUE(tane::testing::WaitFor([&] { return TotalBacklog() <= remaining; }, absl::Seconds(60),
                                       absl::ZeroDuration()));
    kill(child, SIGKILL);
    waitpid(child, nullptr, 0);
  }
  EXPECT_GT(TotalBacklog(), 0);  // it really died before finishing
  pid_t child = SpawnRelayChild(redis_->port(), kafka_->bootstrap_servers(), 100);
  ASSERT_TRUE(tane::testing::WaitFor([&] { return TotalBacklog() == 0; }, absl::Seconds(120)));
  kill(child, SIGTERM);
  waitpid(child, nullptr, 0);

  TopicReader reader(kafka_->bootstrap_servers(), kTopic);
  // Every event reached Kafka; first appearances are in order per aggregate.
  ASSERT_TRUE(tane::testing::WaitFor([&] {
    reader.ReadAtLeast(reader.messages.size() + 1, absl::Milliseconds(200));
    std::set<std::string> unique;
    for (const auto& m : reader.messages) unique.insert(m.event_id());
    return unique.size() == kTotal;
  }, absl::Seconds(60)));
  EXPECT_EQ(test::ExpectFirstSeenInOrder(reader.messages, kPerAggregate), size_t{kTotal});

  // An idempotent consumer applies each event exactly once despite repeats.
  store::AggregateStore applied_store(*pool_, store::Keyspace("applier", 4));
  ProducerOptions po;
  po.bootstrap_servers = kafka_->bootstrap_servers();
  auto dlq = Producer::Create(po);
  ASSERT_TRUE(dlq.ok());
  std::atomic<int> deliveries{0};
  ConsumerOptions co;
  co.bootstrap_servers = kafka_->bootstrap_servers();
  co.group_id = "applier";
  co.topics = {kTopic};
  co.extra = test::FastGroupSettings();
  auto consumer = Consumer::Create(
      co,
      [&](const common::v1::EventEnvelope& e) -> absl::Status {
        ++deliveries;
        store::Commit c;
        c.shard_key = "counts";
        c.index_ops.push_back({store::IndexOp::Kind::kHashIncrement, "applied", e.aggregate_id(), "1"});
        return ApplyOnce(applied_store, e, c).status();
      },
      dlq->get());
  ASSERT_TRUE(consumer.ok()) << consumer.status();
  (*consumer)->Start();
  ASSERT_TRUE(tane::testing::WaitFor(
      [&] { return deliveries.load() >= static_cast<int>(reader.messages.size()); }, absl::Seconds(60)));
  (*consumer)->Stop();
  const int shard = applied_store.ShardOf("counts");
  auto counts = pool_->Command({"HGETALL", applied_store.keyspace().Key(shard, "applied")});
  ASSERT_EQ(counts->elements.size(), 2u * kAggregates);
  for (size_t i = 1; i < counts->elements.size(); i += 2) EXPECT_EQ(counts->elements[i].str, std::to_string(kPerAggregate));
  // The two crashes after acknowledgement put their batches on the wire twice.
  EXPECT_GE(reader.messages.size(), size_t{kTotal} + 2);
  std::cout << "wire messages " << reader.messages.size() << " for " << kTotal << " events\n";
}

}  // namespace
}  // namespace tane::bus
