#include "tane/calls/commitments.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tane/calls/text.h"
#include "test_data.h"

namespace tane::calls {
namespace {

using testing::CrestApplication;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kPi[] = "12345678";
constexpr char kCo[] = "87654321";

PendingApplication Pending(std::string id, int effort, bool open = true) {
  PendingApplication p;
  p.application_id = std::move(id);
  p.call_id = "c-other";
  p.effort_percent = effort;
  p.call_open = open;
  return p;
}

// The PI puts 40% into CrestApplication().
TEST(EffortTest, TotalUpToHundredIsAccepted) {
  struct Case {
    const char* name;
    int active;
    int pending;
    bool ok;
  };
  const Case cases[] = {
      {"nothing else", 0, 0, true},
      {"exactly 100", 40, 20, true},
      {"101", 40, 21, false},
      {"projects alone over", 61, 0, false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    InMemoryCommitments view;
    ResearcherCommitments rc;
    if (c.active) rc.active_projects.push_back({"p-1", "kakenhi-kiban-b", c.active});
    if (c.pending) rc.pending_applications.push_back(Pending("a-other", c.pending));
    view.Put(kPi, rc);
    core::Violations out;
    CollectEffortViolations(CrestApplication(), view, out);
    if (c.ok) {
      EXPECT_TRUE(out.empty());
    } else {
      ASSERT_EQ(out.items().size(), 1u);
      EXPECT_EQ(out.items()[0].field, "pi_effort_percent");
      EXPECT_THAT(out.items()[0].description, HasSubstr("may not exceed 100%"));
    }
  }
}

TEST(EffortTest, TheApplicationItselfIsNotCountedTwice) {
  InMemoryCommitments view;
  ResearcherCommitments rc;
  rc.active_projects.push_back({"p-1", "crest", 60});
  rc.pending_applications.push_back(Pending(testing::kApplicationId, 40));  // this application
  view.Put(kPi, rc);
  core::Violations out;
  CollectEffortViolations(CrestApplication(), view, out);
  EXPECT_TRUE(out.empty());
}

TEST(EffortTest, CoInvestigatorOverCommitted) {
  InMemoryCommitments view;
  ResearcherCommitments rc;
  rc.active_projects.push_back({"p-9", "prime", 90});  // + 20% here
  view.Put(kCo, rc);
  core::Violations out;
  CollectEffortViolations(CrestApplication(), view, out);
  ASSERT_EQ(out.items().size(), 1u);
  EXPECT_EQ(out.items()[0].field, "co_investigators[0].effort_percent");
  EXPECT_THAT(out.items()[0].description, HasSubstr("110%"));
}

TEST(DuplicateTest, SameNormalisedTitleInAnOpenCallIsFlagged) {
  v1::Application mine = CrestApplication();
  v1::Application other = CrestApplication();
  other.set_application_id("a-prime");
  other.set_call_id("c-prime");
  // Same title typed differently: half-width katakana, full-width digits, extra spaces.
  other.set_title_ja("  ﾅﾉｽｹｰﾙ熱輸送の分光学的制御による次世代熱ﾏﾈｰｼﾞﾒﾝﾄ ");
  other.set_abstract("別の概要");
  mine.set_title_ja("ナノスケール熱輸送の分光学的制御による次世代熱マネージメント");

  InMemoryCommitments view;
  ResearcherCommitments rc;
  rc.pending_applications.push_back(AsPending(other, kPi, /*call_open=*/true));
  view.Put(kPi, rc);
  const auto findings = FindDuplicates(mine, view);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].researcher_id(), kPi);
  EXPECT_EQ(findings[0].other_application_id(), "a-prime");
  EXPECT_EQ(findings[0].other_call_id(), "c-prime");
  EXPECT_EQ(findings[0].reason(), v1::DUPLICATE_REASON_SAME_TITLE);
}

TEST(DuplicateTest, Cases) {
  struct Case {
    const char* name;
    std::function<void(v1::Application& other, bool& open)> mutate;
    std::vector<v1::DuplicateReason> reasons;
  };
  const Case cases[] = {
      {"same abstract, different titles",
       [](v1::Application& o, bool&) {
         o.set_title_ja("全く別の題名");
         o.set_title_en("Another title");
       },
       {v1::DUPLICATE_REASON_SAME_ABSTRACT}},
      {"same title and abstract",
       [](v1::Application&, bool&) {},
       {v1::DUPLICATE_REASON_SAME_TITLE, v1::DUPLICATE_REASON_SAME_ABSTRACT}},
      {"English title matches, case and spacing aside",
       [](v1::Application& o, bool&) {
         o.set_title_ja("別題");
         o.set_abstract("別");
         o.set_title_en(
             "NEXT-GENERATION   thermal management by spectral control of nanoscale heat "
             "transport");
       },
       {v1::DUPLICATE_REASON_SAME_TITLE}},
      {"closed call is not flagged", [](v1::Application&, bool& open) { open = false; }, {}},
      {"different texts",
       [](v1::Application& o, bool&) {
         o.set_title_ja("別題");
         o.set_title_en("Other");
         o.set_abstract("別");
       },
       {}},
      {"empty texts never match",
       [](v1::Application& o, bool&) {
         o.clear_title_ja();
         o.clear_title_en();
         o.clear_abstract();
       },
       {}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    v1::Application other = CrestApplication();
    other.set_application_id("a-other");
    bool open = true;
    c.mutate(other, open);
    InMemoryCommitments view;
    ResearcherCommitments rc;
    rc.pending_applications.push_back(AsPending(other, kPi, open));
    view.Put(kPi, rc);
    std::vector<v1::DuplicateReason> reasons;
    for (const auto& f : FindDuplicates(CrestApplication(), view)) reasons.push_back(f.reason());
    EXPECT_EQ(reasons, c.reasons);
  }
}

TEST(DuplicateTest, CoInvestigatorAndSelfExclusion) {
  v1::Application mine = CrestApplication();
  InMemoryCommitments view;
  ResearcherCommitments co;
  co.pending_applications.push_back(AsPending(mine, kCo, true));  // itself: ignored
  v1::Application other = CrestApplication();
  other.set_application_id("a-co");
  co.pending_applications.push_back(AsPending(other, kCo, true));
  view.Put(kCo, co);
  const auto findings = FindDuplicates(mine, view);
  ASSERT_EQ(findings.size(), 2u);  // title and abstract, both via the co-investigator
  EXPECT_EQ(findings[0].researcher_id(), kCo);
  EXPECT_EQ(findings[0].other_application_id(), "a-co");
}

TEST(DuplicateTest, AsPendingCarriesHashesAndEffort) {
  const v1::Application a = CrestApplication();
  const PendingApplication pi = AsPending(a, kPi, true);
  EXPECT_EQ(pi.effort_percent, 40);
  EXPECT_EQ(pi.title_ja_hash, MatchingHash(a.title_ja()));
  EXPECT_EQ(pi.abstract_hash.size(), 64u);
  EXPECT_EQ(AsPending(a, kCo, true).effort_percent, 20);
  EXPECT_EQ(AsPending(a, "00000000", true).effort_percent, 0);
}

}  // namespace
}  // namespace tane::calls

namespace tane::calls {
namespace {

TEST(SubmitWithCommitmentsTest, EffortViolationJoinsTheOthersAndDuplicatesAreReturned) {
  InMemoryCommitments view;
  ResearcherCommitments rc;
  rc.active_projects.push_back({"p-1", "kakenhi-kiban-b", 70});  // + 40% here
  view.Put(kPi, rc);
  v1::Application a = CrestApplication();
  a.clear_abstract();
  const absl::Status status = SubmitApplication(a, testing::CrestCall(), testing::Program("crest"),
                                                view, testing::DuringCrestWindow())
                                  .status();
  EXPECT_THAT(testing::FieldsOf(status),
              ::testing::UnorderedElementsAre("abstract", "pi_effort_percent"));

  InMemoryCommitments ok_view;
  ResearcherCommitments other;
  v1::Application twin = CrestApplication();
  twin.set_application_id("a-twin");
  other.pending_applications.push_back(AsPending(twin, kPi, true));
  ok_view.Put(kPi, other);
  auto outcome =
      SubmitApplication(CrestApplication(), testing::CrestCall(), testing::Program("crest"),
                        ok_view, testing::DuringCrestWindow());
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(outcome->application.state(), v1::APPLICATION_STATE_SUBMITTED);
  EXPECT_EQ(outcome->duplicates.size(), 2u);  // title and abstract: flagged, not refused

  EXPECT_EQ(SubmitApplication(outcome->application, testing::CrestCall(), testing::Program("crest"),
                              ok_view, testing::DuringCrestWindow())
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace tane::calls
