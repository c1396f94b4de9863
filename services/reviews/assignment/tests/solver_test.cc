#include "tane/reviews/assignment/solver.h"

#include <gtest/gtest.h>

#include "tane/core/errors.h"
#include "tane/reviews/assignment/synthetic.h"
#include "test_util.h"

namespace tane::reviews::assignment {
namespace {

using testing::BaseOptions;
using testing::BruteForce;
using testing::CheckConstraints;
using testing::RandomTiny;
using testing::Slots;

TEST(SolverTest, MatchesBruteForceOnTinyInstances) {
  int nontrivial = 0;
  for (uint64_t seed = 0; seed < 300; ++seed) {
    for (Algorithm algo : {Algorithm::kNetworkSimplex, Algorithm::kCostScaling}) {
      const bool pins = seed % 3 == 0;
      Instance in = RandomTiny(seed, 4, 6, 2, pins);
      Options o = BaseOptions(2);
      o.algorithm = algo;
      if (seed % 4 == 1) o.min_affinity = 650;
      SCOPED_TRACE(::testing::Message() << "seed " << seed << " " << AlgorithmName(algo));
      auto s = Solve(in, o);
      ASSERT_TRUE(s.ok()) << s.status();
      CheckConstraints(in, o, *s);
      const auto brute = BruteForce(in, o);
      EXPECT_EQ(Slots(*s), brute.slots);
      EXPECT_EQ(s->quality.objective, brute.objective);
      nontrivial += !s->shortfalls.empty() && brute.slots > 0;
    }
  }
  EXPECT_GT(nontrivial, 20);  // the generator does produce tight instances
}

TEST(SolverTest, MatchesBruteForceWithThreeReviewersEach) {
  for (uint64_t seed = 1000; seed < 1150; ++seed) {
    Instance in = RandomTiny(seed, 3, 6, 3, seed % 2 == 0);
    Options o = BaseOptions(3);
    SCOPED_TRACE(::testing::Message() << "seed " << seed);
    auto s = Solve(in, o);
    ASSERT_TRUE(s.ok()) << s.status();
    CheckConstraints(in, o, *s);
    const auto brute = BruteForce(in, o);
    EXPECT_EQ(Slots(*s), brute.slots);
    EXPECT_EQ(s->quality.objective, brute.objective);
  }
}

Instance Medium(uint64_t seed, double slack) {
  SyntheticSpec spec;
  spec.seed = seed;
  spec.proposals = 500;
  spec.reviewers = 70;
  spec.large_sections = 2;
  spec.medium_sections = 4;
  spec.small_sections = 12;
  spec.institutions = 60;
  spec.load_slack = slack;
  spec.cross_medium_fraction = 0.1;
  Instance in = GenerateSynthetic(spec);
  // Program officer rules on top.
  const Options o = BaseOptions(5);
  for (int i = 0; i < 40; ++i) {
    const auto& p = in.proposals[(i * 37) % in.proposals.size()];
    const auto& r = in.reviewers[(i * 11) % in.reviewers.size()];
    in.forbids.push_back({p.id, r.id, ""});
  }
  for (int i = 0; i < 60 && in.pins.size() < 15; ++i) {
    const auto& p = in.proposals[(i * 53 + 7) % in.proposals.size()];
    const auto& r = in.reviewers[(i * 13 + 3) % in.reviewers.size()];
    bool bad = !r.available || FindConflict(p, r, o.conflicts, in.declared_conflicts).has_value();
    for (const auto& f : in.forbids) bad |= f.proposal_id == p.id && f.reviewer_id == r.id;
    for (const auto& pin : in.pins) bad |= pin.reviewer_id == r.id || pin.proposal_id == p.id;
    if (!bad) in.pins.push_back({p.id, r.id, "chair"});
  }
  in.declared_conflicts.push_back({in.proposals[3].id, in.reviewers[5].id, "declared"});
  return in;
}

TEST(SolverTest, EveryConstraintHoldsOnLargerInstances) {
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    for (double slack : {0.8, 1.3}) {
      for (int min_affinity : {0, 700}) {
        Instance in = Medium(seed, slack);
        Options o = BaseOptions(5);
        o.top_k = 12;
        o.min_affinity = min_affinity;
        o.algorithm = Algorithm::kNetworkSimplex;
        SCOPED_TRACE(::testing::Message()
                     << "seed " << seed << " slack " << slack << " min " << min_affinity);
        auto ns = Solve(in, o);
        ASSERT_TRUE(ns.ok()) << ns.status();
        EXPECT_FALSE(in.pins.empty());
        CheckConstraints(in, o, *ns);
        if (slack < 1) {
          EXPECT_FALSE(ns->shortfalls.empty());
        }

        o.algorithm = Algorithm::kCostScaling;
        auto cs = Solve(in, o);
        ASSERT_TRUE(cs.ok()) << cs.status();
        CheckConstraints(in, o, *cs);
        EXPECT_EQ(Slots(*cs), Slots(*ns));
        EXPECT_EQ(cs->quality.objective, ns->quality.objective);

        // One network instead of components: same optimum on the same
        // candidate graph (expansion is per subproblem, so it is off here).
        o.expand_on_shortfall = false;
        auto split = Solve(in, o);
        ASSERT_TRUE(split.ok());
        o.decompose = false;
        auto mono = Solve(in, o);
        ASSERT_TRUE(mono.ok());
        CheckConstraints(in, o, *mono);
        EXPECT_EQ(Slots(*mono), Slots(*split));
        EXPECT_EQ(mono->quality.objective, split->quality.objective);
        EXPECT_GE(Slots(*ns), Slots(*split));  // expansion only adds arcs

        // Threads do not change the answer.
        o.expand_on_shortfall = true;
        o.decompose = true;
        o.algorithm = Algorithm::kNetworkSimplex;
        o.threads = 2;
        auto par = Solve(in, o);
        ASSERT_TRUE(par.ok());
        ASSERT_EQ(par->assignments.size(), ns->assignments.size());
        for (size_t i = 0; i < ns->assignments.size(); ++i) {
          EXPECT_EQ(par->assignments[i].reviewers, ns->assignments[i].reviewers);
        }
      }
    }
  }
}

// A section with `k` reviewers (plus one conflicted), everything else clean.
Instance SmallSection(int proposals, int reviewers, int load) {
  Instance in;
  in.sections = {{"M", ""}, {"S1", "M"}, {"S2", "M"}, {"X", ""}};
  for (int i = 0; i < proposals; ++i) {
    Proposal p;
    p.id = absl::StrCat("p", i);
    p.review_section = "S1";
    p.keywords = {"a", "b"};
    p.pi = {absl::StrCat("pi", i), {"u-tokyo"}};
    in.proposals.push_back(p);
  }
  for (int j = 0; j < reviewers; ++j) {
    Reviewer r;
    r.id = absl::StrCat("r", j);
    r.review_sections = {"S1"};
    r.keywords = {j % 2 ? "a" : "c"};
    r.affiliations = {Affiliation::ForYears(absl::StrCat("inst", j), 2000)};
    r.max_load = load;
    in.reviewers.push_back(r);
  }
  return in;
}

TEST(SolverTest, ReportsNotEnoughCandidatesAndAssignsTheRest) {
  Instance in = SmallSection(2, 4, 10);
  // r0 is at the PI's institution: 3 unconflicted candidates left for p0.
  in.reviewers[0].affiliations.push_back(Affiliation::ForYears("u-tokyo", 2023));
  in.proposals[1].review_section = "X";  // nobody reviews X
  Proposal extra = in.proposals[0];
  extra.id = "p-full";
  extra.pi.institution_ids = {"elsewhere"};
  in.proposals.push_back(extra);
  Options o = BaseOptions(4);
  o.top_k = 4;
  auto s = Solve(in, o);
  ASSERT_TRUE(s.ok()) << s.status();
  CheckConstraints(in, o, *s);
  ASSERT_EQ(s->shortfalls.size(), 2u);
  const Shortfall& a = s->shortfalls[0];
  EXPECT_EQ(a.proposal_id, "p0");
  EXPECT_EQ(a.reason, ShortfallReason::kNotEnoughCandidates);
  EXPECT_EQ(a.assigned, 3);
  EXPECT_EQ(a.eligible, 3);
  EXPECT_EQ(a.conflicted, 1);
  EXPECT_NE(a.detail.find("only 3 unconflicted eligible candidates"), std::string::npos)
      << a.detail;
  const Shortfall& b = s->shortfalls[1];
  EXPECT_EQ(b.proposal_id, "p1");
  EXPECT_EQ(b.assigned, 0);
  EXPECT_NE(b.detail.find("no reviewer is registered for section X"), std::string::npos)
      << b.detail;
  EXPECT_EQ(s->assignments[2].reviewers.size(), 4u);  // the rest is assigned
}

TEST(SolverTest, ReportsCapacityExhausted) {
  Instance in = SmallSection(6, 5, 2);  // 10 review slots for 6 × 3 = 18 wanted
  Options o = BaseOptions(3);
  o.top_k = 5;
  auto s = Solve(in, o);
  ASSERT_TRUE(s.ok()) << s.status();
  CheckConstraints(in, o, *s);
  EXPECT_EQ(Slots(*s), 10);  // all capacity used
  ASSERT_FALSE(s->shortfalls.empty());
  for (const auto& sf : s->shortfalls) {
    EXPECT_EQ(sf.reason, ShortfallReason::kCapacityExhausted) << sf.detail;
    EXPECT_EQ(sf.eligible, 5);
    EXPECT_NE(sf.detail.find("reviewer capacity exhausted"), std::string::npos);
  }
}

TEST(SolverTest, ExpandsTruncatedCandidatesBeforeGivingUp) {
  // Two proposals want 2 reviewers; the two best reviewers have load 1 and
  // K = 2, so the first solve leaves a proposal short; expansion finds r2, r3.
  Instance in = SmallSection(2, 4, 1);
  in.reviewers[2].review_sections = {"S2"};
  in.reviewers[3].review_sections = {"S2"};
  Options o = BaseOptions(2);
  o.top_k = 2;
  auto s = Solve(in, o);
  ASSERT_TRUE(s.ok()) << s.status();
  CheckConstraints(in, o, *s);
  EXPECT_TRUE(s->shortfalls.empty());
  EXPECT_GT(s->stats.expanded_proposals, 0);

  o.expand_on_shortfall = false;
  auto cut = Solve(in, o);
  ASSERT_TRUE(cut.ok());
  EXPECT_FALSE(cut->shortfalls.empty());
  EXPECT_EQ(cut->shortfalls[0].reason, ShortfallReason::kCapacityExhausted);
}

TEST(SolverTest, PinsAreHonouredEvenBelowMinimumAffinityAndOutsideTopK) {
  Instance in = SmallSection(1, 6, 3);
  in.reviewers[5].review_sections = {"S2"};  // related only, lowest affinity
  in.pins.push_back({"p0", "r5", "chair's choice"});
  Options o = BaseOptions(2);
  o.top_k = 2;
  o.min_affinity = 650;
  auto s = Solve(in, o);
  ASSERT_TRUE(s.ok()) << s.status();
  CheckConstraints(in, o, *s);
  const auto& rs = s->assignments[0].reviewers;
  ASSERT_EQ(rs.size(), 2u);
  EXPECT_TRUE(std::any_of(rs.begin(), rs.end(), [](const AssignedReviewer& r) {
    return r.reviewer_id == "r5" && r.pinned;
  }));
}

TEST(SolverTest, ForbidsAreHonoured) {
  Instance in = SmallSection(1, 3, 3);
  in.forbids.push_back({"p0", "r1", ""});
  Options o = BaseOptions(2);
  o.top_k = 3;
  auto s = Solve(in, o);
  ASSERT_TRUE(s.ok());
  CheckConstraints(in, o, *s);
  for (const auto& r : s->assignments[0].reviewers) EXPECT_NE(r.reviewer_id, "r1");
}

TEST(SolverTest, RejectsInvalidPinsWithFieldViolations) {
  Instance in = SmallSection(1, 4, 1);
  in.reviewers[0].affiliations.push_back(Affiliation::ForYears("u-tokyo", 2024));
  in.reviewers[3].available = false;
  in.pins = {{"p0", "r0", ""}, {"p0", "r1", ""}, {"p0", "nobody", ""}, {"p0", "r3", ""}};
  in.forbids = {{"p0", "r1", ""}};
  Options o = BaseOptions(1);
  o.top_k = 1;
  auto s = Solve(in, o);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  const auto v = core::ViolationsOf(s.status());
  auto has = [&](std::string_view field, std::string_view text) {
    return std::any_of(v.begin(), v.end(), [&](const core::FieldViolation& f) {
      return f.field == field && f.description.find(text) != std::string::npos;
    });
  };
  EXPECT_TRUE(has("pins[0].reviewer_id", "conflicted on p0 (same_institution"));
  EXPECT_TRUE(has("pins[1].reviewer_id", "both pinned and forbidden"));
  EXPECT_TRUE(has("pins[2].reviewer_id", "unknown reviewer"));
  EXPECT_TRUE(has("pins[3].reviewer_id", "not available"));
  EXPECT_TRUE(has("pins[1].proposal_id", "more than 1 reviewers pinned"));
}

TEST(SolverTest, RejectsBadOptions) {
  Instance in = SmallSection(1, 2, 1);
  Options o;  // as_of unset
  o.top_k = 2;
  auto s = Solve(in, o);
  ASSERT_FALSE(s.ok());
  const auto v = core::ViolationsOf(s.status());
  ASSERT_FALSE(v.empty());
  EXPECT_TRUE(
      std::any_of(v.begin(), v.end(), [](const auto& f) { return f.field == "options.top_k"; }));
  EXPECT_TRUE(std::any_of(v.begin(), v.end(),
                          [](const auto& f) { return f.field == "options.conflicts.as_of"; }));
}

TEST(SolverTest, DuplicateIdsAreRejected) {
  Instance in = SmallSection(2, 2, 1);
  in.proposals[1].id = "p0";
  auto s = Solve(in, BaseOptions(1));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(core::ViolationsOf(s.status())[0].field, "proposals[1].id");
}

TEST(SolverTest, KeywordCandidatesForProposalsWithoutSection) {
  Instance in = SmallSection(1, 3, 2);
  in.proposals[0].review_section = "";
  in.proposals[0].keywords = {"a"};
  Options o = BaseOptions(1);
  o.top_k = 3;
  auto s = Solve(in, o);
  ASSERT_TRUE(s.ok());
  CheckConstraints(in, o, *s);
  ASSERT_EQ(s->assignments[0].reviewers.size(), 1u);
  EXPECT_EQ(s->assignments[0].reviewers[0].reviewer_id, "r1");  // keyword "a"
}

}  // namespace
}  // namespace tane::reviews::assignment
