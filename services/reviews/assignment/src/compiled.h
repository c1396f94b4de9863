#pragma once
// The instance with every id interned to a dense int and every set sorted, so
// the hot loops (scoring, conflict checks) compare ints. Mirrors the pure
// string functions in conflicts.cc / affinity.cc; tests check they agree.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "tane/reviews/assignment/conflicts.h"
#include "tane/reviews/assignment/solver.h"
#include "tane/reviews/assignment/types.h"

namespace tane::reviews::assignment::impl {

struct CProposal {
  int section = -1;               // interned section, -1 when none
  int parent = -1;                // its parent, -1 when none
  std::vector<int> keywords;      // sorted unique
  std::vector<int> researchers;   // investigators, sorted unique
  std::vector<int> institutions;  // investigators' institutions, sorted unique
};

struct CReviewer {
  int researcher = -1;
  std::vector<int> sections;             // sorted unique
  std::vector<int> family;               // sections ∪ their parents
  std::vector<int> keywords;             // sorted unique
  std::vector<int> window_institutions;  // affiliations ending in/after window
  std::vector<int> coauthors;            // co-authors ∪ collaborators
  std::vector<int> relations;
  int max_load = 0;
  bool available = true;
};

struct Pin {
  int reviewer;
  int affinity;
};

inline uint64_t PairKey(int p, int r) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(p)) << 32) | static_cast<uint32_t>(r);
}

struct Compiled {
  std::vector<CProposal> proposals;
  std::vector<CReviewer> reviewers;
  absl::flat_hash_map<std::string, int> proposal_index;
  absl::flat_hash_map<std::string, int> reviewer_index;
  int num_sections = 0;
  int num_keywords = 0;
  // section -> reviewers whose family holds it; keyword -> reviewers.
  std::vector<std::vector<int>> family_index;
  std::vector<std::vector<int>> keyword_index;
  absl::flat_hash_set<uint64_t> declared;
  absl::flat_hash_set<uint64_t> forbidden;
  std::vector<std::vector<Pin>> pins;  // by proposal
  std::vector<int> pins_per_reviewer;
  AffinityWeights weights;
  int max_affinity = 0;

  int Affinity(int p, int r) const;
  bool SectionRelated(int p, int r) const;
  // Index of the first ConflictReason that applies, or -1.
  int ConflictReasonIndex(int p, int r) const;
  bool Forbidden(int p, int r) const { return forbidden.contains(PairKey(p, r)); }
};

// Requires a valid instance (see Validate).
Compiled Compile(const Instance& instance, const Options& options);

}  // namespace tane::reviews::assignment::impl
