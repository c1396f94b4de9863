#include "tane/projects/consumed_events.h"

#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "tane/core/time.h"
#include "tane/projects/time_util.h"

namespace tane::projects {
namespace {

v1::Member MemberOf(const calls::v1::Person& person, v1::MemberRole role) {
  v1::Member m;
  m.set_researcher_id(person.researcher_id());
  m.set_name(person.name_ja().empty() ? person.name_en() : person.name_ja());
  m.set_institution_id(person.institution_id());
  m.set_role(role);
  return m;
}

void AddInstitution(const calls::v1::Person& person, std::vector<v1::Institution>& out) {
  if (person.institution_id().empty()) return;
  for (const auto& inst : out) {
    if (inst.institution_id() == person.institution_id()) return;
  }
  v1::Institution inst;
  inst.set_institution_id(person.institution_id());
  inst.set_name(person.institution_name());
  out.push_back(std::move(inst));
}

}  // namespace

AdoptionDecision AdoptionOfApplication(const calls::v1::Application& application) {
  AdoptionDecision d;
  d.application_id = application.application_id();
  d.call_id = application.call_id();
  d.title_ja = application.title_ja();
  d.title_en = application.title_en();
  d.principal_investigator =
      MemberOf(application.principal_investigator(), v1::MEMBER_ROLE_PRINCIPAL_INVESTIGATOR);
  d.pi_subject = application.applicant_subject();
  AddInstitution(application.principal_investigator(), d.institutions);
  for (const auto& co : application.co_investigators()) {
    d.team.push_back(MemberOf(co.person(), v1::MEMBER_ROLE_CO_INVESTIGATOR));
    AddInstitution(co.person(), d.institutions);
  }
  d.months = application.research_period_months();

  // Calls' and projects' budget categories share their numbers.
  std::map<std::pair<int, int>, int64_t> lines;
  for (const auto& line : application.budget_plan()) {
    if (line.amount_yen() == 0) continue;
    lines[{line.fiscal_year(), static_cast<int>(line.category())}] += line.amount_yen();
  }
  for (const auto& [key, amount] : lines) {
    v1::BudgetLine line;
    line.set_fiscal_year(key.first);
    line.set_category(static_cast<v1::BudgetCategory>(key.second));
    line.set_amount_yen(amount);
    d.budget_plan.push_back(std::move(line));
  }
  const int64_t direct = application.total_direct_yen();
  const int64_t indirect = application.total_indirect_yen();
  if (direct > 0 && indirect > 0) {
    d.indirect_rate_percent = static_cast<int>((static_cast<__int128>(indirect) * 100 + direct / 2) / direct);
  }
  return d;
}

AdoptionDecision AdoptionFromProposal(const reviews::v1::ProposalDecided& decided) {
  AdoptionDecision d = AdoptionOfApplication(decided.application());
  d.source = AdoptionDecision::Source::kProposalDecided;
  d.decision_id = decided.decision_id();
  if (!decided.application_id().empty()) d.application_id = decided.application_id();
  if (!decided.call_id().empty()) d.call_id = decided.call_id();
  d.program_id = decided.program_id();
  d.research_area_id = decided.research_area_id();
  d.adopted = decided.adopted();
  d.joint_call = decided.joint_call();
  d.start_time = decided.has_research_start_time()
                     ? FromProto(decided.research_start_time())
                     : DefaultResearchStart(decided.application().start_fiscal_year(),
                                            FromProto(decided.decided_at()));
  return d;
}

absl::Time DefaultResearchStart(int start_fiscal_year, absl::Time decided_at) {
  const absl::Time fiscal_start = core::FiscalYear(start_fiscal_year).Start();
  if (fiscal_start >= decided_at) return fiscal_start;
  const absl::CivilMonth next = absl::ToCivilMonth(decided_at, core::TokyoTimeZone()) + 1;
  return absl::FromCivil(next, core::TokyoTimeZone());
}

AdoptionDecision AdoptionFromJointDecision(const international::v1::JointDecisionMade& joint,
                                           const reviews::v1::ProposalDecided* jst_side) {
  const auto& submission = joint.jst_submission();
  AdoptionDecision d = AdoptionOfApplication(submission.application());
  d.source = AdoptionDecision::Source::kJointDecisionMade;
  d.decision_id = joint.joint_decision_id();
  if (!joint.application_id().empty()) d.application_id = joint.application_id();
  if (!joint.call_id().empty()) d.call_id = joint.call_id();
  d.program_id = joint.program_id().empty() ? submission.program_id() : joint.program_id();
  d.research_area_id =
      joint.research_area_id().empty() ? submission.research_area_id() : joint.research_area_id();
  d.adopted = joint.adopted();
  d.joint_call = true;
  // The event carries the JST side's research start itself; the parked
  // ProposalDecided may not have arrived yet (another topic, no order).
  if (joint.has_research_start_time()) {
    d.start_time = FromProto(joint.research_start_time());
  } else if (jst_side != nullptr && jst_side->has_research_start_time()) {
    d.start_time = FromProto(jst_side->research_start_time());
  } else {
    d.start_time = DefaultResearchStart(submission.application().start_fiscal_year(),
                                        FromProto(joint.decided_at()));
  }
  return d;
}

AllocationRejection RejectionFromFunds(const funds::v1::AllocationRejected& rejected) {
  AllocationRejection r;
  if (rejected.fiscal_years_size() == 1) r.fiscal_year = rejected.fiscal_years(0).fiscal_year();
  r.reason = rejected.reason().empty() ? std::string("the program's budget cannot cover the plan")
                                       : rejected.reason();
  if (rejected.shortfall_yen() > 0) {
    absl::StrAppend(&r.reason, " (shortfall ¥", rejected.shortfall_yen(), " of ¥",
                    rejected.required_yen(), " required)");
  }
  return r;
}

}  // namespace tane::projects
