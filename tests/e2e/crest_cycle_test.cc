// One CREST-like research cycle over HTTP only, through every service: an
// operator creates a strategic goal, a research area and a call; three
// applicants submit (one submit refused with field errors first); the call
// closes; reviews assigns reviewers without conflicts; reviewers score the
// document and interview stages; the supervisor adopts one with a reason;
// the project appears; funds allocates its plan; the PI reports progress; an
// interim evaluation is recorded. Then what each role must not read.
#include <gmock/gmock.h>

#include "absl/strings/str_cat.h"
#include "e2e_fixture.h"

namespace tane::e2e {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

constexpr char kProgram[] = "crest";
constexpr int64_t kBudgetPerYear = 2'000'000'000;  // ¥2B a fiscal year for the program

// ROR ids of the institutions in this flow.
constexpr char kTokyo[] = "https://ror.org/057zh3y96";
constexpr char kKyoto[] = "https://ror.org/02kpeqv85";
constexpr char kOsaka[] = "https://ror.org/035t8zc32";
constexpr char kTohoku[] = "https://ror.org/01dq60k83";
constexpr char kNagoya[] = "https://ror.org/04chrp450";
constexpr char kKyushu[] = "https://ror.org/00p4k0j84";
constexpr char kHokkaido[] = "https://ror.org/02e16g702";

TEST_F(E2eTest, CrestCycleOverHttp) {
  const int fy = CurrentFiscalYear();
  const Caller op = As("operator", "crest-operator");
  const Caller po = As("program_officer", "crest-supervisor");
  const Caller finance = As("finance_officer", "crest-finance");
  const Caller auditor = As("auditor", "crest-auditor");
  const Caller applicant_a = As("applicant", "crest-applicant-a");
  const Caller applicant_b = As("applicant", "crest-applicant-b");
  const Caller applicant_c = As("applicant", "crest-applicant-c");
  const std::vector<Caller> reviewers = {As("reviewer", "crest-reviewer-1"), As("reviewer", "crest-reviewer-2"),
                                         As("reviewer", "crest-reviewer-3"), As("reviewer", "crest-reviewer-4")};

  // 1. The operator creates a goal, an area and a call (two reviewers a
  //    proposal, document then interview review, as CREST reviews).
  ASSERT_OK_AND_ASSIGN(const calls::v1::ResearchArea area, CreateGoalAndArea(api(), op, "crest-e2e", kProgram, po));
  calls::v1::Call call_spec;
  call_spec.set_program_id(kProgram);
  call_spec.set_research_area_id(area.area_id());
  call_spec.set_title_ja("CREST「ナノスケール・サーマルマネージメント基盤技術の創出」研究提案募集");
  call_spec.set_title_en("CREST call: nanoscale thermal management");
  call_spec.mutable_review_model()->add_stages(calls::v1::REVIEW_STAGE_DOCUMENT);
  call_spec.mutable_review_model()->add_stages(calls::v1::REVIEW_STAGE_INTERVIEW);
  call_spec.mutable_review_model()->set_reviewers_per_proposal(2);
  call_spec.mutable_review_model()->set_decided_by("research_supervisor");
  ASSERT_OK_AND_ASSIGN(const calls::v1::Call call, OpenCall(api(), op, "crest-e2e", call_spec));
  EXPECT_EQ(call.research_area_id(), area.area_id());
  ASSERT_OK_AND_ASSIGN(auto anyone_sees, api().Get<calls::v1::Call>(Anonymous(), "/v1/calls/" + call.call_id()));
  EXPECT_EQ(anyone_sees.state(), calls::v1::CALL_STATE_PUBLISHED);

  // The reviewer pool of the area. Reviewer 1 shares both of the proposals'
  // keywords, so the solver prefers them everywhere, but works where
  // applicant A's principal investigator does, so may never review A.
  const std::string section = "area:" + area.area_id();
  std::vector<reviews::v1::Reviewer> pool;
  for (const auto& [reviewer, institution] : std::vector<std::pair<Caller, std::string>>{
           {reviewers[0], kTokyo}, {reviewers[1], kNagoya}, {reviewers[2], kKyushu}, {reviewers[3], kHokkaido}}) {
    const std::vector<std::string> keywords = reviewer.subject == reviewers[0].subject
                                                  ? std::vector<std::string>{"フォノン", "熱輸送"}
                                                  : std::vector<std::string>{"フォノン"};
    ASSERT_OK_AND_ASSIGN(auto r, CreateReviewer(api(), op, reviewer, {section}, keywords, institution));
    pool.push_back(r);
  }
  const std::string conflicted_reviewer_id = pool[0].reviewer_id();

  // 2. Three applicants draft; A and B submit.
  const auto pi_a = Researcher("31000001", "種 花子", kTokyo);
  const auto pi_b = Researcher("31000011", "芽 次郎", kOsaka);
  const auto pi_c = Researcher("31000021", "葉 三郎", kTohoku);
  ASSERT_OK_AND_ASSIGN(auto draft_a, Draft(api(), applicant_a, call.call_id(),
                                           CrestApplication("ナノスケール熱輸送の分光学的制御", pi_a,
                                                            Researcher("31000002", "根 太郎", kKyoto), fy)));
  ASSERT_OK_AND_ASSIGN(auto draft_b, Draft(api(), applicant_b, call.call_id(),
                                           CrestApplication("界面熱抵抗の原子スケール設計", pi_b,
                                                            Researcher("31000012", "茎 四郎", kOsaka), fy)));
  ASSERT_OK_AND_ASSIGN(const auto app_a, Submit(api(), applicant_a, draft_a.application_id()));
  ASSERT_OK_AND_ASSIGN(const auto app_b, Submit(api(), applicant_b, draft_b.application_id()));
  EXPECT_EQ(app_a.total_direct_yen(), 150'000'000);
  EXPECT_EQ(app_a.total_indirect_yen(), 45'000'000);  // 30%

  // C's first draft breaks three rules; the submit names every one and changes nothing.
  auto bad = CrestApplication("熱スイッチ材料の探索", pi_c, Researcher("31000022", "花 五郎", kTohoku), fy);
  bad.set_research_period_months(72);
  bad.set_pi_effort_percent(0);
  bad.mutable_budget_plan(4)->set_fiscal_year(fy + 7);
  ASSERT_OK_AND_ASSIGN(auto draft_c, Draft(api(), applicant_c, call.call_id(), bad));
  ASSERT_OK_AND_ASSIGN(const ApiError refused,
                       api().Error(400, applicant_c, "POST", "/v1/applications/" + draft_c.application_id() + ":submit",
                                   R"({"idempotencyKey":"submit-c-1"})"));
  EXPECT_EQ(refused.code, "INVALID_ARGUMENT");
  EXPECT_THAT(refused.fields(),
              UnorderedElementsAre("research_period_months", "pi_effort_percent", "budget_plan[4].fiscal_year"))
      << refused.message;
  ASSERT_OK_AND_ASSIGN(auto still_draft,
                       api().Get<calls::v1::Application>(applicant_c, "/v1/applications/" + draft_c.application_id()));
  EXPECT_EQ(still_draft.state(), calls::v1::APPLICATION_STATE_DRAFT);
  EXPECT_EQ(still_draft.version(), draft_c.version());

  // C fixes the draft (PATCH with an update mask) and submits.
  auto fixed = CrestApplication("熱スイッチ材料の探索", pi_c, Researcher("31000022", "花 五郎", kTohoku), fy);
  fixed.set_application_id(draft_c.application_id());
  ASSERT_OK_AND_ASSIGN(
      auto patched,
      api().Call<calls::v1::Application>(
          applicant_c, "PATCH",
          absl::StrCat("/v1/applications/", draft_c.application_id(),
                       "?updateMask=researchPeriodMonths,piEffortPercent,budgetPlan&idempotencyKey=fix-c"),
          fixed));
  EXPECT_EQ(patched.research_period_months(), kCrestPeriodMonths);
  ASSERT_OK_AND_ASSIGN(const auto app_c, Submit(api(), applicant_c, draft_c.application_id()));

  ASSERT_OK_AND_ASSIGN(auto mine, api().Get<calls::v1::ListApplicationsResponse>(applicant_a, "/v1/me/applications"));
  ASSERT_EQ(mine.applications_size(), 1);
  EXPECT_EQ(mine.applications(0).application_id(), app_a.application_id());
  ASSERT_OK_AND_ASSIGN(auto count, api().Get<calls::v1::CountApplicationsResponse>(
                                       op, "/v1/calls/" + call.call_id() + "/applications:count"));
  EXPECT_EQ(count.total(), 3);

  // 3. The call closes; reviews assigns the document stage by itself.
  ASSERT_OK_AND_ASSIGN(const auto closed, CloseCall(api(), op, call.call_id()));
  EXPECT_EQ(closed.state(), calls::v1::CALL_STATE_CLOSED);
  ASSERT_OK_AND_ASSIGN(auto cases,
                       WaitForAssignments(api(), po, call.call_id(), 3, calls::v1::REVIEW_STAGE_DOCUMENT, 2));
  ASSERT_EQ(cases.size(), 3u);
  const reviews::v1::ReviewCase* case_a = CaseOf(cases, app_a.application_id());
  const reviews::v1::ReviewCase* case_b = CaseOf(cases, app_b.application_id());
  const reviews::v1::ReviewCase* case_c = CaseOf(cases, app_c.application_id());
  ASSERT_TRUE(case_a != nullptr && case_b != nullptr && case_c != nullptr);
  auto assigned_to = [&](const reviews::v1::ReviewCase& c) {
    std::vector<std::string> ids;
    for (const auto& r : c.assignments(0).reviewers()) ids.push_back(r.reviewer_id());
    return ids;
  };
  EXPECT_THAT(assigned_to(*case_a), Not(Contains(conflicted_reviewer_id))) << "a conflicted reviewer reviews A";
  EXPECT_THAT(assigned_to(*case_b), Contains(conflicted_reviewer_id));
  EXPECT_THAT(assigned_to(*case_c), Contains(conflicted_reviewer_id));
  ASSERT_OK_AND_ASSIGN(auto call_review,
                       api().Get<reviews::v1::CallReview>(po, "/v1/calls/" + call.call_id() + "/review"));
  EXPECT_EQ(call_review.state(), reviews::v1::CALL_REVIEW_STATE_CLOSED);
  EXPECT_EQ(call_review.expected_cases(), 3);
  EXPECT_THAT(call_review.stages(), ElementsAre(calls::v1::REVIEW_STAGE_DOCUMENT, calls::v1::REVIEW_STAGE_INTERVIEW));

  // 4. Reviewers score the documents: A best, then B, then C.
  const std::map<std::string, int> document_scores = {
      {app_a.application_id(), 5}, {app_b.application_id(), 4}, {app_c.application_id(), 2}};
  ASSERT_OK_AND_ASSIGN(const int document_reviews,
                       ReviewAll(api(), reviewers, call.call_id(), kProgram, calls::v1::REVIEW_STAGE_DOCUMENT,
                                 [&](const std::string& id) { return document_scores.at(id); }));
  EXPECT_EQ(document_reviews, 6);
  ASSERT_OK_AND_ASSIGN(auto ranking, api().Get<reviews::v1::Ranking>(po, "/v1/calls/" + call.call_id() + "/ranking"));
  ASSERT_EQ(ranking.entries_size(), 3);
  EXPECT_EQ(ranking.entries(0).application_id(), app_a.application_id());
  EXPECT_EQ(ranking.entries(1).application_id(), app_b.application_id());
  EXPECT_EQ(ranking.entries(2).application_id(), app_c.application_id());
  EXPECT_EQ(ranking.entries(0).rank(), 1);
  EXPECT_EQ(ranking.entries(0).counted_reviews(), 2);

  // 5. A and B go to interview; C is rejected after the document review.
  ASSERT_OK_AND_ASSIGN(auto to_interview_a, Shortlist(api(), po, case_a->case_id()));
  EXPECT_EQ(to_interview_a.stage(), calls::v1::REVIEW_STAGE_INTERVIEW);
  ASSERT_OK_AND_ASSIGN(auto to_interview_b, Shortlist(api(), po, case_b->case_id()));
  EXPECT_EQ(to_interview_b.stage(), calls::v1::REVIEW_STAGE_INTERVIEW);
  ASSERT_OK_AND_ASSIGN(auto rejected_c,
                       Decide(api(), po, case_c->case_id(), false, "独創性が不足 / not original enough"));
  EXPECT_EQ(rejected_c.decision().stage(), calls::v1::REVIEW_STAGE_DOCUMENT);

  ASSERT_OK_AND_ASSIGN(auto run, SolveStage(api(), po, call.call_id(), calls::v1::REVIEW_STAGE_INTERVIEW));
  EXPECT_EQ(run.run().cases(), 2);
  EXPECT_EQ(run.run().fully_covered(), 2);
  EXPECT_THAT(run.run().shortfalls(), IsEmpty());

  // 6. Interview scores; A is adopted (with the supervisor's reason), B not.
  const std::map<std::string, int> interview_scores = {{app_a.application_id(), 5}, {app_b.application_id(), 3}};
  ASSERT_OK_AND_ASSIGN(const int interview_reviews,
                       ReviewAll(api(), reviewers, call.call_id(), kProgram, calls::v1::REVIEW_STAGE_INTERVIEW,
                                 [&](const std::string& id) { return interview_scores.at(id); }));
  EXPECT_EQ(interview_reviews, 4);

  // The budgets of the fiscal years the projects need, before the decision.
  std::vector<int> years;
  for (int y = fy; y < fy + 5; ++y) years.push_back(y);
  ASSERT_OK(LoadBudgets(api(), finance, kProgram, years, kBudgetPerYear));

  ASSERT_OK_AND_ASSIGN(auto awaiting, Shortlist(api(), po, case_a->case_id()));
  EXPECT_EQ(awaiting.state(), reviews::v1::CASE_STATE_AWAITING_DECISION);
  const std::string reason = "面接で実現可能性を確認 / feasibility confirmed at the interview";
  ASSERT_OK_AND_ASSIGN(auto adopted, Decide(api(), po, case_a->case_id(), true, reason));
  EXPECT_EQ(adopted.decision().stage(), calls::v1::REVIEW_STAGE_INTERVIEW);
  EXPECT_FALSE(adopted.decision().departs_from_ranking());
  ASSERT_OK_AND_ASSIGN(auto rejected_b,
                       Decide(api(), po, case_b->case_id(), false, "計画の具体性 / plan not concrete"));
  EXPECT_FALSE(rejected_b.decision().departs_from_ranking());  // B ranked below A at the interview

  ASSERT_OK_AND_ASSIGN(auto feedback_c, api().Expect(200, applicant_c, "GET",
                                                     "/v1/applications/" + app_c.application_id() + "/feedback"));
  reviews::v1::Feedback feedback;
  ASSERT_OK(ParseJson(feedback_c.body, &feedback));
  EXPECT_FALSE(feedback.adopted());
  EXPECT_EQ(feedback.comments_size(), 2);
  EXPECT_EQ(feedback.comment_from_program_officer(), "今回は不採択となりました。");
  // Applicants learn neither who reviewed nor what was confidential.
  EXPECT_THAT(feedback_c.body, AllOf(Not(HasSubstr("crest-reviewer")), Not(HasSubstr("confidential note")),
                                     Not(HasSubstr(pool[1].reviewer_id()))));

  // 7. The project appears (projects consumed ProposalDecided) ...
  ASSERT_OK_AND_ASSIGN(auto project, WaitForProject(api(), po, kProgram, app_a.application_id()));
  EXPECT_EQ(project.state(), projects::v1::PROJECT_STATE_CONTRACTING);
  EXPECT_EQ(project.pi_subject(), applicant_a.subject);
  EXPECT_EQ(project.call_id(), call.call_id());
  EXPECT_EQ(project.title_ja(), app_a.title_ja());
  EXPECT_FALSE(project.joint_call());
  EXPECT_EQ(project.research_period().months(), kCrestPeriodMonths);
  EXPECT_EQ(project.budget_plan_size(), app_a.budget_plan_size());
  EXPECT_EQ(project.principal_investigator().researcher_id(), pi_a.researcher_id());

  // ... and funds reserves its plan, direct + 30% indirect a year.
  const std::map<int, int64_t> direct = DirectByYear(app_a);
  ASSERT_OK(WaitForAllocations(api(), finance, project.project_id(), [&](const auto& list) {
              return AllocationsMatchPlan(list, app_a, 30, true);
            }).status());

  // 8. Contracts and activation; the reservation is booked.
  ASSERT_OK_AND_ASSIGN(project, ContractAndActivate(api(), op, project));
  ASSERT_OK_AND_ASSIGN(auto allocations,
                       WaitForAllocations(api(), finance, project.project_id(), [&](const auto& list) {
                         return AllocationsMatchPlan(list, app_a, 30, false);
                       }));
  ASSERT_OK_AND_ASSIGN(auto budget_report,
                       api().Get<funds::v1::ProgramBudgetReport>(
                           finance, absl::StrCat("/v1/programs/", kProgram, "/budget-report?fromFiscalYear=", fy,
                                                 "&toFiscalYear=", fy + 4)));
  ASSERT_EQ(budget_report.fiscal_years_size(), 5);
  for (const auto& line : budget_report.fiscal_years()) {
    const int64_t d = direct.at(line.fiscal_year());
    EXPECT_EQ(line.budget_yen(), kBudgetPerYear) << "FY" << line.fiscal_year();
    EXPECT_EQ(line.allocated_yen(), d + d * 30 / 100) << "FY" << line.fiscal_year();
  }
  ASSERT_OK_AND_ASSIGN(auto own_allocations, api().Get<funds::v1::ListAllocationsResponse>(
                                                 applicant_a, "/v1/projects/" + project.project_id() + "/allocations"));
  EXPECT_EQ(own_allocations.allocations_size(), allocations.allocations_size());

  // 9. The PI reports progress for this fiscal year.
  projects::v1::SubmitReportRequest report;
  report.set_fiscal_year(fy);
  report.set_kind(projects::v1::REPORT_KIND_PROGRESS_REPORT);
  report.set_summary("フォノン輸送の分光計測系を構築した。");
  auto* output = report.add_outputs();
  output->set_kind(projects::v1::OUTPUT_KIND_PUBLICATION);
  output->set_title("Spectral phonon transport at interfaces");
  output->set_doi("10.1234/tane.e2e.1");
  output->set_international_coauthorship(true);
  report.set_idempotency_key("crest-report-" + project.project_id());
  ASSERT_OK_AND_ASSIGN(auto reported, api().Post<projects::v1::Project>(
                                          applicant_a, "/v1/projects/" + project.project_id() + "/reports", report));
  ASSERT_EQ(reported.reports_size(), 1);
  EXPECT_EQ(reported.reports(0).revision(), 1);
  EXPECT_EQ(reported.reports(0).submitted_by().subject(), applicant_a.subject);
  EXPECT_EQ(reported.reports(0).outputs_size(), 1);

  // 10. The interim evaluation at the month the program schedules it.
  projects::v1::RecordEvaluationRequest evaluation;
  evaluation.set_kind(projects::v1::EVALUATION_KIND_INTERIM);
  evaluation.set_milestone_month(36);
  evaluation.add_evaluators("評価委員 1");
  evaluation.add_evaluators("評価委員 2");
  evaluation.set_grade("A");
  evaluation.set_comments("計画通り進捗している。");
  evaluation.set_idempotency_key("crest-interim-" + project.project_id());
  ASSERT_OK_AND_ASSIGN(auto evaluated, api().Post<projects::v1::Project>(
                                           po, "/v1/projects/" + project.project_id() + "/evaluations", evaluation));
  ASSERT_EQ(evaluated.evaluations_size(), 1);
  EXPECT_EQ(evaluated.evaluations(0).grade(), "A");
  EXPECT_EQ(evaluated.evaluations(0).consequence(), projects::v1::CONSEQUENCE_NONE);
  EXPECT_EQ(evaluated.state(), projects::v1::PROJECT_STATE_ACTIVE);
  ASSERT_OK_AND_ASSIGN(auto history, api().Get<projects::v1::GetProjectHistoryResponse>(
                                         auditor, "/v1/projects/" + project.project_id() + "/history"));
  std::vector<std::string> actions;
  for (const auto& e : history.entries()) actions.push_back(e.action());
  EXPECT_THAT(actions, AllOf(Contains("created"), Contains("activated")));

  // 11. What each role must not do or read: the status and the error code.
  struct Refusal {
    const Caller& who;
    std::string method;
    std::string target;
    int status;
    std::string code;
  };
  const std::string case_path = "/v1/review-cases/";
  const std::vector<Refusal> refusals = {
      // Applicants see only their own applications, projects and money.
      {applicant_b, "GET", "/v1/applications/" + app_a.application_id(), 404, "NOT_FOUND"},
      {applicant_b, "GET", "/v1/applications/" + app_a.application_id() + "/feedback", 404, "NOT_FOUND"},
      {applicant_b, "GET", "/v1/projects/" + project.project_id(), 403, "PERMISSION_DENIED"},
      {applicant_b, "GET", "/v1/projects/" + project.project_id() + "/allocations", 403, "PERMISSION_DENIED"},
      {applicant_b, "POST", "/v1/projects/" + project.project_id() + "/reports", 403, "PERMISSION_DENIED"},
      // ... and may call no operator or officer RPC.
      {applicant_a, "POST", "/v1/calls", 403, "PERMISSION_DENIED"},
      {applicant_a, "POST", "/v1/calls/" + call.call_id() + ":close", 403, "PERMISSION_DENIED"},
      {applicant_a, "GET", "/v1/calls/" + call.call_id() + "/ranking", 403, "PERMISSION_DENIED"},
      // A conflicted reviewer never sees the case; no reviewer sees rankings or applications.
      {reviewers[0], "GET", case_path + case_a->case_id(), 404, "NOT_FOUND"},
      {reviewers[1], "GET", "/v1/calls/" + call.call_id() + "/ranking", 403, "PERMISSION_DENIED"},
      {reviewers[1], "GET", "/v1/applications/" + app_a.application_id(), 403, "PERMISSION_DENIED"},
      // Finance reads money, not applications.
      {finance, "GET", "/v1/applications/" + app_a.application_id(), 403, "PERMISSION_DENIED"},
      // Auditors read everything and write nothing.
      {auditor, "POST", "/v1/calls", 403, "PERMISSION_DENIED"},
      {auditor, "POST", case_path + case_b->case_id() + ":decide", 403, "PERMISSION_DENIED"},
      {auditor, "POST", "/v1/projects/" + project.project_id() + "/evaluations", 403, "PERMISSION_DENIED"},
      // No token: 401 on every route that needs a role.
      {Anonymous(), "GET", "/v1/me/applications", 401, "UNAUTHENTICATED"},
      {Anonymous(), "GET", "/v1/projects/" + project.project_id(), 401, "UNAUTHENTICATED"},
      {Anonymous(), "POST", "/v1/calls/" + call.call_id() + "/applications", 401, "UNAUTHENTICATED"},
  };
  for (const Refusal& r : refusals) {
    const std::string body = r.method == "POST" ? "{}" : "";
    auto error = api().Error(r.status, r.who, r.method, r.target, body);
    ASSERT_TRUE(error.ok()) << error.status();
    EXPECT_EQ(error->code, r.code) << r.method << " " << r.target << " as " << r.who.Describe();
  }
  ASSERT_OK_AND_ASSIGN(auto no_token, api().Expect(401, Anonymous(), "GET", "/v1/me/applications"));
  EXPECT_EQ(no_token.headers["www-authenticate"], R"(Bearer realm="tane")");
  // The reads the auditor and the assigned reviewers do have.
  ASSERT_OK_AND_ASSIGN(auto audited, api().Get<calls::v1::ListApplicationsResponse>(
                                         auditor, "/v1/calls/" + call.call_id() + "/applications"));
  EXPECT_EQ(audited.applications_size(), 3);
  for (const auto& assigned : case_b->assignments(0).reviewers()) {
    for (size_t i = 0; i < pool.size(); ++i) {
      if (pool[i].reviewer_id() != assigned.reviewer_id()) continue;
      ASSERT_OK_AND_ASSIGN(auto seen, api().Get<reviews::v1::ReviewCase>(reviewers[i], case_path + case_b->case_id()));
      EXPECT_EQ(seen.application_id(), app_b.application_id());
    }
  }

  ExpectSentRequestsDocumented();
}

}  // namespace
}  // namespace tane::e2e
