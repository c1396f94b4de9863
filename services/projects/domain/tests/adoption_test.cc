#include <variant>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tane/core/errors.h"
#include "tane/core/ids.h"
#include "tane/projects/time_util.h"
#include "test_support.h"

namespace tane::projects {
namespace {

using ::testing::HasSubstr;
using namespace tane::projects::testing;  // NOLINT

bool HasViolation(const absl::Status& s, const std::string& field) {
  for (const auto& v : core::ViolationsOf(s)) {
    if (v.field == field) return true;
  }
  return false;
}

TEST(AdoptionTest, AdoptionBecomesAContractingProjectAndEmitsProjectStarted) {
  const absl::Time now = Jst(2021, 9, 1);
  auto t = Ok(NewProjectFromAdoption(ForestDecision(), ProgramRules::Forest(), now));
  const v1::Project& p = t.project;
  EXPECT_EQ(p.state(), v1::PROJECT_STATE_CONTRACTING);
  EXPECT_EQ(p.version(), 1);
  EXPECT_EQ(p.program_id(), "forest");
  EXPECT_EQ(p.principal_investigator().role(), v1::MEMBER_ROLE_PRINCIPAL_INVESTIGATOR);
  EXPECT_EQ(p.pi_subject(), "user-researcher-a");  // object-level access for the applicant
  EXPECT_EQ(FromProto(p.research_period().start_time()), Jst(2021, 10, 1));
  EXPECT_EQ(FromProto(p.research_period().end_time()), Jst(2028, 10, 1));
  EXPECT_EQ(p.research_period().months(), 84);
  EXPECT_EQ(p.indirect_rate_percent(), 30);
  ASSERT_EQ(p.institutions_size(), 1);
  EXPECT_FALSE(p.institutions(0).has_contract());
  ASSERT_EQ(p.history_size(), 1);
  EXPECT_EQ(p.history(0).action(), "created");
  EXPECT_EQ(p.history(0).actor().role(), "system");
  EXPECT_EQ(FromProto(p.history(0).time()), now);

  ASSERT_EQ(t.events.size(), 1u);
  const auto& started = std::get<v1::ProjectStarted>(t.events[0]);
  EXPECT_EQ(started.project_id(), p.project_id());
  EXPECT_EQ(started.program_id(), "forest");
  EXPECT_EQ(started.budget_plan_size(), 16);
  EXPECT_EQ(started.institutions(0).institution_id(), kUnivA);
  EXPECT_EQ(started.indirect_rate_percent(), 30);
  EXPECT_EQ(started.pi_subject(), "user-researcher-a");
}

TEST(AdoptionTest, RedeliveredDecisionMapsToTheSameProjectId) {
  const auto rules = ProgramRules::Forest();
  auto first = Ok(NewProjectFromAdoption(ForestDecision("d-42"), rules, Jst(2021, 9, 1)));
  auto again = Ok(NewProjectFromAdoption(ForestDecision("d-42"), rules, Jst(2021, 9, 3)));
  auto other = Ok(NewProjectFromAdoption(ForestDecision("d-43"), rules, Jst(2021, 9, 1)));
  EXPECT_EQ(first.project.project_id(), again.project.project_id());
  EXPECT_NE(first.project.project_id(), other.project.project_id());
  EXPECT_EQ(first.project.project_id(), ProjectIdForDecision("d-42"));
  EXPECT_EQ(first.project.project_id(), core::NameUuid(kProjectIdNamespace, "d-42"));
  EXPECT_TRUE(core::IsUuid(first.project.project_id()));
}

TEST(AdoptionTest, JointCallProposalWaitsForTheJointDecision) {
  auto d = ForestDecision();
  d.joint_call = true;
  auto waiting = NewProjectFromAdoption(d, ProgramRules::Forest(), Jst(2021, 9, 1));
  EXPECT_EQ(waiting.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(waiting.status().message(), HasSubstr("JointDecisionMade"));

  d.source = AdoptionDecision::Source::kJointDecisionMade;
  auto t = Ok(NewProjectFromAdoption(d, ProgramRules::Forest(), Jst(2021, 9, 1)));
  EXPECT_TRUE(t.project.joint_call());
  EXPECT_EQ(t.project.history(0).actor().subject(), "international");
}

TEST(AdoptionTest, RejectionCreatesNothing) {
  auto d = ForestDecision();
  d.adopted = false;
  EXPECT_EQ(NewProjectFromAdoption(d, ProgramRules::Forest(), Jst(2021, 9, 1)).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(AdoptionTest, BadDecisionsListEveryViolatedField) {
  auto d = ForestDecision();
  d.months = 60;  // FOREST runs 84 months
  d.principal_investigator.set_researcher_id("1234");
  v1::Member dup;
  dup.set_researcher_id(kPi);
  dup.set_name("Same person");
  dup.set_institution_id("univ-b");
  d.team.push_back(dup);
  auto s = NewProjectFromAdoption(d, ProgramRules::Forest(), Jst(2021, 9, 1)).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(HasViolation(s, "months")) << s;
  EXPECT_TRUE(HasViolation(s, "principal_investigator.researcher_id")) << s;
  for (const auto& v : core::ViolationsOf(s)) {
    if (v.field == "months") {
      EXPECT_EQ(v.description, "FOREST research periods run 84 to 84 months, not 60");
    }
  }
}

TEST(AdoptionTest, BudgetLinesMustFallInTheResearchPeriodOnceEach) {
  auto d = ForestDecision();
  d.budget_plan[0].set_fiscal_year(2030);
  d.budget_plan[3] = d.budget_plan[2];
  d.budget_plan[4].set_category(v1::BUDGET_CATEGORY_UNSPECIFIED);
  d.budget_plan[5].set_amount_yen(-1);
  auto s = NewProjectFromAdoption(d, ProgramRules::Forest(), Jst(2021, 9, 1)).status();
  EXPECT_TRUE(HasViolation(s, "budget_plan[0].fiscal_year")) << s;
  EXPECT_TRUE(HasViolation(s, "budget_plan[3]")) << s;
  EXPECT_TRUE(HasViolation(s, "budget_plan[4].category")) << s;
  EXPECT_TRUE(HasViolation(s, "budget_plan[5].amount_yen")) << s;
}

TEST(AdoptionTest, AnnualCapApplies) {
  auto rules = ProgramRules::Forest();
  rules.max_annual_direct_yen = 6'000'000;
  auto s = NewProjectFromAdoption(ForestDecision(), rules, Jst(2021, 9, 1)).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(s.message()), HasSubstr("exceed FOREST's annual cap of ¥6,000,000"));
}

TEST(AdoptionTest, TeamInstitutionsJoinTheProject) {
  auto d = ForestDecision();
  v1::Member co;
  co.set_researcher_id("87654321");
  co.set_name("Researcher B");
  co.set_institution_id("univ-b");
  d.team.push_back(co);
  auto p = Ok(NewProjectFromAdoption(d, ProgramRules::Forest(), Jst(2021, 9, 1))).project;
  ASSERT_EQ(p.members_size(), 1);
  EXPECT_EQ(p.members(0).role(), v1::MEMBER_ROLE_CO_INVESTIGATOR);
  EXPECT_EQ(FromProto(p.members(0).effective_from()), Jst(2021, 10, 1));
  ASSERT_EQ(p.institutions_size(), 2);
  EXPECT_EQ(p.institutions(1).institution_id(), "univ-b");
}

TEST(RulesTest, ForestIsValidAndMatchesTheProgram) {
  const auto r = ProgramRules::Forest();
  EXPECT_TRUE(r.Validate().ok()) << r.Validate();
  EXPECT_EQ(r.max_period_months, 84);
  EXPECT_EQ(r.MaxTotalMonths(), 120);
  EXPECT_EQ(r.max_pause_months, 24);
  ASSERT_EQ(r.stage_gates.size(), 2u);
  EXPECT_EQ(r.stage_gates[0].month, 36);
  EXPECT_EQ(r.stage_gates[1].month, 84);
  EXPECT_TRUE(r.support_follows_transfer);
}

TEST(RulesTest, InconsistentRulesAreRejected) {
  ProgramRules r = ProgramRules::Forest();
  r.max_period_months = 10;
  r.min_period_months = 20;
  r.failing_grades = {"E"};
  r.stage_gates.push_back({36, {}});
  r.reports.progress_month = 2;
  r.reports.plan_day = 31;
  r.reports.plan_month = 4;
  auto s = r.Validate();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(HasViolation(s, "max_period_months"));
  EXPECT_TRUE(HasViolation(s, "failing_grades"));
  EXPECT_TRUE(HasViolation(s, "stage_gates[2].month"));
  EXPECT_TRUE(HasViolation(s, "stage_gates[2].allowed_outcomes"));
  EXPECT_TRUE(HasViolation(s, "reports.progress_month"));
  EXPECT_TRUE(HasViolation(s, "reports.plan_day"));
  EXPECT_EQ(NewProjectFromAdoption(ForestDecision(), r, Jst(2021, 9, 1)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(TimeUtilTest, MonthsAreCountedInJstAndClampTheDay) {
  EXPECT_EQ(AddMonths(Jst(2021, 10, 1), 84), Jst(2028, 10, 1));
  EXPECT_EQ(AddMonths(Jst(2024, 1, 31, 9, 30), 1), Jst(2024, 2, 29, 9, 30));
  EXPECT_EQ(AddMonths(Jst(2024, 3, 31), -1), Jst(2024, 2, 29));
  // 1 April 00:00 JST is 31 March 15:00 UTC: still April in JST.
  EXPECT_EQ(AddMonths(Jst(2024, 4, 1), 12), Jst(2025, 4, 1));
  EXPECT_EQ(MonthsBetweenCeil(Jst(2024, 4, 1), Jst(2024, 4, 2)), 1);
  EXPECT_EQ(MonthsBetweenCeil(Jst(2024, 4, 1), Jst(2024, 7, 1)), 3);
  EXPECT_EQ(JstDate(Jst(2024, 4, 1)), "2024-04-01");
  EXPECT_EQ(FromProto(ToProto(Jst(2024, 4, 1) + absl::Nanoseconds(5))),
            Jst(2024, 4, 1) + absl::Nanoseconds(5));
}

}  // namespace
}  // namespace tane::projects
