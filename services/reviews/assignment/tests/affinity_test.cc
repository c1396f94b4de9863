#include "tane/reviews/assignment/affinity.h"

#include <gtest/gtest.h>

namespace tane::reviews::assignment {
namespace {

const SectionTree& Tree() {
  static const SectionTree tree(
      {{"L", ""}, {"M1", "L"}, {"M2", "L"}, {"S1", "M1"}, {"S2", "M1"}, {"S3", "M2"}});
  return tree;
}

Proposal P(std::string section, std::vector<std::string> keywords) {
  Proposal p;
  p.id = "p";
  p.review_section = std::move(section);
  p.keywords = std::move(keywords);
  return p;
}

Reviewer R(std::vector<std::string> sections, std::vector<std::string> keywords) {
  Reviewer r;
  r.id = "r";
  r.review_sections = std::move(sections);
  r.keywords = std::move(keywords);
  return r;
}

TEST(AffinityTest, SectionPoints) {
  EXPECT_EQ(ScoreAffinity(P("S1", {}), R({"S1"}, {}), Tree(), {}).section_points, 600);
  EXPECT_EQ(ScoreAffinity(P("S1", {}), R({"S2"}, {}), Tree(), {}).section_points, 300);  // sibling
  EXPECT_EQ(ScoreAffinity(P("S1", {}), R({"M1"}, {}), Tree(), {}).section_points, 300);  // parent
  EXPECT_EQ(ScoreAffinity(P("M1", {}), R({"S2"}, {}), Tree(), {}).section_points, 300);  // child
  EXPECT_EQ(ScoreAffinity(P("S1", {}), R({"S3"}, {}), Tree(), {}).section_points, 0);    // cousin
  EXPECT_EQ(ScoreAffinity(P("S1", {}), R({"L"}, {}), Tree(), {}).section_points, 0);  // grandparent
  EXPECT_EQ(ScoreAffinity(P("", {}), R({"S1"}, {}), Tree(), {}).section_points, 0);
  // Exact wins over related when both apply.
  EXPECT_EQ(ScoreAffinity(P("S1", {}), R({"S2", "S1"}, {}), Tree(), {}).section_points, 600);
}

TEST(AffinityTest, KeywordJaccardFloored) {
  // |∩| = 1, |∪| = 3 -> floor(400 / 3) = 133.
  EXPECT_EQ(ScoreAffinity(P("S1", {"a", "b"}), R({"S3"}, {"b", "c"}), Tree(), {}).keyword_points,
            133);
  // Case and surrounding spaces do not matter; duplicates count once.
  EXPECT_EQ(
      ScoreAffinity(P("S1", {"Graph ", "graph"}), R({}, {" GRAPH"}), Tree(), {}).keyword_points,
      400);
  EXPECT_EQ(ScoreAffinity(P("S1", {"量子"}), R({}, {"量子", "光"}), Tree(), {}).keyword_points,
            200);
  EXPECT_EQ(ScoreAffinity(P("S1", {}), R({}, {}), Tree(), {}).keyword_points, 0);
  EXPECT_EQ(Affinity(P("S1", {"a"}), R({"S1"}, {"a"}), Tree()), 1000);
}

TEST(AffinityTest, CustomWeights) {
  AffinityWeights w{100, 10, 50};
  EXPECT_EQ(w.max(), 150);
  EXPECT_EQ(Affinity(P("S1", {"a"}), R({"S2"}, {"a", "b"}), Tree(), w), 10 + 25);
}

TEST(AffinityTest, CandidateScope) {
  EXPECT_TRUE(InCandidateScope(P("S1", {"x"}), R({"S2"}, {}), Tree(), false));
  EXPECT_FALSE(InCandidateScope(P("S1", {"x"}), R({"S3"}, {"x"}), Tree(), false));
  EXPECT_TRUE(InCandidateScope(P("S1", {"x"}), R({"S3"}, {"X"}), Tree(), true));
  // Without a section, keywords decide.
  EXPECT_TRUE(InCandidateScope(P("", {"x"}), R({"S3"}, {"x"}), Tree(), false));
  EXPECT_FALSE(InCandidateScope(P("", {"x"}), R({"S3"}, {"y"}), Tree(), false));
}

}  // namespace
}  // namespace tane::reviews::assignment
