// tane-international: partner agencies, joint calls, joint proposals and
// joint decisions (see services/international/README.md).
#include "tane/international/service.h"
#include "tane/runtime/service_main.h"

int main(int argc, char** argv) {
  namespace runtime = tane::runtime;
  return runtime::ServiceMain(
      argc, argv, {"international", 7105, 9105, {"tane.calls.events", "tane.reviews.events"}},
      [](runtime::ServiceKit& kit, const runtime::ServiceConfig&) -> absl::StatusOr<std::shared_ptr<void>> {
        auto service = std::make_shared<tane::international::InternationalService>(kit);
        service->RegisterEventHandlers();
        kit.host().AddService(service.get());
        return service;
      });
}
