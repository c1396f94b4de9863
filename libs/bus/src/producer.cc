#include "tane/bus/producer.h"

#include <librdkafka/rdkafkacpp.h>

#include "absl/strings/str_cat.h"

namespace tane::bus {

class DeliveryDispatcher final : public RdKafka::DeliveryReportCb {
 public:
  void dr_cb(RdKafka::Message& message) override {
    std::unique_ptr<Producer::Callback> callback(static_cast<Producer::Callback*>(message.msg_opaque()));
    if (!callback) return;
    Delivery d;
    if (message.err() == RdKafka::ERR_NO_ERROR) {
      d.partition = message.partition();
      d.offset = message.offset();
    } else {
      d.status = absl::UnavailableError(absl::StrCat("kafka delivery failed: ", message.errstr()));
    }
    (*callback)(d);
  }
};

namespace {

absl::Status Set(RdKafka::Conf* conf, const std::string& key, const std::string& value) {
  std::string err;
  if (conf->set(key, value, err) != RdKafka::Conf::CONF_OK) {
    return absl::InvalidArgumentError(absl::StrCat("kafka config ", key, "=", value, ": ", err));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Producer>> Producer::Create(ProducerOptions options) {
  if (options.bootstrap_servers.empty()) return absl::InvalidArgumentError("kafka bootstrap servers are empty");
  std::unique_ptr<Producer> p(new Producer());
  p->dispatcher_ = std::make_unique<DeliveryDispatcher>();
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::map<std::string, std::string> settings = {
      {"bootstrap.servers", options.bootstrap_servers},
      {"client.id", options.client_id},
      // Exactly-once per partition on the wire from this producer, in order.
      {"enable.idempotence", "true"},
      {"acks", "all"},
      {"message.timeout.ms", absl::StrCat(absl::ToInt64Milliseconds(options.delivery_timeout))},
      {"linger.ms", "2"},
      {"compression.type", "lz4"},
  };
  for (const auto& [k, v] : options.extra) settings[k] = v;
  for (const auto& [k, v] : settings) {
    if (absl::Status s = Set(conf.get(), k, v); !s.ok()) return s;
  }
  std::string err;
  if (conf->set("dr_cb", static_cast<RdKafka::DeliveryReportCb*>(p->dispatcher_.get()), err) !=
      RdKafka::Conf::CONF_OK) {
    return absl::InternalError(err);
  }
  p->producer_.reset(RdKafka::Producer::create(conf.get(), err));
  if (!p->producer_) return absl::InternalError(absl::StrCat("kafka producer: ", err));
  Producer* raw = p.get();
  p->poller_ = std::thread([raw] {
    while (!raw->stop_.load()) raw->producer_->poll(50);
  });
  return p;
}

Producer::~Producer() {
  if (producer_) producer_->flush(5000);
  stop_.store(true);
  if (poller_.joinable()) poller_.join();
  // Reports still pending after the flush are delivered (as failures) here,
  // so every callback still runs exactly once.
  if (producer_) {
    producer_->purge(RdKafka::Producer::PURGE_QUEUE | RdKafka::Producer::PURGE_INFLIGHT);
    producer_->poll(0);
  }
}

absl::Status Producer::Produce(const std::string& topic, const std::string& key, const std::string& value,
                               const std::vector<std::pair<std::string, std::string>>& headers,
                               Callback callback) {
  RdKafka::Headers* h = RdKafka::Headers::create();
  for (const auto& [name, v] : headers) h->add(name, v);
  auto* opaque = new Callback(std::move(callback));
  RdKafka::ErrorCode code = producer_->produce(
      topic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
      const_cast<char*>(value.data()), value.size(), key.data(), key.size(), 0, h, opaque);
  if (code == RdKafka::ERR_NO_ERROR) return absl::OkStatus();
  delete h;  // produce() frees headers only on success
  delete opaque;
  if (code == RdKafka::ERR__QUEUE_FULL) return absl::ResourceExhaustedError("kafka producer queue is full");
  return absl::UnavailableError(absl::StrCat("kafka produce: ", RdKafka::err2str(code)));
}

absl::Status Producer::Flush(absl::Duration timeout) {
  RdKafka::ErrorCode code = producer_->flush(static_cast<int>(absl::ToInt64Milliseconds(timeout)));
  if (code != RdKafka::ERR_NO_ERROR) {
    return absl::DeadlineExceededError(absl::StrCat("kafka flush: ", RdKafka::err2str(code)));
  }
  return absl::OkStatus();
}

bool Producer::fatal() const {
  std::string reason;
  return producer_->fatal_error(reason) != RdKafka::ERR_NO_ERROR;
}

absl::Status Producer::Ping(absl::Duration timeout) {
  RdKafka::Metadata* raw = nullptr;
  const RdKafka::ErrorCode code =
      producer_->metadata(/*all_topics=*/false, /*only_rkt=*/nullptr, &raw,
                          static_cast<int>(absl::ToInt64Milliseconds(timeout)));
  std::unique_ptr<RdKafka::Metadata> metadata(raw);
  if (code != RdKafka::ERR_NO_ERROR) {
    return absl::UnavailableError(absl::StrCat("kafka metadata request failed: ", RdKafka::err2str(code)));
  }
  return absl::OkStatus();
}

}  // namespace tane::bus
