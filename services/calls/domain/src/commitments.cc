#include "tane/calls/commitments.h"

#include <set>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "tane/calls/text.h"

namespace tane::calls {
namespace {

struct Member {
  std::string field;  // where this person's effort lives in the application
  std::string researcher_id;
  int effort_percent;
};

std::vector<Member> MembersOf(const v1::Application& a) {
  std::vector<Member> members;
  if (!a.principal_investigator().researcher_id().empty()) {
    members.push_back(
        {"pi_effort_percent", a.principal_investigator().researcher_id(), a.pi_effort_percent()});
  }
  for (int i = 0; i < a.co_investigators_size(); ++i) {
    const auto& co = a.co_investigators(i);
    if (co.person().researcher_id().empty()) continue;
    members.push_back({absl::StrCat("co_investigators[", i, "].effort_percent"),
                       co.person().researcher_id(), co.effort_percent()});
  }
  return members;
}

}  // namespace

ResearcherCommitments InMemoryCommitments::CommitmentsOf(std::string_view researcher_id) const {
  auto it = by_researcher_.find(researcher_id);
  return it == by_researcher_.end() ? ResearcherCommitments{} : it->second;
}

PendingApplication AsPending(const v1::Application& application, std::string_view researcher_id,
                             bool call_open) {
  PendingApplication p;
  p.application_id = application.application_id();
  p.call_id = application.call_id();
  p.title_ja_hash = MatchingHash(application.title_ja());
  p.title_en_hash = MatchingHash(application.title_en());
  p.abstract_hash = MatchingHash(application.abstract());
  p.call_open = call_open;
  for (const Member& m : MembersOf(application)) {
    if (m.researcher_id == researcher_id) p.effort_percent += m.effort_percent;
  }
  return p;
}

void CollectEffortViolations(const v1::Application& application, const CommitmentsView& view,
                             core::Violations& out) {
  for (const Member& m : MembersOf(application)) {
    const ResearcherCommitments c = view.CommitmentsOf(m.researcher_id);
    int projects = 0;
    for (const auto& p : c.active_projects) projects += p.effort_percent;
    int pending = 0;
    for (const auto& p : c.pending_applications) {
      if (p.application_id != application.application_id()) pending += p.effort_percent;
    }
    const int total = projects + pending + m.effort_percent;
    if (total > 100) {
      out.Add(m.field,
              absl::StrCat("researcher ", m.researcher_id, " would be committed ", total,
                           "% (active projects ", projects, "%, other pending applications ",
                           pending, "%, this application ", m.effort_percent,
                           "%); total effort may not exceed 100%"));
    }
  }
}

std::vector<v1::DuplicateFinding> FindDuplicates(const v1::Application& application,
                                                 const CommitmentsView& view) {
  const std::string title_ja = MatchingHash(application.title_ja());
  const std::string title_en = MatchingHash(application.title_en());
  const std::string abstract = MatchingHash(application.abstract());
  std::vector<v1::DuplicateFinding> findings;
  std::set<std::tuple<std::string, std::string, int>> seen;
  auto add = [&](const std::string& researcher, const PendingApplication& other,
                 v1::DuplicateReason reason) {
    if (!seen.insert({researcher, other.application_id, reason}).second) return;
    v1::DuplicateFinding f;
    f.set_researcher_id(researcher);
    f.set_other_application_id(other.application_id);
    f.set_other_call_id(other.call_id);
    f.set_reason(reason);
    findings.push_back(std::move(f));
  };
  auto same = [](const std::string& a, const std::string& b) { return !a.empty() && a == b; };
  for (const Member& m : MembersOf(application)) {
    const ResearcherCommitments c = view.CommitmentsOf(m.researcher_id);
    for (const auto& other : c.pending_applications) {
      if (!other.call_open || other.application_id == application.application_id()) continue;
      if (same(title_ja, other.title_ja_hash) || same(title_en, other.title_en_hash) ||
          same(title_ja, other.title_en_hash) || same(title_en, other.title_ja_hash)) {
        add(m.researcher_id, other, v1::DUPLICATE_REASON_SAME_TITLE);
      }
      if (same(abstract, other.abstract_hash)) {
        add(m.researcher_id, other, v1::DUPLICATE_REASON_SAME_ABSTRACT);
      }
    }
  }
  return findings;
}

SubmitCheck CheckForSubmit(const v1::Application& application, const v1::Call& call,
                           const ProgramRule& program, const CommitmentsView& view,
                           absl::Time now) {
  SubmitCheck check = CheckForSubmit(application, call, program, now);
  CollectEffortViolations(application, view, check.violations);
  check.duplicates = FindDuplicates(application, view);
  return check;
}

absl::StatusOr<SubmitOutcome> SubmitApplication(const v1::Application& current,
                                                const v1::Call& call, const ProgramRule& program,
                                                const CommitmentsView& view, absl::Time now) {
  if (!IsSubmittable(current.state())) {
    return SubmitApplication(current, call, program, now).status();  // the state error
  }
  SubmitCheck check = CheckForSubmit(current, call, program, view, now);
  if (absl::Status s = check.ToStatus(); !s.ok()) return s;
  auto submitted = SubmitApplication(current, call, program, now);
  if (!submitted.ok()) return submitted.status();
  return SubmitOutcome{std::move(*submitted), std::move(check.duplicates)};
}

}  // namespace tane::calls
