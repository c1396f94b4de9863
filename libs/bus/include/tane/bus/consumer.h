#pragma once
/// A Kafka consumer in a consumer group that commits an offset only after the
/// event was applied (at-least-once; handlers dedupe with ApplyOnce).
///
/// Failure handling: a handler error that may pass (UNAVAILABLE, ABORTED,
/// DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED) is retried with backoff for as long
/// as it takes — Redis being down must not send events to the dead-letter
/// topic. Any other error is retried max_attempts times, then the event goes
/// to the dead-letter topic with the reason and its offset is committed, so
/// one poison event never blocks a partition.

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tane/bus/producer.h"
#include "tane/common/v1/envelope.pb.h"
#include "tane/store/aggregate_store.h"

namespace RdKafka {
class KafkaConsumer;
class Message;
}

namespace tane::bus {

struct ConsumerOptions {
  std::string bootstrap_servers;
  std::string group_id;
  std::vector<std::string> topics;
  std::string dead_letter_topic;
  std::string client_id = "tane";
  int max_attempts = 5;
  absl::Duration retry_backoff = absl::Milliseconds(50);
  absl::Duration max_retry_backoff = absl::Seconds(2);
  /// Extra librdkafka settings, applied last (e.g. session.timeout.ms).
  std::map<std::string, std::string> extra;
};

struct PartitionLag {
  std::string topic;
  int32_t partition = 0;
  int64_t lag = 0;  // high watermark - position
};

class Consumer final {
 public:
  using Handler = std::function<absl::Status(const tane::common::v1::EventEnvelope&)>;

  /// `dead_letters` publishes to the dead-letter topic; it must outlive this.
  static absl::StatusOr<std::unique_ptr<Consumer>> Create(ConsumerOptions options, Handler handler,
                                                          Producer* dead_letters);
  ~Consumer();

  void Start();
  /// Finishes the event in hand (its offset is committed only if it was
  /// applied), leaves the group and returns.
  void Stop();

  int64_t applied() const { return applied_.load(); }
  int64_t dead_lettered() const { return dead_lettered_.load(); }
  /// Sum over assigned partitions of (high watermark - committed position).
  int64_t lag() const { return lag_.load(); }
  /// The same per assigned partition, as of the last update (about once a
  /// second while running). Thread-safe.
  std::vector<PartitionLag> partition_lags() const;

 private:
  Consumer() = default;
  void Loop();
  absl::Status Handle(const std::string& payload);
  void UpdateLag();
  bool DeadLetter(RdKafka::Message& msg, const std::string& payload, const absl::Status& reason);

  ConsumerOptions options_;
  Handler handler_;
  Producer* dead_letters_ = nullptr;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> applied_{0};
  std::atomic<int64_t> dead_lettered_{0};
  std::atomic<int64_t> lag_{0};
  mutable std::mutex lags_mu_;
  std::vector<PartitionLag> partition_lags_;
  std::thread thread_;
};

/// True for errors worth retrying indefinitely (infrastructure, contention).
bool IsRetryable(const absl::Status& status);

/// Applies `commit` unless this event was applied before: the change and the
/// "applied" mark are written by one Lua script, so a redelivered event
/// changes nothing. Returns true when applied now, false for a repeat.
absl::StatusOr<bool> ApplyOnce(store::AggregateStore& store, const tane::common::v1::EventEnvelope& event,
                               store::Commit commit);

}  // namespace tane::bus
