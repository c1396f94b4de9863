// tane-calls: the calls service. Assembly only; the service is in service/.
#include "tane/calls/catalog.h"
#include "tane/calls/service/calls_service.h"
#include "tane/calls/service/commitments_model.h"
#include "tane/calls/service/deadline_scheduler.h"
#include "tane/runtime/config.h"
#include "tane/runtime/service_host.h"
#include "tane/runtime/service_kit.h"
#include "tane/telemetry/log.h"

int main(int argc, char** argv) {
  namespace runtime = tane::runtime;
  runtime::BlockShutdownSignals();
  const runtime::ServiceConfig config =
      runtime::ParseConfigOrExit(argc, argv, runtime::ServiceConfig::Defaults("calls", 7101, 9101));
  runtime::ServiceHost host(config);
  tane::telemetry::LogInfo("starting", {{"config", config.Describe()}});

  auto catalog = tane::calls::Catalog::LoadFromFile(config.catalog_path);
  if (!catalog.ok()) {
    tane::telemetry::LogError("cannot load the program catalog",
                              {{"path", config.catalog_path}, {"error", catalog.status()}});
    return 1;
  }
  runtime::ServiceKitOptions kit_options;
  kit_options.consume_topics = tane::calls::CommitmentsModel::Topics();
  auto kit = runtime::ServiceKit::Create(host, kit_options);
  if (!kit.ok()) {
    tane::telemetry::LogError("cannot assemble the service", {{"error", kit.status()}});
    return 1;
  }
  tane::calls::CallsService service(**kit, *catalog);
  service.Subscribe();  // projects' and reviews' events -> the commitments read model
  tane::calls::DeadlineScheduler scheduler(**kit, service);
  host.AddService(&service);
  host.AddShutdownHook("deadline-scheduler", [&] { scheduler.Stop(); });

  if (auto s = (*kit)->Start(); !s.ok()) {
    tane::telemetry::LogError("cannot start the event plumbing", {{"error", s}});
    return 1;
  }
  scheduler.Start();
  return host.Run().ok() ? 0 : 1;
}
