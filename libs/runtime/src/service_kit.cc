#include "tane/runtime/service_kit.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <openssl/sha.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "tane/core/errors.h"
#include "tane/core/ids.h"
#include "tane/telemetry/log.h"
#include "tane/telemetry/trace.h"

namespace tane::runtime {
namespace {

namespace tel = ::tane::telemetry;

constexpr absl::Duration kKafkaPingTimeout = absl::Milliseconds(500);

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

// The stored result of a command: "<request fingerprint>\n<serialized response>".
std::string StoredResult(std::string_view fingerprint, std::string_view response) {
  return absl::StrCat(std::string(fingerprint), "\n", std::string(response));
}

absl::StatusOr<std::string> ResponseOfStored(std::string_view stored, std::string_view fingerprint) {
  const size_t newline = stored.find('\n');
  if (newline == std::string_view::npos) return absl::InternalError("stored command result is malformed");
  if (stored.substr(0, newline) != fingerprint) {
    core::Violations violations;
    violations.Add("idempotency_key",
                   "this key was already used for a different request; use a new key for a new change");
    return violations.ToStatus("idempotency key reused");
  }
  return std::string(stored.substr(newline + 1));
}

}  // namespace

std::string RequestContext::actor() const { return absl::StrCat(caller.role, ":", caller.subject); }

common::v1::EventEnvelope RequestContext::NewEvent(const google::protobuf::Message& payload,
                                                   const std::string& aggregate_type,
                                                   const std::string& aggregate_id) const {
  return bus::NewEvent(payload, aggregate_type, aggregate_id, actor(), trace_id, now);
}

RequestContext ContextOfEvent(const common::v1::EventEnvelope& event, absl::Time now, std::string_view service) {
  RequestContext ctx;
  ctx.caller.role = "system";
  ctx.caller.subject = std::string(service);
  ctx.trace_id = tel::IsValidTraceId(event.trace_id()) ? event.trace_id() : tel::NewTraceId();
  ctx.now = now;
  return ctx;
}

std::string IdForCreate(std::string_view name_space, std::string_view subject, std::string_view idempotency_key) {
  if (idempotency_key.empty()) return core::NewUuid();
  return core::NameUuid(name_space,
                        absl::StrCat(subject.size(), ":", std::string(subject), std::string(idempotency_key)));
}

namespace internal {

absl::StatusOr<std::string> RunCommandRaw(
    store::AggregateStore& store, const CommandKey& key,
    const std::function<absl::StatusOr<std::pair<store::Commit, std::string>>()>& decide, int max_attempts) {
  if (key.aggregate_id.empty()) return absl::InternalError("command without an aggregate id");
  const bool idempotent = !key.idempotency_key.empty();
  std::string dedupe_key;
  std::string fingerprint;
  if (idempotent) {
    if (key.idempotency_key.size() > 128) {
      core::Violations violations;
      violations.Add("idempotency_key", "at most 128 bytes");
      return violations.ToStatus();
    }
    dedupe_key = absl::StrCat("cmd:", key.subject.size(), ":", key.subject, key.idempotency_key);
    std::string request;
    if (key.request != nullptr) {
      google::protobuf::io::StringOutputStream stream(&request);
      google::protobuf::io::CodedOutputStream coded(&stream);
      coded.SetSerializationDeterministic(true);
      key.request->SerializeToCodedStream(&coded);
    }
    fingerprint = Sha256Hex(request);
  }

  absl::Status last_conflict;
  for (int attempt = 0; attempt < max_attempts; ++attempt) {
    if (idempotent) {
      auto prior = store.LookupDedupe(key.aggregate_id, dedupe_key);
      if (!prior.ok()) return prior.status();
      if (prior->has_value()) return ResponseOfStored(**prior, fingerprint);
    }
    auto decided = decide();
    if (!decided.ok()) return decided.status();
    auto& [commit, response] = *decided;
    const std::string& committed_to = commit.aggregate_id.empty() ? commit.shard_key : commit.aggregate_id;
    if (committed_to != key.aggregate_id) {
      return absl::InternalError(
          absl::StrCat("command for ", key.aggregate_id, " tried to commit to ", committed_to));
    }
    if (idempotent) {
      commit.dedupe_key = dedupe_key;
      commit.dedupe_result = StoredResult(fingerprint, response);
    }
    auto result = store.Commit(commit);
    if (result.ok()) {
      if (result->duplicate) return ResponseOfStored(result->dedupe_result, fingerprint);
      return std::move(response);
    }
    if (!absl::IsAborted(result.status())) return result.status();
    last_conflict = result.status();  // a concurrent writer: decide again on fresh state
  }
  return absl::AbortedError(absl::StrCat("gave up after ", max_attempts,
                                         " concurrent changes to the same resource; retry: ", last_conflict.message()));
}

}  // namespace internal

ServiceKit::ServiceKit(ServiceHost& host, ServiceKitOptions options)
    : host_(host),
      options_(std::move(options)),
      service_(host.config().service_name),
      clock_(options_.clock != nullptr ? options_.clock : &core::SystemClock::Get()) {}

absl::StatusOr<std::unique_ptr<ServiceKit>> ServiceKit::Create(ServiceHost& host, ServiceKitOptions options) {
  const ServiceConfig& config = host.config();
  std::unique_ptr<ServiceKit> kit(new ServiceKit(host, std::move(options)));

  auto redis_options = store::ParseRedisAddress(config.redis_addr);
  if (!redis_options.ok()) return redis_options.status();
  redis_options->pool_size = config.redis_pool_size;
  kit->pool_ = std::make_unique<store::RedisPool>(*redis_options);
  store::Keyspace keyspace(kit->service_, config.shards);
  kit->store_ = std::make_unique<store::AggregateStore>(*kit->pool_, keyspace);
  kit->index_ = std::make_unique<store::ShardedIndex>(*kit->pool_, keyspace);

  bus::ProducerOptions producer_options;
  producer_options.bootstrap_servers = config.kafka_bootstrap;
  producer_options.client_id = "tane-" + kit->service_;
  producer_options.extra = kit->options_.producer_kafka_extra;
  auto producer = bus::Producer::Create(producer_options);
  if (!producer.ok()) return producer.status();
  kit->producer_ = std::move(*producer);

  bus::RelayOptions relay_options = kit->options_.relay;
  relay_options.topic = bus::EventsTopic(kit->service_);
  kit->relay_ = std::make_unique<bus::OutboxRelay>(*kit->pool_, keyspace, *kit->producer_, relay_options);
  ServiceKit* self = kit.get();
  kit->relay_->set_backlog_observer([self](const bus::ShardBacklog& backlog) {
    self->metrics().OutboxBacklog(self->service_, backlog.shard).Set(static_cast<double>(backlog.entries));
    self->metrics()
        .OutboxOldestAgeSeconds(self->service_, backlog.shard)
        .Set(absl::ToDoubleSeconds(backlog.oldest_age));
  });

  // The host may outlive the kit on error paths (main returning before
  // Run()); its checks and hooks then find the kit gone and do nothing.
  kit->alive_ = std::make_shared<ServiceKit*>(self);
  auto with_kit = [weak = std::weak_ptr<ServiceKit*>(kit->alive_)](auto fn) {
    return [weak, fn] {
      if (auto kit = weak.lock()) fn(**kit);
    };
  };
  auto check_with_kit = [weak = std::weak_ptr<ServiceKit*>(kit->alive_)](auto fn) {
    return [weak, fn]() -> absl::Status {
      if (auto kit = weak.lock()) return fn(**kit);
      return absl::UnavailableError("service is shutting down");
    };
  };
  host.AddReadinessCheck("redis", check_with_kit([](ServiceKit& k) { return k.pool_->Ping(); }));
  host.AddDependencyCheck("kafka",
                          check_with_kit([](ServiceKit& k) { return k.producer_->Ping(kKafkaPingTimeout); }));
  // Hooks run in reverse: consumer first (no new effects), then the relay
  // (publishes what it holds), then whatever the producer still has queued.
  host.AddShutdownHook("kafka-producer-flush", with_kit([](ServiceKit& k) {
                         if (auto s = k.producer_->Flush(absl::Seconds(5)); !s.ok()) {
                           tel::LogWarn("producer flush incomplete at shutdown", {{"error", s}});
                         }
                       }));
  host.AddShutdownHook("outbox-relay", with_kit([](ServiceKit& k) { k.relay_->Stop(); }));
  host.AddShutdownHook("consumer", with_kit([](ServiceKit& k) { k.StopAll(); }));
  return kit;
}

ServiceKit::~ServiceKit() {
  StopAll();
  if (relay_) relay_->Stop();
}

void ServiceKit::On(std::string type, EventHandler handler) { handlers_[std::move(type)] = std::move(handler); }

absl::Status ServiceKit::Dispatch(const common::v1::EventEnvelope& envelope) {
  auto it = handlers_.find(envelope.type());
  if (it == handlers_.end()) {
    metrics()
        .CounterFamily("tane_events_ignored_total", "Consumed events of a type this service does not handle")
        .Add({{"service", service_}, {"type", envelope.type()}})
        .Increment();
    return absl::OkStatus();
  }
  tel::ScopedTraceId trace(tel::IsValidTraceId(envelope.trace_id()) ? envelope.trace_id() : tel::NewTraceId());
  absl::Status status = it->second(envelope);
  if (status.ok()) {
    metrics().EventsApplied(service_, envelope.type()).Increment();
  } else {
    tel::LogWarn("event handler failed",
                 {{"type", envelope.type()}, {"event_id", envelope.event_id()}, {"error", status}});
  }
  return status;
}

absl::Status ServiceKit::Start() {
  {
    std::lock_guard lock(mu_);
    if (started_) return absl::FailedPreconditionError("ServiceKit already started");
    started_ = true;
  }
  if (!options_.consume_topics.empty()) {
    bus::ConsumerOptions consumer_options;
    consumer_options.bootstrap_servers = host_.config().kafka_bootstrap;
    consumer_options.group_id = options_.consumer_group.empty() ? "tane-" + service_ : options_.consumer_group;
    consumer_options.topics = options_.consume_topics;
    consumer_options.dead_letter_topic = bus::DeadLetterTopic(service_);
    consumer_options.client_id = "tane-" + service_;
    consumer_options.extra = options_.consumer_kafka_extra;
    auto consumer = bus::Consumer::Create(
        consumer_options, [this](const common::v1::EventEnvelope& e) { return Dispatch(e); }, producer_.get());
    if (!consumer.ok()) return consumer.status();
    consumer_ = std::move(*consumer);
    consumer_->Start();
  }
  relay_->Start();
  metrics_thread_ = std::thread([this] { MetricsLoop(); });
  return absl::OkStatus();
}

void ServiceKit::StopAll() {
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    stopped_ = true;
    wake_.notify_all();
  }
  if (metrics_thread_.joinable()) metrics_thread_.join();
  if (consumer_) consumer_->Stop();
}

void ServiceKit::MetricsLoop() {
  int64_t published = 0, dead_lettered = 0;
  std::unique_lock lock(mu_);
  while (!stopped_) {
    lock.unlock();
    const int64_t now_published = relay_->published();
    metrics().EventsPublished(service_).Increment(static_cast<double>(now_published - published));
    published = now_published;
    if (consumer_) {
      const int64_t now_dead = consumer_->dead_lettered();
      metrics().EventsDeadLettered(service_).Increment(static_cast<double>(now_dead - dead_lettered));
      dead_lettered = now_dead;
      for (const bus::PartitionLag& lag : consumer_->partition_lags()) {
        metrics().ConsumerLag(service_, lag.topic, lag.partition).Set(static_cast<double>(lag.lag));
      }
    }
    lock.lock();
    wake_.wait_for(lock, absl::ToChronoMilliseconds(options_.metrics_interval), [this] { return stopped_; });
  }
}

absl::StatusOr<RequestContext> ServiceKit::Begin(const grpc::ServerContext& context) const {
  auto caller = host_.Identity(context);
  if (!caller.ok()) return caller.status();
  RequestContext ctx;
  ctx.caller = *std::move(caller);
  ctx.trace_id = tel::TraceIdOrNew(context);
  ctx.now = clock_->Now();
  return ctx;
}

}  // namespace tane::runtime
