#include "tane/telemetry/metrics.h"

#include <prometheus/exposer.h>
#include <prometheus/text_serializer.h>

#include <exception>

namespace tane::telemetry {
namespace {

prometheus::Family<prometheus::Counter>& NewCounter(prometheus::Registry& r, const std::string& name,
                                                    const std::string& help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(r);
}
prometheus::Family<prometheus::Gauge>& NewGauge(prometheus::Registry& r, const std::string& name,
                                                const std::string& help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(r);
}
prometheus::Family<prometheus::Histogram>& NewHistogram(prometheus::Registry& r, const std::string& name,
                                                        const std::string& help) {
  return prometheus::BuildHistogram().Name(name).Help(help).Register(r);
}

std::string S(std::string_view v) { return std::string(v); }

}  // namespace

Metrics::Metrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      grpc_handled_(
          NewCounter(*registry_, "grpc_server_handled_total", "RPCs completed on the server, by final status code.")),
      grpc_handling_seconds_(NewHistogram(*registry_, "grpc_server_handling_seconds",
                                          "Time from receiving an RPC to sending its status.")),
      outbox_backlog_(
          NewGauge(*registry_, "tane_outbox_backlog", "Outbox entries of a shard not yet acknowledged by Kafka.")),
      outbox_oldest_age_(NewGauge(*registry_, "tane_outbox_oldest_age_seconds",
                                  "Age of the oldest outbox entry of a shard (0 when empty).")),
      consumer_lag_(NewGauge(*registry_, "tane_consumer_lag",
                             "Messages between a consumer's position and the partition's high watermark.")),
      events_published_(NewCounter(*registry_, "tane_events_published_total",
                                   "Events the outbox relay published and Kafka acknowledged.")),
      events_applied_(NewCounter(*registry_, "tane_events_applied_total",
                                 "Events a consumer applied to its read model, by event type.")),
      events_dead_lettered_(NewCounter(*registry_, "tane_events_dead_lettered_total",
                                       "Events a consumer gave up on and sent to the dead-letter topic.")) {}

Metrics::~Metrics() {
  std::lock_guard lock(exposer_mu_);
  exposer_.reset();  // stop serving before the registry goes
}

absl::Status Metrics::Serve(const std::string& addr) {
  std::lock_guard lock(exposer_mu_);
  if (exposer_) return absl::FailedPreconditionError("metrics exposer already serving");
  try {
    auto exposer = std::make_unique<prometheus::Exposer>(addr, 2);
    exposer->RegisterCollectable(registry_);
    exposer_ = std::move(exposer);
  } catch (const std::exception& e) {
    // civetweb reports bind failures by throwing; keep that inside.
    return absl::UnavailableError("cannot serve metrics on " + addr + ": " + e.what());
  }
  return absl::OkStatus();
}

int Metrics::port() const {
  std::lock_guard lock(exposer_mu_);
  if (!exposer_) return 0;
  auto ports = exposer_->GetListeningPorts();
  return ports.empty() ? 0 : ports.front();
}

std::string Metrics::Exposition() const { return prometheus::TextSerializer().Serialize(registry_->Collect()); }

prometheus::Family<prometheus::Counter>& Metrics::CounterFamily(const std::string& name, const std::string& help) {
  return NewCounter(*registry_, name, help);
}
prometheus::Family<prometheus::Gauge>& Metrics::GaugeFamily(const std::string& name, const std::string& help) {
  return NewGauge(*registry_, name, help);
}
prometheus::Family<prometheus::Histogram>& Metrics::HistogramFamily(const std::string& name, const std::string& help) {
  return NewHistogram(*registry_, name, help);
}

const prometheus::Histogram::BucketBoundaries& Metrics::LatencyBuckets() {
  static const auto* buckets = new prometheus::Histogram::BucketBoundaries{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                                           0.25,  0.5,    1,     2.5,  5,     10};
  return *buckets;
}

prometheus::Counter& Metrics::GrpcServerHandled(std::string_view service, std::string_view method,
                                                std::string_view code) {
  return grpc_handled_.Add({{"grpc_service", S(service)}, {"grpc_method", S(method)}, {"grpc_code", S(code)}});
}

prometheus::Histogram& Metrics::GrpcServerHandlingSeconds(std::string_view service, std::string_view method) {
  return grpc_handling_seconds_.Add({{"grpc_service", S(service)}, {"grpc_method", S(method)}}, LatencyBuckets());
}

prometheus::Gauge& Metrics::OutboxBacklog(std::string_view service, int shard) {
  return outbox_backlog_.Add({{"service", S(service)}, {"shard", std::to_string(shard)}});
}

prometheus::Gauge& Metrics::OutboxOldestAgeSeconds(std::string_view service, int shard) {
  return outbox_oldest_age_.Add({{"service", S(service)}, {"shard", std::to_string(shard)}});
}

prometheus::Gauge& Metrics::ConsumerLag(std::string_view service, std::string_view topic, int partition) {
  return consumer_lag_.Add({{"service", S(service)}, {"topic", S(topic)}, {"partition", std::to_string(partition)}});
}

prometheus::Counter& Metrics::EventsPublished(std::string_view service) {
  return events_published_.Add({{"service", S(service)}});
}

prometheus::Counter& Metrics::EventsApplied(std::string_view service, std::string_view type) {
  return events_applied_.Add({{"service", S(service)}, {"type", S(type)}});
}

prometheus::Counter& Metrics::EventsDeadLettered(std::string_view service) {
  return events_dead_lettered_.Add({{"service", S(service)}});
}

}  // namespace tane::telemetry
