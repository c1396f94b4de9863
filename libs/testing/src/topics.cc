#include "tane/testing/topics.h"

#include <librdkafka/rdkafkacpp.h>

#include <atomic>
#include <random>

#include "absl/strings/str_cat.h"
#include "tane/testing/fixtures.h"

namespace tane::testing {
namespace {

std::string FreshGroupId() {
  std::random_device rd;
  return absl::StrCat("test-reader-", rd(), "-", rd());
}

class CountFailures final : public RdKafka::DeliveryReportCb {
 public:
  void dr_cb(RdKafka::Message& message) override {
    if (message.err() != RdKafka::ERR_NO_ERROR) failures.fetch_add(1);
  }
  std::atomic<int> failures{0};
};

}  // namespace

TopicReader::TopicReader(const std::string& bootstrap_servers, const std::string& topic) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string err;
  conf->set("bootstrap.servers", bootstrap_servers, err);
  conf->set("group.id", FreshGroupId(), err);
  conf->set("auto.offset.reset", "earliest", err);
  conf->set("enable.auto.commit", "false", err);
  consumer_.reset(RdKafka::KafkaConsumer::create(conf.get(), err));
  if (consumer_) consumer_->subscribe({topic});
}

TopicReader::~TopicReader() {
  if (consumer_) consumer_->close();
}

void TopicReader::PollOnce() {
  if (!consumer_) return;
  std::unique_ptr<RdKafka::Message> m(consumer_->consume(50));
  if (m->err() != RdKafka::ERR_NO_ERROR) return;
  common::v1::EventEnvelope e;
  e.ParseFromArray(m->payload(), static_cast<int>(m->len()));
  messages.push_back(std::move(e));
  std::vector<std::pair<std::string, std::string>> hs;
  if (m->headers() != nullptr) {
    for (const auto& h : m->headers()->get_all()) {
      hs.emplace_back(h.key(), h.value() != nullptr ? std::string(static_cast<const char*>(h.value()), h.value_size())
                                                    : std::string());
    }
  }
  headers.push_back(std::move(hs));
}

bool TopicReader::ReadAtLeast(size_t count, absl::Duration timeout) {
  return ReadUntil([count](const auto& read) { return read.size() >= count; }, timeout);
}

bool TopicReader::ReadUntil(const std::function<bool(const std::vector<common::v1::EventEnvelope>&)>& done,
                            absl::Duration timeout) {
  return WaitFor(
      [&] {
        PollOnce();  // consume() itself waits up to 50 ms for a message
        return done(messages);
      },
      timeout, absl::ZeroDuration());
}

std::vector<common::v1::EventEnvelope> TopicReader::OfType(const std::string& type) const {
  std::vector<common::v1::EventEnvelope> out;
  for (const auto& m : messages) {
    if (m.type() == type) out.push_back(m);
  }
  return out;
}

absl::Status PublishEnvelopes(const std::string& bootstrap_servers, const std::string& topic,
                              const std::vector<common::v1::EventEnvelope>& envelopes, absl::Duration timeout) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string err;
  conf->set("bootstrap.servers", bootstrap_servers, err);
  conf->set("enable.idempotence", "true", err);
  CountFailures reports;
  conf->set("dr_cb", static_cast<RdKafka::DeliveryReportCb*>(&reports), err);
  std::unique_ptr<RdKafka::Producer> producer(RdKafka::Producer::create(conf.get(), err));
  if (!producer) return absl::InternalError(absl::StrCat("kafka producer: ", err));
  for (const auto& e : envelopes) {
    const std::string value = e.SerializeAsString();
    RdKafka::ErrorCode code = producer->produce(topic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
                                                const_cast<char*>(value.data()), value.size(), e.aggregate_id().data(),
                                                e.aggregate_id().size(), 0, nullptr);
    if (code != RdKafka::ERR_NO_ERROR) return absl::UnavailableError(RdKafka::err2str(code));
  }
  if (producer->flush(static_cast<int>(absl::ToInt64Milliseconds(timeout))) != RdKafka::ERR_NO_ERROR) {
    return absl::DeadlineExceededError(absl::StrCat("not every event to ", topic, " was acknowledged in time"));
  }
  if (reports.failures.load() > 0) {
    return absl::UnavailableError(absl::StrCat(reports.failures.load(), " events to ", topic, " failed delivery"));
  }
  return absl::OkStatus();
}

}  // namespace tane::testing
