#include "tane/e2e/steps.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/time_util.h"
#include "tane/core/time.h"

namespace tane::e2e {

int CurrentFiscalYear() { return core::FiscalYear::Containing(absl::Now()).year(); }

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  return google::protobuf::util::TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(t));
}

// ---------------------------------------------------------------- calls

calls::v1::Person Researcher(const std::string& id, const std::string& name_ja, const std::string& institution) {
  calls::v1::Person p;
  p.set_researcher_id(id);
  p.set_name_ja(name_ja);
  p.set_institution_id(institution);
  p.set_institution_name(institution);
  p.set_position("教授");
  p.set_degree_year(2008);
  return p;
}

calls::v1::Application CrestApplication(const std::string& title_ja, const calls::v1::Person& pi,
                                        const calls::v1::Person& co, int fy) {
  calls::v1::Application a;
  *a.mutable_principal_investigator() = pi;
  a.set_pi_effort_percent(40);
  auto* c = a.add_co_investigators();
  *c->mutable_person() = co;
  c->set_effort_percent(20);
  c->set_role("主たる共同研究者");
  a.set_title_ja(title_ja);
  a.set_title_en("Spectral control of nanoscale heat transport: " + pi.researcher_id());
  a.set_abstract("フォノン輸送をナノスケールで制御し、デバイスの発熱問題を解決する。");
  a.add_keywords("フォノン");
  a.add_keywords("熱輸送");
  a.set_research_period_months(kCrestPeriodMonths);
  a.set_start_fiscal_year(fy);
  auto line = [&a](int year, calls::v1::BudgetCategory category, int64_t yen) {
    auto* l = a.add_budget_plan();
    l->set_fiscal_year(year);
    l->set_category(category);
    l->set_amount_yen(yen);
  };
  line(fy, calls::v1::BUDGET_CATEGORY_EQUIPMENT, 30'000'000);
  for (int y = fy + 1; y < fy + 5; ++y) line(y, calls::v1::BUDGET_CATEGORY_PERSONNEL, 30'000'000);
  auto* attachment = a.add_attachments();
  attachment->set_name("研究提案書.pdf");
  attachment->set_media_type("application/pdf");
  attachment->set_size_bytes(1'234'567);
  attachment->set_content_sha256(std::string(64, 'a'));
  return a;
}

absl::StatusOr<calls::v1::ResearchArea> CreateGoalAndArea(Api& api, const Caller& op, const std::string& key,
                                                          const std::string& program_id, const Caller& supervisor) {
  calls::v1::StrategicGoal goal;
  goal.set_fiscal_year(CurrentFiscalYear());
  goal.set_title_ja(absl::StrCat("ナノスケール熱制御の学理と応用 (", key, ")"));
  goal.set_title_en(absl::StrCat("Nanoscale thermal control (", key, ")"));
  goal.set_field_category(calls::v1::FIELD_CATEGORY_GENERAL);
  goal.set_agency(calls::v1::AGENCY_JST);
  auto created_goal =
      api.Post<calls::v1::StrategicGoal>(op, absl::StrCat("/v1/strategic-goals?idempotencyKey=", key, "-goal"), goal);
  if (!created_goal.ok()) return created_goal.status();
  if (created_goal->goal_id().empty() || created_goal->title_ja() != goal.title_ja()) {
    return absl::InternalError(absl::StrCat("the goal did not come back as sent: ", created_goal->DebugString()));
  }

  calls::v1::ResearchArea area;
  area.set_goal_id(created_goal->goal_id());
  area.add_program_ids(program_id);
  area.set_title_ja(absl::StrCat("ナノスケール・サーマルマネージメント基盤技術の創出 (", key, ")"));
  area.set_title_en(absl::StrCat("Nanoscale thermal management (", key, ")"));
  area.mutable_supervisor()->set_name("研究総括 (e2e)");
  area.mutable_supervisor()->set_role(calls::v1::OFFICER_ROLE_RESEARCH_SUPERVISOR);
  area.mutable_supervisor()->set_subject(supervisor.subject);
  auto created_area =
      api.Post<calls::v1::ResearchArea>(op, absl::StrCat("/v1/research-areas?idempotencyKey=", key, "-area"), area);
  if (!created_area.ok()) return created_area.status();
  if (created_area->area_id().empty() || created_area->goal_id() != area.goal_id() ||
      created_area->title_ja() != area.title_ja()) {
    return absl::InternalError(absl::StrCat("the area did not come back as sent: ", created_area->DebugString()));
  }
  return created_area;
}

absl::StatusOr<calls::v1::Call> OpenCall(Api& api, const Caller& op, const std::string& key, calls::v1::Call call) {
  const absl::Time now = absl::Now();
  *call.mutable_opens_at() = ToTimestamp(now - absl::Hours(1));
  *call.mutable_closes_at() = ToTimestamp(now + absl::Hours(24 * 30));
  auto draft = api.Post<calls::v1::Call>(op, absl::StrCat("/v1/calls?idempotencyKey=", key, "-call"), call);
  if (!draft.ok()) return draft.status();
  if (draft->state() != calls::v1::CALL_STATE_DRAFT || draft->fiscal_year() != CurrentFiscalYear() ||
      draft->title_ja() != call.title_ja()) {
    return absl::InternalError(absl::StrCat("unexpected new call: ", draft->DebugString()));
  }
  calls::v1::PublishCallRequest publish;
  publish.set_version(draft->version());
  publish.set_idempotency_key(key + "-publish");
  auto published = api.Post<calls::v1::Call>(op, absl::StrCat("/v1/calls/", draft->call_id(), ":publish"), publish);
  if (!published.ok()) return published.status();
  if (published->state() != calls::v1::CALL_STATE_PUBLISHED || published->version() <= draft->version()) {
    return absl::InternalError(absl::StrCat("the call was not published: ", published->DebugString()));
  }
  return published;
}

absl::StatusOr<calls::v1::Application> Draft(Api& api, const Caller& applicant, const std::string& call_id,
                                             const calls::v1::Application& application) {
  auto draft = api.Post<calls::v1::Application>(
      applicant,
      absl::StrCat("/v1/calls/", call_id, "/applications?idempotencyKey=draft-", applicant.subject, "-", call_id),
      application);
  if (!draft.ok()) return draft.status();
  if (draft->state() != calls::v1::APPLICATION_STATE_DRAFT || draft->applicant_subject() != applicant.subject ||
      draft->call_id() != call_id || draft->title_ja() != application.title_ja()) {
    return absl::InternalError(absl::StrCat("unexpected draft: ", draft->DebugString()));
  }
  return draft;
}

absl::StatusOr<calls::v1::Application> Submit(Api& api, const Caller& applicant, const std::string& application_id) {
  calls::v1::SubmitApplicationRequest submit;
  submit.set_idempotency_key("submit-" + application_id);
  auto submitted =
      api.Post<calls::v1::Application>(applicant, absl::StrCat("/v1/applications/", application_id, ":submit"), submit);
  if (!submitted.ok()) return submitted.status();
  if (submitted->state() != calls::v1::APPLICATION_STATE_SUBMITTED || !submitted->has_submitted_at() ||
      submitted->yearly_costs().empty()) {
    return absl::InternalError(absl::StrCat("not submitted: ", submitted->DebugString()));
  }
  return submitted;
}

absl::StatusOr<calls::v1::Call> CloseCall(Api& api, const Caller& op, const std::string& call_id) {
  calls::v1::CloseCallRequest close;
  close.set_idempotency_key("close-" + call_id);
  auto closed = api.Post<calls::v1::Call>(op, absl::StrCat("/v1/calls/", call_id, ":close"), close);
  if (!closed.ok()) return closed.status();
  if (closed->state() != calls::v1::CALL_STATE_CLOSED || !closed->has_closed_at()) {
    return absl::InternalError(absl::StrCat("not closed: ", closed->DebugString()));
  }
  return closed;
}

// ---------------------------------------------------------------- reviews

absl::StatusOr<reviews::v1::Reviewer> CreateReviewer(Api& api, const Caller& op, const Caller& who,
                                                     const std::vector<std::string>& sections,
                                                     const std::vector<std::string>& keywords,
                                                     const std::string& institution_id, int max_load) {
  reviews::v1::Reviewer reviewer;
  reviewer.set_subject(who.subject);
  reviewer.set_name_ja(absl::StrCat("審査 ", who.subject));
  reviewer.set_name_en(absl::StrCat("Reviewer ", who.subject));
  auto* affiliation = reviewer.add_affiliations();
  affiliation->set_institution_id(institution_id);
  affiliation->set_institution_name(institution_id);
  for (const auto& s : sections) reviewer.add_review_sections(s);
  for (const auto& k : keywords) reviewer.add_keywords(k);
  reviewer.add_languages("ja");
  reviewer.add_languages("en");
  reviewer.set_max_load_per_call(max_load);
  auto created = api.Post<reviews::v1::Reviewer>(
      op, absl::StrCat("/v1/reviewers?idempotencyKey=reviewer-", who.subject), reviewer);
  if (!created.ok()) return created.status();
  if (created->reviewer_id().empty() || created->subject() != who.subject) {
    return absl::InternalError(absl::StrCat("unexpected reviewer: ", created->DebugString()));
  }
  return created;
}

absl::StatusOr<std::vector<reviews::v1::ReviewCase>> WaitForAssignments(Api& api, const Caller& po,
                                                                        const std::string& call_id, size_t cases,
                                                                        calls::v1::ReviewStage stage, int reviewers) {
  return Eventually<std::vector<reviews::v1::ReviewCase>>(
      absl::StrCat(cases, " cases of call ", call_id, " with ", reviewers, " reviewers each in ",
                   calls::v1::ReviewStage_Name(stage)),
      [&]() -> absl::StatusOr<std::vector<reviews::v1::ReviewCase>> {
        auto list =
            api.Get<reviews::v1::ListReviewCasesResponse>(po, absl::StrCat("/v1/calls/", call_id, "/review-cases"));
        if (!list.ok()) return list.status();
        std::vector<reviews::v1::ReviewCase> out(list->review_cases().begin(), list->review_cases().end());
        size_t covered = 0;
        for (const auto& c : out) {
          for (const auto& a : c.assignments()) {
            if (a.stage() == stage && a.reviewers_size() == reviewers) ++covered;
          }
        }
        if (covered != cases) {
          return absl::UnavailableError(absl::StrCat(out.size(), " cases, ", covered, " covered"));
        }
        return out;
      });
}

absl::StatusOr<int> ReviewAll(Api& api, const std::vector<Caller>& reviewers, const std::string& call_id,
                              const std::string& program_id, calls::v1::ReviewStage stage,
                              const std::function<int(const std::string&)>& score) {
  int submitted = 0;
  for (const Caller& reviewer : reviewers) {
    auto form = api.Get<reviews::v1::ReviewForm>(
        reviewer, absl::StrCat("/v1/programs/", program_id, "/review-form?stage=", calls::v1::ReviewStage_Name(stage)));
    if (!form.ok()) return form.status();
    if (form->criteria().empty()) return absl::InternalError("the review form has no criteria");
    auto mine = api.Get<reviews::v1::ListMyReviewAssignmentsResponse>(
        reviewer, absl::StrCat("/v1/me/review-assignments?callId=", call_id));
    if (!mine.ok()) return mine.status();
    for (const auto& assignment : mine->assignments()) {
      if (assignment.stage() != stage) continue;
      const int wanted = score(assignment.application_id());
      reviews::v1::SubmitReviewRequest review;
      for (const auto& criterion : form->criteria()) {
        auto* s = review.add_scores();
        s->set_criterion_id(criterion.criterion_id());
        s->set_score(std::clamp(wanted, criterion.min_score(), criterion.max_score()));
      }
      review.set_overall_score(std::clamp(wanted, form->overall_min(), form->overall_max()));
      review.set_comment_to_applicant("独創的な提案です。実験計画をより具体的に。");
      review.set_confidential_comment(absl::StrCat("confidential note by ", reviewer.subject));
      review.set_idempotency_key(absl::StrCat("review-", reviewer.subject, "-", assignment.case_id(), "-",
                                              calls::v1::ReviewStage_Name(stage)));
      auto done = api.Call<reviews::v1::Review>(
          reviewer, "PUT", absl::StrCat("/v1/me/review-assignments/", assignment.case_id(), "/review"), review);
      if (!done.ok()) return done.status();
      if (done->revision() != 1 || done->stage() != stage || !done->counted() ||
          done->overall_score() != review.overall_score()) {
        return absl::InternalError(absl::StrCat("unexpected review: ", done->DebugString()));
      }
      ++submitted;
    }
  }
  return submitted;
}

absl::StatusOr<reviews::v1::SolveAssignmentResponse> SolveStage(Api& api, const Caller& po, const std::string& call_id,
                                                                calls::v1::ReviewStage stage) {
  reviews::v1::SolveAssignmentRequest solve;
  solve.set_stage(stage);
  solve.set_idempotency_key(absl::StrCat("solve-", call_id, "-", calls::v1::ReviewStage_Name(stage)));
  return api.Post<reviews::v1::SolveAssignmentResponse>(po, "/v1/calls/" + call_id + "/review-assignments:solve",
                                                        solve);
}

absl::StatusOr<reviews::v1::ReviewCase> Shortlist(Api& api, const Caller& po, const std::string& case_id) {
  auto current = api.Get<reviews::v1::ReviewCase>(po, "/v1/review-cases/" + case_id);
  if (!current.ok()) return current.status();
  reviews::v1::ShortlistProposalRequest shortlist;
  shortlist.set_note("次の段階へ / to the next stage");
  shortlist.set_version(current->version());
  shortlist.set_idempotency_key(
      absl::StrCat("shortlist-", case_id, "-", calls::v1::ReviewStage_Name(current->stage())));
  auto next =
      api.Post<reviews::v1::ReviewCase>(po, absl::StrCat("/v1/review-cases/", case_id, ":shortlist"), shortlist);
  if (!next.ok()) return next.status();
  if (next->shortlistings_size() != current->shortlistings_size() + 1) {
    return absl::InternalError(absl::StrCat("not shortlisted: ", next->DebugString()));
  }
  return next;
}

absl::StatusOr<reviews::v1::ReviewCase> Decide(Api& api, const Caller& po, const std::string& case_id, bool adopted,
                                               const std::string& reason) {
  reviews::v1::DecideProposalRequest decide;
  decide.set_adopted(adopted);
  decide.set_reason(reason);
  decide.set_comment_to_applicant(adopted ? "採択おめでとうございます。" : "今回は不採択となりました。");
  if (adopted) {
    // Today (JST), so the current fiscal year is the project's first.
    const absl::TimeZone tokyo = core::TokyoTimeZone();
    *decide.mutable_research_start_time() = ToTimestamp(absl::FromCivil(absl::ToCivilDay(absl::Now(), tokyo), tokyo));
  }
  decide.set_idempotency_key("decide-" + case_id);
  auto decided = api.Post<reviews::v1::ReviewCase>(po, absl::StrCat("/v1/review-cases/", case_id, ":decide"), decide);
  if (!decided.ok()) return decided.status();
  if (decided->state() != reviews::v1::CASE_STATE_DECIDED || decided->decision().adopted() != adopted ||
      decided->decision().reason() != reason || decided->decision().decided_by().subject() != po.subject) {
    return absl::InternalError(absl::StrCat("unexpected decision: ", decided->DebugString()));
  }
  return decided;
}

const reviews::v1::ReviewCase* CaseOf(const std::vector<reviews::v1::ReviewCase>& cases,
                                      const std::string& application_id) {
  for (const auto& c : cases) {
    if (c.application_id() == application_id) return &c;
  }
  return nullptr;
}

// ---------------------------------------------------------------- funds and projects

absl::Status LoadBudgets(Api& api, const Caller& finance, const std::string& program_id,
                         const std::vector<int>& fiscal_years, int64_t yen_per_year) {
  for (int fy : fiscal_years) {
    funds::v1::LoadProgramBudgetRequest load;
    load.set_fiscal_year(fy);
    load.set_budget_line(funds::v1::BUDGET_LINE_INITIAL);
    load.set_amount_yen(yen_per_year);
    load.set_source("mext");
    load.set_request_id(absl::StrCat("budget-", program_id, "-", fy));
    auto loaded = api.Post<funds::v1::LoadProgramBudgetResponse>(
        finance, absl::StrCat("/v1/programs/", program_id, "/budgets"), load);
    if (!loaded.ok()) return loaded.status();
    if (loaded->budget_account().balance_yen() != yen_per_year || loaded->budget_account().fiscal_year() != fy ||
        loaded->transfer().amount_yen() != yen_per_year) {
      return absl::InternalError(absl::StrCat("unexpected budget load: ", loaded->DebugString()));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<projects::v1::Project> WaitForProject(Api& api, const Caller& po, const std::string& program_id,
                                                     const std::string& application_id) {
  return Eventually<projects::v1::Project>(
      absl::StrCat("a ", program_id, " project from application ", application_id),
      [&]() -> absl::StatusOr<projects::v1::Project> {
        auto list = api.Get<projects::v1::ListProjectsResponse>(po, "/v1/projects?programId=" + program_id);
        if (!list.ok()) return list.status();
        for (const auto& p : list->projects()) {
          if (p.application_id() == application_id) return p;
        }
        return absl::NotFoundError(absl::StrCat(list->projects_size(), " projects, none from ", application_id));
      });
}

absl::StatusOr<projects::v1::Project> ContractAndActivate(Api& api, const Caller& op,
                                                          const projects::v1::Project& project) {
  int n = 0;
  for (const auto& institution : project.institutions()) {
    projects::v1::AddContractRequest contract;
    contract.set_institution_id(institution.institution_id());
    contract.set_contract_number(absl::StrCat("JST-", project.project_id().substr(0, 8), "-", ++n));
    *contract.mutable_start_time() = project.research_period().start_time();
    contract.set_idempotency_key(absl::StrCat("contract-", project.project_id(), "-", n));
    auto added = api.Post<projects::v1::Project>(op, absl::StrCat("/v1/projects/", project.project_id(), "/contracts"),
                                                 contract);
    if (!added.ok()) return added.status();
  }
  projects::v1::ActivateProjectRequest activate;
  activate.set_idempotency_key("activate-" + project.project_id());
  auto active =
      api.Post<projects::v1::Project>(op, absl::StrCat("/v1/projects/", project.project_id(), ":activate"), activate);
  if (!active.ok()) return active.status();
  if (active->state() != projects::v1::PROJECT_STATE_ACTIVE || !active->has_activated_at()) {
    return absl::InternalError(absl::StrCat("not active: ", active->DebugString()));
  }
  return active;
}

absl::StatusOr<funds::v1::ListAllocationsResponse> WaitForAllocations(
    Api& api, const Caller& finance, const std::string& project_id,
    const std::function<bool(const funds::v1::ListAllocationsResponse&)>& done) {
  return Eventually<funds::v1::ListAllocationsResponse>(
      "the allocations of project " + project_id, [&]() -> absl::StatusOr<funds::v1::ListAllocationsResponse> {
        auto list = api.Get<funds::v1::ListAllocationsResponse>(
            finance, absl::StrCat("/v1/projects/", project_id, "/allocations"));
        if (!list.ok()) return list.status();
        if (!done(*list)) return absl::UnavailableError(list->DebugString());
        return list;
      });
}

std::map<int, int64_t> DirectByYear(const calls::v1::Application& application) {
  std::map<int, int64_t> out;
  for (const auto& line : application.budget_plan()) out[line.fiscal_year()] += line.amount_yen();
  return out;
}

bool AllocationsMatchPlan(const funds::v1::ListAllocationsResponse& allocations,
                          const calls::v1::Application& application, int indirect_percent, bool reserved) {
  const std::map<int, int64_t> direct = DirectByYear(application);
  if (allocations.allocations_size() != static_cast<int>(direct.size())) return false;
  for (const auto& a : allocations.allocations()) {
    auto it = direct.find(a.fiscal_year());
    if (it == direct.end()) return false;
    const int64_t indirect = it->second * indirect_percent / 100;
    int64_t indirect_reserved = 0;
    for (const auto& c : a.categories()) {
      if (c.category() == "indirect") indirect_reserved = c.reserved_yen();
    }
    // Reserved money is not allocated yet: it moves to allocated when booked.
    const bool as_planned =
        reserved ? a.reserved_yen() == it->second + indirect && indirect_reserved == indirect && a.total_yen() == 0
                 : a.direct_yen() == it->second && a.indirect_yen() == indirect &&
                       a.total_yen() == it->second + indirect && a.reserved_yen() == 0;
    if (!as_planned) return false;
  }
  return true;
}

}  // namespace tane::e2e
