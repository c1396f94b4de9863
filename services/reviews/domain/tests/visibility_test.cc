// Who sees what: roles, redaction, feedback ownership, listings and paging.

#include <gtest/gtest.h>

#include "test_support.h"

namespace tane::reviews::testing {
namespace {

class VisibilityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(w.AddReviewer(Rev("a", "", "inst-ra", {"S1"})).ok());
    ASSERT_TRUE(w.AddReviewer(Rev("b", "", "inst-rb", {"S1"})).ok());
    ASSERT_TRUE(w.AddReviewer(Rev("other", "", "inst-ro", {"S9"})).ok());
    ASSERT_TRUE(w.Submit(App("A", "10000001", "inst-a", "S1"), "ANR").ok());
    ASSERT_TRUE(w.Close().ok());
    ASSERT_TRUE(w.Solve().ok());
    ASSERT_TRUE(w.Review("A", "r-a", 4, "丁寧な計画", "総括のみ: 競合研究あり").ok());
    ASSERT_TRUE(w.Review("A", "r-b", 3, "independent view", "confidential b").ok());
    ASSERT_TRUE(w.Shortlist("A").ok());
    ASSERT_TRUE(w.Decide("A", false).ok());
  }
  Viewer As(const std::string& role, const std::string& subject = "s",
            const std::string& agency = "") {
    Viewer v{Actor(role, subject), nullptr};
    v.actor.set_agency(agency);
    return v;
  }
  Viewer AsReviewer(const std::string& id) { return Viewer{w.As(id), &w.Reviewer(id)}; }
  World w;
};

TEST_F(VisibilityTest, WhoGetsTheCase) {
  struct Row {
    const char* name;
    Viewer viewer;
    absl::StatusCode code;
  };
  const Row rows[] = {
      {"assigned reviewer", AsReviewer("r-a"), absl::StatusCode::kOk},
      {"unassigned reviewer", AsReviewer("r-other"), absl::StatusCode::kNotFound},
      {"reviewer without a record", As("reviewer", "sub-nobody"), absl::StatusCode::kNotFound},
      {"program officer", As("program_officer"), absl::StatusCode::kOk},
      {"operator", As("operator"), absl::StatusCode::kOk},
      {"auditor", As("auditor"), absl::StatusCode::kOk},
      {"partner of the joint call", As("partner", "anr-1", "ANR"), absl::StatusCode::kOk},
      {"another partner", As("partner", "nsf-1", "NSF"), absl::StatusCode::kNotFound},
      {"partner without agency", As("partner", "p"), absl::StatusCode::kNotFound},
      {"applicant", As("applicant", "applicant-A"), absl::StatusCode::kPermissionDenied},
      {"finance officer", As("finance_officer"), absl::StatusCode::kPermissionDenied},
  };
  for (const Row& row : rows) {
    EXPECT_EQ(ViewCase(w.Case("A"), *w.call, row.viewer, w.now).status().code(), row.code)
        << row.name;
  }
}

TEST_F(VisibilityTest, ReviewersSeeOnlyThemselves) {
  auto view = ViewCase(w.Case("A"), *w.call, AsReviewer("r-a"), w.now);
  ASSERT_TRUE(view.ok());
  const std::string wire = view->SerializeAsString();
  EXPECT_EQ(wire.find("r-b"), std::string::npos) << "no other reviewer's id";
  EXPECT_EQ(wire.find("confidential b"), std::string::npos);
  ASSERT_EQ(view->reviews_size(), 1);
  EXPECT_EQ(view->reviews(0).reviewer_id(), "r-a");
  EXPECT_EQ(view->reviews(0).confidential_comment(), "総括のみ: 競合研究あり") << "their own";
  EXPECT_EQ(view->assignments(0).reviewers_size(), 1);
  EXPECT_FALSE(view->has_decision());
  EXPECT_EQ(view->assignment_history_size(), 0);
  EXPECT_TRUE(view->application().applicant_subject().empty());
  EXPECT_EQ(view->application().title_ja(), "ナノスケール熱輸送の研究 A");
}

TEST_F(VisibilityTest, PartnersSeeNoReviewerAndNoConfidentialComment) {
  auto view = ViewCase(w.Case("A"), *w.call, As("partner", "anr-1", "ANR"), w.now);
  ASSERT_TRUE(view.ok());
  const std::string wire = view->SerializeAsString();
  for (const char* secret : {"r-a", "r-b", "総括のみ", "confidential b", "po-1", "不採択"}) {
    EXPECT_EQ(wire.find(secret), std::string::npos) << secret;
  }
  EXPECT_EQ(view->reviews_size(), 2) << "scores and applicant comments stay";
  EXPECT_FALSE(view->decision().adopted());
}

TEST_F(VisibilityTest, StaffSeeEverything) {
  for (const char* role : {"program_officer", "operator", "auditor"}) {
    auto view = ViewCase(w.Case("A"), *w.call, As(role), w.now);
    ASSERT_TRUE(view.ok());
    EXPECT_EQ(view->SerializeAsString(), w.Case("A").SerializeAsString()) << role;
    EXPECT_TRUE(MaySeeConfidential(Actor(role, "x")));
  }
  EXPECT_FALSE(MaySeeConfidential(Actor("reviewer", "x")));
  EXPECT_FALSE(MaySeeConfidential(Actor("partner", "x")));
}

TEST_F(VisibilityTest, FeedbackGoesToTheApplicantWhoOwnsIt) {
  struct Row {
    const char* name;
    Viewer viewer;
    absl::StatusCode code;
  };
  const Row rows[] = {
      {"owner", As("applicant", "applicant-A"), absl::StatusCode::kOk},
      {"another applicant", As("applicant", "applicant-B"), absl::StatusCode::kNotFound},
      {"program officer", As("program_officer"), absl::StatusCode::kOk},
      {"reviewer", AsReviewer("r-a"), absl::StatusCode::kPermissionDenied},
      {"partner", As("partner", "anr-1", "ANR"), absl::StatusCode::kPermissionDenied},
  };
  for (const Row& row : rows) {
    auto f = ViewFeedback(w.Case("A"), w.rules, row.viewer);
    EXPECT_EQ(f.status().code(), row.code) << row.name;
    if (f.ok()) {
      EXPECT_EQ(f->SerializeAsString().find("r-a"), std::string::npos);
      EXPECT_EQ(f->comments_size(), 2);
    }
  }
}

TEST_F(VisibilityTest, ReviewerRecordsAndTheirOwnReview) {
  EXPECT_TRUE(ViewReviewer(w.Reviewer("r-a"), AsReviewer("r-a")).ok());
  EXPECT_EQ(ViewReviewer(w.Reviewer("r-b"), AsReviewer("r-a")).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE(ViewReviewer(w.Reviewer("r-b"), As("auditor")).ok());
  EXPECT_EQ(ViewReviewer(w.Reviewer("r-b"), As("applicant")).status().code(),
            absl::StatusCode::kPermissionDenied);
  auto mine = ViewMyReview(w.Case("A"), *w.call, w.Reviewer("r-a"), w.now);
  ASSERT_TRUE(mine.ok());
  EXPECT_EQ(mine->overall_score(), 4);
  EXPECT_EQ(ViewMyReview(w.Case("A"), *w.call, w.Reviewer("r-other"), w.now).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(VisibilityTest, RankingsForStaffAndTheJointCallsPartner) {
  EXPECT_TRUE(ViewRanking(*w.call, w.cases, kDocument, As("auditor"), w.now).ok());
  EXPECT_TRUE(ViewRanking(*w.call, w.cases, kDocument, As("partner", "p", "ANR"), w.now).ok());
  EXPECT_EQ(ViewRanking(*w.call, w.cases, kDocument, As("partner", "p", "NSF"), w.now)
                .status()
                .code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(ViewRanking(*w.call, w.cases, kDocument, AsReviewer("r-a"), w.now).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ViewRanking(*w.call, w.cases, kInterview, As("auditor"), w.now).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ListingTest, ReviewCasesFilteredAndPaged) {
  World w;
  for (const char* n : {"a", "b", "c"}) {
    ASSERT_TRUE(w.AddReviewer(Rev(n, "", std::string("inst-r") + n, {"S1"})).ok());
  }
  std::vector<calls::v1::Application> apps;
  for (int i = 0; i < 5; ++i) {
    apps.push_back(App(absl::StrCat("A", i), absl::StrCat("1000000", i), "inst-a", i < 4 ? "S1" : "S2"));
  }
  ASSERT_TRUE(w.Open(apps).ok());
  const Viewer po{Po(), nullptr};
  v1::ListReviewCasesRequest r;
  r.set_call_id(kCallId);
  r.set_page_size(2);
  std::vector<std::string> seen;
  for (int page = 0; page < 5; ++page) {
    auto got = ListReviewCases(*w.call, w.cases, r, po, w.now);
    ASSERT_TRUE(got.ok()) << got.status();
    for (const auto& c : got->review_cases()) seen.push_back(c.application_id());
    if (got->next_page_token().empty()) break;
    r.set_page_token(got->next_page_token());
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"A0", "A1", "A2", "A3", "A4"}));

  v1::ListReviewCasesRequest short_only;
  short_only.set_call_id(kCallId);
  short_only.set_short_of_reviewers_only(true);
  auto shortfalls = ListReviewCases(*w.call, w.cases, short_only, po, w.now);
  ASSERT_TRUE(shortfalls.ok());
  ASSERT_EQ(shortfalls->review_cases_size(), 1);
  EXPECT_EQ(shortfalls->review_cases(0).application_id(), "A4") << "nobody reviews S2";

  v1::ListReviewCasesRequest section;
  section.set_call_id(kCallId);
  section.set_review_section("S2");
  EXPECT_EQ(ListReviewCases(*w.call, w.cases, section, po, w.now)->review_cases_size(), 1);

  v1::ListReviewCasesRequest bad;
  bad.set_page_token("garbage");
  bad.set_page_size(-1);
  auto refused = ListReviewCases(*w.call, w.cases, bad, po, w.now);
  EXPECT_EQ(ViolationFields(refused.status()),
            (std::vector<std::string>{"page_size", "page_token"}));
}

TEST(ListingTest, ReviewersFilteredAndPagedForStaffOnly) {
  World w;
  v1::Reviewer a = Rev("a", "", "inst-a", {"S1"});
  a.add_keywords("Thermal Transport");
  v1::Reviewer b = Rev("b", "", "inst-b", {"S2"});
  v1::Reviewer c = Rev("c", "", "inst-c", {"S1"});
  c.set_suspended(true);
  for (const auto& r : {a, b, c}) ASSERT_TRUE(w.AddReviewer(r).ok());
  const Viewer po{Po(), nullptr};
  const auto ids = [&](const v1::ListReviewersRequest& r) {
    std::vector<std::string> out;
    auto got = ListReviewers(w.pool, r, po);
    EXPECT_TRUE(got.ok());
    for (const auto& x : got->reviewers()) out.push_back(x.reviewer_id());
    return out;
  };
  v1::ListReviewersRequest r;
  EXPECT_EQ(ids(r), (std::vector<std::string>{"r-a", "r-b", "r-c"}));
  r.set_review_section("S1");
  EXPECT_EQ(ids(r), (std::vector<std::string>{"r-a", "r-c"}));
  r.set_exclude_suspended(true);
  EXPECT_EQ(ids(r), std::vector<std::string>{"r-a"});
  v1::ListReviewersRequest k;
  k.set_keyword("  thermal transport ");
  EXPECT_EQ(ids(k), std::vector<std::string>{"r-a"});
  v1::ListReviewersRequest paged;
  paged.set_page_size(1);
  auto first = ListReviewers(w.pool, paged, po);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->reviewers(0).reviewer_id(), "r-a");
  paged.set_page_token(first->next_page_token());
  EXPECT_EQ(ListReviewers(w.pool, paged, po)->reviewers(0).reviewer_id(), "r-b");
  EXPECT_EQ(ListReviewers(w.pool, {}, Viewer{Actor("reviewer", "sub-a"), &w.pool[0]})
                .status()
                .code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(ListingTest, MyAssignmentsLatestDeadlineFirstWithLockState) {
  World w;
  for (const char* n : {"a", "b"}) {
    ASSERT_TRUE(w.AddReviewer(Rev(n, "", std::string("inst-r") + n, {"S1"})).ok());
  }
  ASSERT_TRUE(w.Open({App("A1", "10000001", "inst-a", "S1"), App("A2", "10000002", "inst-a", "S1")})
                  .ok());
  // A second call whose document stage closes later.
  v1::CallReview later = *w.call;
  later.set_call_id("call-presto-2017");
  later.mutable_schedules(0)->mutable_review_deadline()->set_seconds(
      w.call->schedules(0).review_deadline().seconds() + 86400 * 10);
  v1::ReviewCase other = w.Case("A1");
  other.set_case_id("case-other");
  other.set_application_id("B1");
  other.set_call_id("call-presto-2017");
  std::vector<v1::ReviewCase> all = w.cases;
  all.push_back(other);
  std::vector<v1::CallReview> calls{*w.call, later};
  ASSERT_TRUE(w.Review("A2", "r-a", 4).ok());
  all[1] = w.Case("A2");
  auto mine = ListMyReviewAssignments({calls}, all, w.Reviewer("r-a"), {}, w.now);
  ASSERT_TRUE(mine.ok());
  ASSERT_EQ(mine->assignments_size(), 3);
  EXPECT_EQ(mine->assignments(0).application_id(), "B1");
  EXPECT_EQ(mine->assignments(0).call_id(), "call-presto-2017");
  EXPECT_FALSE(mine->assignments(0).locked());
  for (const auto& s : mine->assignments()) {
    EXPECT_EQ(s.my_review_revision(), s.application_id() == "A2" ? 1 : 0);
  }
  const absl::Time deadline = *ReviewDeadline(*w.call, kDocument);
  auto after = ListMyReviewAssignments({calls}, all, w.Reviewer("r-a"), {}, deadline);
  ASSERT_TRUE(after.ok());
  EXPECT_FALSE(after->assignments(0).locked()) << "the later call is still open";
  EXPECT_TRUE(after->assignments(1).locked());
  v1::ListMyReviewAssignmentsRequest one_call;
  one_call.set_call_id(kCallId);
  EXPECT_EQ(ListMyReviewAssignments({calls}, all, w.Reviewer("r-a"), one_call, w.now)
                ->assignments_size(),
            2);
}

}  // namespace
}  // namespace tane::reviews::testing
