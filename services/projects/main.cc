// tane-projects: research projects after adoption. Assembles the catalog's
// rules and the gRPC service on the shared kit; everything else lives in
// tane::projects_service.
#include "tane/calls/catalog.h"
#include "tane/projects/rules_from_catalog.h"
#include "tane/projects/service.h"
#include "tane/runtime/service_main.h"

int main(int argc, char** argv) {
  using tane::projects::ProjectsService;
  namespace runtime = tane::runtime;
  return runtime::ServiceMain(
      argc, argv, {"projects", 7103, 9103, ProjectsService::ConsumedTopics()},
      [](runtime::ServiceKit& kit, const runtime::ServiceConfig& config) -> absl::StatusOr<std::shared_ptr<void>> {
        auto catalog = tane::calls::Catalog::LoadFromFile(config.catalog_path);
        if (!catalog.ok()) return catalog.status();
        auto rules = tane::projects::RulesFromCatalog(*catalog);
        if (!rules.ok()) return rules.status();
        auto service = std::make_shared<ProjectsService>(kit, *std::move(rules));
        service->Subscribe();
        kit.host().AddService(service.get());
        return service;
      });
}
