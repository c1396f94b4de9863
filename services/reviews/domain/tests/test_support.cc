#include "test_support.h"

#include <algorithm>

#include "tane/core/time.h"

namespace tane::reviews::testing {

absl::Time Jst(int y, int m, int d, int hh, int mm, int ss) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hh, mm, ss), core::TokyoTimeZone());
}

absl::Time CloseTime() { return Jst(2017, 6, 7); }

common::v1::Actor Actor(const std::string& role, const std::string& subject) {
  common::v1::Actor a;
  a.set_role(role);
  a.set_subject(subject);
  return a;
}
common::v1::Actor Po() { return Actor("program_officer", "po-1"); }
common::v1::Actor Operator() { return Actor("operator", "op-1"); }
common::v1::Actor System() { return Actor("system", "reviews"); }

calls::v1::Application App(const std::string& id, const std::string& pi_researcher_id,
                           const std::string& pi_institution, const std::string& section,
                           std::vector<std::string> keywords) {
  calls::v1::Application a;
  a.set_application_id(id);
  a.set_call_id(kCallId);
  a.set_state(calls::v1::APPLICATION_STATE_SUBMITTED);
  a.set_title_ja("ナノスケール熱輸送の研究 " + id);
  a.set_title_en("Nanoscale heat transport " + id);
  a.set_review_section(section);
  for (auto& k : keywords) a.add_keywords(k);
  auto* pi = a.mutable_principal_investigator();
  pi->set_researcher_id(pi_researcher_id);
  pi->set_name_ja("研究 太郎");
  pi->set_institution_id(pi_institution);
  a.set_research_period_months(66);
  a.set_start_fiscal_year(2017);
  auto* line = a.add_budget_plan();
  line->set_fiscal_year(2017);
  line->set_category(calls::v1::BUDGET_CATEGORY_EQUIPMENT);
  line->set_amount_yen(30'000'000);
  a.set_applicant_subject("applicant-" + id);
  return a;
}

void AddCoInvestigator(calls::v1::Application& app, const std::string& researcher_id,
                       const std::string& institution) {
  auto* co = app.add_co_investigators();
  co->mutable_person()->set_researcher_id(researcher_id);
  co->mutable_person()->set_name_ja("共同 花子");
  co->mutable_person()->set_institution_id(institution);
  co->set_effort_percent(20);
}

v1::Reviewer Rev(const std::string& name, const std::string& researcher_id,
                 const std::string& institution, std::vector<std::string> sections, int max_load) {
  v1::Reviewer r;
  r.set_reviewer_id("r-" + name);
  r.set_subject("sub-" + name);
  r.set_researcher_id(researcher_id);
  r.set_name_ja("審査 " + name);
  r.set_name_en("Reviewer " + name);
  auto* a = r.add_affiliations();
  a->set_institution_id(institution);
  *a->mutable_start_time() = ToTimestamp(Jst(2010, 4, 1));
  for (auto& s : sections) r.add_review_sections(s);
  r.add_languages("ja");
  r.set_max_load_per_call(max_load);
  return r;
}

void AddPastAffiliation(v1::Reviewer& reviewer, const std::string& institution, absl::Time from,
                        absl::Time to) {
  auto* past = reviewer.add_affiliations();
  past->set_institution_id(institution);
  if (from != absl::InfinitePast()) *past->mutable_start_time() = ToTimestamp(from);
  *past->mutable_end_time() = ToTimestamp(to);
}

std::vector<std::string> ViolationFields(const absl::Status& status) {
  std::vector<std::string> out;
  for (const auto& v : core::ViolationsOf(status)) out.push_back(v.field);
  return out;
}

World::World(std::vector<Stage> stages, int n) : now(CloseTime() - absl::Hours(24 * 30)) {
  rules.program_id = "crest";
  rules.stages = stages;
  rules.reviewers_per_proposal = n;
  for (Stage s : stages) model.add_stages(s);
  model.set_reviewers_per_proposal(n);
}

common::v1::Actor World::As(const std::string& reviewer_id) const {
  return Actor("reviewer", Reviewer(reviewer_id).subject());
}

absl::Status World::Submit(const calls::v1::Application& app, const std::string& partner) {
  calls::v1::ApplicationSubmitted e;
  *e.mutable_application() = app;
  e.set_program_id(rules.program_id);
  e.set_research_area_id("area-thermal");
  e.set_call_fiscal_year(2017);
  *e.mutable_review_model() = model;
  e.set_partner_agency(partner);
  *e.mutable_application()->mutable_submitted_at() = ToTimestamp(now);
  auto opened = OpenCase(e, Ctx(System()));
  if (!opened.ok()) return opened.status();
  if (auto next = NoteSubmission(call, e, Ctx(System()))) call = *next;
  cases.push_back(opened->review_case);
  return absl::OkStatus();
}

absl::Status World::Close(int64_t count) {
  calls::v1::CallClosed e;
  e.set_call_id(kCallId);
  e.set_program_id(rules.program_id);
  *e.mutable_closed_at() = ToTimestamp(CloseTime());
  e.set_by_deadline(true);
  e.set_applications_ever_submitted(count < 0 ? static_cast<int64_t>(cases.size()) : count);
  now = CloseTime();
  auto closed = CloseCallReview(call, e, Ctx(System()));
  if (!closed.ok()) return closed.status();
  call = *closed;
  return absl::OkStatus();
}

absl::Status World::AddReviewer(const v1::Reviewer& reviewer) {
  auto created = NewReviewer(reviewer, reviewer.reviewer_id(), Ctx(Operator()));
  if (!created.ok()) return created.status();
  pool.push_back(created->reviewer);
  return absl::OkStatus();
}

absl::StatusOr<SolveResult> World::Solve(v1::SolveAssignmentRequest request) {
  request.set_call_id(kCallId);
  auto solved = SolveAssignment(*call, cases, pool, request, PoCtx());
  if (solved.ok()) Apply(solved->transition);
  return solved;
}

absl::Status World::Open(const std::vector<calls::v1::Application>& apps) {
  for (const auto& a : apps) {
    if (auto s = Submit(a); !s.ok()) return s;
  }
  if (auto s = Close(); !s.ok()) return s;
  return Solve().status();
}

absl::Status World::Review(const std::string& application_id, const std::string& reviewer_id,
                           int overall, const std::string& comment,
                           const std::string& confidential) {
  v1::SubmitReviewRequest r;
  r.set_case_id(Case(application_id).case_id());
  const v1::ReviewForm form = rules.FormFor(Case(application_id).stage());
  for (const auto& c : form.criteria()) {
    auto* s = r.add_scores();
    s->set_criterion_id(c.criterion_id());
    s->set_score(overall);
  }
  r.set_overall_score(overall);
  r.set_comment_to_applicant(comment);
  r.set_confidential_comment(confidential);
  auto t = SubmitReview(Case(application_id), *call, Reviewer(reviewer_id), r,
                        ReviewerCtx(reviewer_id));
  if (!t.ok()) return t.status();
  Apply(*t);
  return absl::OkStatus();
}

absl::Status World::Shortlist(const std::string& application_id) {
  v1::ShortlistProposalRequest r;
  r.set_case_id(Case(application_id).case_id());
  auto t = ShortlistProposal(Case(application_id), *call, cases, r, PoCtx());
  if (!t.ok()) return t.status();
  Apply(*t);
  return absl::OkStatus();
}

absl::Status World::Decide(const std::string& application_id, bool adopted,
                           const std::string& departure_reason) {
  v1::DecideProposalRequest r;
  r.set_case_id(Case(application_id).case_id());
  r.set_adopted(adopted);
  r.set_reason(adopted ? "採択: 独創的" : "不採択");
  r.set_departure_reason(departure_reason);
  auto t = DecideProposal(Case(application_id), *call, cases, r, PoCtx());
  if (!t.ok()) return t.status();
  Apply(*t);
  return absl::OkStatus();
}

void World::Apply(const CallTransition& t) {
  if (t.call_review) call = *t.call_review;
  for (const auto& c : t.cases) {
    for (auto& mine : cases) {
      if (mine.case_id() == c.case_id()) mine = c;
    }
  }
  events.insert(events.end(), t.events.begin(), t.events.end());
}

void World::Apply(const CaseTransition& t) {
  CallTransition ct;
  ct.cases.push_back(t.review_case);
  ct.events = t.events;
  Apply(ct);
}

v1::ReviewCase& World::Case(const std::string& application_id) {
  for (auto& c : cases) {
    if (c.application_id() == application_id) return c;
  }
  ADD_FAILURE() << "no case for " << application_id;
  return cases.front();
}

const v1::Reviewer& World::Reviewer(const std::string& reviewer_id) const {
  for (const auto& r : pool) {
    if (r.reviewer_id() == reviewer_id) return r;
  }
  ADD_FAILURE() << "no reviewer " << reviewer_id;
  return pool.front();
}

std::vector<std::string> World::ReviewersOf(const std::string& application_id, Stage stage) {
  const auto& c = Case(application_id);
  std::vector<std::string> out;
  const auto* sa = FindStageAssignment(c, stage == calls::v1::REVIEW_STAGE_UNSPECIFIED ? c.stage() : stage);
  if (sa == nullptr) return out;
  for (const auto& r : sa->reviewers()) out.push_back(r.reviewer_id());
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<const v1::ReviewersAssigned*> World::AssignedEvents() const {
  std::vector<const v1::ReviewersAssigned*> out;
  for (const auto& e : events) {
    if (const auto* a = std::get_if<v1::ReviewersAssigned>(&e)) out.push_back(a);
  }
  return out;
}

}  // namespace tane::reviews::testing
