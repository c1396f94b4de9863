#include "tane/reviews/assignment/recusal.h"

#include <gtest/gtest.h>

#include "tane/reviews/assignment/synthetic.h"
#include "test_util.h"

namespace tane::reviews::assignment {
namespace {

using testing::BaseOptions;
using testing::CheckConstraints;

Instance Pool(uint64_t seed) {
  SyntheticSpec spec;
  spec.seed = seed;
  spec.proposals = 300;
  spec.reviewers = 60;
  spec.large_sections = 1;
  spec.medium_sections = 3;
  spec.small_sections = 9;
  spec.institutions = 50;
  return GenerateSynthetic(spec);
}

TEST(RecusalTest, RefillsOnlyThatProposalAndNeverRepicksTheRecused) {
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    Instance in = Pool(seed);
    const Options o = BaseOptions(5);
    auto solved = Solve(in, o);
    ASSERT_TRUE(solved.ok()) << solved.status();
    for (int k = 0; k < 25; ++k) {
      Solution before = *solved;
      const size_t pi = (k * 41 + seed) % before.assignments.size();
      const auto& target = before.assignments[pi];
      if (target.reviewers.empty()) continue;
      const std::string recused = target.reviewers[k % target.reviewers.size()].reviewer_id;
      const DeclaredConflict declared{target.proposal_id, recused, "former supervisor"};
      auto refill = RecuseAndRefill(in, o, declared, *solved);
      ASSERT_TRUE(refill.ok()) << refill.status();
      EXPECT_EQ(refill->released_reviewer_id, recused);
      for (const auto& added : refill->added) EXPECT_NE(added.reviewer_id, recused);
      const auto& after = solved->assignments[pi];
      for (const auto& r : after.reviewers) EXPECT_NE(r.reviewer_id, recused);
      EXPECT_EQ(after.reviewers.size() < 5, refill->shortfall.has_value());
      // Nobody else moved.
      for (size_t i = 0; i < before.assignments.size(); ++i) {
        if (i != pi) {
          EXPECT_EQ(before.assignments[i].reviewers, solved->assignments[i].reviewers);
        }
      }
      // The declaration becomes part of the instance, and everything holds.
      in.declared_conflicts.push_back(declared);
      CheckConstraints(in, o, *solved);
      // Best available: no eligible reviewer below their cap scores higher.
      if (!refill->added.empty()) {
        const SectionTree tree(in.sections);
        absl::flat_hash_map<std::string, int> load;
        for (const auto& a : solved->assignments) {
          for (const auto& r : a.reviewers) ++load[r.reviewer_id];
        }
        const Proposal& p = in.proposals[pi];
        const int picked = refill->added.back().affinity;
        for (const auto& r : in.reviewers) {
          if (!r.available || load[r.id] >= r.max_load) continue;
          if (std::any_of(after.reviewers.begin(), after.reviewers.end(),
                          [&](const AssignedReviewer& a) { return a.reviewer_id == r.id; })) {
            continue;
          }
          if (!InCandidateScope(p, r, tree, false)) continue;
          if (FindConflict(p, r, o.conflicts, in.declared_conflicts)) continue;
          EXPECT_LE(Affinity(p, r, tree), picked) << r.id << " was better";
        }
      }
    }
  }
}

TEST(RecusalTest, ReportsShortfallWhenNoReplacementExists) {
  Instance in;
  in.sections = {{"S", ""}};
  in.proposals.push_back({"p0", "S", {"a"}, {"pi", {"u1"}}, {}});
  for (int j = 0; j < 2; ++j) {
    Reviewer r;
    r.id = absl::StrCat("r", j);
    r.review_sections = {"S"};
    r.max_load = 1;
    in.reviewers.push_back(r);
  }
  Options o = BaseOptions(2);
  o.top_k = 2;
  auto s = Solve(in, o);
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(s->shortfalls.empty());
  auto refill = RecuseAndRefill(in, o, {"p0", "r1", "cousin"}, *s);
  ASSERT_TRUE(refill.ok()) << refill.status();
  EXPECT_TRUE(refill->added.empty());
  ASSERT_TRUE(refill->shortfall.has_value());
  EXPECT_EQ(refill->shortfall->reason, ShortfallReason::kNotEnoughCandidates);
  EXPECT_EQ(refill->shortfall->conflicted, 0);  // r1 itself is not counted as a candidate
  ASSERT_EQ(s->shortfalls.size(), 1u);
  EXPECT_EQ(s->assignments[0].reviewers.size(), 1u);
  EXPECT_EQ(s->assignments[0].reviewers[0].reviewer_id, "r0");
}

TEST(RecusalTest, RefillRespectsLoads) {
  Instance in;
  in.sections = {{"S", ""}};
  in.proposals.push_back({"p0", "S", {}, {"pi0", {"u1"}}, {}});
  in.proposals.push_back({"p1", "S", {}, {"pi1", {"u1"}}, {}});
  for (int j = 0; j < 3; ++j) {
    Reviewer r;
    r.id = absl::StrCat("r", j);
    r.review_sections = {"S"};
    r.max_load = 1;
    in.reviewers.push_back(r);
  }
  Options o = BaseOptions(1);
  o.top_k = 3;
  auto s = Solve(in, o);
  ASSERT_TRUE(s.ok());
  const std::string r_p0 = s->assignments[0].reviewers[0].reviewer_id;
  const std::string r_p1 = s->assignments[1].reviewers[0].reviewer_id;
  auto refill = RecuseAndRefill(in, o, {"p0", r_p0, ""}, *s);
  ASSERT_TRUE(refill.ok());
  ASSERT_EQ(refill->added.size(), 1u);
  EXPECT_NE(refill->added[0].reviewer_id, r_p0);
  EXPECT_NE(refill->added[0].reviewer_id, r_p1);  // r_p1 is full
  EXPECT_EQ(s->assignments[1].reviewers[0].reviewer_id, r_p1);
}

TEST(RecusalTest, UnknownPairIsNotFound) {
  Instance in;
  in.sections = {{"S", ""}};
  in.proposals.push_back({"p0", "S", {}, {"pi0", {"u1"}}, {}});
  Reviewer r;
  r.id = "r0";
  r.review_sections = {"S"};
  r.max_load = 1;
  in.reviewers.push_back(r);
  Options o = BaseOptions(1);
  o.top_k = 1;
  auto s = Solve(in, o);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(RecuseAndRefill(in, o, {"p0", "r9", ""}, *s).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(RecuseAndRefill(in, o, {"p9", "r0", ""}, *s).status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace tane::reviews::assignment
