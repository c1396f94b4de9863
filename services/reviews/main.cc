// tane-reviews: reviewers, conflicts, assignment, reviews and decisions.
// Assembles the catalog's review rules and the gRPC service on the shared
// kit; everything else lives in tane::reviews_service.
#include <map>

#include "absl/strings/str_cat.h"
#include "tane/calls/catalog.h"
#include "tane/reviews/service.h"
#include "tane/runtime/service_main.h"

int main(int argc, char** argv) {
  using tane::reviews::ReviewsService;
  namespace runtime = tane::runtime;
  return runtime::ServiceMain(
      argc, argv, {"reviews", 7102, 9102, ReviewsService::ConsumedTopics()},
      [](runtime::ServiceKit& kit, const runtime::ServiceConfig& config) -> absl::StatusOr<std::shared_ptr<void>> {
        auto catalog = tane::calls::Catalog::LoadFromFile(config.catalog_path);
        if (!catalog.ok()) return catalog.status();
        std::map<std::string, tane::reviews::ReviewRules> rules;
        for (const auto& program : catalog->programs()) {
          auto r = tane::reviews::ReviewRules::FromProgram(&program);
          if (auto s = r.Validate(); !s.ok()) {
            return absl::InvalidArgumentError(
                absl::StrCat("the catalog gives no valid review rules for ", program.id, ": ", s.message()));
          }
          rules.emplace(program.id, std::move(r));
        }
        auto service = std::make_shared<ReviewsService>(kit, std::move(rules));
        service->Subscribe();
        kit.host().AddService(service.get());
        return service;
      });
}
