#pragma once
/// The outbox relay: publishes each shard's outbox stream to Kafka and removes
/// an entry only after Kafka acknowledged it (acks=all).
///
/// Guarantees: every committed event reaches Kafka at least once; events of
/// one aggregate are first published in commit order (one aggregate lives in
/// one shard's stream, keyed to one partition). A relay killed mid-batch
/// re-sends what it had not removed, so duplicates can appear on the wire:
/// consumers dedupe on the event id (bus::ApplyOnce).
///
/// Several replicas may run: each shard is published by whoever holds the
/// shard's lease ({svc:S}:relay-lease, renewed every pass).

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tane/bus/producer.h"
#include "tane/store/keyspace.h"
#include "tane/store/redis.h"
#include "tane/store/script.h"

namespace tane::bus {

struct RelayOptions {
  std::string topic;
  int batch_size = 500;
  /// How long an idle relay waits before looking at the outboxes again.
  absl::Duration idle_wait = absl::Milliseconds(20);
  /// A relay that stops renewing loses its shards after this long.
  absl::Duration lease_ttl = absl::Seconds(10);
  /// Upper bound on waiting for one batch's delivery reports.
  absl::Duration batch_timeout = absl::Seconds(60);
  /// Identifies this relay in the leases; a fresh UUID when empty.
  std::string owner;
  /// Fault-injection point for tests: runs after Kafka acknowledged a batch
  /// and before it is removed from the outbox — the moment where a crash
  /// leaves duplicates on the wire.
  std::function<void()> before_remove;
};

struct ShardBacklog {
  int shard = 0;
  int64_t entries = 0;
  absl::Duration oldest_age;  // zero when empty
};

class OutboxRelay final {
 public:
  using BacklogObserver = std::function<void(const ShardBacklog&)>;

  OutboxRelay(store::RedisPool& pool, store::Keyspace keyspace, Producer& producer, RelayOptions options);
  ~OutboxRelay();

  /// Runs the relay loop over every shard on a background thread.
  void Start();
  /// Stops the loop after the batch in flight; returns when it has stopped.
  void Stop();

  /// One pass over one shard: publishes up to batch_size entries and removes
  /// those Kafka acknowledged. Returns how many were removed; 0 when the shard
  /// is empty or leased by another relay. UNAVAILABLE when Redis or Kafka
  /// failed (nothing acknowledged is lost; the rest is retried next pass).
  absl::StatusOr<int> RelayShardOnce(int shard);

  /// Entries and oldest entry age of a shard's outbox.
  absl::StatusOr<ShardBacklog> Backlog(int shard);

  /// Called after each pass with the shard's backlog (for metrics).
  void set_backlog_observer(BacklogObserver observer) { observer_ = std::move(observer); }

  int64_t published() const { return published_.load(); }

 private:
  absl::StatusOr<bool> HoldLease(int shard);
  void Loop();

  store::RedisPool& pool_;
  store::Keyspace keyspace_;
  Producer& producer_;
  RelayOptions options_;
  store::Script lease_script_;
  BacklogObserver observer_;
  std::atomic<int64_t> published_{0};
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable wake_;
  std::thread thread_;
};

}  // namespace tane::bus
