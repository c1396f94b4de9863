#include "tane/projects/queries.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "internal.h"
#include "tane/core/errors.h"
#include "tane/core/time.h"
#include "tane/projects/project.h"
#include "tane/projects/reports.h"
#include "tane/projects/time_util.h"

namespace tane::projects {

using core::FiscalYear;
using core::Violations;

namespace {

absl::StatusOr<int> PageSize(int32_t requested) {
  if (requested < 0) {
    Violations v;
    v.Add("page_size", "must not be negative");
    return v.ToStatus();
  }
  if (requested == 0) return kDefaultPageSize;
  return std::min<int>(requested, kMaxPageSize);
}

// Offset tokens for computed lists ("o" + offset).
absl::StatusOr<size_t> OffsetOf(const std::string& token) {
  if (token.empty()) return 0;
  size_t offset = 0;
  if (token.size() < 2 || token[0] != 'o' ||
      std::from_chars(token.data() + 1, token.data() + token.size(), offset).ec != std::errc()) {
    Violations v;
    v.Add("page_token", "is not a token this service issued");
    return v.ToStatus();
  }
  return offset;
}

template <typename T, typename Out>
absl::Status Page(const std::vector<T>& all, int32_t page_size, const std::string& token,
                  Out* items, std::string* next_token) {
  auto size = PageSize(page_size);
  if (!size.ok()) return size.status();
  auto offset = OffsetOf(token);
  if (!offset.ok()) return offset.status();
  const size_t end = std::min(all.size(), *offset + static_cast<size_t>(*size));
  for (size_t i = *offset; i < end; ++i) *items->Add() = all[i];
  if (end < all.size()) *next_token = absl::StrCat("o", end);
  return absl::OkStatus();
}

const ProgramRules& RulesFor(const RulesLookup& lookup, const std::string& program_id) {
  static const ProgramRules kDefaults;
  const ProgramRules* r = lookup ? lookup(program_id) : nullptr;
  return r != nullptr ? *r : kDefaults;
}

bool Overlaps(const v1::Project& p, int fiscal_year) {
  const auto years = FiscalYearsOf(p);
  return std::find(years.begin(), years.end(), fiscal_year) != years.end();
}

bool Recorded(const v1::Project& p, v1::EvaluationKind kind, int month) {
  for (const auto& e : p.evaluations()) {
    if (e.kind() == kind && e.milestone_month() == month) return true;
  }
  return false;
}

}  // namespace

v1::Project ForView(const v1::Project& project) {
  v1::Project view = project;
  view.clear_history();
  return view;
}

absl::StatusOr<v1::ListProjectsResponse> ListProjects(std::span<const v1::Project> projects,
                                                      const v1::ListProjectsRequest& request) {
  Violations v;
  if (!v1::ProjectState_IsValid(request.state())) v.Add("state", "unknown state");
  if (request.fiscal_year() < 0) v.Add("fiscal_year", "must not be negative");
  auto size = PageSize(request.page_size());
  if (!size.ok()) return size.status();
  if (!v.empty()) return v.ToStatus();
  std::vector<const v1::Project*> hits;
  for (const auto& p : projects) {
    if (!request.program_id().empty() && p.program_id() != request.program_id()) continue;
    if (!request.research_area_id().empty() && p.research_area_id() != request.research_area_id()) {
      continue;
    }
    if (request.state() != v1::PROJECT_STATE_UNSPECIFIED && p.state() != request.state()) continue;
    if (request.fiscal_year() != 0 && !Overlaps(p, request.fiscal_year())) continue;
    // Keyset paging: the token is the last project id returned.
    if (!request.page_token().empty() && p.project_id() <= request.page_token()) continue;
    hits.push_back(&p);
  }
  std::sort(hits.begin(), hits.end(),
            [](const auto* a, const auto* b) { return a->project_id() < b->project_id(); });
  v1::ListProjectsResponse out;
  for (size_t i = 0; i < hits.size() && i < static_cast<size_t>(*size); ++i) {
    *out.add_projects() = ForView(*hits[i]);
  }
  if (hits.size() > static_cast<size_t>(*size)) {
    out.set_next_page_token(out.projects(out.projects_size() - 1).project_id());
  }
  return out;
}

absl::StatusOr<v1::GetProjectHistoryResponse> ProjectHistory(
    const v1::Project& project, const v1::GetProjectHistoryRequest& request) {
  std::vector<v1::HistoryEntry> all(project.history().begin(), project.history().end());
  v1::GetProjectHistoryResponse out;
  if (auto s = Page(all, request.page_size(), request.page_token(), out.mutable_entries(),
                    out.mutable_next_page_token());
      !s.ok()) {
    return s;
  }
  return out;
}

std::vector<v1::UpcomingEvaluation> PendingEvaluations(const v1::Project& project,
                                                       const ProgramRules& rules) {
  std::vector<v1::UpcomingEvaluation> out;
  const auto state = project.state();
  if (state == v1::PROJECT_STATE_CONTRACTING || state == v1::PROJECT_STATE_UNSPECIFIED) return out;
  const absl::Time start = FromProto(project.research_period().start_time());
  const absl::Time end = FromProto(project.research_period().end_time());
  auto add = [&](v1::EvaluationKind kind, int month, absl::Time when) {
    if (Recorded(project, kind, month)) return;
    v1::UpcomingEvaluation u;
    u.set_project_id(project.project_id());
    u.set_program_id(project.program_id());
    u.set_kind(kind);
    u.set_milestone_month(month);
    *u.mutable_scheduled_time() = ToProto(when);
    out.push_back(std::move(u));
  };
  if (!IsTerminal(state)) {
    auto milestone_time = [&](int month) {
      absl::Time t = AddMonths(start, month);
      for (const auto& pause : project.pauses()) {
        if (FromProto(pause.start_time()) < t) t = AddMonths(t, pause.used_months());
      }
      return t;
    };
    for (int m : rules.interim_months) {
      const absl::Time t = milestone_time(m);
      if (t <= end) add(v1::EVALUATION_KIND_INTERIM, m, t);
    }
    for (const auto& g : rules.stage_gates) {
      const absl::Time t = milestone_time(g.month);
      if (t <= end) add(v1::EVALUATION_KIND_STAGE_GATE, g.month, t);
    }
  }
  if (rules.final_evaluation) add(v1::EVALUATION_KIND_FINAL, 0, end);
  if (rules.follow_up_after_months > 0) {
    add(v1::EVALUATION_KIND_FOLLOW_UP, 0, AddMonths(end, rules.follow_up_after_months));
  }
  return out;
}

absl::StatusOr<v1::ListUpcomingEvaluationsResponse> ListUpcomingEvaluations(
    std::span<const v1::Project> projects, const v1::ListUpcomingEvaluationsRequest& request,
    const RulesLookup& rules, absl::Time now) {
  if (request.within_days() < 0) {
    Violations v;
    v.Add("within_days", "must not be negative");
    return v.ToStatus();
  }
  const absl::Time horizon =
      now + absl::Hours(24) * (request.within_days() == 0 ? 90 : request.within_days());
  std::vector<v1::UpcomingEvaluation> all;
  for (const auto& p : projects) {
    if (!request.program_id().empty() && p.program_id() != request.program_id()) continue;
    for (auto& u : PendingEvaluations(p, RulesFor(rules, p.program_id()))) {
      const absl::Time when = FromProto(u.scheduled_time());
      if (when >= horizon) continue;
      u.set_overdue(when < now);
      all.push_back(std::move(u));
    }
  }
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
    const auto ta = FromProto(a.scheduled_time()), tb = FromProto(b.scheduled_time());
    if (ta != tb) return ta < tb;
    return a.project_id() < b.project_id();
  });
  v1::ListUpcomingEvaluationsResponse out;
  if (auto s = Page(all, request.page_size(), request.page_token(), out.mutable_evaluations(),
                    out.mutable_next_page_token());
      !s.ok()) {
    return s;
  }
  return out;
}

absl::StatusOr<v1::ListOverdueReportsResponse> ListOverdueReports(
    std::span<const v1::Project> projects, const v1::ListOverdueReportsRequest& request,
    const RulesLookup& rules, absl::Time now) {
  std::vector<v1::OverdueReport> all;
  for (const auto& p : projects) {
    if (!request.program_id().empty() && p.program_id() != request.program_id()) continue;
    if (!request.research_area_id().empty() && p.research_area_id() != request.research_area_id()) {
      continue;
    }
    for (auto& o : OverdueReports(p, RulesFor(rules, p.program_id()), now))
      all.push_back(std::move(o));
  }
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
    const auto ta = FromProto(a.due_time()), tb = FromProto(b.due_time());
    if (ta != tb) return ta < tb;
    if (a.project_id() != b.project_id()) return a.project_id() < b.project_id();
    return a.kind() < b.kind();
  });
  v1::ListOverdueReportsResponse out;
  if (auto s = Page(all, request.page_size(), request.page_token(), out.mutable_reports(),
                    out.mutable_next_page_token());
      !s.ok()) {
    return s;
  }
  return out;
}

absl::StatusOr<v1::CountOutputsResponse> CountOutputs(std::span<const v1::Project> projects,
                                                      const v1::CountOutputsRequest& request) {
  Violations v;
  if (request.program_id().empty()) v.Add("program_id", "is required");
  if (request.fiscal_year() < 0) v.Add("fiscal_year", "must not be negative");
  if (!v.empty()) return v.ToStatus();
  v1::CountOutputsResponse out;
  out.set_program_id(request.program_id());
  out.set_fiscal_year(request.fiscal_year());
  std::map<std::string, bool> publications;  // key → internationally co-authored
  std::set<std::string> datasets;
  for (const auto& p : projects) {
    if (p.program_id() != request.program_id()) continue;
    if (request.fiscal_year() != 0 && !Overlaps(p, request.fiscal_year())) continue;
    if (p.state() == v1::PROJECT_STATE_CONTRACTING) continue;
    out.set_projects(out.projects() + 1);
    bool reporting = false;
    for (const auto& r : p.reports()) {
      if (r.kind() != v1::REPORT_KIND_PROGRESS_REPORT) continue;
      if (request.fiscal_year() != 0 && r.fiscal_year() != request.fiscal_year()) continue;
      reporting = true;
      for (const auto& o : r.outputs()) {
        const std::string key =
            o.doi().empty() ? absl::StrCat("title:", o.title()) : absl::AsciiStrToLower(o.doi());
        switch (o.kind()) {
          case v1::OUTPUT_KIND_PUBLICATION:
            publications[key] = publications[key] || o.international_coauthorship();
            break;
          case v1::OUTPUT_KIND_DATASET:
            datasets.insert(key);
            break;
          case v1::OUTPUT_KIND_PATENT:
            out.set_patents(out.patents() + 1);
            break;
          case v1::OUTPUT_KIND_AWARD:
            out.set_awards(out.awards() + 1);
            break;
          case v1::OUTPUT_KIND_TALK:
            out.set_talks(out.talks() + 1);
            break;
          default:
            break;
        }
      }
    }
    if (reporting) out.set_projects_reporting(out.projects_reporting() + 1);
  }
  out.set_publications(static_cast<int32_t>(publications.size()));
  int international = 0;
  for (const auto& [key, intl] : publications) international += intl ? 1 : 0;
  out.set_internationally_coauthored_publications(international);
  out.set_datasets(static_cast<int32_t>(datasets.size()));
  return out;
}

}  // namespace tane::projects
