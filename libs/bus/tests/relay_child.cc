// A relay in its own process: the fault tests SIGKILL it mid-batch.
// usage: bus_relay_child <redis-port> <bootstrap> <service> <shards> <topic> <batch> [crash-batch]
// With crash-batch N the process dies (_exit) on its N-th batch after Kafka
// acknowledged it and before removing it from the outbox.
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <unistd.h>

#include "tane/bus/outbox_relay.h"

int main(int argc, char** argv) {
  if (argc != 7 && argc != 8) {
    std::cerr << "usage: bus_relay_child <redis-port> <bootstrap> <service> <shards> <topic> <batch>\n";
    return 2;
  }
  tane::store::RedisOptions redis;
  redis.port = std::atoi(argv[1]);
  tane::store::RedisPool pool(redis);
  tane::bus::ProducerOptions po;
  po.bootstrap_servers = argv[2];
  auto producer = tane::bus::Producer::Create(po);
  if (!producer.ok()) {
    std::cerr << producer.status() << "\n";
    return 1;
  }
  tane::bus::RelayOptions options;
  options.topic = argv[5];
  options.batch_size = std::atoi(argv[6]);
  // A restarted child is a different owner: let it take the shards at once.
  options.lease_ttl = absl::Milliseconds(200);
  if (argc == 8) {
    const int crash_batch = std::atoi(argv[7]);
    options.before_remove = [crash_batch, batches = 0]() mutable {
      if (++batches == crash_batch) _exit(137);
    };
  }
  tane::bus::OutboxRelay relay(pool, tane::store::Keyspace(argv[3], std::atoi(argv[4])), **producer, options);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  relay.Start();
  int sig = 0;
  sigwait(&set, &sig);
  relay.Stop();
  return 0;
}
