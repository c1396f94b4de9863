#pragma once
/// A Tane service in this process for integration tests and benchmarks, over
/// the real components of tane::testing (redis-server, librdkafka's mock
/// cluster), assembled much as ServiceMain assembles it (host, kit, the
/// service's objects on the kit), with settings that suit tests:
///
///   auto infra = TestInfrastructure::Start({.topics = TopicsOf("projects", ProjectsService::ConsumedTopics())});
///   ServiceUnderTest::Options options = (*infra)->OptionsFor("projects");
///   options.consume_topics = ProjectsService::ConsumedTopics();
///   options.clock = &clock;
///   auto sut = ServiceUnderTest::Create(std::move(options));
///   auto& service = (*sut)->Serve(std::make_unique<ProjectsService>((*sut)->kit(), rules));
///   service.Subscribe();                             // kit().On<...>(...)
///   if (auto s = (*sut)->Start(); !s.ok()) ...       // kit, host, ready
///   auto stub = (*sut)->NewStub<v1::ProjectsService>();
///
/// Free of GoogleTest, so benchmarks link it too. (Kept apart from
/// tane::testing, which must not depend on tane::runtime: tane-devbroker
/// links it.)

#include <grpcpp/channel.h>

#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tane/core/time.h"
#include "tane/runtime/config.h"
#include "tane/runtime/service_host.h"
#include "tane/runtime/service_kit.h"
#include "tane/testing/fixtures.h"

namespace grpc {
class Service;
}

namespace tane::service_testing {

/// The topics a service writes (tane.<service>.events, tane.<service>.dlq),
/// followed by `consumed`.
std::vector<std::string> TopicsOf(std::string_view service, std::vector<std::string> consumed = {});

struct ServiceUnderTestOptions {
  /// The service's name ("projects"): keyspace, topics, consumer group, log field.
  std::string service;
  std::string redis_addr;
  std::string kafka_bootstrap;
  int shards = 8;
  int redis_pool_size = 8;
  std::string log_level = "info";
  /// Empty: identity metadata is trusted as sent (identity.h).
  std::string internal_token;
  std::string catalog_path = runtime::ServiceConfig::DefaultCatalogPath();
  /// Topics the service's consumer reads; empty: no consumer.
  std::vector<std::string> consume_topics;
  /// The service's clock; nullptr is the system clock. Not owned; must
  /// outlive the ServiceUnderTest.
  const core::Clock* clock = nullptr;
  /// How often the kit copies lag and counters into the metrics.
  absl::Duration metrics_interval = absl::Seconds(1);
};

/// A real redis-server and librdkafka's mock cluster with the given topics.
/// redis_addr(), kafka_bootstrap() and OptionsFor() are safe from any thread;
/// redis() and kafka() are as thread-safe as RedisServer and KafkaCluster
/// (drive a Kill/Restart from one thread).
class TestInfrastructure final {
 public:
  struct Options {
    /// Created before Start() returns, each with `partitions` partitions.
    std::vector<std::string> topics;
    int kafka_brokers = 3;
    int partitions = 3;
    testing::RedisServer::Options redis = {};
  };

  /// Starts Redis, then Kafka, then creates the topics; the first error is
  /// returned (what was started by then is stopped again).
  static absl::StatusOr<std::unique_ptr<TestInfrastructure>> Start(Options options);
  /// Stops Kafka, then Redis. Every ServiceUnderTest on it must be gone first.
  ~TestInfrastructure();
  TestInfrastructure(const TestInfrastructure&) = delete;
  TestInfrastructure& operator=(const TestInfrastructure&) = delete;

  /// "127.0.0.1:<port>" of the Redis server.
  std::string redis_addr() const;
  const std::string& kafka_bootstrap() const { return kafka_->bootstrap_servers(); }
  /// For fault tests (Kill, Restart) and for tests that read Redis directly.
  testing::RedisServer& redis() { return *redis_; }
  testing::KafkaCluster& kafka() { return *kafka_; }

  /// Options for a service `service` on this Redis and Kafka; the rest as
  /// ServiceUnderTestOptions defaults them.
  ServiceUnderTestOptions OptionsFor(std::string service) const;

 private:
  TestInfrastructure() = default;
  std::unique_ptr<testing::RedisServer> redis_;
  std::unique_ptr<testing::KafkaCluster> kafka_;  // declared last: stopped first
};

/// One service process in miniature: a ServiceHost on 127.0.0.1:0 (no
/// metrics exposer, signals not handled, readiness checked every 50 ms) and
/// a ServiceKit with the consumer's session timeout shortened to 6 s
/// (heartbeat 300 ms), so a test's group rebalances quickly. The caller
/// builds its service's objects on kit(), hands them over with Own() or
/// Serve(), registers event handlers and shutdown hooks (host()), then calls
/// Start().
///
/// Shutdown, in the destructor, in this order and no other:
/// 1. host: RequestShutdown, then the host is destroyed, which drains the
///    gRPC server (in-flight calls finish) and runs the shutdown hooks in
///    reverse order — the service's own (e.g. a scheduler's Stop), then the
///    kit's (consumer, relay, producer flush). Handlers may still run during
///    the drain, so everything they touch must exist until here.
/// 2. the owned objects, in reverse order of Own()/Serve(): later objects
///    may refer to earlier ones (a scheduler to its service), and every one
///    may refer to the kit.
/// 3. the kit (Redis pool, store, producer).
/// The clock and the TestInfrastructure must outlive it.
///
/// Thread-safety: set-up (Create, Own, Serve, Start) and destruction from one
/// thread; once started, the accessors and the owned objects are as
/// thread-safe as ServiceHost, ServiceKit and those objects are.
class ServiceUnderTest final {
 public:
  using Options = ServiceUnderTestOptions;

  /// The host and the kit, not started. INVALID_ARGUMENT for a bad Redis
  /// address or Kafka setting (ServiceKit::Create).
  static absl::StatusOr<std::unique_ptr<ServiceUnderTest>> Create(Options options);
  /// Shuts down as described above; also when Start() failed or never ran.
  ~ServiceUnderTest();
  ServiceUnderTest(const ServiceUnderTest&) = delete;
  ServiceUnderTest& operator=(const ServiceUnderTest&) = delete;

  runtime::ServiceKit& kit() { return *kit_; }
  runtime::ServiceHost& host() { return *host_; }
  const runtime::ServiceConfig& config() const { return host_->config(); }

  /// Keeps `part` until after the host's shutdown (see above); returns it.
  template <typename T>
  T& Own(std::unique_ptr<T> part) {
    T& ref = *part;
    owned_.emplace_back(std::move(part));
    return ref;
  }
  /// Own(), and `service` is served by the host. Before Start().
  template <typename T>
  T& Serve(std::unique_ptr<T> service) {
    static_assert(std::is_base_of_v<grpc::Service, T>, "Serve() takes a gRPC service; Own() takes anything");
    T& ref = Own(std::move(service));
    host_->AddService(&ref);
    return ref;
  }

  /// Starts the kit (relay, consumer, metrics), then the host (gRPC server,
  /// readiness), and waits until the host is ready (Redis answers).
  /// FAILED_PRECONDITION when called twice; the kit's or the host's error;
  /// UNAVAILABLE when not ready within `ready_within`.
  absl::Status Start(absl::Duration ready_within = absl::Seconds(30));

  /// The bound gRPC port (0 before Start()) and "127.0.0.1:<port>".
  int grpc_port() const { return host_->grpc_port(); }
  std::string address() const;
  /// An insecure channel to address(): each call makes a new channel.
  std::shared_ptr<grpc::Channel> NewChannel() const;
  /// A stub of `Service` (a generated gRPC service class) on NewChannel().
  template <typename Service>
  std::unique_ptr<typename Service::Stub> NewStub() const {
    return Service::NewStub(NewChannel());
  }

 private:
  ServiceUnderTest() = default;

  std::unique_ptr<runtime::ServiceHost> host_;
  std::unique_ptr<runtime::ServiceKit> kit_;
  // shared_ptr<void> keeps each part's own deleter.
  std::vector<std::shared_ptr<void>> owned_;
};

}  // namespace tane::service_testing
