#include <set>
#include <variant>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tane/core/errors.h"
#include "tane/projects/time_util.h"
#include "test_support.h"

namespace tane::projects {
namespace {

using ::testing::HasSubstr;
using namespace tane::projects::testing;  // NOLINT

v1::AddMemberRequest MemberReq(const v1::Project& p, const std::string& id,
                               const std::string& institution,
                               const std::string& institution_name) {
  v1::AddMemberRequest r;
  r.set_project_id(p.project_id());
  r.mutable_member()->set_researcher_id(id);
  r.mutable_member()->set_name("Co " + id);
  r.mutable_member()->set_institution_id(institution);
  r.set_institution_name(institution_name);
  return r;
}

v1::RemoveMemberRequest RemoveReq(const v1::Project& p, const std::string& id, absl::Time at) {
  v1::RemoveMemberRequest r;
  r.set_project_id(p.project_id());
  r.set_researcher_id(id);
  *r.mutable_effective_time() = ToProto(at);
  return r;
}

v1::TransferInstitutionRequest TransferReq(const v1::Project& p, const std::string& to,
                                           const std::string& name, absl::Time at) {
  v1::TransferInstitutionRequest r;
  r.set_project_id(p.project_id());
  r.set_new_institution_id(to);
  r.set_new_institution_name(name);
  *r.mutable_effective_time() = ToProto(at);
  return r;
}

v1::RevisePlanRequest PlanReq(const v1::Project& p, int fy, v1::BudgetCategory cat, int64_t yen) {
  v1::RevisePlanRequest r;
  r.set_project_id(p.project_id());
  r.set_reason("progress");
  auto* c = r.add_changes();
  c->set_fiscal_year(fy);
  c->set_category(cat);
  c->set_amount_yen(yen);
  return r;
}

TEST(MembersTest, AddAndRemoveCoInvestigatorWithEffectiveDates) {
  Harness h;
  h.CreateActive();
  ASSERT_TRUE(h.Do(Jst(2022, 4, 1), [](auto& p, auto& c) {
                 auto r = MemberReq(p, "87654321", "univ-b", "University B");
                 *r.mutable_member()->mutable_effective_from() = ToProto(Jst(2022, 5, 1));
                 return AddMember(p, r, c);
               }).ok());
  const auto& p = h.project();
  ASSERT_EQ(p.members_size(), 1);
  EXPECT_EQ(p.members(0).role(), v1::MEMBER_ROLE_CO_INVESTIGATOR);
  EXPECT_EQ(FromProto(p.members(0).effective_from()), Jst(2022, 5, 1));
  ASSERT_EQ(p.institutions_size(), 2);
  EXPECT_FALSE(p.institutions(1).has_contract());
  EXPECT_THAT(p.history().rbegin()->description(), HasSubstr("contract pending"));
  // Still active: a new institution's contract is paperwork, not a stop.
  EXPECT_EQ(p.state(), v1::PROJECT_STATE_ACTIVE);

  auto dup = AddMember(p, MemberReq(p, "87654321", "univ-b", ""), h.Ctx(Jst(2022, 6, 1)));
  EXPECT_EQ(dup.status().code(), absl::StatusCode::kAlreadyExists);
  auto pi = AddMember(p, MemberReq(p, kPi, kUnivA, ""), h.Ctx(Jst(2022, 6, 1)));
  EXPECT_THAT(std::string(pi.status().message()), HasSubstr("principal investigator"));
  auto nameless = AddMember(p, MemberReq(p, "11112222", "univ-c", ""), h.Ctx(Jst(2022, 6, 1)));
  EXPECT_EQ(core::ViolationsOf(nameless.status()).front().field, "institution_name");
  auto bad_id = AddMember(p, MemberReq(p, "12-34", "univ-b", ""), h.Ctx(Jst(2022, 6, 1)));
  EXPECT_EQ(core::ViolationsOf(bad_id.status()).front().field, "member.researcher_id");

  ASSERT_TRUE(h.Do(Jst(2023, 3, 1), [](auto& p, auto& c) {
                 return RemoveMember(p, RemoveReq(p, "87654321", Jst(2023, 4, 1)), c);
               }).ok());
  EXPECT_EQ(FromProto(h.project().members(0).effective_to()), Jst(2023, 4, 1));
  EXPECT_EQ(FromProto(h.project().institutions(1).left_at()), Jst(2023, 4, 1));
  const auto& e = std::get<v1::ProjectChanged>(h.events().back());
  EXPECT_EQ(e.change(), v1::CHANGE_KIND_MEMBER_REMOVED);
  EXPECT_EQ(FromProto(e.effective_time()), Jst(2023, 4, 1));

  auto again = RemoveMember(h.project(), RemoveReq(h.project(), "87654321", Jst(2023, 5, 1)),
                            h.Ctx(Jst(2023, 5, 1)));
  EXPECT_EQ(again.status().code(), absl::StatusCode::kNotFound);
  auto remove_pi = RemoveMember(h.project(), RemoveReq(h.project(), kPi, Jst(2023, 5, 1)),
                                h.Ctx(Jst(2023, 5, 1)));
  EXPECT_THAT(std::string(remove_pi.status().message()),
              HasSubstr("cannot remove the principal investigator"));
  // The researcher may come back later.
  EXPECT_TRUE(AddMember(h.project(), MemberReq(h.project(), "87654321", "univ-b", ""),
                        h.Ctx(Jst(2023, 6, 1)))
                  .ok());
}

TEST(MembersTest, MemberInstitutionNeedsAContractBeforeActivation) {
  Harness h;
  h.Create(ForestDecision(), Jst(2021, 9, 1));
  ASSERT_TRUE(h.Do(Jst(2021, 9, 2), [](auto& p, auto& c) {
                 auto r = MemberReq(p, "87654321", "univ-b", "University B");
                 *r.mutable_member()->mutable_effective_from() = ToProto(Jst(2021, 10, 1));
                 return AddMember(p, r, c);
               }).ok());
  ASSERT_TRUE(h.Do(Jst(2021, 9, 3), [](auto& p, auto& c) {
                 return AddContract(p, ContractReq(p, kUnivA, Jst(2021, 10, 1)), c);
               }).ok());
  auto refused = Activate(h.project(), ActivateReq(h.project()), h.Ctx(Jst(2021, 10, 1)));
  EXPECT_THAT(std::string(refused.status().message()),
              HasSubstr("cannot activate: no contract for institution University B (univ-b)"));
  ASSERT_TRUE(h.Do(Jst(2021, 9, 4), [](auto& p, auto& c) {
                 return AddContract(p, ContractReq(p, "univ-b", Jst(2021, 10, 1), "C-2"), c);
               }).ok());
  EXPECT_TRUE(Activate(h.project(), ActivateReq(h.project()), h.Ctx(Jst(2021, 10, 1))).ok());
}

TEST(TransferTest, InstitutionTransferKeepsTheProjectActive) {
  Harness h;
  h.CreateActive();
  ASSERT_TRUE(h.Do(Jst(2023, 3, 15), [](auto& p, auto& c) {
                 return TransferInstitution(
                     p, TransferReq(p, "univ-b", "University B", Jst(2023, 4, 1)), c);
               }).ok());
  const auto& p = h.project();
  EXPECT_EQ(p.state(), v1::PROJECT_STATE_ACTIVE);
  EXPECT_EQ(p.principal_investigator().institution_id(), "univ-b");
  const auto& old = p.institutions(0);
  EXPECT_EQ(FromProto(old.left_at()), Jst(2023, 4, 1));
  EXPECT_EQ(FromProto(old.contract().end_time()), Jst(2023, 4, 1));
  EXPECT_EQ(p.institutions(1).institution_id(), "univ-b");
  EXPECT_FALSE(p.institutions(1).has_contract());
  // The budget plan is untouched: support follows the PI.
  EXPECT_EQ(PlanFor(p, 2023), 7'000'000);
  const auto& e = std::get<v1::ProjectChanged>(h.events().back());
  EXPECT_EQ(e.change(), v1::CHANGE_KIND_INSTITUTION_TRANSFERRED);
  EXPECT_EQ(e.state(), v1::PROJECT_STATE_ACTIVE);
  EXPECT_EQ(e.principal_investigator().institution_id(), "univ-b");
  EXPECT_THAT(e.description(), HasSubstr("from University A (univ-a) to University B (univ-b)"));

  // The new institution's contract is added while the project stays active.
  ASSERT_TRUE(h.Do(Jst(2023, 4, 2), [](auto& p, auto& c) {
                 return AddContract(p, ContractReq(p, "univ-b", Jst(2023, 4, 1), "C-B"), c);
               }).ok());
  EXPECT_EQ(h.project().institutions(1).contract().contract_number(), "C-B");
  // Moving back re-opens univ-a, which needs a fresh contract.
  ASSERT_TRUE(h.Do(Jst(2025, 3, 1), [](auto& p, auto& c) {
                 return TransferInstitution(p, TransferReq(p, kUnivA, "", Jst(2025, 4, 1)), c);
               }).ok());
  EXPECT_FALSE(h.project().institutions(0).has_left_at());
  EXPECT_FALSE(h.project().institutions(0).has_contract());
  EXPECT_EQ(h.project().institutions(0).past_contracts_size(), 1);

  auto same = TransferInstitution(
      h.project(), TransferReq(h.project(), kUnivA, "", Jst(2025, 5, 1)), h.Ctx(Jst(2025, 5, 1)));
  EXPECT_EQ(same.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(TransferTest, ProgramsWhereSupportDoesNotFollowRefuse) {
  auto rules = ProgramRules::Forest();
  rules.name = "CREST";
  rules.support_follows_transfer = false;
  Harness h(rules);
  h.CreateActive();
  auto r = TransferInstitution(h.project(),
                               TransferReq(h.project(), "univ-b", "University B", Jst(2023, 4, 1)),
                               h.Ctx(Jst(2023, 3, 1)));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr("in CREST the project does not follow its principal investigator"));
}

TEST(PlanTest, SupervisorRaisesAndCutsTheBudget) {
  auto rules = ProgramRules::Forest();
  rules.max_annual_direct_yen = 10'000'000;
  rules.expanded_max_annual_direct_yen = 20'000'000;
  Harness h(rules);
  h.CreateActive();
  ASSERT_TRUE(h.Do(Jst(2022, 5, 1), [](auto& p, auto& c) {
                 auto r = PlanReq(p, 2022, v1::BUDGET_CATEGORY_EQUIPMENT, 8'000'000);
                 auto* down = r.add_changes();
                 down->set_fiscal_year(2023);
                 down->set_category(v1::BUDGET_CATEGORY_PERSONNEL);
                 down->set_amount_yen(0);  // removes the line
                 return RevisePlan(p, r, c);
               }).ok());
  EXPECT_EQ(PlanFor(h.project(), 2022), 10'000'000);
  EXPECT_EQ(PlanFor(h.project(), 2023), 5'000'000);
  const auto& e = std::get<v1::ProjectChanged>(h.events().back());
  EXPECT_EQ(e.change(), v1::CHANGE_KIND_PLAN_REVISED);
  EXPECT_TRUE(e.budget_plan_changed());
  EXPECT_EQ(e.budget_plan_size(), 15);
  EXPECT_THAT(e.description(), HasSubstr("FY2022 EQUIPMENT ¥5,000,000 → ¥8,000,000"));
  EXPECT_THAT(e.description(), HasSubstr("(+¥1,000,000)"));

  auto over =
      RevisePlan(h.project(), PlanReq(h.project(), 2024, v1::BUDGET_CATEGORY_TRAVEL, 4'000'000),
                 h.Ctx(Jst(2022, 6, 1)));
  EXPECT_EQ(over.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(
      std::string(over.status().message()),
      HasSubstr("FY2024 direct costs ¥11,000,000 exceed FOREST's annual cap of ¥10,000,000 "
                "(an \"expand\" stage gate raises it to ¥20,000,000 from the next fiscal year)"));
  auto past = RevisePlan(h.project(), PlanReq(h.project(), 2021, v1::BUDGET_CATEGORY_TRAVEL, 1),
                         h.Ctx(Jst(2022, 6, 1)));
  EXPECT_THAT(std::string(past.status().message()),
              HasSubstr("cannot change the FY2021 budget: that fiscal year has ended"));
  auto outside = RevisePlan(h.project(), PlanReq(h.project(), 2031, v1::BUDGET_CATEGORY_TRAVEL, 1),
                            h.Ctx(Jst(2022, 6, 1)));
  EXPECT_EQ(core::ViolationsOf(outside.status()).front().field, "changes[0].fiscal_year");
}

TEST(ForestLimitsTest, ExtensionUpTo120MonthsAfterThePassedYear7Gate) {
  Harness h;
  h.CreateActive();
  ASSERT_TRUE(h.Do(Jst(2024, 9, 1), [](auto& p, auto& c) {
                 return RecordEvaluation(p, GateReq(p, 36, v1::STAGE_GATE_OUTCOME_CONTINUE, "A"),
                                         c);
               }).ok());
  ASSERT_TRUE(h.Do(Jst(2028, 6, 1), [](auto& p, auto& c) {
                 return RecordEvaluation(p, GateReq(p, 84, v1::STAGE_GATE_OUTCOME_CONTINUE, "S"),
                                         c);
               }).ok());
  auto too_far = Extend(h.project(), ExtendReq(h.project(), 37), h.Ctx(Jst(2028, 7, 1)));
  EXPECT_EQ(too_far.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(too_far.status().message()),
              HasSubstr("cannot extend beyond 120 months for FOREST"));

  ASSERT_TRUE(h.Do(Jst(2028, 7, 1), [](auto& p, auto& c) {
                 auto r = ExtendReq(p, 36);
                 auto* line = r.add_budget_lines();
                 line->set_fiscal_year(2030);
                 line->set_category(v1::BUDGET_CATEGORY_EQUIPMENT);
                 line->set_amount_yen(6'000'000);
                 return Extend(p, r, c);
               }).ok());
  const auto& period = h.project().research_period();
  EXPECT_EQ(period.months(), 120);
  EXPECT_EQ(period.extension_months(), 36);
  EXPECT_EQ(period.initial_months(), 84);
  EXPECT_EQ(FromProto(period.end_time()), Jst(2031, 10, 1));
  EXPECT_EQ(PlanFor(h.project(), 2030), 6'000'000);
  EXPECT_EQ(h.project().state(), v1::PROJECT_STATE_ACTIVE);
  const auto& e = std::get<v1::ProjectChanged>(h.events().back());
  EXPECT_EQ(e.change(), v1::CHANGE_KIND_EXTENDED);
  EXPECT_TRUE(e.budget_plan_changed());

  auto one_more = Extend(h.project(), ExtendReq(h.project(), 1), h.Ctx(Jst(2029, 1, 1)));
  EXPECT_THAT(std::string(one_more.status().message()),
              HasSubstr("cannot extend beyond 120 months for FOREST (now 120, asked for 1 more)"));
}

TEST(ForestLimitsTest, PausesUpTo24MonthsMoveTheEnd) {
  Harness h;
  h.CreateActive();
  ASSERT_TRUE(
      h.Do(Jst(2023, 1, 10), [](auto& p, auto& c) { return Pause(p, PauseReq(p, 12), c); }).ok());
  EXPECT_EQ(h.project().state(), v1::PROJECT_STATE_PAUSED);
  EXPECT_EQ(FromProto(h.project().research_period().end_time()), Jst(2029, 10, 1));
  // Back after 8 months and a few days: 9 months counted, 3 given back.
  ASSERT_TRUE(
      h.Do(Jst(2023, 9, 15), [](auto& p, auto& c) { return Resume(p, ResumeReq(p), c); }).ok());
  EXPECT_EQ(h.project().state(), v1::PROJECT_STATE_ACTIVE);
  EXPECT_EQ(h.project().pauses(0).used_months(), 9);
  EXPECT_EQ(h.project().research_period().paused_months(), 9);
  EXPECT_EQ(FromProto(h.project().research_period().end_time()), Jst(2029, 7, 1));
  // Pauses are not research months.
  EXPECT_EQ(h.project().research_period().months(), 84);

  auto too_long = Pause(h.project(), PauseReq(h.project(), 16, v1::PAUSE_REASON_NURSING_CARE),
                        h.Ctx(Jst(2024, 1, 10)));
  EXPECT_EQ(too_long.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(too_long.status().message()),
              HasSubstr("cannot pause for 16 months: FOREST allows 24 months of pauses in total "
                        "and 9 are used"));
  ASSERT_TRUE(h.Do(Jst(2024, 1, 10), [](auto& p, auto& c) {
                 return Pause(p, PauseReq(p, 15, v1::PAUSE_REASON_CHILDCARE), c);
               }).ok());
  EXPECT_EQ(h.project().research_period().paused_months(), 24);

  auto rules = ProgramRules::Forest();
  rules.name = "CREST";
  rules.max_pause_months = 0;
  Harness crest(rules);
  crest.CreateActive();
  EXPECT_THAT(
      std::string(Pause(crest.project(), PauseReq(crest.project(), 3), crest.Ctx(Jst(2022, 1, 1)))
                      .status()
                      .message()),
      HasSubstr("cannot pause: CREST does not allow pauses"));
}

TEST(HistoryTest, EveryChangeHasAnEntryWithActorAndTime) {
  Harness h;
  h.Create(ForestDecision(), Jst(2021, 9, 1));
  struct Step {
    absl::Time now;
    common::v1::Actor actor;
    std::function<absl::StatusOr<Transition>(const v1::Project&, const Context&)> fn;
    std::string action;
  };
  const std::vector<Step> steps = {
      {Jst(2021, 9, 10), Operator(),
       [](auto& p, auto& c) { return AddContract(p, ContractReq(p, kUnivA, Jst(2021, 10, 1)), c); },
       "contract_added"},
      {Jst(2021, 10, 1), Operator(),
       [](auto& p, auto& c) { return Activate(p, ActivateReq(p), c); }, "activated"},
      {Jst(2022, 2, 1), PiActor(),
       [](auto& p, auto& c) {
         return SubmitReport(p, ReportReq(p, 2021, v1::REPORT_KIND_ANNUAL_PLAN), c);
       },
       "report_submitted"},
      {Jst(2022, 3, 1), Officer(),
       [](auto& p, auto& c) { return AddMember(p, MemberReq(p, "87654321", kUnivA, ""), c); },
       "member_added"},
      {Jst(2022, 5, 1), PiActor(),
       [](auto& p, auto& c) {
         return SubmitReport(p, ReportReq(p, 2021, v1::REPORT_KIND_PROGRESS_REPORT), c);
       },
       "report_submitted"},
      {Jst(2022, 5, 2), PiActor(),
       [](auto& p, auto& c) {
         return SubmitReport(p, ReportReq(p, 2021, v1::REPORT_KIND_PROGRESS_REPORT), c);
       },
       "report_revised"},
      {Jst(2022, 6, 1), Officer(),
       [](auto& p, auto& c) {
         return RevisePlan(p, PlanReq(p, 2023, v1::BUDGET_CATEGORY_TRAVEL, 500'000), c);
       },
       "plan_revised"},
      {Jst(2022, 7, 1), FundsActor(),
       [](auto& p, auto& c) {
         return PutOnHold(p, {"a-1", 2023, "cap"}, c);
       },
       "put_on_hold"},
      {Jst(2022, 7, 2), Officer(),
       [](auto& p, auto& c) {
         v1::ReleaseHoldRequest r;
         r.set_project_id(p.project_id());
         return ReleaseHold(p, r, c);
       },
       "hold_released"},
      {Jst(2022, 8, 1), Officer(), [](auto& p, auto& c) { return Suspend(p, SuspendReq(p), c); },
       "suspended"},
      {Jst(2022, 9, 1), Officer(), [](auto& p, auto& c) { return Resume(p, ResumeReq(p), c); },
       "resumed"},
      {Jst(2023, 1, 1), Operator(), [](auto& p, auto& c) { return Pause(p, PauseReq(p, 2), c); },
       "paused"},
      {Jst(2023, 3, 1), Operator(), [](auto& p, auto& c) { return Resume(p, ResumeReq(p), c); },
       "resumed"},
      {Jst(2023, 3, 2), Officer(),
       [](auto& p, auto& c) {
         return RemoveMember(p, RemoveReq(p, "87654321", Jst(2023, 3, 31)), c);
       },
       "member_removed"},
      {Jst(2023, 3, 3), Officer(),
       [](auto& p, auto& c) {
         return TransferInstitution(p, TransferReq(p, "univ-b", "University B", Jst(2023, 4, 1)),
                                    c);
       },
       "institution_transferred"},
      {Jst(2024, 9, 1), Officer(),
       [](auto& p, auto& c) {
         return RecordEvaluation(p, GateReq(p, 36, v1::STAGE_GATE_OUTCOME_STOP, "C"), c);
       },
       "evaluation_recorded"},
  };
  for (const auto& step : steps) {
    SCOPED_TRACE(step.action);
    const int64_t before = h.project().version();
    ASSERT_TRUE(h.Do(step.now, step.fn, step.actor).ok());
    const auto& p = h.project();
    EXPECT_EQ(p.version(), before + 1);
    const auto& last = *p.history().rbegin();
    EXPECT_EQ(last.version(), p.version());
    EXPECT_EQ(last.action(), step.action);
    EXPECT_EQ(last.actor().subject(), step.actor.subject());
    EXPECT_EQ(last.actor().role(), step.actor.role());
    EXPECT_EQ(FromProto(last.time()), step.now);
    EXPECT_FALSE(last.description().empty());
    EXPECT_EQ(FromProto(p.updated_at()), step.now);
  }
  const auto& p = h.project();
  EXPECT_EQ(p.state(), v1::PROJECT_STATE_TERMINATED);
  ASSERT_EQ(p.history_size(), static_cast<int>(steps.size()) + 1);
  for (int i = 0; i < p.history_size(); ++i) {
    EXPECT_EQ(p.history(i).version(), i + 1);  // one entry per version, none missing
    EXPECT_FALSE(p.history(i).actor().subject().empty());
    EXPECT_TRUE(p.history(i).has_time());
  }
  // Every successful command produced at least one event, each in order.
  EXPECT_GE(h.events().size(), steps.size() + 1);
}

}  // namespace
}  // namespace tane::projects
