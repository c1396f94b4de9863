#pragma once
/// Read-side queries over a set of projects (the service's read model): list
/// and filter, history, overdue reports, upcoming evaluations, output KPIs.
/// Page tokens are opaque to callers; page_size 0 means 50, at most 500.

#include <functional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tane/projects/rules.h"
#include "tane/projects/v1/projects.pb.h"

namespace tane::projects {

/// The rules of a program, or nullptr when unknown (defaults then apply: the
/// default report due days, a final evaluation, no other milestones).
using RulesLookup = std::function<const ProgramRules*(const std::string& program_id)>;

inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMaxPageSize = 500;

/// The project as GetProject returns it: history left out.
v1::Project ForView(const v1::Project& project);

/// Filters by program, area, fiscal year (research period overlaps it) and
/// state; ordered by project_id.
absl::StatusOr<v1::ListProjectsResponse> ListProjects(std::span<const v1::Project> projects,
                                                      const v1::ListProjectsRequest& request);

/// The project's history, oldest first.
absl::StatusOr<v1::GetProjectHistoryResponse> ProjectHistory(
    const v1::Project& project, const v1::GetProjectHistoryRequest& request);

/// Evaluations the schedule still expects from this project (not recorded
/// yet), with their dates: interim evaluations and stage gates at their month
/// after the start, shifted by the pauses taken before them (while the
/// project runs); the final evaluation at the end of the research period and
/// the follow-up that many months later.
std::vector<v1::UpcomingEvaluation> PendingEvaluations(const v1::Project& project,
                                                       const ProgramRules& rules);

/// Pending evaluations scheduled before now + within_days (default 90),
/// overdue ones included and flagged; ordered by date.
absl::StatusOr<v1::ListUpcomingEvaluationsResponse> ListUpcomingEvaluations(
    std::span<const v1::Project> projects, const v1::ListUpcomingEvaluationsRequest& request,
    const RulesLookup& rules, absl::Time now);

/// Overdue plans and progress reports (reports.h), oldest due first.
absl::StatusOr<v1::ListOverdueReportsResponse> ListOverdueReports(
    std::span<const v1::Project> projects, const v1::ListOverdueReportsRequest& request,
    const RulesLookup& rules, absl::Time now);

/// Output KPIs of one program from its progress reports (optionally one
/// fiscal year). Publications and datasets count once per DOI (else per
/// title) across the program; a publication is international when any report
/// of it says so.
absl::StatusOr<v1::CountOutputsResponse> CountOutputs(std::span<const v1::Project> projects,
                                                      const v1::CountOutputsRequest& request);

}  // namespace tane::projects
