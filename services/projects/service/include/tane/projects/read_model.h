#pragma once
/// The projects service's secondary indexes (tane::store::ShardedIndex),
/// written by the same commit as the project, so they never lag it. Every
/// entry lives in the project's shard under "{projects:S}:<suffix>":
///
///   idx:all                         every project         "<project_id>|<project_id>"
///   idx:program:<program_id>        by program            "
///   idx:area:<research_area_id>     by research area      "
///   idx:state:<state>               by state (contracting, active, ...)
///   idx:fy:<fiscal year>            by fiscal year the research period touches
///   idx:pi:<pi_subject>             by the PI's gateway subject (applicant lists)
///   idx:report-due[:program:<p>|:area:<a>]
///       one entry per required report not yet submitted (reports.h):
///       "<due time sort key>|<project_id>/<fiscal year>/<ReportKind number>"
///   idx:eval-due[:program:<p>]
///       one entry per evaluation the schedule still expects (queries.h):
///       "<scheduled time sort key>|<project_id>/<EvaluationKind number>/<month>"
///
/// Project lists are in project_id order; the due indexes in time order, so
/// "overdue" and "upcoming" are a range from the start up to a time.

#include <compare>
#include <string>

#include <vector>

#include "absl/status/statusor.h"
#include "tane/projects/rules.h"
#include "tane/projects/v1/projects.pb.h"
#include "tane/store/aggregate_store.h"

namespace tane::projects {

inline constexpr char kProjectAggregate[] = "project";

struct IndexEntry {
  std::string key_suffix;
  std::string sort_key;
  std::string id;
  friend auto operator<=>(const IndexEntry&, const IndexEntry&) = default;
};

/// Every index entry of the project under `rules`, sorted.
std::vector<IndexEntry> IndexEntriesOf(const v1::Project& project, const ProgramRules& rules);

/// The commit ops taking the indexes from `before` (nullptr: a new project)
/// to `after`: removals of entries that went, additions of new ones.
std::vector<store::IndexOp> IndexChanges(const v1::Project* before, const v1::Project& after,
                                         const ProgramRules& rules);

std::string AllProjectsIndex();
std::string ProgramIndex(const std::string& program_id);
std::string AreaIndex(const std::string& research_area_id);
std::string StateIndex(v1::ProjectState state);
std::string FiscalYearIndex(int fiscal_year);
std::string PiIndex(const std::string& pi_subject);
/// Pass at most one of program and area ("" for none).
std::string ReportDueIndex(const std::string& program_id, const std::string& research_area_id);
std::string EvaluationDueIndex(const std::string& program_id);

/// The parts of a due-index id.
struct DueReportId {
  std::string project_id;
  int fiscal_year = 0;
  v1::ReportKind kind = v1::REPORT_KIND_UNSPECIFIED;
};
struct DueEvaluationId {
  std::string project_id;
  v1::EvaluationKind kind = v1::EVALUATION_KIND_UNSPECIFIED;
  int milestone_month = 0;
};
/// INTERNAL for an id this service did not write.
absl::StatusOr<DueReportId> ParseDueReportId(const std::string& id);
absl::StatusOr<DueEvaluationId> ParseDueEvaluationId(const std::string& id);

}  // namespace tane::projects
