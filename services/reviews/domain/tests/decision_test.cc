// Stages (書類選考 → 面接選考 → decision), shortlisting, the decision with its
// departure-from-ranking rule, ProposalDecided, rank bands and feedback.

#include <gtest/gtest.h>

#include <set>

#include "tane/core/ids.h"
#include "test_support.h"

namespace tane::reviews::testing {
namespace {

// Cases A, B, C, ... each reviewed by both reviewers with the given score, so
// the ranking follows the scores exactly.
World Scored(std::vector<Stage> stages, const std::vector<std::pair<std::string, int>>& scores) {
  World w(stages, 2);
  EXPECT_TRUE(w.AddReviewer(Rev("a", "", "inst-ra", {"S1"})).ok());
  EXPECT_TRUE(w.AddReviewer(Rev("b", "", "inst-rb", {"S1"})).ok());
  std::vector<calls::v1::Application> apps;
  int i = 0;
  for (const auto& [id, _] : scores) apps.push_back(App(id, absl::StrCat("1000000", i++), "inst-a", "S1"));
  EXPECT_TRUE(w.Open(apps).ok());
  for (const auto& [id, score] : scores) {
    EXPECT_TRUE(w.Review(id, "r-a", score).ok());
    EXPECT_TRUE(w.Review(id, "r-b", score).ok());
  }
  return w;
}

const v1::ProposalDecided* LastDecided(const World& w) {
  for (auto it = w.events.rbegin(); it != w.events.rend(); ++it) {
    if (const auto* d = std::get_if<v1::ProposalDecided>(&*it)) return d;
  }
  return nullptr;
}

TEST(StageTest, DocumentThenInterviewThenDecision) {
  World w = Scored({kDocument, kInterview}, {{"A", 5}, {"B", 3}});
  ASSERT_TRUE(w.Shortlist("A").ok());
  EXPECT_EQ(w.Case("A").state(), v1::CASE_STATE_IN_REVIEW);
  EXPECT_EQ(w.Case("A").stage(), kInterview);
  const auto* s = std::get_if<v1::ProposalShortlisted>(&w.events.back());
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->from_stage(), kDocument);
  EXPECT_EQ(s->to_stage(), kInterview);
  EXPECT_EQ(s->rank(), 1);
  EXPECT_EQ(s->ranked_of(), 2);
  EXPECT_EQ(w.Case("A").shortlistings(0).shortlisted_by().subject(), "po-1");

  // Adoption waits for the interview.
  EXPECT_EQ(w.Decide("A", true).code(), absl::StatusCode::kFailedPrecondition);
  v1::SolveAssignmentRequest interview;
  interview.set_stage(kInterview);
  auto solved = w.Solve(interview);
  ASSERT_TRUE(solved.ok()) << solved.status();
  EXPECT_EQ(solved->run.cases(), 1) << "only the shortlisted case is interviewed";
  EXPECT_EQ(w.ReviewersOf("A").size(), 2u);
  ASSERT_TRUE(w.Review("A", "r-a", 4).ok());
  EXPECT_EQ(w.Shortlist("A").code(), absl::StatusCode::kFailedPrecondition) << "1 of 2 reviews";
  ASSERT_TRUE(w.Review("A", "r-b", 5).ok());
  ASSERT_TRUE(w.Shortlist("A").ok());
  EXPECT_EQ(w.Case("A").state(), v1::CASE_STATE_AWAITING_DECISION);
  EXPECT_EQ(w.Case("A").stage(), kInterview);
  const auto* last = std::get_if<v1::ProposalShortlisted>(&w.events.back());
  EXPECT_EQ(last->to_stage(), calls::v1::REVIEW_STAGE_UNSPECIFIED);
  ASSERT_TRUE(w.Decide("A", true).ok());
  EXPECT_EQ(w.Case("A").state(), v1::CASE_STATE_DECIDED);
  EXPECT_EQ(w.Case("A").decision().stage(), kInterview);
  // Rejected at the document stage: the not shortlisted one.
  ASSERT_TRUE(w.Decide("B", false).ok());
  EXPECT_EQ(w.Case("B").decision().stage(), kDocument);
  EXPECT_FALSE(w.Case("B").decision().departs_from_ranking());
}

TEST(StageTest, DocumentOnlyProgramGoesStraightToDecision) {
  World w = Scored({kDocument}, {{"A", 4}});
  ASSERT_TRUE(w.Shortlist("A").ok());
  EXPECT_EQ(w.Case("A").state(), v1::CASE_STATE_AWAITING_DECISION);
  EXPECT_EQ(w.Shortlist("A").code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(w.Decide("A", true).ok());
  EXPECT_EQ(w.Decide("A", false).code(), absl::StatusCode::kFailedPrecondition) << "final";
}

TEST(StageTest, ShortlistAndDecideWaitForTheStageToClose) {
  World w(std::vector<Stage>{kDocument}, 2);
  ASSERT_TRUE(w.AddReviewer(Rev("a", "", "inst-ra", {"S1"})).ok());
  ASSERT_TRUE(w.AddReviewer(Rev("b", "", "inst-rb", {"S1"})).ok());
  ASSERT_TRUE(w.Open({App("A", "10000001", "inst-a", "S1"), App("Z", "10000002", "inst-a", "S1")})
                  .ok());
  const absl::Time deadline = *ReviewDeadline(*w.call, kDocument);
  ASSERT_TRUE(w.Review("A", "r-a", 4).ok());
  struct Row {
    const char* name;
    std::string app;
    absl::Time at;
    absl::StatusCode shortlist;
    absl::StatusCode reject;
  };
  const Row rows[] = {
      {"1 of 2 before the deadline", "A", deadline - absl::Seconds(1),
       absl::StatusCode::kFailedPrecondition, absl::StatusCode::kFailedPrecondition},
      {"none counted after the deadline", "Z", deadline, absl::StatusCode::kFailedPrecondition,
       absl::StatusCode::kOk},
      {"1 of 2 at the deadline", "A", deadline, absl::StatusCode::kOk, absl::StatusCode::kOk},
  };
  for (const Row& row : rows) {
    w.now = row.at;
    v1::ShortlistProposalRequest s;
    s.set_case_id(w.Case(row.app).case_id());
    EXPECT_EQ(ShortlistProposal(w.Case(row.app), *w.call, w.cases, s, w.PoCtx()).status().code(),
              row.shortlist)
        << row.name;
    v1::DecideProposalRequest d;
    d.set_case_id(w.Case(row.app).case_id());
    d.set_reason("不採択");
    EXPECT_EQ(DecideProposal(w.Case(row.app), *w.call, w.cases, d, w.PoCtx()).status().code(),
              row.reject)
        << row.name;
  }
}

TEST(DecisionTest, RefusalsAndRequiredFields) {
  World w = Scored({kDocument}, {{"A", 4}, {"B", 3}});
  ASSERT_TRUE(w.Shortlist("A").ok());
  struct Row {
    const char* name;
    void (*edit)(v1::DecideProposalRequest&);
    std::vector<std::string> fields;
  };
  const Row rows[] = {
      {"no reason", [](auto& r) { r.clear_reason(); }, {"reason"}},
      {"start time on a rejection",
       [](auto& r) {
         r.set_adopted(false);
         r.mutable_research_start_time()->set_seconds(1);
       },
       {"research_start_time"}},
      {"bad comment", [](auto& r) { r.set_comment_to_applicant("\x01"); }, {"comment_to_applicant"}},
  };
  for (const Row& row : rows) {
    v1::DecideProposalRequest r;
    r.set_case_id(w.Case("A").case_id());
    r.set_adopted(true);
    r.set_reason("独創性が高い");
    row.edit(r);
    auto t = DecideProposal(w.Case("A"), *w.call, w.cases, r, w.PoCtx());
    EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument) << row.name;
    EXPECT_EQ(ViolationFields(t.status()), row.fields) << row.name;
  }
  v1::DecideProposalRequest stale;
  stale.set_case_id(w.Case("A").case_id());
  stale.set_reason("x");
  stale.set_version(1);
  EXPECT_EQ(DecideProposal(w.Case("A"), *w.call, w.cases, stale, w.PoCtx()).status().code(),
            absl::StatusCode::kAborted);
  EXPECT_EQ(w.Decide("B", true).code(), absl::StatusCode::kFailedPrecondition)
      << "B was not shortlisted";
}

// The departure rule, case by case (document-only program; ranking A > B > C
// unless tied).
TEST(DecisionTest, DepartureFromTheRanking) {
  struct Step {
    std::string app;
    bool adopted;
    bool departs;
  };
  struct Row {
    const char* name;
    std::vector<std::pair<std::string, int>> scores;
    std::vector<Step> steps;
  };
  const Row rows[] = {
      {"in ranking order", {{"A", 5}, {"B", 4}, {"C", 3}},
       {{"A", true, false}, {"B", true, false}, {"C", false, false}}},
      {"adopting below a rejected one", {{"A", 5}, {"B", 4}, {"C", 3}},
       {{"A", false, false}, {"B", true, true}}},
      {"rejecting above an adopted one", {{"A", 5}, {"B", 4}, {"C", 3}},
       {{"C", true, false}, {"B", false, true}, {"A", false, true}}},
      {"ties never depart", {{"A", 4}, {"B", 4}, {"C", 3}},
       {{"A", false, false}, {"B", true, false}}},
      {"rejecting the bottom after adopting the top", {{"A", 5}, {"B", 4}, {"C", 3}},
       {{"A", true, false}, {"C", false, false}}},
  };
  for (const Row& row : rows) {
    World w = Scored({kDocument}, row.scores);
    for (const auto& [id, _] : row.scores) ASSERT_TRUE(w.Shortlist(id).ok());
    for (const Step& step : row.steps) {
      const absl::Status without = w.Decide(step.app, step.adopted);
      if (!step.departs) {
        ASSERT_TRUE(without.ok()) << row.name << " " << step.app << ": " << without;
        EXPECT_FALSE(w.Case(step.app).decision().departs_from_ranking()) << row.name;
        EXPECT_TRUE(w.Case(step.app).decision().departure_reason().empty());
        continue;
      }
      EXPECT_EQ(without.code(), absl::StatusCode::kInvalidArgument) << row.name;
      ASSERT_EQ(ViolationFields(without), std::vector<std::string>{"departure_reason"}) << row.name;
      EXPECT_NE(core::ViolationsOf(without)[0].description.find("departs from the ranking"),
                std::string::npos);
      EXPECT_EQ(w.Case(step.app).state(), v1::CASE_STATE_AWAITING_DECISION) << "unchanged";
      ASSERT_TRUE(w.Decide(step.app, step.adopted, "リスクは高いが革新的").ok()) << row.name;
      const v1::Decision& d = w.Case(step.app).decision();
      EXPECT_TRUE(d.departs_from_ranking()) << row.name;
      EXPECT_EQ(d.departure_reason(), "リスクは高いが革新的");
      EXPECT_FALSE(d.departed_from_case_ids().empty());
      const auto* e = LastDecided(w);
      EXPECT_TRUE(e->departs_from_ranking());
      EXPECT_EQ(e->departure_reason(), "リスクは高いが革新的");
    }
  }
}

// Cases decided in different stages are not compared: a document-stage
// rejection (ranked higher in document review) does not make an interview-stage
// adoption a departure.
TEST(DecisionTest, OnlyTheSameStageRankingIsCompared) {
  World w = Scored({kDocument, kInterview}, {{"A", 5}, {"B", 4}});
  ASSERT_TRUE(w.Shortlist("B").ok());
  ASSERT_TRUE(w.Decide("A", false).ok());
  v1::SolveAssignmentRequest interview;
  interview.set_stage(kInterview);
  ASSERT_TRUE(w.Solve(interview).ok());
  ASSERT_TRUE(w.Review("B", "r-a", 3).ok());
  ASSERT_TRUE(w.Review("B", "r-b", 3).ok());
  ASSERT_TRUE(w.Shortlist("B").ok());
  ASSERT_TRUE(w.Decide("B", true).ok());
  EXPECT_FALSE(w.Case("B").decision().departs_from_ranking());
}

TEST(DecisionTest, ProposalDecidedCarriesWhatProjectsNeeds) {
  World w(std::vector<Stage>{kDocument}, 1);
  ASSERT_TRUE(w.AddReviewer(Rev("a", "", "inst-ra", {"S1"})).ok());
  auto app = App("A", "10000001", "inst-kyoto", "S1");
  AddCoInvestigator(app, "10000002", "inst-osaka");
  app.set_joint_proposal_id("NSF-2017-0042");
  ASSERT_TRUE(w.Submit(app, "NSF").ok());
  ASSERT_TRUE(w.Close().ok());
  ASSERT_TRUE(w.Solve().ok());
  ASSERT_TRUE(w.Review("A", "r-a", 5).ok());
  ASSERT_TRUE(w.Shortlist("A").ok());
  w.now = Jst(2017, 7, 15, 10);
  ASSERT_TRUE(w.Decide("A", true).ok());
  const auto* e = LastDecided(w);
  ASSERT_NE(e, nullptr);
  const auto& c = w.Case("A");
  EXPECT_EQ(e->decision_id(), core::NameUuid(kDecisionIdNamespace, c.case_id()));
  EXPECT_EQ(e->case_id(), c.case_id());
  EXPECT_EQ(e->application_id(), "A");
  EXPECT_EQ(e->call_id(), kCallId);
  EXPECT_EQ(e->program_id(), "crest");
  EXPECT_EQ(e->research_area_id(), "area-thermal");
  EXPECT_EQ(e->call_fiscal_year(), 2017);
  EXPECT_TRUE(e->adopted());
  EXPECT_EQ(e->reason(), "採択: 独創的");
  EXPECT_TRUE(e->joint_call());
  EXPECT_EQ(e->partner_agency(), "NSF");
  EXPECT_EQ(e->joint_proposal_id(), "NSF-2017-0042");
  EXPECT_EQ(e->stage(), kDocument);
  EXPECT_EQ(e->rank(), 1);
  EXPECT_EQ(e->ranked_of(), 1);
  EXPECT_EQ(e->application().SerializeAsString(), c.application().SerializeAsString());
  EXPECT_EQ(e->application().co_investigators(0).person().institution_id(), "inst-osaka");
  EXPECT_EQ(e->application().budget_plan(0).amount_yen(), 30'000'000);
  EXPECT_EQ(e->application().title_ja(), "ナノスケール熱輸送の研究 A");
  // FY2017 started before the decision: the first of the next month (JST).
  EXPECT_EQ(FromTimestamp(e->research_start_time()), Jst(2017, 8, 1));
  EXPECT_EQ(FromTimestamp(e->decided_at()), w.now);
  EXPECT_EQ(e->decided_by().role(), "program_officer");
}

TEST(DecisionTest, DefaultResearchStart) {
  struct Row {
    int start_fiscal_year;
    absl::Time decided;
    absl::Time start;
  };
  const Row rows[] = {
      {2018, Jst(2017, 12, 20), Jst(2018, 4, 1)},
      {2017, Jst(2017, 7, 15), Jst(2017, 8, 1)},
      {2017, Jst(2017, 12, 31, 23, 59, 59), Jst(2018, 1, 1)},
      {2018, Jst(2018, 4, 1), Jst(2018, 5, 1)},  // FY start not after the decision
      {0, Jst(2017, 7, 1), Jst(2017, 8, 1)},
  };
  for (const Row& row : rows) {
    calls::v1::Application app;
    app.set_start_fiscal_year(row.start_fiscal_year);
    EXPECT_EQ(DefaultResearchStart(app, row.decided), row.start) << row.decided;
  }
}

TEST(FeedbackTest, RankBands) {
  const std::vector<int> bands{20, 50, 100};
  struct Row {
    int rank, ranked, percent;
  };
  const Row rows[] = {{1, 10, 20}, {2, 10, 20}, {3, 10, 50}, {5, 10, 50}, {6, 10, 100},
                      {10, 10, 100}, {1, 3, 20}, {2, 3, 50}, {3, 3, 100}, {1, 1, 20},
                      {0, 10, 0}, {4, 0, 0}};
  for (const Row& row : rows) {
    EXPECT_EQ(RankBandPercent(row.rank, row.ranked, bands), row.percent)
        << row.rank << "/" << row.ranked;
  }
}

TEST(FeedbackTest, AnonymousCommentsAndRankBandForRejections) {
  World w = Scored({kDocument}, {{"A", 5}, {"B", 4}, {"C", 3}, {"D", 2}, {"E", 1}});
  // D's reviewers wrote comments; replace with distinct ones and a confidential note.
  ASSERT_TRUE(w.Review("D", "r-a", 2, "方法論が不十分。", "PI と面識あり").ok());
  ASSERT_TRUE(w.Review("D", "r-b", 2, "予算計画が過大。").ok());
  EXPECT_EQ(BuildFeedback(w.Case("D"), w.rules).status().code(),
            absl::StatusCode::kFailedPrecondition)
      << "before the decision";
  ASSERT_TRUE(w.Decide("D", false).ok());
  auto f = BuildFeedback(w.Case("D"), w.rules);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_FALSE(f->adopted());
  ASSERT_EQ(f->comments_size(), 2);
  std::set<std::string> comments, labels;
  for (const auto& c : f->comments()) {
    comments.insert(c.comment());
    labels.insert(c.label());
  }
  EXPECT_EQ(comments, (std::set<std::string>{"方法論が不十分。", "予算計画が過大。"}));
  EXPECT_EQ(labels, (std::set<std::string>{"Reviewer 1", "Reviewer 2"}));
  const std::string wire = f->SerializeAsString();
  EXPECT_EQ(wire.find("r-a"), std::string::npos);
  EXPECT_EQ(wire.find("r-b"), std::string::npos);
  EXPECT_EQ(wire.find("PI と面識あり"), std::string::npos);
  // D ranked 4 of 5: ceil(5 × 50%) = 3 < 4, so below the top 50%.
  EXPECT_EQ(f->rank_band().within_top_percent(), 100);
  EXPECT_EQ(f->rank_band().label_ja(), "上位50%より下");
  EXPECT_EQ(f->rank_band().label_en(), "below the top 50%");

  ASSERT_TRUE(w.Decide("B", false).ok());
  auto fb = BuildFeedback(w.Case("B"), w.rules);
  ASSERT_TRUE(fb.ok());
  EXPECT_EQ(fb->rank_band().within_top_percent(), 50);
  EXPECT_EQ(fb->rank_band().label_ja(), "上位50%");

  ASSERT_TRUE(w.Shortlist("A").ok());
  ASSERT_TRUE(w.Decide("A", true).ok());
  auto fa = BuildFeedback(w.Case("A"), w.rules);
  ASSERT_TRUE(fa.ok());
  EXPECT_TRUE(fa->adopted());
  EXPECT_FALSE(fa->has_rank_band()) << "adoptions get no band";
}

TEST(FeedbackTest, RecusedReviewersCommentsAreLeftOut) {
  World w = Scored({kDocument}, {{"A", 3}});
  ASSERT_TRUE(w.AddReviewer(Rev("c", "", "inst-rc", {"S1"})).ok());
  v1::DeclareConflictRequest d;
  d.set_case_id(w.Case("A").case_id());
  d.set_reviewer_id("r-a");
  d.set_reason("late declaration");
  auto t = DeclareConflict(*w.call, w.cases, w.pool, nullptr, d, w.PoCtx());
  ASSERT_TRUE(t.ok()) << t.status();
  w.Apply(*t);
  ASSERT_TRUE(w.Review("A", "r-c", 3, "refill review").ok());
  ASSERT_TRUE(w.Review("A", "r-b", 3, "b's view").ok());
  ASSERT_TRUE(w.Decide("A", false).ok());
  auto f = BuildFeedback(w.Case("A"), w.rules);
  ASSERT_TRUE(f.ok());
  std::set<std::string> comments;
  for (const auto& c : f->comments()) comments.insert(c.comment());
  EXPECT_EQ(comments, (std::set<std::string>{"refill review", "b's view"}));
}

}  // namespace
}  // namespace tane::reviews::testing
