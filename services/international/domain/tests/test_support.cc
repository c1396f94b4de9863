#include "test_support.h"

#include "absl/strings/ascii.h"
#include "tane/core/time.h"
#include "tane/international/money.h"

namespace tane::international::testing {

google::protobuf::Timestamp Ts(absl::Time t) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(absl::ToUnixSeconds(t));
  return ts;
}

namespace {

common::v1::Money Eur(int64_t cents) {
  common::v1::Money m;
  m.set_currency_code("EUR");
  m.set_units(cents);
  return m;
}

}  // namespace

absl::Time Day(int days) {
  return absl::FromCivil(absl::CivilSecond(2017, 6, 7, 0, 0, 0), core::TokyoTimeZone()) +
         absl::Hours(24 * days);
}

common::v1::Actor Staff() {
  common::v1::Actor a;
  a.set_subject("po-1");
  a.set_role("program_officer");
  return a;
}

common::v1::Actor Partner(const std::string& agency) {
  common::v1::Actor a;
  a.set_subject(absl::AsciiStrToLower(agency) + "-exchange");
  a.set_role("partner");
  a.set_agency(agency);
  return a;
}

common::v1::Actor System() {
  common::v1::Actor a;
  a.set_subject("international");
  a.set_role("system");
  return a;
}

Context Ctx(const common::v1::Actor& actor, absl::Time now) { return Context{actor, now}; }

namespace {

v1::PartnerAgency Agency(const std::string& code, const std::string& name,
                         const std::string& country, const std::string& currency,
                         std::initializer_list<v1::DataScope> shared) {
  v1::PartnerAgency a;
  a.set_agency_code(code);
  a.set_name(name);
  a.set_country_code(country);
  a.set_currency_code(currency);
  for (v1::DataScope s : shared) a.add_shared_data(s);
  return a;
}

}  // namespace

v1::PartnerAgency Anr() {
  v1::PartnerAgency a = Agency("ANR", "Agence nationale de la recherche", "FR", "EUR",
                               {v1::DATA_SCOPE_JST_TITLES, v1::DATA_SCOPE_JST_TEAM,
                                v1::DATA_SCOPE_JST_BUDGET, v1::DATA_SCOPE_JST_DECISION});
  a.mutable_contact()->set_name("Service international");
  a.mutable_contact()->set_email("international@anr.example");
  return a;
}

v1::PartnerAgency Nsf() {
  return Agency("NSF", "National Science Foundation", "US", "USD", {v1::DATA_SCOPE_JST_TITLES});
}

v1::PartnerAgency Jica() {
  return Agency("JICA", "国際協力機構", "JP", "JPY",
                {v1::DATA_SCOPE_JST_TITLES, v1::DATA_SCOPE_JST_TEAM});
}

v1::JointCall ParallelCall() {
  v1::JointCall c;
  c.set_joint_call_id(JointCallIdFor(kCallId));
  c.set_call_id(kCallId);
  c.set_partner_agency("ANR");
  c.set_title_ja("日本－フランス共同研究");
  c.set_title_en("Japan–France joint call");
  c.set_type(v1::JOINT_CALL_TYPE_SICORP_CORE_TEAM);
  c.set_review_model(v1::JOINT_REVIEW_MODEL_PARALLEL);
  c.mutable_agreement()->set_kind(v1::AGREEMENT_KIND_MOU);
  c.mutable_agreement()->set_reference("JST-ANR MOU 2016");
  *c.mutable_partner_budget_min() = Eur(10000000);
  *c.mutable_partner_budget_max() = Eur(50000000);
  c.set_version(1);
  return c;
}

v1::JointCall LeadCall(v1::Side lead) {
  v1::JointCall c = ParallelCall();
  c.set_review_model(v1::JOINT_REVIEW_MODEL_LEAD_AGENCY);
  c.set_lead_side(lead);
  return c;
}

v1::JointCall SatrepsCall() {
  v1::JointCall c;
  c.set_joint_call_id(JointCallIdFor(kOtherCallId));
  c.set_call_id(kOtherCallId);
  c.set_partner_agency("JICA");
  c.set_title_ja("地球規模課題対応国際科学技術協力プログラム");
  c.set_type(v1::JOINT_CALL_TYPE_SATREPS);
  c.set_review_model(v1::JOINT_REVIEW_MODEL_PARALLEL);
  c.mutable_agreement()->set_kind(v1::AGREEMENT_KIND_INTERMINISTERIAL);
  c.mutable_agreement()->set_reference("MEXT-MOFA 2008");
  c.set_version(1);
  return c;
}

calls::v1::ApplicationSubmitted Submitted(const std::string& joint_id, const std::string& call_id,
                                          const std::string& application_id,
                                          const std::string& partner_agency) {
  calls::v1::ApplicationSubmitted e;
  calls::v1::Application& a = *e.mutable_application();
  a.set_application_id(application_id);
  a.set_call_id(call_id);
  a.set_state(calls::v1::APPLICATION_STATE_SUBMITTED);
  a.set_joint_proposal_id(joint_id);
  a.set_title_ja("熱輸送のスペクトル学的理解と機能的制御");
  a.set_title_en("Spectral understanding of heat transport");
  a.set_abstract("ナノスケールの熱輸送を解明する。");
  a.add_keywords("フォノン");
  calls::v1::Person& pi = *a.mutable_principal_investigator();
  pi.set_researcher_id("12345678");
  pi.set_name_ja("山田 太郎");
  pi.set_name_en("Taro Yamada");
  pi.set_institution_id("ror:02kpeqv85");
  pi.set_institution_name("京都大学");
  pi.set_position("教授");
  pi.set_birth_year(1975);
  pi.set_degree_year(2002);
  pi.set_childcare_leave_months(6);
  calls::v1::CoInvestigator& co = *a.add_co_investigators();
  co.mutable_person()->set_researcher_id("87654321");
  co.mutable_person()->set_name_ja("佐藤 花子");
  co.mutable_person()->set_institution_name("大阪大学");
  co.set_effort_percent(20);
  a.set_pi_effort_percent(30);
  a.set_research_period_months(36);
  a.set_start_fiscal_year(2017);
  auto* line = a.add_budget_plan();
  line->set_fiscal_year(2017);
  line->set_category(calls::v1::BUDGET_CATEGORY_EQUIPMENT);
  line->set_amount_yen(15000000);
  auto* year = a.add_yearly_costs();
  year->set_fiscal_year(2017);
  year->set_direct_yen(15000000);
  year->set_indirect_yen(4500000);
  a.set_total_direct_yen(15000000);
  a.set_total_indirect_yen(4500000);
  *a.mutable_submitted_at() = Ts(Day(-10));
  e.set_program_id("sicorp-core-team");
  e.set_research_area_id("area-thermal");
  e.set_call_fiscal_year(2017);
  e.set_partner_agency(partner_agency);
  return e;
}

calls::v1::ApplicationWithdrawn Withdrawn(absl::Time at) {
  calls::v1::ApplicationWithdrawn e;
  e.set_application_id(kApplicationId);
  e.set_call_id(kCallId);
  *e.mutable_withdrawn_at() = Ts(at);
  e.set_was_submitted(true);
  e.set_reason("共同研究者の異動のため");
  return e;
}

v1::PartnerProposal PartnerProposalFor(const std::string& joint_id, const std::string& reference) {
  v1::PartnerProposal p;
  p.set_joint_proposal_id(joint_id);
  p.set_partner_reference_id(reference);
  p.set_title_en("Spectral heat transport");
  p.set_title_local("Transport thermique spectral");
  p.mutable_principal_investigator()->set_name("Marie Curie");
  p.mutable_principal_investigator()->set_email("marie.curie@cnrs.example");
  p.mutable_institution()->set_name("CNRS");
  p.mutable_institution()->set_country_code("FR");
  *p.mutable_requested_amount() = Eur(25000000);
  return p;
}

v1::PartnerProposal SatrepsProposalFor(const std::string& joint_id) {
  v1::PartnerProposal p;
  p.set_joint_proposal_id(joint_id);
  p.set_partner_reference_id("JICA-ID-2017-01");
  p.set_title_en("Peatland fire prevention");
  p.mutable_principal_investigator()->set_name("Budi Santoso");
  p.mutable_institution()->set_name("Institut Pertanian Bogor");
  p.mutable_institution()->set_country_code("ID");
  p.mutable_requested_amount()->set_currency_code("JPY");
  p.mutable_requested_amount()->set_units(300000000);
  v1::SatrepsRequest& s = *p.mutable_satreps();
  s.set_requesting_country_code("ID");
  s.set_requesting_ministry("Ministry of Research and Technology");
  s.set_oda_request_reference("ODA-ID-2016-044");
  return p;
}

reviews::v1::ProposalDecided JstDecision(bool adopted, const std::string& decision_id) {
  reviews::v1::ProposalDecided d;
  d.set_decision_id(decision_id);
  d.set_case_id("case-1");
  d.set_application_id(kApplicationId);
  d.set_call_id(kCallId);
  d.set_program_id("sicorp-core-team");
  d.set_adopted(adopted);
  d.set_reason(adopted ? "審査委員会の指摘を踏まえ採択とする" : "計画の具体性が不足");
  d.set_departs_from_ranking(true);
  d.set_departure_reason("順位よりも国際連携の意義を重視した");
  d.set_joint_call(true);
  d.set_partner_agency("ANR");
  d.set_joint_proposal_id("JP-001");
  *d.mutable_research_start_time() = Ts(Day(116));
  *d.mutable_decided_at() = Ts(Day(-1));
  d.mutable_decided_by()->set_subject("po-1");
  d.mutable_decided_by()->set_role("program_officer");
  return d;
}

v1::PartnerDecision PartnerDecisionOf(bool adopted, const std::string& reference) {
  v1::PartnerDecision d;
  d.set_decision(adopted ? v1::SIDE_DECISION_ADOPTED : v1::SIDE_DECISION_REJECTED);
  d.set_partner_decision_reference(reference);
  *d.mutable_decided_at() = Ts(Day(-2));
  return d;
}

absl::StatusOr<Transition> Driver::Keep(absl::StatusOr<Transition> t) {
  if (t.ok() && t->changed) {
    proposal_ = t->proposal;
    for (const auto& e : t->events) events_.push_back(e);
  }
  return t;
}

absl::StatusOr<Transition> Driver::Submit(const calls::v1::ApplicationSubmitted& event,
                                          absl::Time now) {
  const JstKey key = JstKeyFor(event, current());
  return Keep(ApplyApplicationSubmitted(&call_, current(), event, key, Ctx(System(), now)));
}

absl::StatusOr<Transition> Driver::PartnerProposal(const v1::PartnerProposal& proposal,
                                                   absl::Time now) {
  v1::SubmitPartnerProposalRequest r;
  r.set_joint_call_id(call_.joint_call_id());
  *r.mutable_partner_proposal() = proposal;
  const std::string holder = proposal_ && proposal_->has_partner() &&
                                     proposal_->partner().proposal().partner_reference_id() ==
                                         proposal.partner_reference_id()
                                 ? proposal_->joint_proposal_id()
                                 : "";
  return Keep(SubmitPartnerProposal(call_, agency_, current(), holder, r,
                                    Ctx(Partner(call_.partner_agency()), now)));
}

absl::StatusOr<Transition> Driver::Jst(const reviews::v1::ProposalDecided& decision,
                                       absl::Time now) {
  if (!proposal_) return absl::FailedPreconditionError("no proposal yet");
  return Keep(ApplyJstDecision(&call_, *proposal_, decision, Ctx(System(), now)));
}

absl::StatusOr<Transition> Driver::Withdraw(const calls::v1::ApplicationWithdrawn& event,
                                            absl::Time now) {
  return Keep(ApplyApplicationWithdrawn(current(), event, Ctx(System(), now)));
}

absl::StatusOr<Transition> Driver::PartnerDecision(const v1::PartnerDecision& decision,
                                                   absl::Time now) {
  v1::RecordPartnerDecisionRequest r;
  r.set_joint_call_id(call_.joint_call_id());
  r.set_joint_proposal_id(joint_id());
  *r.mutable_partner_decision() = decision;
  return Keep(RecordPartnerDecision(call_, agency_, current(), r,
                                    Ctx(Partner(call_.partner_agency()), now)));
}

absl::StatusOr<Transition> Driver::Rd(const std::string& reference, absl::Time signed_at,
                                      absl::Time now) {
  v1::RecordRecordOfDiscussionsRequest r;
  r.set_joint_call_id(call_.joint_call_id());
  r.set_joint_proposal_id(joint_id());
  r.mutable_record_of_discussions()->set_reference(reference);
  *r.mutable_record_of_discussions()->mutable_signed_at() = Ts(signed_at);
  r.mutable_record_of_discussions()->add_signatories("JICA Indonesia Office");
  return Keep(RecordRecordOfDiscussions(call_, current(), r, Ctx(Staff(), now)));
}

}  // namespace tane::international::testing
