#include "tane/projects/read_model.h"

#include <algorithm>
#include <charconv>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tane/projects/project.h"
#include "tane/projects/queries.h"
#include "tane/projects/reports.h"
#include "tane/projects/time_util.h"
#include "tane/store/sharded_index.h"

namespace tane::projects {
namespace {

bool Submitted(const v1::Project& project, int fiscal_year, v1::ReportKind kind) {
  return std::any_of(project.reports().begin(), project.reports().end(), [&](const v1::Report& r) {
    return r.fiscal_year() == fiscal_year && r.kind() == kind;
  });
}

bool ParseInt(const std::string& text, int* out) {
  return !text.empty() && std::from_chars(text.data(), text.data() + text.size(), *out).ec == std::errc();
}

}  // namespace

std::string AllProjectsIndex() { return "idx:all"; }
std::string ProgramIndex(const std::string& program_id) { return absl::StrCat("idx:program:", program_id); }
std::string AreaIndex(const std::string& research_area_id) { return absl::StrCat("idx:area:", research_area_id); }
std::string StateIndex(v1::ProjectState state) { return absl::StrCat("idx:state:", StateName(state)); }
std::string FiscalYearIndex(int fiscal_year) { return absl::StrCat("idx:fy:", fiscal_year); }
std::string PiIndex(const std::string& pi_subject) { return absl::StrCat("idx:pi:", pi_subject); }

std::string ReportDueIndex(const std::string& program_id, const std::string& research_area_id) {
  if (!research_area_id.empty()) return absl::StrCat("idx:report-due:area:", research_area_id);
  if (!program_id.empty()) return absl::StrCat("idx:report-due:program:", program_id);
  return "idx:report-due";
}

std::string EvaluationDueIndex(const std::string& program_id) {
  return program_id.empty() ? std::string("idx:eval-due") : absl::StrCat("idx:eval-due:program:", program_id);
}

std::vector<IndexEntry> IndexEntriesOf(const v1::Project& p, const ProgramRules& rules) {
  std::vector<IndexEntry> out;
  const std::string& id = p.project_id();
  auto by_id = [&](std::string suffix) { out.push_back({std::move(suffix), id, id}); };
  by_id(AllProjectsIndex());
  by_id(ProgramIndex(p.program_id()));
  if (!p.research_area_id().empty()) by_id(AreaIndex(p.research_area_id()));
  by_id(StateIndex(p.state()));
  for (int fy : FiscalYearsOf(p)) by_id(FiscalYearIndex(fy));
  if (!p.pi_subject().empty()) by_id(PiIndex(p.pi_subject()));

  for (const RequiredReport& r : RequiredReports(p, rules)) {
    if (Submitted(p, r.fiscal_year, r.kind)) continue;
    const std::string sort_key = store::SortKeyOfTime(r.due_time);
    const std::string due_id = absl::StrCat(id, "/", r.fiscal_year, "/", static_cast<int>(r.kind));
    out.push_back({ReportDueIndex("", ""), sort_key, due_id});
    out.push_back({ReportDueIndex(p.program_id(), ""), sort_key, due_id});
    if (!p.research_area_id().empty()) {
      out.push_back({ReportDueIndex("", p.research_area_id()), sort_key, due_id});
    }
  }
  for (const v1::UpcomingEvaluation& e : PendingEvaluations(p, rules)) {
    const std::string sort_key = store::SortKeyOfTime(FromProto(e.scheduled_time()));
    const std::string due_id = absl::StrCat(id, "/", static_cast<int>(e.kind()), "/", e.milestone_month());
    out.push_back({EvaluationDueIndex(""), sort_key, due_id});
    out.push_back({EvaluationDueIndex(p.program_id()), sort_key, due_id});
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<store::IndexOp> IndexChanges(const v1::Project* before, const v1::Project& after,
                                         const ProgramRules& rules) {
  const std::vector<IndexEntry> old_entries =
      before == nullptr ? std::vector<IndexEntry>{} : IndexEntriesOf(*before, rules);
  const std::vector<IndexEntry> new_entries = IndexEntriesOf(after, rules);
  std::vector<IndexEntry> gone, added;
  std::set_difference(old_entries.begin(), old_entries.end(), new_entries.begin(), new_entries.end(),
                      std::back_inserter(gone));
  std::set_difference(new_entries.begin(), new_entries.end(), old_entries.begin(), old_entries.end(),
                      std::back_inserter(added));
  std::vector<store::IndexOp> ops;
  ops.reserve(gone.size() + added.size());
  for (const auto& e : gone) ops.push_back(store::IndexRemove(e.key_suffix, e.sort_key, e.id));
  for (const auto& e : added) ops.push_back(store::IndexAdd(e.key_suffix, e.sort_key, e.id));
  return ops;
}

absl::StatusOr<DueReportId> ParseDueReportId(const std::string& id) {
  std::vector<std::string> parts = absl::StrSplit(id, '/');
  DueReportId out;
  int kind = 0;
  if (parts.size() != 3 || parts[0].empty() || !ParseInt(parts[1], &out.fiscal_year) || !ParseInt(parts[2], &kind) ||
      !v1::ReportKind_IsValid(kind)) {
    return absl::InternalError(absl::StrCat("malformed report-due index entry ", id));
  }
  out.project_id = parts[0];
  out.kind = static_cast<v1::ReportKind>(kind);
  return out;
}

absl::StatusOr<DueEvaluationId> ParseDueEvaluationId(const std::string& id) {
  std::vector<std::string> parts = absl::StrSplit(id, '/');
  DueEvaluationId out;
  int kind = 0;
  if (parts.size() != 3 || parts[0].empty() || !ParseInt(parts[1], &kind) || !v1::EvaluationKind_IsValid(kind) ||
      !ParseInt(parts[2], &out.milestone_month)) {
    return absl::InternalError(absl::StrCat("malformed evaluation-due index entry ", id));
  }
  out.project_id = parts[0];
  out.kind = static_cast<v1::EvaluationKind>(kind);
  return out;
}

}  // namespace tane::projects
