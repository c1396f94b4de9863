// tane-projects: research projects after adoption. Assembles the catalog's
// rules, the shared ServiceKit and the gRPC service; everything else lives in
// tane::projects_service.
#include "tane/calls/catalog.h"
#include "tane/projects/rules_from_catalog.h"
#include "tane/projects/service.h"
#include "tane/runtime/config.h"
#include "tane/runtime/service_host.h"
#include "tane/runtime/service_kit.h"
#include "tane/telemetry/log.h"

int main(int argc, char** argv) {
  namespace runtime = tane::runtime;
  namespace tel = tane::telemetry;
  runtime::BlockShutdownSignals();
  const auto config =
      runtime::ParseConfigOrExit(argc, argv, runtime::ServiceConfig::Defaults("projects", 7103, 9103));
  runtime::ServiceHost host(config);
  tel::LogInfo("starting", {{"config", config.Describe()}});

  auto catalog = tane::calls::Catalog::LoadFromFile(config.catalog_path);
  if (!catalog.ok()) {
    tel::LogError("cannot load the program catalog", {{"path", config.catalog_path}, {"error", catalog.status()}});
    return 1;
  }
  auto rules = tane::projects::RulesFromCatalog(*catalog);
  if (!rules.ok()) {
    tel::LogError("the catalog does not give valid project rules", {{"error", rules.status()}});
    return 1;
  }

  runtime::ServiceKitOptions kit_options;
  kit_options.consume_topics = tane::projects::ProjectsService::ConsumedTopics();
  auto kit = runtime::ServiceKit::Create(host, std::move(kit_options));
  if (!kit.ok()) {
    tel::LogError("cannot set up Redis and Kafka", {{"error", kit.status()}});
    return 1;
  }
  tane::projects::ProjectsService service(**kit, *std::move(rules));
  service.Subscribe();
  host.AddService(&service);
  if (auto s = (*kit)->Start(); !s.ok()) {
    tel::LogError("cannot start the relay and consumer", {{"error", s}});
    return 1;
  }
  const auto status = host.Run();
  if (!status.ok()) tel::LogError("stopped with an error", {{"error", status}});
  return status.ok() ? 0 : 1;
}
