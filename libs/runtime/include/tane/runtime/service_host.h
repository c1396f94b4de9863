#pragma once
/// The scaffolding of a service's main():
///
///   int main(int argc, char** argv) {
///     tane::runtime::BlockShutdownSignals();          // before any thread starts
///     auto config = tane::runtime::ParseConfigOrExit(argc, argv,
///         tane::runtime::ServiceConfig::Defaults("calls", 7101, 9101));
///     tane::runtime::ServiceHost host(config);
///     ... build pools, producer, consumers; services use host.metrics() ...
///     host.AddService(&calls_service);
///     host.AddReadinessCheck("redis", [&] { return pool.Ping(); });
///     host.AddShutdownHook("relay", [&] { relay.Stop(); });       // run in reverse order
///     auto status = host.Run();                       // blocks until SIGTERM/SIGINT
///     return status.ok() ? 0 : 1;
///   }
///
/// The gRPC server carries: the registered services, grpc.health.v1.Health
/// (overall "" and one entry per registered service, all SERVING only while
/// every readiness check passes), server reflection, the metrics interceptor
/// and 8 MiB message limits. Metrics are served on config.metrics_addr.
///
/// Shutdown (SIGTERM, SIGINT or RequestShutdown()): health goes NOT_SERVING,
/// the server stops accepting calls and in-flight calls get up to
/// shutdown_grace to finish (then are cancelled), then the shutdown hooks run
/// in reverse order of registration, then Run() returns. A second signal
/// during that drain exits the process at once (_exit(128 + signal)).

#include <grpcpp/server.h>
#include <grpcpp/server_context.h>

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tane/runtime/config.h"
#include "tane/runtime/identity.h"
#include "tane/telemetry/metrics.h"

namespace grpc {
class Service;
}

namespace tane::runtime {

/// Blocks SIGINT and SIGTERM in the calling thread (and so in every thread
/// it creates later), so that only ServiceHost's sigwait thread sees them, and
/// ignores SIGPIPE (a write to a closed Redis socket must be an error, not
/// death). Call first thing in main(), before any library starts a thread;
/// ServiceHost calls it too, which only covers threads created afterwards.
/// Idempotent.
void BlockShutdownSignals();

struct ServiceHostOptions {
  absl::Duration readiness_interval = absl::Seconds(1);
  /// How long in-flight calls may run after shutdown starts.
  absl::Duration shutdown_grace = absl::Seconds(10);
  int max_message_bytes = 8 << 20;
  /// Whether SIGINT/SIGTERM end Run(). Off for hosts embedded in tools.
  bool handle_signals = true;
};

class ServiceHost final {
 public:
  /// Sets the process-wide log service name and level from `config`.
  explicit ServiceHost(ServiceConfig config, ServiceHostOptions options = {});
  /// Shuts down (hooks included) if Run() did not.
  ~ServiceHost();
  ServiceHost(const ServiceHost&) = delete;
  ServiceHost& operator=(const ServiceHost&) = delete;

  /// Not owned; must outlive the host. Before Start().
  void AddService(grpc::Service* service);
  /// A named check run every readiness_interval on one background thread; it
  /// should bound its own time (a hung check holds readiness where it was).
  /// Any time.
  void AddReadinessCheck(std::string name, std::function<absl::Status()> check);
  /// Like a readiness check, but a failure does not take the service out of
  /// SERVING: for dependencies the service can work without for a while
  /// (Kafka: writes still commit to Redis and the outbox holds the events).
  /// Failures and recoveries are logged. Every check, gating or not, is
  /// exported as tane_dependency_up{service,dependency} (1 passing, 0 failing).
  void AddDependencyCheck(std::string name, std::function<absl::Status()> check);
  /// Runs during shutdown, after the server drained, in reverse order of
  /// registration. Any time before shutdown starts.
  void AddShutdownHook(std::string name, std::function<void()> hook);

  /// Serves metrics, starts the gRPC server (NOT_SERVING until the first
  /// readiness pass) and the readiness thread. UNAVAILABLE when an address
  /// cannot be bound; FAILED_PRECONDITION when called twice.
  absl::Status Start();
  /// Start() unless started, then blocks until a shutdown signal or
  /// RequestShutdown(), drains and runs the hooks. Returns Start()'s error or OK.
  absl::Status Run();
  /// Makes Run() proceed to shutdown. Thread-safe, non-blocking, callable from
  /// RPC handlers and before Run().
  void RequestShutdown();

  /// Whether the last readiness pass had every check passing.
  bool Ready() const;
  /// Waits until Ready() or `timeout`; returns Ready().
  bool WaitUntilReady(absl::Duration timeout);

  /// The bound ports (0 before Start(); useful when the address says port 0).
  int grpc_port() const { return grpc_port_; }
  int metrics_port() const { return metrics_.port(); }
  const ServiceConfig& config() const { return config_; }
  telemetry::Metrics& metrics() { return metrics_; }
  /// The fully-qualified names of the registered services (after Start()).
  const std::vector<std::string>& service_names() const { return service_names_; }

  /// IdentityFrom(context, config().internal_token).
  absl::StatusOr<CallerIdentity> Identity(const grpc::ServerContext& context) const {
    return IdentityFrom(context, config_.internal_token);
  }

 private:
  struct Check {
    std::string name;
    std::function<absl::Status()> fn;
    bool gates_readiness = true;
  };
  struct Hook {
    std::string name;
    std::function<void()> fn;
  };

  void ReadinessLoop();
  void SetServing(bool serving);  // requires mu_
  void Drain();

  const ServiceConfig config_;
  const ServiceHostOptions options_;
  telemetry::Metrics metrics_;
  std::vector<grpc::Service*> services_;
  std::vector<std::string> service_names_;
  std::unique_ptr<grpc::Server> server_;
  int grpc_port_ = 0;

  mutable std::mutex mu_;
  std::condition_variable cv_;  // shutdown_requested_, stopping_, ready_ changes
  std::vector<Check> checks_;
  std::vector<Hook> hooks_;
  bool started_ = false;
  bool shutdown_requested_ = false;
  bool stopping_ = false;  // readiness thread must exit
  bool drained_ = false;
  bool ready_ = false;
  std::thread readiness_thread_;
};

}  // namespace tane::runtime
