#include <set>

#include "absl/strings/str_cat.h"
#include "internal.h"
#include "tane/core/ids.h"
#include "tane/projects/project.h"
#include "tane/projects/time_util.h"

namespace tane::projects {

using core::Violations;
using namespace internal;  // NOLINT

namespace {

void ValidateMember(const v1::Member& m, const std::string& field, Violations& v) {
  if (!core::IsEradResearcherNumber(m.researcher_id())) {
    v.Add(field + ".researcher_id", "must be an e-Rad researcher number (8 digits)");
  }
  if (m.name().empty()) v.Add(field + ".name", "is required");
  if (m.institution_id().empty()) v.Add(field + ".institution_id", "is required");
}

}  // namespace

absl::StatusOr<Transition> NewProjectFromAdoption(const AdoptionDecision& d,
                                                  const ProgramRules& rules, absl::Time now) {
  if (auto s = rules.Validate(); !s.ok()) return s;
  if (!d.adopted) {
    return absl::FailedPreconditionError(
        absl::StrCat("decision ", d.decision_id, " is not an adoption; no project is created"));
  }
  if (d.joint_call && d.source == AdoptionDecision::Source::kProposalDecided) {
    return absl::FailedPreconditionError(
        absl::StrCat("application ", d.application_id,
                     " is in a joint call: it becomes a project when JointDecisionMade adopts it"));
  }

  Violations v;
  if (d.decision_id.empty()) v.Add("decision_id", "is required");
  if (d.application_id.empty()) v.Add("application_id", "is required");
  if (d.call_id.empty()) v.Add("call_id", "is required");
  if (d.program_id.empty()) {
    v.Add("program_id", "is required");
  } else if (!rules.program_id.empty() && rules.program_id != d.program_id) {
    v.Add("program_id", absl::StrCat("the rules given are those of ", rules.program_id));
  }
  if (d.title_ja.empty() && d.title_en.empty()) v.Add("title_ja", "a title is required");
  ValidateMember(d.principal_investigator, "principal_investigator", v);
  std::set<std::string> researchers{d.principal_investigator.researcher_id()};
  for (size_t i = 0; i < d.team.size(); ++i) {
    const std::string field = absl::StrCat("team[", i, "]");
    ValidateMember(d.team[i], field, v);
    if (d.team[i].role() == v1::MEMBER_ROLE_PRINCIPAL_INVESTIGATOR) {
      v.Add(field + ".role", "the principal investigator is given separately");
    }
    if (!researchers.insert(d.team[i].researcher_id()).second) {
      v.Add(field + ".researcher_id", "appears twice in the team");
    }
  }
  if (d.start_time == absl::InfinitePast() || d.start_time == absl::InfiniteFuture()) {
    v.Add("start_time", "is required");
  }
  if (d.months < rules.min_period_months || d.months > rules.max_period_months) {
    v.Add("months", absl::StrCat(rules.name, " research periods run ", rules.min_period_months,
                                 " to ", rules.max_period_months, " months, not ", d.months));
  }
  if (d.indirect_rate_percent < 0 || d.indirect_rate_percent > 100) {
    v.Add("indirect_rate_percent", "must be 0..100");
  }

  v1::Project p;
  p.set_project_id(ProjectIdForDecision(d.decision_id));
  p.set_application_id(d.application_id);
  p.set_call_id(d.call_id);
  p.set_decision_id(d.decision_id);
  p.set_joint_call(d.joint_call);
  p.set_program_id(d.program_id);
  p.set_research_area_id(d.research_area_id);
  p.set_title_ja(d.title_ja);
  p.set_title_en(d.title_en);
  p.set_pi_subject(d.pi_subject);
  auto* period = p.mutable_research_period();
  if (v.empty()) {
    *period->mutable_start_time() = ToProto(d.start_time);
    period->set_months(d.months);
    period->set_initial_months(d.months);
    RecomputeEnd(p);
  }
  for (const auto& line : d.budget_plan) *p.add_budget_plan() = line;
  if (period->has_start_time()) {
    ValidateBudgetLines(p.budget_plan(), FiscalYearsOf(p), "budget_plan", false, v);
  }
  if (!v.empty())
    return v.ToStatus(absl::StrCat("cannot create a project from decision ", d.decision_id));
  SortPlan(p);

  *p.mutable_principal_investigator() = d.principal_investigator;
  p.mutable_principal_investigator()->set_role(v1::MEMBER_ROLE_PRINCIPAL_INVESTIGATOR);
  if (!d.principal_investigator.has_effective_from()) {
    *p.mutable_principal_investigator()->mutable_effective_from() = ToProto(d.start_time);
  }
  for (const auto& m : d.team) {
    auto* added = p.add_members();
    *added = m;
    if (added->role() == v1::MEMBER_ROLE_UNSPECIFIED) {
      added->set_role(v1::MEMBER_ROLE_CO_INVESTIGATOR);
    }
    if (!added->has_effective_from()) *added->mutable_effective_from() = ToProto(d.start_time);
  }
  for (const auto& inst : d.institutions) {
    if (FindInstitution(p, inst.institution_id()) != nullptr) continue;
    auto* added = p.add_institutions();
    added->set_institution_id(inst.institution_id());
    added->set_name(inst.name());
  }
  for (const auto& id : ParticipatingInstitutions(p, d.start_time)) {
    if (FindInstitution(p, id) == nullptr) p.add_institutions()->set_institution_id(id);
  }
  p.set_state(v1::PROJECT_STATE_CONTRACTING);
  p.set_indirect_rate_percent(d.indirect_rate_percent > 0 ? d.indirect_rate_percent
                                                          : rules.default_indirect_rate_percent);
  if (auto s = CheckAnnualCaps(p, rules); !s.ok()) return s;
  *p.mutable_created_at() = ToProto(now);
  *p.mutable_updated_at() = ToProto(now);
  p.set_version(1);

  const bool joint = d.source == AdoptionDecision::Source::kJointDecisionMade;
  auto* entry = p.add_history();
  entry->set_version(1);
  *entry->mutable_time() = ToProto(now);
  entry->mutable_actor()->set_role("system");
  entry->mutable_actor()->set_subject(joint ? "international" : "reviews");
  entry->set_action("created");
  entry->set_description(absl::StrCat(
      "created from ", joint ? "JointDecisionMade " : "ProposalDecided ", d.decision_id,
      " (application ", d.application_id, "); ", d.months, " months from ", JstDate(d.start_time),
      ", direct costs ", FormatYen(PlanTotal(p)), "; awaiting contracts"));

  v1::ProjectStarted e;
  e.set_project_id(p.project_id());
  e.set_application_id(p.application_id());
  e.set_call_id(p.call_id());
  e.set_decision_id(p.decision_id());
  e.set_program_id(p.program_id());
  e.set_research_area_id(p.research_area_id());
  e.set_title_ja(p.title_ja());
  e.set_title_en(p.title_en());
  *e.mutable_principal_investigator() = p.principal_investigator();
  *e.mutable_members() = p.members();
  *e.mutable_institutions() = p.institutions();
  *e.mutable_research_period() = p.research_period();
  *e.mutable_budget_plan() = p.budget_plan();
  e.set_indirect_rate_percent(p.indirect_rate_percent());
  e.set_pi_subject(p.pi_subject());
  return Transition{std::move(p), {std::move(e)}};
}

}  // namespace tane::projects
