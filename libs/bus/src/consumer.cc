#include "tane/bus/consumer.h"

#include <librdkafka/rdkafkacpp.h>

#include <condition_variable>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace tane::bus {
namespace {

absl::Status Set(RdKafka::Conf* conf, const std::string& key, const std::string& value) {
  std::string err;
  if (conf->set(key, value, err) != RdKafka::Conf::CONF_OK) {
    return absl::InvalidArgumentError(absl::StrCat("kafka config ", key, "=", value, ": ", err));
  }
  return absl::OkStatus();
}

}  // namespace

bool IsRetryable(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kResourceExhausted:
      return true;
    default:
      return false;
  }
}

absl::StatusOr<bool> ApplyOnce(store::AggregateStore& store, const tane::common::v1::EventEnvelope& event,
                               store::Commit commit) {
  if (event.event_id().empty()) return absl::InvalidArgumentError("event has no event_id");
  commit.dedupe_key = absl::StrCat("event:", event.event_id());
  commit.dedupe_result = "applied";
  if (commit.aggregate_id.empty() && commit.shard_key.empty()) commit.shard_key = event.aggregate_id();
  auto result = store.Commit(commit);
  if (!result.ok()) return result.status();
  return !result->duplicate;
}

absl::StatusOr<std::unique_ptr<Consumer>> Consumer::Create(ConsumerOptions options, Handler handler,
                                                           Producer* dead_letters) {
  if (options.bootstrap_servers.empty()) return absl::InvalidArgumentError("kafka bootstrap servers are empty");
  if (options.group_id.empty()) return absl::InvalidArgumentError("consumer group id is empty");
  if (options.topics.empty()) return absl::InvalidArgumentError("consumer has no topics");
  std::unique_ptr<Consumer> c(new Consumer());
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::map<std::string, std::string> settings = {
      {"bootstrap.servers", options.bootstrap_servers},
      {"group.id", options.group_id},
      {"client.id", options.client_id},
      // Offsets are committed by hand, after the event is applied.
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      {"auto.offset.reset", "earliest"},
      {"enable.partition.eof", "false"},
  };
  for (const auto& [k, v] : options.extra) settings[k] = v;
  for (const auto& [k, v] : settings) {
    if (absl::Status s = Set(conf.get(), k, v); !s.ok()) return s;
  }
  std::string err;
  c->consumer_.reset(RdKafka::KafkaConsumer::create(conf.get(), err));
  if (!c->consumer_) return absl::InternalError(absl::StrCat("kafka consumer: ", err));
  RdKafka::ErrorCode code = c->consumer_->subscribe(options.topics);
  if (code != RdKafka::ERR_NO_ERROR) {
    return absl::InternalError(absl::StrCat("subscribe ", absl::StrJoin(options.topics, ","), ": ",
                                            RdKafka::err2str(code)));
  }
  c->options_ = std::move(options);
  c->handler_ = std::move(handler);
  c->dead_letters_ = dead_letters;
  return c;
}

Consumer::~Consumer() { Stop(); }

void Consumer::Start() {
  stop_.store(false);
  thread_ = std::thread([this] { Loop(); });
}

void Consumer::Stop() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
  if (consumer_) {
    consumer_->close();
    consumer_.reset();
  }
}

absl::Status Consumer::Handle(const std::string& payload) {
  tane::common::v1::EventEnvelope envelope;
  if (!envelope.ParseFromString(payload) || envelope.event_id().empty()) {
    return absl::InvalidArgumentError("message is not an EventEnvelope");
  }
  return handler_(envelope);
}

void Consumer::UpdateLag() {
  std::vector<RdKafka::TopicPartition*> parts;
  if (consumer_->assignment(parts) != RdKafka::ERR_NO_ERROR) return;
  consumer_->position(parts);
  int64_t total = 0;
  std::vector<PartitionLag> lags;
  for (auto* tp : parts) {
    int64_t low = 0, high = 0;
    if (consumer_->get_watermark_offsets(tp->topic(), tp->partition(), &low, &high) == RdKafka::ERR_NO_ERROR &&
        tp->offset() >= 0 && high >= tp->offset()) {
      total += high - tp->offset();
      lags.push_back({tp->topic(), tp->partition(), high - tp->offset()});
    }
  }
  RdKafka::TopicPartition::destroy(parts);
  lag_.store(total);
  std::lock_guard lock(lags_mu_);
  partition_lags_ = std::move(lags);
}

std::vector<PartitionLag> Consumer::partition_lags() const {
  std::lock_guard lock(lags_mu_);
  return partition_lags_;
}

bool Consumer::DeadLetter(RdKafka::Message& msg, const std::string& payload, const absl::Status& reason) {
  const std::string key = msg.key() != nullptr ? *msg.key() : "";
  absl::Duration backoff = options_.retry_backoff;
  while (!stop_.load()) {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    absl::Status delivered;
    absl::Status queued = dead_letters_->Produce(
        options_.dead_letter_topic, key, payload,
        {{"error", reason.ToString()}, {"source-topic", msg.topic_name()},
         {"source-offset", absl::StrCat(msg.offset())}},
        [&](const Delivery& d) {
          std::lock_guard lock(mu);
          delivered = d.status;
          done = true;
          cv.notify_all();
        });
    if (queued.ok()) {
      // Wait for the acknowledgement: only then may the offset move on.
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return done; });
      if (delivered.ok()) return true;
    }
    absl::SleepFor(backoff);  // retry pacing
    backoff = std::min(backoff * 2, options_.max_retry_backoff);
  }
  return false;
}

void Consumer::Loop() {
  int since_lag_update = 0;
  while (!stop_.load()) {
    std::unique_ptr<RdKafka::Message> msg(consumer_->consume(100));
    if (++since_lag_update >= 10) {
      UpdateLag();
      since_lag_update = 0;
    }
    if (msg->err() == RdKafka::ERR__TIMED_OUT || msg->err() == RdKafka::ERR__PARTITION_EOF) continue;
    if (msg->err() != RdKafka::ERR_NO_ERROR) continue;  // transient; librdkafka recovers by itself

    const std::string payload(static_cast<const char*>(msg->payload()), msg->len());
    absl::Duration backoff = options_.retry_backoff;
    int attempts = 0;
    absl::Status status;
    bool abandoned = false;
    while (true) {
      status = Handle(payload);
      if (status.ok()) break;
      if (!IsRetryable(status) && ++attempts >= options_.max_attempts) break;
      if (stop_.load()) {
        abandoned = true;  // not applied, not committed: redelivered later
        break;
      }
      absl::SleepFor(backoff);  // retry pacing, not a test wait
      backoff = std::min(backoff * 2, options_.max_retry_backoff);
    }
    if (abandoned) break;

    if (status.ok()) {
      applied_.fetch_add(1);
    } else if (dead_letters_ != nullptr && !options_.dead_letter_topic.empty()) {
      if (!DeadLetter(*msg, payload, status)) break;  // stopping: not committed, redelivered later
      dead_lettered_.fetch_add(1);
    }
    consumer_->commitSync(msg.get());
  }
}

}  // namespace tane::bus
