#pragma once
/// Deterministic synthetic instances for benchmarks and tests: a section tree
/// (large → medium → small), proposals spread unevenly over small sections,
/// reviewers registered for 1–3 sibling sections in proportion to demand,
/// section-flavoured keywords, and conflicts (institutions with past
/// affiliations, in-field co-authors and collaborators, relatives,
/// reviewers who are also investigators) at roughly 1% of in-scope pairs.

#include <cstdint>

#include "absl/time/time.h"
#include "tane/reviews/assignment/types.h"

namespace tane::reviews::assignment {

struct SyntheticSpec {
  uint64_t seed = 1;
  int proposals = 10'000;
  int reviewers = 1'000;
  int large_sections = 3;
  int medium_sections = 8;
  int small_sections = 35;
  int keywords_per_section = 30;
  int global_keywords = 200;
  int institutions = 1'000;
  /// Sizes the loads: capacity = load_slack × N × proposals.
  int reviewers_per_proposal = 5;
  double load_slack = 1.3;
  double unavailable_fraction = 0.02;
  /// Reviewers with one extra section in another medium section of the
  /// same large section (interdisciplinary); merges subproblems.
  double cross_medium_fraction = 0.0;
  int coauthors_per_reviewer = 2;
  int collaborators_per_reviewer = 1;
  absl::Time as_of = absl::FromUnixSeconds(1'730'000'000);  // 2024-10-27
};

/// KAKENHI scale: 90,000 proposals, 8,000 reviewers, 11/65/300 sections.
SyntheticSpec KakenhiSpec(uint64_t seed = 1);

Instance GenerateSynthetic(const SyntheticSpec& spec);

}  // namespace tane::reviews::assignment
