#include "test_support.h"

#include "tane/projects/time_util.h"

namespace tane::projects::testing {

absl::Time Jst(int y, int m, int d, int hh, int mm, int ss) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hh, mm, ss), core::TokyoTimeZone());
}

namespace {
common::v1::Actor MakeActor(const std::string& role, const std::string& subject) {
  common::v1::Actor a;
  a.set_role(role);
  a.set_subject(subject);
  return a;
}
}  // namespace

common::v1::Actor Officer() { return MakeActor("program_officer", "po-1"); }
common::v1::Actor Operator() { return MakeActor("operator", "op-1"); }
common::v1::Actor PiActor() { return MakeActor("applicant", kPi); }
common::v1::Actor FundsActor() { return MakeActor("system", "funds"); }

AdoptionDecision ForestDecision(const std::string& decision_id) {
  AdoptionDecision d;
  d.source = AdoptionDecision::Source::kProposalDecided;
  d.decision_id = decision_id;
  d.application_id = "app-" + decision_id;
  d.call_id = "forest-2021";
  d.program_id = "forest";
  d.research_area_id = "forest-pan";
  d.title_ja = "創発的研究課題";
  d.title_en = "An emergent research project";
  d.principal_investigator.set_researcher_id(kPi);
  d.principal_investigator.set_name("Researcher A");
  d.principal_investigator.set_institution_id(kUnivA);
  d.pi_subject = "user-researcher-a";
  v1::Institution inst;
  inst.set_institution_id(kUnivA);
  inst.set_name("University A");
  d.institutions.push_back(inst);
  d.start_time = Jst(2021, 10, 1);
  d.months = 84;
  for (int fy = 2021; fy <= 2028; ++fy) {
    v1::BudgetLine equipment;
    equipment.set_fiscal_year(fy);
    equipment.set_category(v1::BUDGET_CATEGORY_EQUIPMENT);
    equipment.set_amount_yen(5'000'000);
    d.budget_plan.push_back(equipment);
    v1::BudgetLine personnel = equipment;
    personnel.set_category(v1::BUDGET_CATEGORY_PERSONNEL);
    personnel.set_amount_yen(2'000'000);
    d.budget_plan.push_back(personnel);
  }
  return d;
}

void Harness::Create(const AdoptionDecision& decision, absl::Time now) {
  auto t = Ok(NewProjectFromAdoption(decision, rules_, now));
  project_ = std::move(t.project);
  for (auto& e : t.events) events_.push_back(std::move(e));
}

void Harness::CreateActive(const AdoptionDecision& decision) {
  const absl::Time start = decision.start_time;
  Create(decision, start - absl::Hours(24 * 30));
  auto s = Do(
      start - absl::Hours(24 * 10),
      [&](const v1::Project& p, const Context& c) {
        return AddContract(p, ContractReq(p, kUnivA, start), c);
      },
      Operator());
  if (!s.ok()) throw std::runtime_error(s.ToString());
  s = Do(
      start, [&](const v1::Project& p, const Context& c) { return Activate(p, ActivateReq(p), c); },
      Operator());
  if (!s.ok()) throw std::runtime_error(s.ToString());
}

v1::AddContractRequest ContractReq(const v1::Project& p, const std::string& institution,
                                   absl::Time start, const std::string& number) {
  v1::AddContractRequest r;
  r.set_project_id(p.project_id());
  r.set_institution_id(institution);
  r.set_contract_number(number);
  *r.mutable_start_time() = ToProto(start);
  return r;
}

v1::ActivateProjectRequest ActivateReq(const v1::Project& p) {
  v1::ActivateProjectRequest r;
  r.set_project_id(p.project_id());
  return r;
}

v1::SuspendProjectRequest SuspendReq(const v1::Project& p, const std::string& reason) {
  v1::SuspendProjectRequest r;
  r.set_project_id(p.project_id());
  r.set_reason(reason);
  return r;
}

v1::ResumeProjectRequest ResumeReq(const v1::Project& p) {
  v1::ResumeProjectRequest r;
  r.set_project_id(p.project_id());
  return r;
}

v1::TerminateProjectRequest TerminateReq(const v1::Project& p, const std::string& reason) {
  v1::TerminateProjectRequest r;
  r.set_project_id(p.project_id());
  r.set_reason(reason);
  return r;
}

v1::CompleteProjectRequest CompleteReq(const v1::Project& p) {
  v1::CompleteProjectRequest r;
  r.set_project_id(p.project_id());
  return r;
}

v1::ExtendProjectRequest ExtendReq(const v1::Project& p, int months) {
  v1::ExtendProjectRequest r;
  r.set_project_id(p.project_id());
  r.set_additional_months(months);
  r.set_reason("promising results");
  return r;
}

v1::PauseProjectRequest PauseReq(const v1::Project& p, int months, v1::PauseReason reason) {
  v1::PauseProjectRequest r;
  r.set_project_id(p.project_id());
  r.set_months(months);
  r.set_reason(reason);
  return r;
}

v1::RecordEvaluationRequest GateReq(const v1::Project& p, int month, v1::StageGateOutcome outcome,
                                    const std::string& grade) {
  v1::RecordEvaluationRequest r;
  r.set_project_id(p.project_id());
  r.set_kind(v1::EVALUATION_KIND_STAGE_GATE);
  r.set_milestone_month(month);
  r.set_outcome(outcome);
  r.set_grade(grade);
  r.add_evaluators("evaluator-1");
  r.add_evaluators("evaluator-2");
  r.set_comments("panel comments");
  return r;
}

v1::SubmitReportRequest ReportReq(const v1::Project& p, int fy, v1::ReportKind kind) {
  v1::SubmitReportRequest r;
  r.set_project_id(p.project_id());
  r.set_fiscal_year(fy);
  r.set_kind(kind);
  r.set_summary("what we did");
  return r;
}

std::vector<std::string> EventNames(const std::vector<Event>& events) {
  std::vector<std::string> names;
  for (const auto& e : events) names.push_back(EventPayload(e).GetDescriptor()->name());
  return names;
}

int64_t PlanFor(const v1::Project& p, int fy) { return DirectTotalOf(p, fy); }

}  // namespace tane::projects::testing
