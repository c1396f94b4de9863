#pragma once
/// Prometheus metrics of one process: a registry, an optional HTTP exposer
/// (GET /metrics), and the series every Tane service shares. Services add
/// their domain gauges through the *Family() accessors.
///
/// Thread-safe: families and series are created under prometheus-cpp's
/// mutexes and updated atomically, so any thread may call any method. The
/// references returned stay valid for the life of the Metrics object; hot
/// paths may keep them instead of looking them up on every use.

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace prometheus {
class Exposer;
}

namespace tane::telemetry {

class Metrics final {
 public:
  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  /// Serves GET /metrics on `addr` ("127.0.0.1:9101"; port 0 picks a free
  /// one, see port()). UNAVAILABLE when the address cannot be bound,
  /// FAILED_PRECONDITION when already serving.
  absl::Status Serve(const std::string& addr);
  /// The port the exposer listens on; 0 when not serving.
  int port() const;

  const std::shared_ptr<prometheus::Registry>& registry() const { return registry_; }
  /// The registry in the Prometheus text exposition format.
  std::string Exposition() const;

  /// Get-or-create a family. Asking again for a name with the same type and
  /// help returns the same family; a different type or help for an existing
  /// name is a programming error (prometheus-cpp throws).
  prometheus::Family<prometheus::Counter>& CounterFamily(const std::string& name, const std::string& help);
  prometheus::Family<prometheus::Gauge>& GaugeFamily(const std::string& name, const std::string& help);
  prometheus::Family<prometheus::Histogram>& HistogramFamily(const std::string& name, const std::string& help);

  /// 1 ms .. 10 s, for RPC and handler latencies.
  static const prometheus::Histogram::BucketBoundaries& LatencyBuckets();

  // The shared series. Labels are the arguments, in the order named.
  /// grpc_server_handled_total{grpc_service,grpc_method,grpc_code}
  prometheus::Counter& GrpcServerHandled(std::string_view service, std::string_view method, std::string_view code);
  /// grpc_server_handling_seconds{grpc_service,grpc_method}
  prometheus::Histogram& GrpcServerHandlingSeconds(std::string_view service, std::string_view method);
  /// tane_outbox_backlog{service,shard}: entries not yet acknowledged by Kafka.
  prometheus::Gauge& OutboxBacklog(std::string_view service, int shard);
  /// tane_outbox_oldest_age_seconds{service,shard}: age of the oldest entry (0 when empty).
  prometheus::Gauge& OutboxOldestAgeSeconds(std::string_view service, int shard);
  /// tane_consumer_lag{service,topic,partition}: messages behind the high watermark.
  prometheus::Gauge& ConsumerLag(std::string_view service, std::string_view topic, int partition);
  /// tane_events_published_total{service}
  prometheus::Counter& EventsPublished(std::string_view service);
  /// tane_events_applied_total{service,type}
  prometheus::Counter& EventsApplied(std::string_view service, std::string_view type);
  /// tane_events_dead_lettered_total{service}
  prometheus::Counter& EventsDeadLettered(std::string_view service);

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& grpc_handled_;
  prometheus::Family<prometheus::Histogram>& grpc_handling_seconds_;
  prometheus::Family<prometheus::Gauge>& outbox_backlog_;
  prometheus::Family<prometheus::Gauge>& outbox_oldest_age_;
  prometheus::Family<prometheus::Gauge>& consumer_lag_;
  prometheus::Family<prometheus::Counter>& events_published_;
  prometheus::Family<prometheus::Counter>& events_applied_;
  prometheus::Family<prometheus::Counter>& events_dead_lettered_;

  mutable std::mutex exposer_mu_;
  std::unique_ptr<prometheus::Exposer> exposer_;
};

}  // namespace tane::telemetry
