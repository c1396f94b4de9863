// tane-calls: the calls service. Assembly only; the service is in service/.
#include "tane/calls/catalog.h"
#include "tane/calls/service/calls_service.h"
#include "tane/calls/service/commitments_model.h"
#include "tane/calls/service/deadline_scheduler.h"
#include "tane/runtime/service_main.h"

namespace {

// The catalog, the service reading it and the deadline closer (which stops
// when destroyed), in the order they must be built.
struct CallsParts {
  CallsParts(tane::runtime::ServiceKit& kit, tane::calls::Catalog loaded)
      : catalog(std::move(loaded)), service(kit, catalog), scheduler(kit, service) {}
  tane::calls::Catalog catalog;
  tane::calls::CallsService service;
  tane::calls::DeadlineScheduler scheduler;
};

}  // namespace

int main(int argc, char** argv) {
  namespace runtime = tane::runtime;
  return runtime::ServiceMain(
      argc, argv, {"calls", 7101, 9101, tane::calls::CommitmentsModel::Topics()},
      [](runtime::ServiceKit& kit, const runtime::ServiceConfig& config) -> absl::StatusOr<std::shared_ptr<void>> {
        auto catalog = tane::calls::Catalog::LoadFromFile(config.catalog_path);
        if (!catalog.ok()) return catalog.status();
        auto parts = std::make_shared<CallsParts>(kit, *std::move(catalog));
        parts->service.Subscribe();  // projects' and reviews' events -> the commitments read model
        kit.host().AddService(&parts->service);
        kit.host().AddShutdownHook("deadline-scheduler", [scheduler = &parts->scheduler] { scheduler->Stop(); });
        parts->scheduler.Start();
        return parts;
      });
}
