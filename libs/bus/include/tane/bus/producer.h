#pragma once
/// A Kafka producer: idempotent, acks=all, with every delivery report handed
/// to the caller's callback (from the producer's poll thread).

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace RdKafka {
class Producer;
}

namespace tane::bus {

class DeliveryDispatcher;

struct ProducerOptions {
  std::string bootstrap_servers;
  std::string client_id = "tane";
  /// How long librdkafka keeps retrying one message before reporting failure.
  absl::Duration delivery_timeout = absl::Seconds(30);
  /// Extra librdkafka settings, applied last.
  std::map<std::string, std::string> extra;
};

struct Delivery {
  absl::Status status;  // UNAVAILABLE for a transient failure (timeout, broker down)
  int32_t partition = -1;
  int64_t offset = -1;
};

class Producer final {
 public:
  using Callback = std::function<void(const Delivery&)>;

  static absl::StatusOr<std::unique_ptr<Producer>> Create(ProducerOptions options);
  ~Producer();  // flushes for up to 5 s, then stops the poll thread

  /// Queues one message. The callback runs exactly once, on the poll thread,
  /// when Kafka acknowledged or definitively failed the message.
  /// RESOURCE_EXHAUSTED when the local queue is full (try again later).
  absl::Status Produce(const std::string& topic, const std::string& key, const std::string& value,
                       const std::vector<std::pair<std::string, std::string>>& headers,
                       Callback callback);

  /// Waits until every queued message has a delivery report.
  absl::Status Flush(absl::Duration timeout);

  /// OK when a broker answered a metadata request within `timeout`;
  /// UNAVAILABLE otherwise. For readiness reporting.
  absl::Status Ping(absl::Duration timeout);

  /// True after an unrecoverable error of the idempotent producer; it must be
  /// recreated.
  bool fatal() const;

 private:
  Producer() = default;
  std::unique_ptr<RdKafka::Producer> producer_;
  std::unique_ptr<DeliveryDispatcher> dispatcher_;
  std::atomic<bool> stop_{false};
  std::thread poller_;
};

}  // namespace tane::bus
