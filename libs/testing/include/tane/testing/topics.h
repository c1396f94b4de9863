#pragma once
/// Reading and writing Kafka topics from tests, against the mock cluster
/// (or any broker): what a service published, and events another service
/// would have published.

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "tane/common/v1/envelope.pb.h"

namespace RdKafka {
class KafkaConsumer;
}

namespace tane::testing {

/// Reads a topic from its beginning, as the only member of a fresh consumer
/// group, parsing each message as an EventEnvelope.
class TopicReader final {
 public:
  TopicReader(const std::string& bootstrap_servers, const std::string& topic);
  ~TopicReader();
  TopicReader(const TopicReader&) = delete;
  TopicReader& operator=(const TopicReader&) = delete;

  /// Polls until at least `count` messages were read or `timeout` passed.
  bool ReadAtLeast(size_t count, absl::Duration timeout = absl::Seconds(60));
  /// Polls until `done(messages)` holds or `timeout` passed.
  bool ReadUntil(const std::function<bool(const std::vector<common::v1::EventEnvelope>&)>& done,
                 absl::Duration timeout = absl::Seconds(60));
  /// The messages read so far whose envelope type is `type`.
  std::vector<common::v1::EventEnvelope> OfType(const std::string& type) const;

  std::vector<common::v1::EventEnvelope> messages;
  /// Kafka headers of each message, parallel to `messages`.
  std::vector<std::vector<std::pair<std::string, std::string>>> headers;

 private:
  void PollOnce();
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
};

/// Produces `envelopes` to `topic` keyed by aggregate id, as the owning
/// service's relay would, and waits until Kafka acknowledged every one.
absl::Status PublishEnvelopes(const std::string& bootstrap_servers, const std::string& topic,
                              const std::vector<common::v1::EventEnvelope>& envelopes,
                              absl::Duration timeout = absl::Seconds(30));

}  // namespace tane::testing
