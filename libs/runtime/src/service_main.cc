#include "tane/runtime/service_main.h"

#include "tane/runtime/service_host.h"
#include "tane/telemetry/log.h"

namespace tane::runtime {
namespace {

namespace tel = ::tane::telemetry;

// Starts the host (ports bound: a taken port fails here, before any thread of
// the kit runs), then the kit's relay and consumer, then serves until a
// shutdown signal.
int StartAndRun(ServiceHost& host, ServiceKit& kit) {
  if (auto status = host.Start(); !status.ok()) {
    tel::LogError("cannot start serving", {{"error", status}});
    return 1;
  }
  if (auto status = kit.Start(); !status.ok()) {
    tel::LogError("cannot start the outbox relay and the consumer", {{"error", status}});
    return 1;
  }
  const absl::Status status = host.Run();
  if (!status.ok()) tel::LogError("stopped with an error", {{"error", status}});
  return status.ok() ? 0 : 1;
}

}  // namespace

int ServiceMain(int argc, char** argv, const ServiceMainSpec& spec, const AssembleService& assemble) {
  BlockShutdownSignals();
  const ServiceConfig config = ParseConfigOrExit(
      argc, argv, ServiceConfig::Defaults(spec.name, spec.grpc_port, spec.metrics_port), spec.extra_options);
  auto host = std::make_unique<ServiceHost>(config);
  tel::LogInfo("starting", {{"config", config.Describe()}});

  ServiceKitOptions kit_options;
  kit_options.consume_topics = spec.consume_topics;
  auto kit = ServiceKit::Create(*host, std::move(kit_options));
  if (!kit.ok()) {
    tel::LogError("cannot set up Redis and Kafka clients", {{"error", kit.status()}});
    return 1;
  }
  std::shared_ptr<void> assembled;
  int exit_code = 1;
  if (auto parts = assemble(**kit, config); !parts.ok()) {
    tel::LogError("cannot assemble the service", {{"error", parts.status()}});
  } else {
    assembled = *std::move(parts);
    exit_code = StartAndRun(*host, **kit);
  }
  // On every path: the host drains and runs its hooks first (they stop the
  // consumer, the relay and whatever the service registered) while the
  // service's objects still exist; only then do those objects go, then the kit.
  host.reset();
  assembled.reset();
  return exit_code;
}

}  // namespace tane::runtime
