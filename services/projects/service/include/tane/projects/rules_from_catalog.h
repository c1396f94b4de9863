#pragma once
/// The one place where the shipped program catalog (programs.yaml, read with
/// tane::calls_catalog) becomes the projects domain's ProgramRules.
///
/// What the catalog states is used as stated; what it leaves "not stated" is
/// not invented here:
/// - period_months.max → max_period_months; not stated: no limit is enforced
///   (kNoStatedLimitMonths). period_months.min → min_period_months (default 1).
/// - period_months.extension_max is the longest period with extensions
///   (FOREST 84 → 120): max_extension_months = extension_max − max; not
///   stated: no extension. When the program holds a stage gate at the end of
///   the initial period (FOREST month 84), an extension needs that gate passed.
/// - period_months.pause_max → max_pause_months; not stated: no pause.
/// - evaluation.interim_at_month, final and stage_gates (at_month, outcomes).
///   A gate whose month is not stated has no date and is left out; "advance"
///   (JST-Mirai: on to the next program, a new adoption there) is recorded as
///   "continue" on this project.
/// - direct_cost_yen.yearly_max → max_annual_direct_yen, unless per_site (a
///   per-site cap the project plan cannot check); totals are checked by calls
///   at application.
/// - indirect_rate_percent → default_indirect_rate_percent (the catalog's
///   default, 30% (practice), when the program does not set one).
/// - The catalog states no rule against a PI moving institution, so support
///   follows a transfer everywhere (FOREST states it outright). Grades are the
///   JST scale S/A/B/C with C failing at a stage gate (terminate).

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "tane/calls/catalog.h"
#include "tane/projects/rules.h"

namespace tane::projects {

/// The longest period accepted when the catalog states no maximum (100 years).
inline constexpr int kNoStatedLimitMonths = 1200;

/// The rules of one program. INVALID_ARGUMENT (the program named) when the
/// result does not validate.
absl::StatusOr<ProgramRules> RulesFromProgram(const calls::ProgramRule& program);

/// Every program of the catalog, keyed by program id.
absl::StatusOr<std::map<std::string, ProgramRules>> RulesFromCatalog(const calls::Catalog& catalog);

}  // namespace tane::projects
