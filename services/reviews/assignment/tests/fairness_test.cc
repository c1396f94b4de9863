#include <gtest/gtest.h>

#include "tane/reviews/assignment/solver.h"
#include "tane/reviews/assignment/synthetic.h"
#include "test_util.h"

namespace tane::reviews::assignment {
namespace {

using testing::BaseOptions;
using testing::CheckConstraints;

// Max-sum and max-min disagree: plain gives A its 1000-point reviewer and B
// a 300-point one (1300, min 300); fair swaps (1200, min 600).
TEST(FairnessTest, RaisesTheWorstProposalOnACraftedInstance) {
  Instance in;
  in.sections = {{"M", ""}, {"S1", "M"}, {"S2", "M"}};
  in.proposals.push_back({"A", "S1", {"x"}, {"pa", {"u1"}}, {}});
  in.proposals.push_back({"B", "S2", {"y"}, {"pb", {"u2"}}, {}});
  Reviewer r1;
  r1.id = "r1";
  r1.review_sections = {"S1", "S2"};
  r1.keywords = {"x"};
  r1.max_load = 1;
  Reviewer r2;
  r2.id = "r2";
  r2.review_sections = {"S1"};
  r2.max_load = 1;
  in.reviewers = {r1, r2};
  Options o = BaseOptions(1);
  o.top_k = 2;
  auto plain = Solve(in, o);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->quality.objective, 1300);
  EXPECT_EQ(plain->quality.min_total, 300);

  o.fairness.enabled = true;
  auto fair = Solve(in, o);
  ASSERT_TRUE(fair.ok()) << fair.status();
  CheckConstraints(in, o, *fair);
  ASSERT_TRUE(fair->fairness.has_value());
  const FairnessReport& f = *fair->fairness;
  EXPECT_EQ(f.plain.objective, 1300);
  EXPECT_EQ(f.plain.min_total, 300);
  EXPECT_EQ(f.fair.objective, 1200);
  EXPECT_EQ(f.fair.min_total, 600);
  EXPECT_EQ(f.cost(), 100);
  EXPECT_EQ(f.min_upper_bound, 600);
  EXPECT_EQ(fair->quality.min_total, 600);
}

TEST(FairnessTest, NeverWorseOnMinimumNeverBetterOnObjective) {
  int improved = 0;
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    SyntheticSpec spec;
    spec.seed = seed;
    spec.proposals = 400;
    spec.reviewers = 60;
    spec.large_sections = 1;
    spec.medium_sections = 3;
    spec.small_sections = 10;
    spec.institutions = 60;
    spec.load_slack = 1.05;  // tight, so proposals compete
    const Instance in = GenerateSynthetic(spec);
    Options o = BaseOptions(5);
    o.top_k = 15;
    auto plain = Solve(in, o);
    ASSERT_TRUE(plain.ok());
    o.fairness.enabled = true;
    auto fair = Solve(in, o);
    ASSERT_TRUE(fair.ok()) << fair.status();
    SCOPED_TRACE(::testing::Message() << "seed " << seed);
    CheckConstraints(in, o, *fair);
    const FairnessReport& f = *fair->fairness;
    EXPECT_EQ(f.plain.objective, plain->quality.objective);
    EXPECT_EQ(f.plain.min_total, plain->quality.min_total);
    EXPECT_GE(f.fair.min_total, f.plain.min_total);
    EXPECT_LE(f.fair.objective, f.plain.objective);
    EXPECT_LE(f.fair.min_total, f.min_upper_bound);
    EXPECT_EQ(fair->quality.objective, f.fair.objective);
    // Every proposal keeps its number of reviewers.
    for (size_t i = 0; i < in.proposals.size(); ++i) {
      EXPECT_EQ(fair->assignments[i].reviewers.size(), plain->assignments[i].reviewers.size());
    }
    improved += f.fair.min_total > f.plain.min_total;
  }
  EXPECT_GT(improved, 0);
}

}  // namespace
}  // namespace tane::reviews::assignment
