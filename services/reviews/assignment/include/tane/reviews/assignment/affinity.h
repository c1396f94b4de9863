#pragma once
/// Affinity: how well a reviewer's expertise matches a proposal, in integer
/// points so the min-cost flow works on exact integers.
///
///   affinity(p, r) = section_points + keyword_points, in [0, 1000] with the
///                    default weights, where
///   section_points = exact_section   (600) if r is registered for p's section
///                  | related_section (300) else, if r is registered for the
///                                          parent of p's section, or for a
///                                          section with the same parent
///                                          (a sibling), or for a child of
///                                          p's section
///                  | 0                     otherwise
///   keyword_points = floor(keyword (400) * |Kp ∩ Kr| / |Kp ∪ Kr|)
///                    (Jaccard similarity of the keyword sets; 0 when both
///                    are empty). Keywords compare after ASCII lowercasing and
///                    trimming; other scripts (Japanese) compare as written.
///
/// A reviewer is a *candidate* for a proposal when section_points > 0 (the
/// proposal is reviewed within its section family), or — when the proposal
/// has no section, or keyword candidates are enabled — when they share at
/// least one keyword.

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "tane/reviews/assignment/types.h"

namespace tane::reviews::assignment {

struct AffinityWeights {
  int exact_section = 600;
  int related_section = 300;
  int keyword = 400;
  int max() const { return std::max(exact_section, related_section) + keyword; }
};

/// Parent lookup over the review-section tree.
class SectionTree final {
 public:
  SectionTree() = default;
  explicit SectionTree(const std::vector<Section>& sections);
  /// The parent section id, or "" for a top-level or unknown section.
  std::string_view Parent(std::string_view section_id) const;

 private:
  absl::flat_hash_map<std::string, std::string> parent_;
};

struct AffinityBreakdown {
  int section_points = 0;
  int keyword_points = 0;
  int total() const { return section_points + keyword_points; }
};

/// The keyword as compared: ASCII-lowercased, surrounding ASCII whitespace
/// removed.
std::string NormalizeKeyword(std::string_view keyword);

/// The documented scoring function above. Pure; thread-safe.
AffinityBreakdown ScoreAffinity(const Proposal& proposal, const Reviewer& reviewer,
                                const SectionTree& sections, const AffinityWeights& weights);

inline int Affinity(const Proposal& proposal, const Reviewer& reviewer, const SectionTree& sections,
                    const AffinityWeights& weights = {}) {
  return ScoreAffinity(proposal, reviewer, sections, weights).total();
}

/// Whether `reviewer` is in `proposal`'s candidate scope (see above).
bool InCandidateScope(const Proposal& proposal, const Reviewer& reviewer,
                      const SectionTree& sections, bool keyword_candidates);

}  // namespace tane::reviews::assignment
