#include "tane/runtime/service_main.h"

#include "tane/runtime/service_host.h"
#include "tane/telemetry/log.h"

namespace tane::runtime {

int ServiceMain(int argc, char** argv, const ServiceMainSpec& spec, const AssembleService& assemble) {
  namespace tel = ::tane::telemetry;
  BlockShutdownSignals();
  const ServiceConfig config = ParseConfigOrExit(
      argc, argv, ServiceConfig::Defaults(spec.name, spec.grpc_port, spec.metrics_port), spec.extra_options);
  ServiceHost host(config);
  tel::LogInfo("starting", {{"config", config.Describe()}});

  ServiceKitOptions kit_options;
  kit_options.consume_topics = spec.consume_topics;
  auto kit = ServiceKit::Create(host, std::move(kit_options));
  if (!kit.ok()) {
    tel::LogError("cannot set up Redis and Kafka clients", {{"error", kit.status()}});
    return 1;
  }
  auto assembled = assemble(**kit, config);
  if (!assembled.ok()) {
    tel::LogError("cannot assemble the service", {{"error", assembled.status()}});
    return 1;
  }
  if (auto status = (*kit)->Start(); !status.ok()) {
    tel::LogError("cannot start the outbox relay and the consumer", {{"error", status}});
    return 1;
  }
  const absl::Status status = host.Run();
  if (!status.ok()) tel::LogError("stopped with an error", {{"error", status}});
  return status.ok() ? 0 : 1;
}

}  // namespace tane::runtime
