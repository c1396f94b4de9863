#include <functional>
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

using Command = std::function<absl::StatusOr<Transition>(const v1::Project&, const Context&)>;

// Projects in each state, FOREST, started 1 October 2021.
Harness InState(v1::ProjectState state) {
  Harness h;
  if (state == v1::PROJECT_STATE_CONTRACTING) {
    h.Create(ForestDecision(), Jst(2021, 9, 1));
    return h;
  }
  h.CreateActive();
  const absl::Time t = Jst(2022, 1, 10);
  absl::Status s;
  switch (state) {
    case v1::PROJECT_STATE_SUSPENDED:
      s = h.Do(t, [](auto& p, auto& c) { return Suspend(p, SuspendReq(p), c); });
      break;
    case v1::PROJECT_STATE_PAUSED:
      s = h.Do(t, [](auto& p, auto& c) { return Pause(p, PauseReq(p, 6), c); });
      break;
    case v1::PROJECT_STATE_COMPLETED:
      s = h.Do(Jst(2028, 10, 1), [](auto& p, auto& c) { return Complete(p, CompleteReq(p), c); });
      break;
    case v1::PROJECT_STATE_TERMINATED:
      s = h.Do(t, [](auto& p, auto& c) { return Terminate(p, TerminateReq(p), c); });
      break;
    default:
      break;
  }
  if (!s.ok()) throw std::runtime_error(s.ToString());
  EXPECT_EQ(h.project().state(), state);
  return h;
}

struct IllegalCase {
  std::string name;
  v1::ProjectState state;
  Command command;
  absl::StatusCode code;
  std::string reason;
};

const absl::Time kNow = Jst(2022, 2, 1);

TEST(LifecycleTest, EveryIllegalTransitionIsRejectedWithItsReason) {
  const std::vector<IllegalCase> cases = {
      {"activate twice", v1::PROJECT_STATE_ACTIVE,
       [](auto& p, auto& c) { return Activate(p, ActivateReq(p), c); },
       absl::StatusCode::kFailedPrecondition, "cannot activate: project is active"},
      {"activate terminated", v1::PROJECT_STATE_TERMINATED,
       [](auto& p, auto& c) { return Activate(p, ActivateReq(p), c); },
       absl::StatusCode::kFailedPrecondition, "cannot activate: project is terminated"},
      {"activate without contract", v1::PROJECT_STATE_CONTRACTING,
       [](auto& p, auto& c) { return Activate(p, ActivateReq(p), c); },
       absl::StatusCode::kFailedPrecondition,
       "cannot activate: no contract for institution University A (univ-a)"},
      {"suspend contracting", v1::PROJECT_STATE_CONTRACTING,
       [](auto& p, auto& c) { return Suspend(p, SuspendReq(p), c); },
       absl::StatusCode::kFailedPrecondition, "cannot suspend: project is contracting"},
      {"suspend suspended", v1::PROJECT_STATE_SUSPENDED,
       [](auto& p, auto& c) { return Suspend(p, SuspendReq(p), c); },
       absl::StatusCode::kFailedPrecondition, "cannot suspend: project is suspended"},
      {"suspend completed", v1::PROJECT_STATE_COMPLETED,
       [](auto& p, auto& c) { return Suspend(p, SuspendReq(p), c); },
       absl::StatusCode::kFailedPrecondition, "cannot suspend: project is completed"},
      {"resume active", v1::PROJECT_STATE_ACTIVE,
       [](auto& p, auto& c) { return Resume(p, ResumeReq(p), c); },
       absl::StatusCode::kFailedPrecondition, "cannot resume: project is active"},
      {"resume terminated", v1::PROJECT_STATE_TERMINATED,
       [](auto& p, auto& c) { return Resume(p, ResumeReq(p), c); },
       absl::StatusCode::kFailedPrecondition, "cannot resume: project is terminated"},
      {"complete before the end", v1::PROJECT_STATE_ACTIVE,
       [](auto& p, auto& c) { return Complete(p, CompleteReq(p), c); },
       absl::StatusCode::kFailedPrecondition,
       "cannot complete: the research period runs until 2028-09-30"},
      {"complete contracting", v1::PROJECT_STATE_CONTRACTING,
       [](auto& p, auto& c) { return Complete(p, CompleteReq(p), c); },
       absl::StatusCode::kFailedPrecondition, "cannot complete: project is contracting"},
      {"complete suspended", v1::PROJECT_STATE_SUSPENDED,
       [](auto& p, auto& c) { return Complete(p, CompleteReq(p), c); },
       absl::StatusCode::kFailedPrecondition, "cannot complete: project is suspended"},
      {"complete paused", v1::PROJECT_STATE_PAUSED,
       [](auto& p, auto& c) { return Complete(p, CompleteReq(p), c); },
       absl::StatusCode::kFailedPrecondition, "cannot complete: project is paused"},
      {"terminate completed", v1::PROJECT_STATE_COMPLETED,
       [](auto& p, auto& c) { return Terminate(p, TerminateReq(p), c); },
       absl::StatusCode::kFailedPrecondition, "cannot terminate: project is completed"},
      {"terminate terminated", v1::PROJECT_STATE_TERMINATED,
       [](auto& p, auto& c) { return Terminate(p, TerminateReq(p), c); },
       absl::StatusCode::kFailedPrecondition, "cannot terminate: project is terminated"},
      {"extend contracting", v1::PROJECT_STATE_CONTRACTING,
       [](auto& p, auto& c) { return Extend(p, ExtendReq(p, 12), c); },
       absl::StatusCode::kFailedPrecondition, "cannot extend: project is contracting"},
      {"extend without the year-7 gate", v1::PROJECT_STATE_ACTIVE,
       [](auto& p, auto& c) { return Extend(p, ExtendReq(p, 12), c); },
       absl::StatusCode::kFailedPrecondition,
       "cannot extend: FOREST requires a continue or expand decision at the month-84 stage gate"},
      {"pause suspended", v1::PROJECT_STATE_SUSPENDED,
       [](auto& p, auto& c) { return Pause(p, PauseReq(p, 3), c); },
       absl::StatusCode::kFailedPrecondition, "cannot pause: project is suspended"},
      {"pause paused", v1::PROJECT_STATE_PAUSED,
       [](auto& p, auto& c) { return Pause(p, PauseReq(p, 3), c); },
       absl::StatusCode::kFailedPrecondition, "cannot pause: project is paused"},
      {"add contract to terminated", v1::PROJECT_STATE_TERMINATED,
       [](auto& p, auto& c) { return AddContract(p, ContractReq(p, kUnivA, kNow, "C-9"), c); },
       absl::StatusCode::kFailedPrecondition, "cannot add a contract: project is terminated"},
      {"second contract", v1::PROJECT_STATE_ACTIVE,
       [](auto& p, auto& c) { return AddContract(p, ContractReq(p, kUnivA, kNow, "C-9"), c); },
       absl::StatusCode::kAlreadyExists, "institution univ-a already has contract C-1"},
      {"contract for a stranger", v1::PROJECT_STATE_CONTRACTING,
       [](auto& p, auto& c) { return AddContract(p, ContractReq(p, "univ-z", kNow), c); },
       absl::StatusCode::kNotFound, "institution univ-z is not part of project"},
      {"hold on completed", v1::PROJECT_STATE_COMPLETED,
       [](auto& p, auto& c) {
         return PutOnHold(p, {"alloc-1", 2028, "over budget"}, c);
       },
       absl::StatusCode::kFailedPrecondition, "cannot put on hold: project is completed"},
      {"release without hold", v1::PROJECT_STATE_ACTIVE,
       [](auto& p, auto& c) {
         v1::ReleaseHoldRequest r;
         r.set_project_id(p.project_id());
         return ReleaseHold(p, r, c);
       },
       absl::StatusCode::kFailedPrecondition, "cannot release the hold: project is not on hold"},
      {"progress report before activation", v1::PROJECT_STATE_CONTRACTING,
       [](auto& p, auto& c) {
         return SubmitReport(p, ReportReq(p, 2021, v1::REPORT_KIND_PROGRESS_REPORT), c);
       },
       absl::StatusCode::kFailedPrecondition,
       "cannot submit a progress report: project is contracting"},
      {"plan after completion", v1::PROJECT_STATE_COMPLETED,
       [](auto& p, auto& c) {
         return SubmitReport(p, ReportReq(p, 2028, v1::REPORT_KIND_ANNUAL_PLAN), c);
       },
       absl::StatusCode::kFailedPrecondition, "cannot submit an annual plan: project is completed"},
      {"stage gate while suspended", v1::PROJECT_STATE_SUSPENDED,
       [](auto& p, auto& c) {
         return RecordEvaluation(p, GateReq(p, 36, v1::STAGE_GATE_OUTCOME_CONTINUE, "A"), c);
       },
       absl::StatusCode::kFailedPrecondition,
       "cannot record the month-36 stage gate: project is suspended"},
  };
  for (const auto& tc : cases) {
    SCOPED_TRACE(tc.name);
    Harness h = InState(tc.state);
    const v1::Project before = h.project();
    const absl::Time now = tc.state == v1::PROJECT_STATE_COMPLETED ? Jst(2028, 11, 1) : kNow;
    auto result = tc.command(h.project(), h.Ctx(now));
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.status().code(), tc.code) << result.status();
    EXPECT_THAT(std::string(result.status().message()), HasSubstr(tc.reason));
  }
}

struct BadInputCase {
  std::string name;
  Command command;
  std::string field;
};

TEST(LifecycleTest, BadInputIsInvalidArgumentWithTheField) {
  const std::vector<BadInputCase> cases = {
      {"suspend without reason", [](auto& p, auto& c) { return Suspend(p, SuspendReq(p, ""), c); },
       "reason"},
      {"terminate in the past",
       [](auto& p, auto& c) {
         auto r = TerminateReq(p);
         *r.mutable_effective_time() = ToProto(c.now - absl::Hours(1));
         return Terminate(p, r, c);
       },
       "effective_time"},
      {"another project's id",
       [](auto& p, auto& c) {
         auto r = ActivateReq(p);
         r.set_project_id("someone-else");
         return Activate(p, r, c);
       },
       "project_id"},
      {"pause for nothing", [](auto& p, auto& c) { return Pause(p, PauseReq(p, 0), c); }, "months"},
      {"pause without reason",
       [](auto& p, auto& c) { return Pause(p, PauseReq(p, 3, v1::PAUSE_REASON_UNSPECIFIED), c); },
       "reason"},
      {"extend by nothing", [](auto& p, auto& c) { return Extend(p, ExtendReq(p, 0), c); },
       "additional_months"},
      {"contract without number",
       [](auto& p, auto& c) { return AddContract(p, ContractReq(p, kUnivA, c.now, ""), c); },
       "contract_number"},
  };
  for (const auto& tc : cases) {
    SCOPED_TRACE(tc.name);
    Harness h = InState(v1::PROJECT_STATE_ACTIVE);
    auto result = tc.command(h.project(), h.Ctx(kNow));
    ASSERT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << result.status();
    const auto violations = core::ViolationsOf(result.status());
    ASSERT_FALSE(violations.empty());
    EXPECT_EQ(violations.front().field, tc.field);
  }
}

TEST(LifecycleTest, StaleExpectedVersionIsAborted) {
  Harness h = InState(v1::PROJECT_STATE_ACTIVE);
  auto r = SuspendReq(h.project());
  r.set_expected_version(h.project().version() - 1);
  auto result = Suspend(h.project(), r, h.Ctx(kNow));
  EXPECT_EQ(result.status().code(), absl::StatusCode::kAborted);
  r.set_expected_version(h.project().version());
  EXPECT_TRUE(Suspend(h.project(), r, h.Ctx(kNow)).ok());
}

TEST(LifecycleTest, FullLifeFromContractToCompletion) {
  Harness h;
  h.Create(ForestDecision(), Jst(2021, 9, 1));
  // A contract that starts later does not allow activation yet.
  ASSERT_TRUE(h.Do(Jst(2021, 9, 20), [](auto& p, auto& c) {
                 return AddContract(p, ContractReq(p, kUnivA, Jst(2021, 10, 1)), c);
               }).ok());
  auto early = Activate(h.project(), ActivateReq(h.project()), h.Ctx(Jst(2021, 9, 30)));
  EXPECT_THAT(std::string(early.status().message()),
              HasSubstr("the contract with University A (univ-a) starts on 2021-10-01"));
  ASSERT_TRUE(
      h.Do(Jst(2021, 10, 1), [](auto& p, auto& c) { return Activate(p, ActivateReq(p), c); }).ok());
  EXPECT_EQ(h.project().state(), v1::PROJECT_STATE_ACTIVE);
  EXPECT_EQ(FromProto(h.project().activated_at()), Jst(2021, 10, 1));

  ASSERT_TRUE(
      h.Do(Jst(2022, 6, 1), [](auto& p, auto& c) { return Suspend(p, SuspendReq(p), c); }).ok());
  EXPECT_EQ(h.project().suspension_reason(), "audit");
  ASSERT_TRUE(
      h.Do(Jst(2022, 7, 1), [](auto& p, auto& c) { return Resume(p, ResumeReq(p), c); }).ok());
  EXPECT_EQ(h.project().state(), v1::PROJECT_STATE_ACTIVE);
  EXPECT_TRUE(h.project().suspension_reason().empty());
  // A suspension does not move the end.
  EXPECT_EQ(FromProto(h.project().research_period().end_time()), Jst(2028, 10, 1));

  ASSERT_TRUE(
      h.Do(Jst(2028, 10, 1), [](auto& p, auto& c) { return Complete(p, CompleteReq(p), c); }).ok());
  EXPECT_EQ(h.project().state(), v1::PROJECT_STATE_COMPLETED);
  EXPECT_EQ(FromProto(h.project().institutions(0).contract().end_time()), Jst(2028, 10, 1));
  EXPECT_THAT(EventNames(h.events()),
              ElementsAre("ProjectStarted", "ProjectChanged", "ProjectChanged", "ProjectChanged",
                          "ProjectChanged", "ProjectCompleted"));
  EXPECT_EQ(h.project().version(), 6);
  const auto& completed = std::get<v1::ProjectCompleted>(h.events().back());
  EXPECT_EQ(FromProto(completed.completed_at()), Jst(2028, 10, 1));
}

TEST(LifecycleTest, TerminationReleasesLaterFiscalYears) {
  Harness h = InState(v1::PROJECT_STATE_ACTIVE);
  auto r = TerminateReq(h.project(), "PI left research");
  *r.mutable_effective_time() = ToProto(Jst(2023, 1, 1));
  ASSERT_TRUE(h.Do(kNow, [&](auto& p, auto& c) { return Terminate(p, r, c); }).ok());
  const auto& p = h.project();
  EXPECT_EQ(p.state(), v1::PROJECT_STATE_TERMINATED);
  EXPECT_EQ(FromProto(p.research_period().end_time()), Jst(2023, 1, 1));
  // FY2022 runs until March 2023 and keeps its lines; FY2023+ are released.
  EXPECT_EQ(PlanFor(p, 2022), 7'000'000);
  EXPECT_EQ(PlanFor(p, 2023), 0);
  const auto& e = std::get<v1::ProjectTerminated>(h.events().back());
  EXPECT_EQ(e.effective_fiscal_year(), 2023);
  EXPECT_EQ(e.reason(), "PI left research");
  EXPECT_EQ(e.budget_plan_size(), 4);  // FY2021, FY2022 × 2 categories

  Harness late = InState(v1::PROJECT_STATE_ACTIVE);
  auto after_end = TerminateReq(late.project());
  *after_end.mutable_effective_time() = ToProto(Jst(2029, 1, 1));
  EXPECT_THAT(std::string(Terminate(late.project(), after_end, late.Ctx(kNow)).status().message()),
              HasSubstr("complete the project instead"));
}

TEST(LifecycleTest, AllocationRejectedHoldsActivationUntilReleased) {
  Harness h;
  h.Create(ForestDecision(), Jst(2021, 9, 1));
  ASSERT_TRUE(h.Do(Jst(2021, 9, 2), [](auto& p, auto& c) {
                 return AddContract(p, ContractReq(p, kUnivA, Jst(2021, 9, 2)), c);
               }).ok());
  ASSERT_TRUE(h.Do(
                   Jst(2021, 9, 3),
                   [](auto& p, auto& c) {
                     return PutOnHold(p, {"alloc-7", 2021, "program budget exhausted"}, c);
                   },
                   FundsActor())
                  .ok());
  EXPECT_TRUE(h.project().on_hold());
  EXPECT_EQ(h.project().hold_reason(),
            "allocation alloc-7 for FY2021 rejected: program budget exhausted");
  auto refused = Activate(h.project(), ActivateReq(h.project()), h.Ctx(Jst(2021, 10, 1)));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(refused.status().message()),
              HasSubstr("cannot activate: project is on hold (allocation alloc-7"));
  EXPECT_EQ(h.project().history().rbegin()->actor().subject(), "funds");
  // funds' AllocationRejected names no allocation id: none is printed.
  auto unnamed = PutOnHold(h.project(), {"", 2022, "program budget exhausted"}, h.Ctx(Jst(2021, 9, 4), FundsActor()));
  ASSERT_TRUE(unnamed.ok());
  EXPECT_EQ(unnamed->project.hold_reason(), "allocation for FY2022 rejected: program budget exhausted");

  ASSERT_TRUE(h.Do(Jst(2021, 10, 2), [](auto& p, auto& c) {
                 v1::ReleaseHoldRequest r;
                 r.set_project_id(p.project_id());
                 r.set_note("supplementary budget");
                 return ReleaseHold(p, r, c);
               }).ok());
  ASSERT_TRUE(
      h.Do(Jst(2021, 10, 2), [](auto& p, auto& c) { return Activate(p, ActivateReq(p), c); }).ok());
  EXPECT_EQ(h.project().state(), v1::PROJECT_STATE_ACTIVE);

  // A hold on a running project blocks resuming it.
  ASSERT_TRUE(
      h.Do(Jst(2022, 4, 2), [](auto& p, auto& c) { return Suspend(p, SuspendReq(p), c); }).ok());
  ASSERT_TRUE(h.Do(
                   Jst(2022, 4, 3),
                   [](auto& p, auto& c) {
                     return PutOnHold(p, {"alloc-8", 2022, "over the cap"}, c);
                   },
                   FundsActor())
                  .ok());
  EXPECT_THAT(
      std::string(
          Resume(h.project(), ResumeReq(h.project()), h.Ctx(Jst(2022, 4, 4))).status().message()),
      HasSubstr("cannot resume: project is on hold"));
}

TEST(LifecycleTest, EventsCarryTheChange) {
  Harness h = InState(v1::PROJECT_STATE_ACTIVE);
  ASSERT_TRUE(h.Do(kNow, [](auto& p, auto& c) {
                 return Suspend(p, SuspendReq(p, "investigation"), c);
               }).ok());
  const auto& e = std::get<v1::ProjectChanged>(h.events().back());
  EXPECT_EQ(e.change(), v1::CHANGE_KIND_SUSPENDED);
  EXPECT_EQ(e.state(), v1::PROJECT_STATE_SUSPENDED);
  EXPECT_THAT(e.description(), HasSubstr("investigation"));
  EXPECT_FALSE(e.budget_plan_changed());
  EXPECT_EQ(&EventPayload(h.events().back()), &e);
}

}  // namespace
}  // namespace tane::projects
