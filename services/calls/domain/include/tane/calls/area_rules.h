#pragma once
/// Rules for strategic goals (戦略目標) and research areas (研究領域).

#include "absl/status/status.h"
#include "tane/calls/catalog.h"
#include "tane/calls/v1/calls.pb.h"
#include "tane/core/errors.h"

namespace tane::calls {

/// fiscal_year plausible (1900–2200), title_ja present, field_category and
/// agency given, every text valid UTF-8. INVALID_ARGUMENT listing every violation.
absl::Status ValidateNewStrategicGoal(const v1::StrategicGoal& goal);

/// goal_id a UUID; at least one program, each known to the catalog, area-based
/// and of the goal's agency when `goal` is given; title_ja present; a
/// supervisor with a name and role; officers' roles given; text valid UTF-8.
absl::Status ValidateNewResearchArea(const v1::ResearchArea& area, const Catalog& catalog,
                                     const v1::StrategicGoal* goal = nullptr);

}  // namespace tane::calls
