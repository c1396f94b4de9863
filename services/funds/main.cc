// tane-funds: the funds service. Only assembles: config, host, kit, the
// catalog's terms, the service and its event handlers.
#include "tane/funds/funds.h"
#include "tane/funds/grpc_service.h"
#include "tane/runtime/config.h"
#include "tane/runtime/service_host.h"
#include "tane/runtime/service_kit.h"
#include "tane/telemetry/log.h"

int main(int argc, char** argv) {
  namespace tel = tane::telemetry;
  tane::runtime::BlockShutdownSignals();
  auto config = tane::runtime::ParseConfigOrExit(
      argc, argv, tane::runtime::ServiceConfig::Defaults(tane::funds::kServiceName, 7104, 9104));
  tane::runtime::ServiceHost host(config);
  tel::LogInfo("starting", {{"config", config.Describe()}});

  auto terms = tane::funds::ProgramTerms::LoadFromFile(config.catalog_path);
  if (!terms.ok()) {
    tel::LogError("cannot load the program catalog", {{"path", config.catalog_path}, {"error", terms.status()}});
    return 1;
  }
  tane::runtime::ServiceKitOptions options;
  options.consume_topics = {"tane.projects.events"};
  auto kit = tane::runtime::ServiceKit::Create(host, options);
  if (!kit.ok()) {
    tel::LogError("cannot set up Redis and Kafka", {{"error", kit.status()}});
    return 1;
  }
  tane::funds::Funds funds(**kit, *std::move(terms));
  funds.RegisterEventHandlers();
  tane::funds::FundsGrpc service(**kit, funds);
  host.AddService(&service);
  if (auto s = (*kit)->Start(); !s.ok()) {
    tel::LogError("cannot start the relay and the consumer", {{"error", s}});
    return 1;
  }
  auto status = host.Run();
  if (!status.ok()) tel::LogError("stopped with an error", {{"error", status}});
  return status.ok() ? 0 : 1;
}
