#include <variant>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tane/core/errors.h"
#include "tane/projects/time_util.h"
#include "test_support.h"

namespace tane::projects {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace tane::projects::testing;  // NOLINT

absl::Status Gate(Harness& h, absl::Time now, int month, v1::StageGateOutcome outcome,
                  const std::string& grade) {
  return h.Do(now, [&](auto& p, auto& c) {
    return RecordEvaluation(p, GateReq(p, month, outcome, grade), c);
  });
}

TEST(EvaluationTest, StopAtAStageGateTerminatesFromTheNextFiscalYear) {
  Harness h;
  h.CreateActive();
  // The last second of FY2023 (31 March 2024 23:59:59 JST).
  ASSERT_TRUE(Gate(h, Jst(2024, 3, 31, 23, 59, 59), 36, v1::STAGE_GATE_OUTCOME_STOP, "B").ok());
  const auto& p = h.project();
  EXPECT_EQ(p.state(), v1::PROJECT_STATE_TERMINATED);
  EXPECT_EQ(FromProto(p.termination().effective_time()), Jst(2024, 4, 1));
  EXPECT_EQ(p.termination().effective_fiscal_year(), 2024);
  EXPECT_EQ(FromProto(p.research_period().end_time()), Jst(2024, 4, 1));
  EXPECT_EQ(PlanFor(p, 2023), 7'000'000);  // this year's money stays
  for (int fy = 2024; fy <= 2028; ++fy) EXPECT_EQ(PlanFor(p, fy), 0) << fy;
  ASSERT_EQ(p.evaluations_size(), 1);
  EXPECT_EQ(p.evaluations(0).consequence(), v1::CONSEQUENCE_TERMINATE);
  EXPECT_EQ(p.evaluations(0).effective_fiscal_year(), 2024);
  EXPECT_EQ(p.termination().evaluation_id(), p.evaluations(0).evaluation_id());

  const auto& events = h.events();
  ASSERT_GE(events.size(), 2u);
  const auto& recorded = std::get<v1::EvaluationRecorded>(events[events.size() - 2]);
  EXPECT_EQ(recorded.evaluation().grade(), "B");
  EXPECT_EQ(recorded.evaluation().outcome(), v1::STAGE_GATE_OUTCOME_STOP);
  EXPECT_EQ(recorded.evaluation().consequence(), v1::CONSEQUENCE_TERMINATE);
  const auto& terminated = std::get<v1::ProjectTerminated>(events.back());
  EXPECT_EQ(terminated.effective_fiscal_year(), 2024);
  EXPECT_EQ(FromProto(terminated.effective_time()), Jst(2024, 4, 1));
  EXPECT_THAT(terminated.reason(), HasSubstr("month-36 stage gate: stop"));
  EXPECT_EQ(terminated.budget_plan_size(), 6);  // FY2021–FY2023
}

TEST(EvaluationTest, FiscalYearBoundaryIsFirstAprilMidnightJst) {
  Harness h;
  h.CreateActive();
  // 1 April 2024 00:00 JST is 31 March 15:00 UTC, already FY2024: the stop
  // takes effect from FY2025.
  ASSERT_TRUE(Gate(h, Jst(2024, 4, 1), 36, v1::STAGE_GATE_OUTCOME_STOP, "B").ok());
  EXPECT_EQ(h.project().termination().effective_fiscal_year(), 2025);
  EXPECT_EQ(FromProto(h.project().termination().effective_time()), Jst(2025, 4, 1));
  EXPECT_EQ(PlanFor(h.project(), 2024), 7'000'000);
  EXPECT_EQ(PlanFor(h.project(), 2025), 0);
}

TEST(EvaluationTest, FailingGradeAtAGateTerminatesEvenWithContinue) {
  Harness h;
  h.CreateActive();
  ASSERT_TRUE(Gate(h, Jst(2024, 9, 1), 36, v1::STAGE_GATE_OUTCOME_CONTINUE, "C").ok());
  EXPECT_EQ(h.project().state(), v1::PROJECT_STATE_TERMINATED);
  EXPECT_EQ(h.project().termination().effective_fiscal_year(), 2025);
  EXPECT_THAT(h.project().termination().reason(), HasSubstr("failing grade C"));
}

TEST(EvaluationTest, ProgramsMayCutTheBudgetInsteadOfTerminating) {
  auto rules = ProgramRules::Forest();
  rules.failing_gate_action = FailingGateAction::kCutBudget;
  rules.failing_gate_budget_cut_percent = 50;
  Harness h(rules);
  h.CreateActive();
  ASSERT_TRUE(Gate(h, Jst(2024, 9, 1), 36, v1::STAGE_GATE_OUTCOME_CONTINUE, "C").ok());
  const auto& p = h.project();
  EXPECT_EQ(p.state(), v1::PROJECT_STATE_ACTIVE);
  EXPECT_EQ(PlanFor(p, 2024), 7'000'000);
  EXPECT_EQ(PlanFor(p, 2025), 3'500'000);
  EXPECT_EQ(PlanFor(p, 2028), 3'500'000);
  EXPECT_EQ(p.evaluations(0).consequence(), v1::CONSEQUENCE_CUT_BUDGET);
  EXPECT_EQ(p.evaluations(0).effective_fiscal_year(), 2025);
  EXPECT_THAT(EventNames(std::vector<Event>(h.events().end() - 2, h.events().end())),
              ElementsAre("EvaluationRecorded", "ProjectChanged"));
  const auto& changed = std::get<v1::ProjectChanged>(h.events().back());
  EXPECT_EQ(changed.change(), v1::CHANGE_KIND_BUDGET_CUT);
  EXPECT_TRUE(changed.budget_plan_changed());
  // A stop still terminates.
  Harness stopped(rules);
  stopped.CreateActive();
  ASSERT_TRUE(Gate(stopped, Jst(2024, 9, 1), 36, v1::STAGE_GATE_OUTCOME_STOP, "B").ok());
  EXPECT_EQ(stopped.project().state(), v1::PROJECT_STATE_TERMINATED);
}

TEST(EvaluationTest, ExpandAllowsABudgetIncreaseUpToTheExpandedCap) {
  auto rules = ProgramRules::Forest();
  rules.max_annual_direct_yen = 10'000'000;
  rules.expanded_max_annual_direct_yen = 20'000'000;
  Harness h(rules);
  h.CreateActive();
  v1::RevisePlanRequest raise;
  raise.set_project_id(h.project().project_id());
  raise.set_reason("acceleration");
  auto* line = raise.add_changes();
  line->set_fiscal_year(2025);
  line->set_category(v1::BUDGET_CATEGORY_EQUIPMENT);
  line->set_amount_yen(15'000'000);
  EXPECT_EQ(RevisePlan(h.project(), raise, h.Ctx(Jst(2024, 8, 1))).status().code(),
            absl::StatusCode::kFailedPrecondition);

  ASSERT_TRUE(Gate(h, Jst(2024, 9, 1), 36, v1::STAGE_GATE_OUTCOME_EXPAND, "S").ok());
  EXPECT_EQ(h.project().expanded_from_fiscal_year(), 2025);
  EXPECT_EQ(h.project().evaluations(0).consequence(), v1::CONSEQUENCE_EXPAND_BUDGET);
  EXPECT_EQ(h.project().evaluations(0).effective_fiscal_year(), 2025);
  ASSERT_TRUE(
      h.Do(Jst(2024, 9, 2), [&](auto& p, auto& c) { return RevisePlan(p, raise, c); }).ok());
  EXPECT_EQ(PlanFor(h.project(), 2025), 17'000'000);
  line->set_amount_yen(19'000'000);
  EXPECT_EQ(RevisePlan(h.project(), raise, h.Ctx(Jst(2024, 9, 3))).status().code(),
            absl::StatusCode::kFailedPrecondition);
  // The current fiscal year keeps the ordinary cap.
  line->set_fiscal_year(2024);
  line->set_amount_yen(9'000'000);
  EXPECT_EQ(RevisePlan(h.project(), raise, h.Ctx(Jst(2024, 9, 3))).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(EvaluationTest, StopAtTheEndOfThePeriodMeansNoExtension) {
  Harness h;
  h.CreateActive();
  // Year-7 gate in FY2028; the project ends 1 October 2028, before FY2029.
  ASSERT_TRUE(Gate(h, Jst(2028, 6, 1), 84, v1::STAGE_GATE_OUTCOME_STOP, "B").ok());
  EXPECT_EQ(h.project().state(), v1::PROJECT_STATE_ACTIVE);
  EXPECT_EQ(h.project().evaluations(0).consequence(), v1::CONSEQUENCE_NO_EXTENSION);
  auto extend = Extend(h.project(), ExtendReq(h.project(), 12), h.Ctx(Jst(2028, 7, 1)));
  EXPECT_EQ(extend.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(EvaluationTest, ScheduleAndInputAreChecked) {
  Harness h;
  h.CreateActive();
  const auto& p = h.project();
  const auto ctx = h.Ctx(Jst(2024, 9, 1));
  auto off_schedule =
      RecordEvaluation(p, GateReq(p, 48, v1::STAGE_GATE_OUTCOME_CONTINUE, "A"), ctx);
  EXPECT_EQ(off_schedule.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(off_schedule.status().message()),
              HasSubstr("FOREST has no stage gate at month 48 (gates at months 36, 84)"));

  auto bad_grade = RecordEvaluation(p, GateReq(p, 36, v1::STAGE_GATE_OUTCOME_CONTINUE, "D"), ctx);
  EXPECT_EQ(core::ViolationsOf(bad_grade.status()).front().field, "grade");
  EXPECT_THAT(std::string(bad_grade.status().message()), HasSubstr("(S, A, B, C)"));

  auto expand_c = RecordEvaluation(p, GateReq(p, 36, v1::STAGE_GATE_OUTCOME_EXPAND, "C"), ctx);
  EXPECT_EQ(core::ViolationsOf(expand_c.status()).front().field, "outcome");

  auto no_outcome =
      RecordEvaluation(p, GateReq(p, 36, v1::STAGE_GATE_OUTCOME_UNSPECIFIED, "A"), ctx);
  EXPECT_EQ(core::ViolationsOf(no_outcome.status()).front().field, "outcome");

  auto nobody = GateReq(p, 36, v1::STAGE_GATE_OUTCOME_CONTINUE, "A");
  nobody.clear_evaluators();
  EXPECT_EQ(core::ViolationsOf(RecordEvaluation(p, nobody, ctx).status()).front().field,
            "evaluators");

  v1::RecordEvaluationRequest interim;
  interim.set_project_id(p.project_id());
  interim.set_kind(v1::EVALUATION_KIND_INTERIM);
  interim.set_milestone_month(30);
  interim.set_grade("A");
  interim.add_evaluators("e");
  EXPECT_THAT(std::string(RecordEvaluation(p, interim, ctx).status().message()),
              HasSubstr("FOREST schedules no interim evaluation"));

  ASSERT_TRUE(Gate(h, Jst(2024, 9, 1), 36, v1::STAGE_GATE_OUTCOME_CONTINUE, "A").ok());
  auto twice =
      RecordEvaluation(h.project(), GateReq(h.project(), 36, v1::STAGE_GATE_OUTCOME_CONTINUE, "A"),
                       h.Ctx(Jst(2024, 9, 2)));
  EXPECT_EQ(twice.status().code(), absl::StatusCode::kAlreadyExists);

  v1::RecordEvaluationRequest follow_up;
  follow_up.set_project_id(p.project_id());
  follow_up.set_kind(v1::EVALUATION_KIND_FOLLOW_UP);
  follow_up.set_grade("A");
  follow_up.add_evaluators("e");
  EXPECT_THAT(
      std::string(
          RecordEvaluation(h.project(), follow_up, h.Ctx(Jst(2024, 9, 2))).status().message()),
      HasSubstr("cannot record the follow-up evaluation: project is active"));
}

TEST(EvaluationTest, OwnGradeScaleInterimFinalAndFollowUp) {
  auto rules = ProgramRules::Forest();
  rules.name = "CREST";
  rules.grade_scale = {"S", "A+", "A", "A-", "B", "C", "D"};
  rules.failing_grades = {"C", "D"};
  rules.interim_months = {36};
  rules.stage_gates.clear();
  rules.extension_requires_gate_month = 0;
  rules.follow_up_after_months = 60;
  Harness h(rules);
  h.CreateActive();
  v1::RecordEvaluationRequest r;
  r.set_project_id(h.project().project_id());
  r.set_kind(v1::EVALUATION_KIND_INTERIM);
  r.set_milestone_month(36);
  r.set_grade("A-");
  r.add_evaluators("advisor-1");
  // A failing interim grade is advice: the supervisor revises the plan.
  ASSERT_TRUE(
      h.Do(Jst(2024, 10, 1), [&](auto& p, auto& c) { return RecordEvaluation(p, r, c); }).ok());
  EXPECT_EQ(h.project().evaluations(0).consequence(), v1::CONSEQUENCE_NONE);
  ASSERT_TRUE(
      h.Do(Jst(2028, 10, 1), [](auto& p, auto& c) { return Complete(p, CompleteReq(p), c); }).ok());
  r.set_kind(v1::EVALUATION_KIND_FINAL);
  r.set_milestone_month(0);
  r.set_grade("D");
  ASSERT_TRUE(
      h.Do(Jst(2028, 12, 1), [&](auto& p, auto& c) { return RecordEvaluation(p, r, c); }).ok());
  EXPECT_EQ(h.project().state(), v1::PROJECT_STATE_COMPLETED);
  r.set_kind(v1::EVALUATION_KIND_FOLLOW_UP);
  ASSERT_TRUE(
      h.Do(Jst(2033, 10, 1), [&](auto& p, auto& c) { return RecordEvaluation(p, r, c); }).ok());
  EXPECT_EQ(h.project().evaluations_size(), 3);
  EXPECT_EQ(h.project().evaluations(2).recorded_by().subject(), "po-1");
}

TEST(EvaluationTest, TerminatedProjectStillReportsItsLastYear) {
  Harness h;
  h.CreateActive();
  ASSERT_TRUE(Gate(h, Jst(2024, 9, 1), 36, v1::STAGE_GATE_OUTCOME_STOP, "B").ok());
  // Research runs until 1 April 2025; FY2024's progress report is still owed.
  EXPECT_TRUE(h.Do(
                   Jst(2025, 5, 1),
                   [](auto& p, auto& c) {
                     return SubmitReport(p, ReportReq(p, 2024, v1::REPORT_KIND_PROGRESS_REPORT), c);
                   },
                   PiActor())
                  .ok());
  auto beyond =
      SubmitReport(h.project(), ReportReq(h.project(), 2025, v1::REPORT_KIND_PROGRESS_REPORT),
                   h.Ctx(Jst(2026, 5, 1), PiActor()));
  EXPECT_EQ(core::ViolationsOf(beyond.status()).front().field, "fiscal_year");
}

}  // namespace
}  // namespace tane::projects
