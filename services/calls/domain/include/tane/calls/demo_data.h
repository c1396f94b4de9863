#pragma once
/// Demo data (services/calls/catalog/demo_fy2017.yaml): the FY2017 strategic
/// goals, research areas and one call per area and program, as the protos the
/// service stores. Ids are NameUuid(kDemoIdNamespace, key), so loading twice
/// gives the same ids and a store can load idempotently.

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "tane/calls/catalog.h"
#include "tane/calls/v1/calls.pb.h"

namespace tane::calls {

inline constexpr char kDemoIdNamespace[] = "tane.calls.demo";

struct DemoData {
  std::vector<v1::StrategicGoal> strategic_goals;
  std::vector<v1::ResearchArea> research_areas;
  /// State as given in the file (published calls carry published_at = opens_at).
  std::vector<v1::Call> calls;
};

/// Parses and validates the demo data against `catalog` with the same rules
/// as the Create RPCs (ValidateNewStrategicGoal, ValidateNewResearchArea,
/// ValidateNewCall). INVALID_ARGUMENT naming the entry and field.
absl::StatusOr<DemoData> LoadDemoDataFromString(std::string_view yaml, const Catalog& catalog);
absl::StatusOr<DemoData> LoadDemoDataFromFile(const std::string& path, const Catalog& catalog);

/// The id the demo loader gives `key`.
std::string DemoId(std::string_view key);

}  // namespace tane::calls
