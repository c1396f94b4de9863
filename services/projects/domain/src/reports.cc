#include "tane/projects/reports.h"

#include <algorithm>
#include <regex>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "internal.h"
#include "tane/core/time.h"
#include "tane/projects/project.h"
#include "tane/projects/time_util.h"

namespace tane::projects {

using core::FiscalYear;
using core::Violations;
using namespace internal;  // NOLINT

namespace {

std::string ReportName(v1::ReportKind kind, int fy) {
  return absl::StrCat(kind == v1::REPORT_KIND_ANNUAL_PLAN ? "annual plan" : "progress report",
                      " for FY", fy);
}

// "10." + registrant code + "/" + a suffix without spaces (DOI Handbook 2.2).
bool IsDoi(const std::string& doi) {
  static const std::regex kDoi(R"(^10\.[0-9]{4,9}(\.[0-9]+)*/\S+$)");
  return std::regex_match(doi, kDoi);
}

const v1::Report* FindReport(const v1::Project& project, int fy, v1::ReportKind kind) {
  for (const auto& r : project.reports()) {
    if (r.fiscal_year() == fy && r.kind() == kind) return &r;
  }
  return nullptr;
}

}  // namespace

absl::Time RegularReportDeadline(const ReportDuePolicy& policy, int fiscal_year,
                                 v1::ReportKind kind) {
  if (kind == v1::REPORT_KIND_ANNUAL_PLAN) {
    const int year = policy.plan_month >= 4 ? fiscal_year : fiscal_year + 1;
    return DeadlineOfJstDay(year, policy.plan_month, policy.plan_day);
  }
  return DeadlineOfJstDay(fiscal_year + 1, policy.progress_month, policy.progress_day);
}

absl::Time ReportDeadline(const v1::Project& project, const ReportDuePolicy& policy,
                          int fiscal_year, v1::ReportKind kind) {
  absl::Time due = RegularReportDeadline(policy, fiscal_year, kind);
  const absl::Time start = FromProto(project.research_period().start_time());
  if (kind == v1::REPORT_KIND_ANNUAL_PLAN && FiscalYear::Containing(start).year() == fiscal_year) {
    const absl::CivilDay start_day =
        absl::ToCivilDay(start, core::TokyoTimeZone()) + policy.first_plan_grace_days;
    due = std::max(due, DeadlineOfJstDay(static_cast<int>(start_day.year()), start_day.month(),
                                         start_day.day()));
  }
  return due;
}

std::vector<RequiredReport> RequiredReports(const v1::Project& project, const ProgramRules& rules) {
  std::vector<RequiredReport> out;
  if (!project.has_activated_at()) return out;
  for (int fy : FiscalYearsOf(project)) {
    for (auto kind : {v1::REPORT_KIND_ANNUAL_PLAN, v1::REPORT_KIND_PROGRESS_REPORT}) {
      RequiredReport r;
      r.fiscal_year = fy;
      r.kind = kind;
      r.due_time = ReportDeadline(project, rules.reports, fy, kind);
      r.due_date = JstDate(r.due_time - absl::Seconds(1));
      out.push_back(std::move(r));
    }
  }
  return out;
}

std::vector<v1::OverdueReport> OverdueReports(const v1::Project& project, const ProgramRules& rules,
                                              absl::Time now) {
  std::vector<v1::OverdueReport> out;
  for (const auto& r : RequiredReports(project, rules)) {
    if (now < r.due_time || FindReport(project, r.fiscal_year, r.kind) != nullptr) continue;
    v1::OverdueReport o;
    o.set_project_id(project.project_id());
    o.set_program_id(project.program_id());
    o.set_research_area_id(project.research_area_id());
    o.set_fiscal_year(r.fiscal_year);
    o.set_kind(r.kind);
    o.set_due_date(r.due_date);
    *o.mutable_due_time() = ToProto(r.due_time);
    // The first day after the due day counts as one day overdue.
    o.set_days_overdue(static_cast<int32_t>((now - r.due_time) / absl::Hours(24)) + 1);
    out.push_back(std::move(o));
  }
  return out;
}

absl::StatusOr<Transition> SubmitReport(const v1::Project& project,
                                        const v1::SubmitReportRequest& request,
                                        const Context& ctx) {
  if (auto s = CheckCommand(project, request.project_id(), request.expected_version(), ctx);
      !s.ok()) {
    return s;
  }
  const auto kind = request.kind();
  const bool plan = kind == v1::REPORT_KIND_ANNUAL_PLAN;
  const std::vector<int> years = FiscalYearsOf(project);
  Violations v;
  if (kind == v1::REPORT_KIND_UNSPECIFIED || !v1::ReportKind_IsValid(kind)) {
    v.Add("kind", "is required (ANNUAL_PLAN or PROGRESS_REPORT)");
  }
  if (std::find(years.begin(), years.end(), request.fiscal_year()) == years.end()) {
    v.Add("fiscal_year", years.empty() ? std::string("the research period is empty")
                                       : absl::StrCat("FY", request.fiscal_year(),
                                                      " is outside the research period (FY",
                                                      years.front(), "–FY", years.back(), ")"));
  }
  if (request.summary().empty()) v.Add("summary", "is required");
  if (plan && !request.outputs().empty()) {
    v.Add("outputs", "outputs belong in the progress report, not the plan");
  }
  for (int i = 0; i < request.outputs_size(); ++i) {
    const auto& o = request.outputs(i);
    const std::string f = absl::StrCat("outputs[", i, "]");
    if (o.kind() == v1::OUTPUT_KIND_UNSPECIFIED || !v1::OutputKind_IsValid(o.kind())) {
      v.Add(f + ".kind", "is required");
    }
    if (o.title().empty()) v.Add(f + ".title", "is required");
    if (!o.doi().empty() && !IsDoi(o.doi())) {
      v.Add(f + ".doi", "must look like 10.1234/abc (no \"https://doi.org/\" prefix)");
    }
  }
  if (!v.empty()) return v.ToStatus();

  const int current = FiscalYear::Containing(ctx.now).year();
  if (plan) {
    if (auto s = RequireState(project, "submit an annual plan",
                              {v1::PROJECT_STATE_CONTRACTING, v1::PROJECT_STATE_ACTIVE,
                               v1::PROJECT_STATE_SUSPENDED, v1::PROJECT_STATE_PAUSED});
        !s.ok()) {
      return s;
    }
    if (request.fiscal_year() > current + 1) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot submit the plan for FY", request.fiscal_year(),
                       " yet: plans are accepted for the current and the next fiscal year"));
    }
  } else {
    if (auto s = RequireState(
            project, "submit a progress report",
            {v1::PROJECT_STATE_ACTIVE, v1::PROJECT_STATE_SUSPENDED, v1::PROJECT_STATE_PAUSED,
             v1::PROJECT_STATE_COMPLETED, v1::PROJECT_STATE_TERMINATED});
        !s.ok()) {
      return s;
    }
    if (request.fiscal_year() > current) {
      return absl::FailedPreconditionError(absl::StrCat(
          "cannot report progress for FY", request.fiscal_year(), " before it starts"));
    }
  }

  v1::Project next = project;
  v1::Report* report = nullptr;
  for (auto& r : *next.mutable_reports()) {
    if (r.fiscal_year() == request.fiscal_year() && r.kind() == kind) report = &r;
  }
  const bool revision = report != nullptr;
  if (!revision) {
    report = next.add_reports();
    report->set_fiscal_year(request.fiscal_year());
    report->set_kind(kind);
    const absl::Time due = ReportDeadline(project, ctx.rules.reports, request.fiscal_year(), kind);
    *report->mutable_due_time() = ToProto(due);
    *report->mutable_first_submitted_at() = ToProto(ctx.now);
    report->set_late(ctx.now >= due);
  }
  report->set_revision(report->revision() + 1);
  report->set_summary(request.summary());
  *report->mutable_outputs() = request.outputs();
  *report->mutable_submitted_at() = ToProto(ctx.now);
  *report->mutable_submitted_by() = ctx.actor;

  std::string what =
      absl::StrCat(revision ? "revised " : "submitted ", ReportName(kind, request.fiscal_year()));
  if (revision) absl::StrAppend(&what, " (revision ", report->revision(), ")");
  if (report->late()) {
    absl::StrAppend(&what, ", late (due ",
                    JstDate(FromProto(report->due_time()) - absl::Seconds(1)), ")");
  }
  if (!plan) absl::StrAppend(&what, "; ", request.outputs_size(), " outputs");

  v1::ProgressReported e;
  e.set_project_id(next.project_id());
  e.set_program_id(next.program_id());
  e.set_research_area_id(next.research_area_id());
  e.set_fiscal_year(request.fiscal_year());
  e.set_kind(kind);
  e.set_late(report->late());
  e.set_revision(report->revision());
  *e.mutable_outputs() = request.outputs();
  return Commit(std::move(next), ctx, revision ? "report_revised" : "report_submitted", what,
                {std::move(e)});
}

}  // namespace tane::projects
