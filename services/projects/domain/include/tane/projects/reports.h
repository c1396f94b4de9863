#pragma once
/// Annual plans and progress reports: which are required, when each is due,
/// which are overdue. Due days follow the program's ReportDuePolicy (rules.h).

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "tane/projects/rules.h"
#include "tane/projects/v1/projects.pb.h"

namespace tane::projects {

struct RequiredReport {
  int fiscal_year = 0;
  v1::ReportKind kind = v1::REPORT_KIND_UNSPECIFIED;
  /// The due day in JST, "YYYY-MM-DD".
  std::string due_date;
  /// First instant after the due day: on time strictly before it.
  absl::Time due_time;
};

/// The regular deadline of a fiscal year's report (no first-year grace).
absl::Time RegularReportDeadline(const ReportDuePolicy& policy, int fiscal_year,
                                 v1::ReportKind kind);

/// The deadline of one report of this project (first-year plan grace applied).
absl::Time ReportDeadline(const v1::Project& project, const ReportDuePolicy& policy,
                          int fiscal_year, v1::ReportKind kind);

/// Every plan and progress report the project owes: one of each per fiscal
/// year its research period touches, from its first activation on (a project
/// that never became active owes none). A termination cuts the period, so
/// fiscal years after it owe nothing.
std::vector<RequiredReport> RequiredReports(const v1::Project& project, const ProgramRules& rules);

/// Required reports not submitted by `now` with now >= due_time.
std::vector<v1::OverdueReport> OverdueReports(const v1::Project& project, const ProgramRules& rules,
                                              absl::Time now);

}  // namespace tane::projects
