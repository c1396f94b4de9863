// Reviews against the form, the deadline lock, and the ranking's
// normalisation.

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "test_support.h"

namespace tane::reviews::testing {
namespace {

v1::SubmitReviewRequest FullReview(const v1::ReviewForm& form, int score) {
  v1::SubmitReviewRequest r;
  for (const auto& c : form.criteria()) {
    auto* s = r.add_scores();
    s->set_criterion_id(c.criterion_id());
    s->set_score(score);
  }
  r.set_overall_score(score);
  r.set_comment_to_applicant("独創的な提案である。");
  return r;
}

TEST(ReviewFormTest, EveryViolationIsListed) {
  const v1::ReviewForm form = DefaultReviewForm("crest", kDocument);
  ASSERT_EQ(form.criteria_size(), 4);
  struct Row {
    const char* name;
    void (*edit)(v1::SubmitReviewRequest&);
    std::vector<std::string> fields;
  };
  const Row rows[] = {
      {"complete", [](auto&) {}, {}},
      {"criterion missing", [](auto& r) { r.mutable_scores()->RemoveLast(); }, {"scores"}},
      {"unknown criterion",
       [](auto& r) { r.mutable_scores(0)->set_criterion_id("beauty"); },
       {"scores[0].criterion_id", "scores"}},
      {"scored twice",
       [](auto& r) { *r.add_scores() = r.scores(0); },
       {"scores[4].criterion_id"}},
      {"criterion above scale", [](auto& r) { r.mutable_scores(2)->set_score(6); },
       {"scores[2].score"}},
      {"criterion below scale", [](auto& r) { r.mutable_scores(1)->set_score(0); },
       {"scores[1].score"}},
      {"overall out of scale", [](auto& r) { r.set_overall_score(0); }, {"overall_score"}},
      {"comment missing", [](auto& r) { r.set_comment_to_applicant("  "); },
       {"comment_to_applicant"}},
      {"comment too long",
       [](auto& r) {
         std::string s;
         for (int i = 0; i < 4001; ++i) s += "審";
         r.set_comment_to_applicant(s);
       },
       {"comment_to_applicant"}},
      {"invalid UTF-8", [](auto& r) { r.set_confidential_comment("\xff\xfe"); },
       {"confidential_comment"}},
      {"control character", [](auto& r) { r.set_comment_to_applicant("ok\x07"); },
       {"comment_to_applicant"}},
      {"several at once",
       [](auto& r) {
         r.set_overall_score(9);
         r.mutable_scores(0)->set_score(-1);
         r.clear_comment_to_applicant();
       },
       {"scores[0].score", "overall_score", "comment_to_applicant"}},
  };
  for (const Row& row : rows) {
    v1::SubmitReviewRequest r = FullReview(form, 3);
    row.edit(r);
    core::Violations v;
    CollectReviewViolations(r, form, v);
    std::vector<std::string> fields;
    for (const auto& item : v.items()) fields.push_back(item.field);
    EXPECT_EQ(fields, row.fields) << row.name;
  }
  // Exactly 4000 characters (multi-byte) is fine; line breaks are allowed.
  v1::SubmitReviewRequest r = FullReview(form, 3);
  r.set_comment_to_applicant(std::string(3999, 'a') + "\n");
  core::Violations v;
  CollectReviewViolations(r, form, v);
  EXPECT_TRUE(v.empty());
}

class ReviewDeadlineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(w.AddReviewer(Rev("a", "", "inst-x", {"S1"})).ok());
    ASSERT_TRUE(w.AddReviewer(Rev("b", "", "inst-y", {"S1"})).ok());
    ASSERT_TRUE(w.Open({App("A1", "10000001", "inst-a", "S1")}).ok());
    v1::SetReviewDeadlineRequest d;
    d.set_call_id(kCallId);
    d.set_stage(kDocument);
    *d.mutable_review_deadline() = ToTimestamp(kDeadline);
    auto set = SetReviewDeadline(*w.call, d, w.PoCtx());
    ASSERT_TRUE(set.ok()) << set.status();
    w.call = *set;
  }
  // Reviews close "on 30 June" (JST): locked from 1 July 00:00 JST.
  const absl::Time kDeadline = Jst(2017, 7, 1);
  World w;
};

TEST_F(ReviewDeadlineTest, SubmitAndReviseUntilTheDeadlineThenLocked) {
  ASSERT_TRUE(w.Review("A1", "r-a", 3, "最初の講評").ok());
  const auto* first = &w.Case("A1").reviews(0);
  EXPECT_EQ(first->revision(), 1);
  const auto first_at = FromTimestamp(first->first_submitted_at());
  const auto* e = std::get_if<v1::ReviewSubmitted>(&w.events.back());
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->revision(), 1);
  EXPECT_EQ(e->overall_score(), 3);
  EXPECT_EQ(e->counted_reviews(), 1);
  EXPECT_EQ(e->required_reviews(), 2);

  struct Row {
    absl::Duration before_deadline;
    bool accepted;
  };
  const Row rows[] = {
      {absl::Hours(24), true},
      {absl::Seconds(1), true},        // 30 June 23:59:59 JST
      {absl::Nanoseconds(1), true},
      {absl::ZeroDuration(), false},   // 1 July 00:00:00 JST: locked
      {-absl::Seconds(1), false},
  };
  int revision = 1;
  for (const Row& row : rows) {
    w.now = kDeadline - row.before_deadline;
    const absl::Status s = w.Review("A1", "r-a", 4, "改訂した講評");
    if (row.accepted) {
      EXPECT_TRUE(s.ok()) << row.before_deadline << ": " << s;
      ++revision;
    } else {
      EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << row.before_deadline;
      EXPECT_NE(s.message().find("locked since 2017-07-01 00:00:00 JST"), std::string::npos) << s;
    }
  }
  const v1::Review& last = w.Case("A1").reviews(0);
  EXPECT_EQ(last.revision(), revision);
  EXPECT_EQ(last.overall_score(), 4);
  EXPECT_EQ(last.comment_to_applicant(), "改訂した講評");
  EXPECT_EQ(FromTimestamp(last.first_submitted_at()), first_at);
  EXPECT_EQ(FromTimestamp(last.submitted_at()), kDeadline - absl::Nanoseconds(1));
}

TEST_F(ReviewDeadlineTest, WhoMaySubmit) {
  ASSERT_TRUE(w.AddReviewer(Rev("stranger", "", "inst-s", {"S1"})).ok());
  EXPECT_EQ(w.Review("A1", "r-stranger", 3).code(), absl::StatusCode::kNotFound);
  v1::SubmitReviewRequest stale = FullReview(w.rules.FormFor(kDocument), 3);
  stale.set_case_id(w.Case("A1").case_id());
  stale.set_version(w.Case("A1").version() + 7);
  EXPECT_EQ(SubmitReview(w.Case("A1"), *w.call, w.Reviewer("r-a"), stale, w.ReviewerCtx("r-a"))
                .status()
                .code(),
            absl::StatusCode::kAborted);
  v1::SubmitReviewRequest bad = FullReview(w.rules.FormFor(kDocument), 3);
  bad.set_case_id(w.Case("A1").case_id());
  bad.set_overall_score(7);
  auto refused = SubmitReview(w.Case("A1"), *w.call, w.Reviewer("r-a"), bad, w.ReviewerCtx("r-a"));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ViolationFields(refused.status()), std::vector<std::string>{"overall_score"});
}

TEST_F(ReviewDeadlineTest, JapaneseCommentsRoundTrip) {
  const std::string comment = "研究計画は妥当であり、波及効果も大きい。🔬 Ｆｕｌｌ－ｗｉｄｔｈ ｶﾅ";
  ASSERT_TRUE(w.Review("A1", "r-a", 5, comment, "総括へ：利益相反なし").ok());
  v1::ReviewCase parsed;
  ASSERT_TRUE(parsed.ParseFromString(w.Case("A1").SerializeAsString()));
  EXPECT_EQ(parsed.reviews(0).comment_to_applicant(), comment);
  EXPECT_EQ(parsed.reviews(0).confidential_comment(), "総括へ：利益相反なし");
  EXPECT_EQ(parsed.application().title_ja(), "ナノスケール熱輸送の研究 A1");
}

TEST(ZScoreTest, IntegerArithmetic) {
  struct Row {
    std::vector<int64_t> scores;
    int64_t x;
    int64_t micro;
  };
  const Row rows[] = {
      {{1, 5}, 5, 1'000'000},
      {{1, 5}, 1, -1'000'000},
      {{3, 3, 3}, 3, 0},          // no spread
      {{4}, 4, 0},                // one score
      {{1, 2, 3}, 3, 1'224'744},  // 3/√6 = 1.2247448…, rounded down
      {{1, 2, 3}, 1, -1'224'745},
      {{1, 2, 3}, 2, 0},
      {{2, 4, 4, 4, 5, 5, 7, 9}, 9, 2'000'000},  // mean 5, sd 2
  };
  for (const Row& row : rows) {
    int64_t s = 0, q = 0;
    for (int64_t v : row.scores) {
      s += v;
      q += v * v;
    }
    EXPECT_EQ(ZScoreMicro(static_cast<int64_t>(row.scores.size()), s, q, row.x), row.micro)
        << row.x;
  }
  EXPECT_EQ(static_cast<uint64_t>(IntegerSqrt(0)), 0u);
  EXPECT_EQ(static_cast<uint64_t>(IntegerSqrt(15)), 3u);
  EXPECT_EQ(static_cast<uint64_t>(IntegerSqrt(16)), 4u);
  const unsigned __int128 big = static_cast<unsigned __int128>(3'000'000'000'000'000'000ull) *
                                3'000'000'000'000'000'000ull;
  EXPECT_EQ(static_cast<uint64_t>(IntegerSqrt(big)), 3'000'000'000'000'000'000ull);
  EXPECT_EQ(static_cast<uint64_t>(IntegerSqrt(big - 1)), 2'999'999'999'999'999'999ull);
}

// One reviewer per case, pinned: the harsh reviewer H scores A, B, C with
// 1, 2, 3; the lenient L scores D, E, F with 3, 4, 5.
class RankingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    w = World({kDocument}, 1);
    ASSERT_TRUE(w.AddReviewer(Rev("h", "", "inst-h", {"S1"})).ok());
    ASSERT_TRUE(w.AddReviewer(Rev("l", "", "inst-l", {"S1"})).ok());
    const char* apps[] = {"A", "B", "C", "D", "E", "F"};
    for (int i = 0; i < 6; ++i) {
      ASSERT_TRUE(w.Submit(App(apps[i], absl::StrCat("1000000", i), "inst-a", "S1")).ok());
      v1::SetPairRuleRequest pin;
      pin.set_case_id(w.Case(apps[i]).case_id());
      pin.set_reviewer_id(i < 3 ? "r-h" : "r-l");
      pin.set_kind(v1::PAIR_RULE_KIND_PIN);
      auto t = SetPairRule(w.Case(apps[i]), *w.call, w.pool, pin, w.PoCtx());
      ASSERT_TRUE(t.ok()) << t.status();
      w.Apply(*t);
    }
    ASSERT_TRUE(w.Close().ok());
    ASSERT_TRUE(w.Solve().ok());
    const int scores[] = {1, 2, 3, 3, 4, 5};
    for (int i = 0; i < 6; ++i) {
      ASSERT_TRUE(w.Review(apps[i], i < 3 ? "r-h" : "r-l", scores[i]).ok()) << apps[i];
    }
  }
  std::vector<std::string> Order(const v1::Ranking& r) {
    std::vector<std::string> out;
    for (const auto& e : r.entries()) out.push_back(absl::StrCat(e.application_id(), e.rank()));
    return out;
  }
  World w;
};

TEST_F(RankingTest, EachReviewerIsNormalisedAgainstTheirOwnScores) {
  const v1::Ranking r = ComputeRanking(*w.call, w.cases, kDocument, w.now);
  // C (a harsh 3, H's best) ranks above E (a lenient 4, L's middle).
  EXPECT_EQ(Order(r), (std::vector<std::string>{"F1", "C2", "E3", "B4", "D5", "A6"}));
  EXPECT_EQ(r.ranked(), 6);
  const auto* c = FindEntry(r, w.Case("C").case_id());
  EXPECT_EQ(c->mean_normalized_micro(), 1'224'744);
  EXPECT_EQ(c->mean_overall_milli(), 3000);
  EXPECT_EQ(c->counted_reviews(), 1);
  EXPECT_EQ(c->required_reviews(), 1);
  EXPECT_EQ(FindEntry(r, w.Case("A").case_id())->mean_normalized_micro(), -1'224'745);
}

TEST_F(RankingTest, TheSameReviewsGiveTheSameRankingInAnyOrder) {
  const std::string expected = ComputeRanking(*w.call, w.cases, kDocument, w.now).SerializeAsString();
  std::mt19937 rng(7);
  for (int k = 0; k < 5; ++k) {
    std::vector<v1::ReviewCase> shuffled = w.cases;
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    EXPECT_EQ(ComputeRanking(*w.call, shuffled, kDocument, w.now).SerializeAsString(), expected);
  }
}

TEST(RankingSpreadTest, FewReviewsUsePooledScoresTiesShareARankSpreadIsShown) {
  World w({kDocument}, 2);
  // Load 2 each: 8 slots for 8, so nobody reaches the 3 reviews of their own z.
  for (const char* n : {"a", "b", "c", "d"}) {
    ASSERT_TRUE(w.AddReviewer(Rev(n, "", std::string("inst-r") + n, {"S1"}, 2)).ok());
  }
  ASSERT_TRUE(w.Open({App("P", "10000001", "inst-a", "S1"), App("Q", "10000002", "inst-a", "S1"),
                      App("T", "10000003", "inst-a", "S1"), App("U", "10000004", "inst-a", "S1")})
                  .ok());
  // P: 2 and 4; Q: 4 and 2 (a tie with P); T: 5 and 5; U: no review.
  const auto score = [&](const std::string& app, int first, int second) {
    const auto ids = w.ReviewersOf(app);
    ASSERT_EQ(ids.size(), 2u);
    ASSERT_TRUE(w.Review(app, ids[0], first).ok());
    ASSERT_TRUE(w.Review(app, ids[1], second).ok());
  };
  score("P", 2, 4);
  score("Q", 4, 2);
  score("T", 5, 5);
  const v1::Ranking r = ComputeRanking(*w.call, w.cases, kDocument, w.now);
  ASSERT_EQ(r.entries_size(), 4);
  EXPECT_EQ(r.entries(0).application_id(), "T");
  EXPECT_EQ(r.entries(0).rank(), 1);
  EXPECT_EQ(r.entries(1).rank(), 2);
  EXPECT_EQ(r.entries(2).rank(), 2) << "P and Q tie";
  EXPECT_EQ(r.entries(3).application_id(), "U");
  EXPECT_EQ(r.entries(3).rank(), 0) << "unranked, last";
  EXPECT_EQ(r.ranked(), 3);
  const auto* p = FindEntry(r, w.Case("P").case_id());
  EXPECT_EQ(p->mean_overall_milli(), 3000);
  EXPECT_EQ(p->min_overall(), 2);
  EXPECT_EQ(p->max_overall(), 4);
  EXPECT_EQ(p->stddev_overall_milli(), 1000);
  EXPECT_LT(p->min_normalized_micro(), p->max_normalized_micro());
  EXPECT_FALSE(RanksAbove(r.entries(1), r.entries(2)));
  EXPECT_TRUE(RanksAbove(r.entries(0), r.entries(1)));
  EXPECT_FALSE(RanksAbove(r.entries(0), r.entries(3))) << "unranked is not compared";
}

// A reviewer with fewer than 3 reviews is normalised against the pooled
// scores: their 5 beats another reviewer's 3 even though each gave only one.
TEST(RankingSpreadTest, OneReviewEachFallsBackToThePool) {
  World w({kDocument}, 1);
  ASSERT_TRUE(w.AddReviewer(Rev("p", "", "inst-p", {"S1"})).ok());
  ASSERT_TRUE(w.AddReviewer(Rev("q", "", "inst-q", {"S1"})).ok());
  ASSERT_TRUE(w.Open({App("X", "10000001", "inst-a", "S1"), App("Y", "10000002", "inst-a", "S1")})
                  .ok());
  ASSERT_TRUE(w.Review("X", w.ReviewersOf("X")[0], 5).ok());
  ASSERT_TRUE(w.Review("Y", w.ReviewersOf("Y")[0], 3).ok());
  const v1::Ranking r = ComputeRanking(*w.call, w.cases, kDocument, w.now);
  EXPECT_EQ(r.entries(0).application_id(), "X");
  EXPECT_EQ(r.entries(0).mean_normalized_micro(), 1'000'000);
  EXPECT_EQ(r.entries(1).mean_normalized_micro(), -1'000'000);
}

}  // namespace
}  // namespace tane::reviews::testing
