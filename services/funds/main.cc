// tane-funds: the funds service. Assembles the catalog's terms, the service,
// its event handlers and the gRPC edge on the shared kit.
#include "tane/funds/funds.h"
#include "tane/funds/grpc_service.h"
#include "tane/runtime/service_main.h"

namespace {

// Funds and its gRPC edge, alive together until the host stops.
struct FundsParts {
  FundsParts(tane::runtime::ServiceKit& kit, tane::funds::ProgramTerms terms)
      : funds(kit, std::move(terms)), grpc(kit, funds) {}
  tane::funds::Funds funds;
  tane::funds::FundsGrpc grpc;
};

}  // namespace

int main(int argc, char** argv) {
  namespace runtime = tane::runtime;
  return runtime::ServiceMain(
      argc, argv, {tane::funds::kServiceName, 7104, 9104, {"tane.projects.events"}},
      [](runtime::ServiceKit& kit, const runtime::ServiceConfig& config) -> absl::StatusOr<std::shared_ptr<void>> {
        auto terms = tane::funds::ProgramTerms::LoadFromFile(config.catalog_path);
        if (!terms.ok()) return terms.status();
        auto parts = std::make_shared<FundsParts>(kit, *std::move(terms));
        parts->funds.RegisterEventHandlers();
        kit.host().AddService(&parts->grpc);
        return parts;
      });
}
