#include <gtest/gtest.h>
#include <librdkafka/rdkafkacpp.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "tane/testing/fixtures.h"

namespace tane::testing {
namespace {

std::unique_ptr<RdKafka::Conf> Config(
    const std::vector<std::pair<std::string, std::string>>& settings) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string err;
  for (const auto& [key, value] : settings) {
    EXPECT_EQ(conf->set(key, value, err), RdKafka::Conf::CONF_OK) << key << ": " << err;
  }
  return conf;
}

// Remembers the outcome of every delivery report.
class Deliveries final : public RdKafka::DeliveryReportCb {
 public:
  void dr_cb(RdKafka::Message& message) override {
    if (message.err() == RdKafka::ERR_NO_ERROR) {
      ++delivered;
    } else {
      ++failed;
      last_error = message.err();
    }
  }
  std::atomic<int> delivered{0};
  std::atomic<int> failed{0};
  std::atomic<RdKafka::ErrorCode> last_error{RdKafka::ERR_NO_ERROR};
};

std::unique_ptr<RdKafka::Producer> MakeProducer(
    const std::string& bootstrap, Deliveries* deliveries,
    std::vector<std::pair<std::string, std::string>> extra = {}) {
  extra.insert(extra.begin(), {{"bootstrap.servers", bootstrap},
                               {"enable.idempotence", "true"},
                               {"acks", "all"},
                               {"linger.ms", "0"}});
  auto conf = Config(extra);
  std::string err;
  EXPECT_EQ(conf->set("dr_cb", static_cast<RdKafka::DeliveryReportCb*>(deliveries), err),
            RdKafka::Conf::CONF_OK)
      << err;
  std::unique_ptr<RdKafka::Producer> producer(RdKafka::Producer::create(conf.get(), err));
  EXPECT_NE(producer, nullptr) << err;
  return producer;
}

RdKafka::ErrorCode Produce(RdKafka::Producer& producer, const std::string& topic,
                           const std::string& key, const std::string& value) {
  return producer.produce(topic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
                          const_cast<char*>(value.data()), value.size(), key.data(), key.size(), 0,
                          nullptr);
}

TEST(KafkaCluster, BootstrapListsEveryBroker) {
  auto cluster = KafkaCluster::Start(3);
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  const std::vector<std::string> brokers = absl::StrSplit((*cluster)->bootstrap_servers(), ',');
  EXPECT_EQ(brokers.size(), 3u) << (*cluster)->bootstrap_servers();
  for (const auto& b : brokers) EXPECT_TRUE(absl::StartsWith(b, "127.0.0.1:")) << b;
}

TEST(KafkaCluster, CreateTopicValidatesAndRefusesDuplicates) {
  auto cluster = KafkaCluster::Start(1);
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  EXPECT_TRUE((*cluster)->CreateTopic("t", 2).ok());
  EXPECT_EQ((*cluster)->CreateTopic("t", 2).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ((*cluster)->CreateTopic("u", 0).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ((*cluster)->CreateTopic("u", 1, 2).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ((*cluster)->CreateTopic("", 1).code(), absl::StatusCode::kInvalidArgument);
}

TEST(KafkaCluster, ProduceThenConsumeInAConsumerGroup) {
  auto cluster = KafkaCluster::Start(3);
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  const std::string bootstrap = (*cluster)->bootstrap_servers();
  ASSERT_TRUE((*cluster)->CreateTopic("tane.test.events", 4, 3).ok());

  Deliveries deliveries;
  auto producer = MakeProducer(bootstrap, &deliveries);
  ASSERT_NE(producer, nullptr);
  ASSERT_EQ(Produce(*producer, "tane.test.events", "agg-1", "hello"), RdKafka::ERR_NO_ERROR);
  ASSERT_TRUE(WaitFor([&] {
    producer->poll(10);
    return deliveries.delivered + deliveries.failed > 0;
  }));
  ASSERT_EQ(deliveries.delivered, 1) << RdKafka::err2str(deliveries.last_error);

  auto conf = Config({{"bootstrap.servers", bootstrap},
                      {"group.id", "tane-test-group"},
                      {"auto.offset.reset", "earliest"},
                      {"enable.auto.commit", "false"}});
  std::string err;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(RdKafka::KafkaConsumer::create(conf.get(), err));
  ASSERT_NE(consumer, nullptr) << err;
  ASSERT_EQ(consumer->subscribe({"tane.test.events"}), RdKafka::ERR_NO_ERROR);

  const absl::Time start = absl::Now();
  std::string key, value;
  int64_t offset = -1;
  int32_t partition = -1;
  ASSERT_TRUE(WaitFor(
      [&] {
        std::unique_ptr<RdKafka::Message> m(consumer->consume(50));
        if (m->err() != RdKafka::ERR_NO_ERROR) return false;
        key = *m->key();
        value.assign(static_cast<const char*>(m->payload()), m->len());
        offset = m->offset();
        partition = m->partition();
        return true;
      },
      absl::Seconds(30), absl::ZeroDuration()));
  std::cerr << "[ info ] group join + first message took " << absl::Now() - start << "\n";
  EXPECT_EQ(key, "agg-1");
  EXPECT_EQ(value, "hello");
  EXPECT_EQ(offset, 0);

  // The group coordinator stores offsets too.
  std::vector<RdKafka::TopicPartition*> assignment;
  ASSERT_EQ(consumer->assignment(assignment), RdKafka::ERR_NO_ERROR);
  EXPECT_EQ(assignment.size(), 4u);  // the only member gets every partition
  RdKafka::TopicPartition::destroy(assignment);
  ASSERT_EQ(consumer->commitSync(), RdKafka::ERR_NO_ERROR);
  std::vector<RdKafka::TopicPartition*> committed = {
      RdKafka::TopicPartition::create("tane.test.events", partition)};
  ASSERT_EQ(consumer->committed(committed, 5000), RdKafka::ERR_NO_ERROR);
  EXPECT_EQ(committed[0]->offset(), offset + 1);
  RdKafka::TopicPartition::destroy(committed);
  consumer->close();
}

TEST(KafkaCluster, AllBrokersDownFailsDeliveryUntilUpAgain) {
  auto cluster = KafkaCluster::Start(3);
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  const std::string topic = "tane.down.events";
  ASSERT_TRUE((*cluster)->CreateTopic(topic, 2, 3).ok());

  Deliveries deliveries;
  auto producer = MakeProducer((*cluster)->bootstrap_servers(), &deliveries,
                               {{"message.timeout.ms", "2000"},
                                {"reconnect.backoff.ms", "10"},
                                {"reconnect.backoff.max.ms", "100"}});
  ASSERT_NE(producer, nullptr);
  // A fresh producer can take ~1 s to fetch a new topic's metadata (seen with
  // librdkafka 2.0.2), which would eat a short message.timeout.ms: learn the
  // topic's leaders first.
  std::string err;
  std::unique_ptr<RdKafka::Topic> handle(
      RdKafka::Topic::create(producer.get(), topic, nullptr, err));
  ASSERT_NE(handle, nullptr) << err;
  ASSERT_TRUE(WaitFor([&] {
    RdKafka::Metadata* raw = nullptr;
    if (producer->metadata(false, handle.get(), &raw, 1000) != RdKafka::ERR_NO_ERROR) {
      return false;
    }
    std::unique_ptr<RdKafka::Metadata> md(raw);
    if (md->topics()->size() != 1 || md->topics()->at(0)->partitions()->size() != 2) return false;
    for (const auto* p : *md->topics()->at(0)->partitions()) {
      if (p->leader() < 0) return false;
    }
    return true;
  }));
  // Healthy first.
  ASSERT_EQ(Produce(*producer, topic, "k", "before"), RdKafka::ERR_NO_ERROR);
  ASSERT_TRUE(WaitFor([&] {
    producer->poll(10);
    return deliveries.delivered + deliveries.failed == 1;
  }));
  ASSERT_EQ(deliveries.delivered, 1) << RdKafka::err2str(deliveries.last_error);

  (*cluster)->SetAllBrokersDown(true);
  ASSERT_EQ(Produce(*producer, topic, "k", "while-down"), RdKafka::ERR_NO_ERROR);
  ASSERT_TRUE(WaitFor([&] {
    producer->poll(10);
    return deliveries.failed > 0;
  }));
  EXPECT_EQ(deliveries.delivered, 1);
  EXPECT_EQ(deliveries.last_error, RdKafka::ERR__MSG_TIMED_OUT)
      << RdKafka::err2str(deliveries.last_error);

  (*cluster)->SetAllBrokersDown(false);
  const absl::Time start = absl::Now();
  // Each attempt either is delivered or times out after message.timeout.ms.
  ASSERT_TRUE(WaitFor(
      [&] {
        const int before = deliveries.delivered + deliveries.failed;
        if (Produce(*producer, topic, "k", "after") != RdKafka::ERR_NO_ERROR) {
          return false;
        }
        WaitFor([&] {
          producer->poll(10);
          return deliveries.delivered + deliveries.failed > before;
        });
        return deliveries.delivered == 2;
      },
      absl::Seconds(30), absl::ZeroDuration()));
  std::cerr << "[ info ] recovery after brokers up took " << absl::Now() - start << "\n";
  EXPECT_EQ(producer->flush(5000), RdKafka::ERR_NO_ERROR);
}

}  // namespace
}  // namespace tane::testing
