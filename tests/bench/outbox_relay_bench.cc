// Outbox relay throughput: events/s from the Redis outbox to Kafka
// acknowledged (acks=all, idempotent producer) and removed from the outbox.
// Real redis-server (AOF, appendfsync always) and librdkafka's mock cluster.
#include <iostream>
#include <thread>

#include "absl/strings/str_format.h"
#include "tane/bus/outbox_relay.h"
#include "tane/core/ids.h"
#include "tane/store/aggregate_store.h"
#include "tane/testing/fixtures.h"

namespace {

int Fail(const absl::Status& s) {
  std::cerr << "outbox_relay_bench: " << s << "\n";
  return 1;
}

}  // namespace

int main() {
  constexpr int kEvents = 40000;
  constexpr int kWriters = 8;
  constexpr int kShards = 8;
  auto redis = tane::testing::RedisServer::Start();
  if (!redis.ok()) return Fail(redis.status());
  auto kafka = tane::testing::KafkaCluster::Start(3);
  if (!kafka.ok()) return Fail(kafka.status());
  if (auto s = (*kafka)->CreateTopic("tane.bench.events", 6); !s.ok()) return Fail(s);

  tane::store::RedisOptions ro;
  ro.port = (*redis)->port();
  ro.pool_size = kWriters;
  tane::store::RedisPool pool(ro);
  tane::store::AggregateStore store(pool, tane::store::Keyspace("bench", kShards));

  // Fill the outbox: 8 writers, one event per commit (1 KiB envelope).
  const std::string payload(1024, 'x');
  const absl::Time fill_start = absl::Now();
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int i = w; i < kEvents; i += kWriters) {
        tane::store::Commit c;
        c.aggregate_type = "thing";
        c.aggregate_id = absl::StrFormat("thing-%d", i);
        c.data = payload;
        tane::common::v1::EventEnvelope e;
        e.set_event_id(tane::core::NewUuid());
        e.set_type("tane.bench.Changed");
        e.set_aggregate_id(c.aggregate_id);
        e.mutable_payload()->set_value(payload);
        c.events.push_back(e);
        if (auto r = store.Commit(c); !r.ok()) std::cerr << r.status() << "\n";
      }
    });
  }
  for (auto& t : writers) t.join();
  const absl::Duration fill = absl::Now() - fill_start;

  tane::bus::ProducerOptions po;
  po.bootstrap_servers = (*kafka)->bootstrap_servers();
  auto producer = tane::bus::Producer::Create(po);
  if (!producer.ok()) return Fail(producer.status());
  tane::bus::RelayOptions options;
  options.topic = "tane.bench.events";
  options.batch_size = 1000;
  tane::bus::OutboxRelay relay(pool, store.keyspace(), **producer, options);

  const absl::Time relay_start = absl::Now();
  relay.Start();
  bool drained = tane::testing::WaitFor([&] { return relay.published() >= kEvents; }, absl::Minutes(5),
                                        absl::Milliseconds(1));
  const absl::Duration took = absl::Now() - relay_start;
  relay.Stop();
  if (!drained) return Fail(absl::DeadlineExceededError("relay did not drain the outbox in 5 minutes"));

  std::cout << absl::StrFormat("outbox commits (8 writers, appendfsync always): %d events in %.2f s = %.0f commits/s\n",
                               kEvents, absl::ToDoubleSeconds(fill), kEvents / absl::ToDoubleSeconds(fill));
  std::cout << absl::StrFormat("outbox relay -> kafka (acks=all, idempotent, 3 mock brokers, %d shards, batch %d): "
                               "%d events in %.2f s = %.0f events/s\n",
                               kShards, options.batch_size, kEvents, absl::ToDoubleSeconds(took),
                               kEvents / absl::ToDoubleSeconds(took));
  return 0;
}
