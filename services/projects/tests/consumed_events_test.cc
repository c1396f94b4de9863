// Other services' events mapped onto the domain's structs.
#include "tane/projects/consumed_events.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/time/civil_time.h"
#include "tane/core/time.h"
#include "tane/projects/time_util.h"

namespace tane::projects {
namespace {

using ::testing::HasSubstr;

absl::Time Jst(int y, int m, int d) { return absl::FromCivil(absl::CivilDay(y, m, d), core::TokyoTimeZone()); }

calls::v1::Application TeamApplication() {
  calls::v1::Application a;
  a.set_application_id("app-1");
  a.set_call_id("crest-2021");
  a.set_title_ja("ナノスケール熱制御");
  a.set_title_en("Nanoscale thermal control");
  a.set_applicant_subject("user-pi");
  auto* pi = a.mutable_principal_investigator();
  pi->set_researcher_id("12345678");
  pi->set_name_ja("研究者 甲");
  pi->set_institution_id("ror:univ-a");
  pi->set_institution_name("University A");
  auto* co = a.add_co_investigators()->mutable_person();
  co->set_researcher_id("87654321");
  co->set_name_en("Researcher B");
  co->set_institution_id("ror:univ-b");
  co->set_institution_name("University B");
  a.set_research_period_months(66);
  a.set_start_fiscal_year(2021);
  for (int i = 0; i < 2; ++i) {  // one category split over two descriptions
    auto* line = a.add_budget_plan();
    line->set_fiscal_year(2021);
    line->set_category(calls::v1::BUDGET_CATEGORY_EQUIPMENT);
    line->set_amount_yen(10'000'000);
    line->set_description(i == 0 ? "microscope" : "cryostat");
  }
  auto* travel = a.add_budget_plan();
  travel->set_fiscal_year(2022);
  travel->set_category(calls::v1::BUDGET_CATEGORY_TRAVEL);
  travel->set_amount_yen(1'000'000);
  a.set_total_direct_yen(21'000'000);
  a.set_total_indirect_yen(6'299'999);  // floor per year at 30%
  return a;
}

TEST(ConsumedEventsTest, ProposalDecidedCarriesTheApplicationSnapshot) {
  reviews::v1::ProposalDecided decided;
  decided.set_decision_id("d-1");
  decided.set_application_id("app-1");
  decided.set_call_id("crest-2021");
  decided.set_program_id("crest");
  decided.set_research_area_id("area-thermal");
  decided.set_adopted(true);
  *decided.mutable_application() = TeamApplication();
  *decided.mutable_research_start_time() = ToProto(Jst(2021, 10, 1));

  const AdoptionDecision d = AdoptionFromProposal(decided);
  EXPECT_EQ(d.source, AdoptionDecision::Source::kProposalDecided);
  EXPECT_EQ(d.decision_id, "d-1");
  EXPECT_EQ(d.program_id, "crest");
  EXPECT_EQ(d.research_area_id, "area-thermal");
  EXPECT_TRUE(d.adopted);
  EXPECT_FALSE(d.joint_call);
  EXPECT_EQ(d.title_ja, "ナノスケール熱制御");
  EXPECT_EQ(d.pi_subject, "user-pi");
  EXPECT_EQ(d.principal_investigator.researcher_id(), "12345678");
  EXPECT_EQ(d.principal_investigator.name(), "研究者 甲");
  ASSERT_EQ(d.team.size(), 1u);
  EXPECT_EQ(d.team[0].name(), "Researcher B");  // no Japanese name: the English one
  EXPECT_EQ(d.team[0].role(), v1::MEMBER_ROLE_CO_INVESTIGATOR);
  ASSERT_EQ(d.institutions.size(), 2u);
  EXPECT_EQ(d.institutions[1].name(), "University B");
  EXPECT_EQ(d.start_time, Jst(2021, 10, 1));
  EXPECT_EQ(d.months, 66);
  ASSERT_EQ(d.budget_plan.size(), 2u);
  EXPECT_EQ(d.budget_plan[0].amount_yen(), 20'000'000);  // both equipment lines of FY2021
  EXPECT_EQ(d.budget_plan[1].category(), v1::BUDGET_CATEGORY_TRAVEL);
  EXPECT_EQ(d.indirect_rate_percent, 30);
}

TEST(ConsumedEventsTest, ResearchStartDefaultsLikeReviews) {
  // 1 April of the start fiscal year while that is ahead ...
  EXPECT_EQ(DefaultResearchStart(2022, Jst(2021, 12, 20)), Jst(2022, 4, 1));
  // ... otherwise the first day of the month after the decision (JST).
  // 01:00 JST on 1 September is still 31 August in UTC: the month is JST's.
  EXPECT_EQ(DefaultResearchStart(2021, Jst(2021, 9, 1) + absl::Hours(1)), Jst(2021, 10, 1));
  EXPECT_EQ(DefaultResearchStart(2021, Jst(2021, 9, 15)), Jst(2021, 10, 1));
}

TEST(ConsumedEventsTest, JointDecisionTakesTheJstSideStart) {
  international::v1::JointDecisionMade joint;
  joint.set_joint_decision_id("jd-1");
  joint.set_jst_decision_id("d-1");
  joint.set_application_id("app-1");
  joint.set_program_id("sicorp-core-team");
  joint.set_adopted(true);
  *joint.mutable_jst_submission()->mutable_application() = TeamApplication();
  *joint.mutable_decided_at() = ToProto(Jst(2021, 11, 10));

  const AdoptionDecision without = AdoptionFromJointDecision(joint, nullptr);
  EXPECT_EQ(without.source, AdoptionDecision::Source::kJointDecisionMade);
  EXPECT_EQ(without.decision_id, "jd-1");
  EXPECT_TRUE(without.joint_call);
  EXPECT_EQ(without.program_id, "sicorp-core-team");
  EXPECT_EQ(without.start_time, Jst(2021, 12, 1));

  reviews::v1::ProposalDecided jst;
  *jst.mutable_research_start_time() = ToProto(Jst(2022, 1, 1));
  EXPECT_EQ(AdoptionFromJointDecision(joint, &jst).start_time, Jst(2022, 1, 1));

  // The event carries the JST side's start: it holds whether or not the
  // ProposalDecided has been seen (it comes on another topic, in any order).
  *joint.mutable_research_start_time() = ToProto(Jst(2021, 11, 10));
  EXPECT_EQ(AdoptionFromJointDecision(joint, nullptr).start_time, Jst(2021, 11, 10));
  EXPECT_EQ(AdoptionFromJointDecision(joint, &jst).start_time, Jst(2021, 11, 10));
}

TEST(ConsumedEventsTest, AllocationRejectedNamesTheShortfall) {
  funds::v1::AllocationRejected rejected;
  rejected.set_project_id("p-1");
  rejected.set_reason("FY2022 program budget exhausted");
  rejected.set_required_yen(7'000'000);
  rejected.set_shortfall_yen(2'500'000);
  rejected.add_fiscal_years()->set_fiscal_year(2022);
  const AllocationRejection r = RejectionFromFunds(rejected);
  EXPECT_EQ(r.fiscal_year, 2022);
  EXPECT_THAT(r.reason, HasSubstr("FY2022 program budget exhausted"));
  EXPECT_THAT(r.reason, HasSubstr("2500000"));

  rejected.add_fiscal_years()->set_fiscal_year(2023);
  rejected.clear_reason();
  const AllocationRejection two = RejectionFromFunds(rejected);
  EXPECT_EQ(two.fiscal_year, 0);  // more than one year short: none singled out
  EXPECT_FALSE(two.reason.empty());
}

}  // namespace
}  // namespace tane::projects
