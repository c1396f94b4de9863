#include "tane/reviews/assignment/conflicts.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "test_util.h"

namespace tane::reviews::assignment {
namespace {

using testing::Jst;

Proposal MakeProposal() {
  Proposal p;
  p.id = "app-1";
  p.review_section = "S1";
  p.pi = {"10000001", {"ror-tokyo"}};
  p.co_investigators = {{"10000002", {"ror-kyoto"}}, {"10000003", {"ror-osaka", "ror-riken"}}};
  return p;
}

Reviewer Clean() {
  Reviewer r;
  r.id = "rev-1";
  r.researcher_id = "20000001";
  r.affiliations = {Affiliation::ForYears("ror-nagoya", 2010)};
  r.max_load = 10;
  return r;
}

struct Case {
  std::string name;
  std::function<void(Reviewer&)> edit;
  std::optional<ConflictReason> want;
  int window_years = 3;
  std::vector<DeclaredConflict> declared = {};
};

TEST(ConflictsTest, TableOfRules) {
  const absl::TimeZone jst = core::TokyoTimeZone();
  const absl::Time as_of = Jst(2024, 10, 1);  // window start 2021-10-01 00:00 JST
  const std::vector<Case> cases = {
      {"clean", [](Reviewer&) {}, std::nullopt},
      {"reviewer is the PI", [](Reviewer& r) { r.researcher_id = "10000001"; },
       ConflictReason::kInvestigator},
      {"reviewer is a co-investigator", [](Reviewer& r) { r.researcher_id = "10000003"; },
       ConflictReason::kInvestigator},
      {"currently at the PI's institution",
       [](Reviewer& r) { r.affiliations.push_back(Affiliation::ForYears("ror-tokyo", 2020)); },
       ConflictReason::kSameInstitution},
      {"currently at a co-investigator's second institution",
       [](Reviewer& r) { r.affiliations.push_back(Affiliation::ForYears("ror-riken", 2020)); },
       ConflictReason::kSameInstitution},
      {"left two years ago (inside the window)",
       [](Reviewer& r) {
         r.affiliations.push_back(Affiliation::ForYears("ror-kyoto", 2015, 2022));
       },
       ConflictReason::kSameInstitution},
      {"left exactly at the window start (inclusive)",
       [&](Reviewer& r) {
         r.affiliations.push_back({"ror-kyoto", Jst(2015, 4, 1), Jst(2021, 10, 1)});
       },
       ConflictReason::kSameInstitution},
      {"left one second before the window start",
       [&](Reviewer& r) {
         r.affiliations.push_back(
             {"ror-kyoto", Jst(2015, 4, 1), Jst(2021, 10, 1) - absl::Seconds(1)});
       },
       std::nullopt},
      {"left four years ago (outside a 3-year window)",
       [](Reviewer& r) {
         r.affiliations.push_back(Affiliation::ForYears("ror-kyoto", 2010, 2020));
       },
       std::nullopt},
      {"left four years ago, 5-year window",
       [](Reviewer& r) {
         r.affiliations.push_back(Affiliation::ForYears("ror-kyoto", 2010, 2020));
       },
       ConflictReason::kSameInstitution, 5},
      {"left last year, 0-year window",
       [](Reviewer& r) {
         r.affiliations.push_back(Affiliation::ForYears("ror-kyoto", 2010, 2023));
       },
       std::nullopt, 0},
      {"announced move to the PI's institution",
       [](Reviewer& r) { r.affiliations.push_back(Affiliation::ForYears("ror-tokyo", 2025)); },
       ConflictReason::kSameInstitution},
      {"co-author of the PI", [](Reviewer& r) { r.coauthor_ids = {"10000001"}; },
       ConflictReason::kCoauthor},
      {"collaborator of a co-investigator", [](Reviewer& r) { r.collaborator_ids = {"10000002"}; },
       ConflictReason::kCoauthor},
      {"co-author of someone else", [](Reviewer& r) { r.coauthor_ids = {"99999999"}; },
       std::nullopt},
      {"relative of a co-investigator", [](Reviewer& r) { r.relation_ids = {"10000003"}; },
       ConflictReason::kRelativeOrSupervisor},
      {"declared on this proposal",
       [](Reviewer&) {},
       ConflictReason::kDeclared,
       3,
       {{"app-1", "rev-1", "former student"}}},
      {"declared on another proposal",
       [](Reviewer&) {},
       std::nullopt,
       3,
       {{"app-2", "rev-1", ""}, {"app-1", "rev-2", ""}}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Reviewer r = Clean();
    c.edit(r);
    ConflictPolicy policy{c.window_years, as_of};
    const auto got = FindConflict(MakeProposal(), r, policy, c.declared);
    ASSERT_EQ(got.has_value(), c.want.has_value()) << (got ? got->detail : "");
    if (got) {
      EXPECT_EQ(got->reason, *c.want) << ConflictReasonName(got->reason) << ": " << got->detail;
      EXPECT_FALSE(got->detail.empty());
    }
  }
  (void)jst;
}

TEST(ConflictsTest, ReportsEveryReasonInOrder) {
  Reviewer r = Clean();
  r.researcher_id = "10000002";
  r.affiliations.push_back(Affiliation::ForYears("ror-tokyo", 2020));
  r.coauthor_ids = {"10000001"};
  r.relation_ids = {"10000003"};
  const std::vector<DeclaredConflict> declared = {{"app-1", "rev-1", "asked to"}};
  const auto all = FindConflicts(MakeProposal(), r, {3, Jst(2024, 10, 1)}, declared);
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(all[0].reason, ConflictReason::kInvestigator);
  EXPECT_EQ(all[1].reason, ConflictReason::kSameInstitution);
  EXPECT_EQ(all[2].reason, ConflictReason::kCoauthor);
  EXPECT_EQ(all[3].reason, ConflictReason::kRelativeOrSupervisor);
  EXPECT_EQ(all[4].reason, ConflictReason::kDeclared);
  EXPECT_NE(all[4].detail.find("asked to"), std::string::npos);
  EXPECT_NE(all[1].detail.find("ror-tokyo"), std::string::npos);
}

TEST(ConflictsTest, WindowStartIsCalendarYearsInJst) {
  EXPECT_EQ(InstitutionWindowStart({3, Jst(2024, 10, 1)}), Jst(2021, 10, 1));
  // 29 February minus one year normalises to 1 March.
  EXPECT_EQ(InstitutionWindowStart({1, Jst(2024, 2, 29)}), Jst(2023, 3, 1));
  EXPECT_EQ(InstitutionWindowStart({0, Jst(2024, 2, 29)}), Jst(2024, 2, 29));
}

TEST(ConflictsTest, ReasonNames) {
  EXPECT_EQ(ConflictReasonName(ConflictReason::kSameInstitution), "same_institution");
  EXPECT_EQ(ConflictReasonName(ConflictReason::kCoauthor), "coauthor");
  EXPECT_EQ(ConflictReasonName(ConflictReason::kRelativeOrSupervisor), "relative_or_supervisor");
  EXPECT_EQ(ConflictReasonName(ConflictReason::kDeclared), "declared");
  EXPECT_EQ(ConflictReasonName(ConflictReason::kInvestigator), "investigator");
}

}  // namespace
}  // namespace tane::reviews::assignment
