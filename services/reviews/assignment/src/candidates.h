#pragma once
// Candidate generation: per proposal, the K best unconflicted, unforbidden,
// available reviewers in scope at or above the minimum affinity, found
// through the inverted indexes rather than by scoring every pair.

#include <cstdint>
#include <vector>

#include "compiled.h"

namespace tane::reviews::assignment::impl {

struct Cand {
  int reviewer;
  int affinity;
};

struct ProposalCandidates {
  std::vector<Cand> cands;  // best first; pins excluded
  int conflicted = 0;       // among the pool entries examined
  int forbidden = 0;
  int below_min = 0;
  int unavailable = 0;
  // The pool had eligible reviewers beyond the K kept.
  bool truncated = false;
};

struct CandidateStats {
  int64_t scored = 0;
  int64_t checked = 0;
  int64_t conflicted = 0;
};

// Fills out[p] for every p in `proposals` (all when empty); `unlimited`
// lifts K for them. `out` must be sized to the number of proposals.
void GenerateCandidates(const Compiled& c, const Options& options,
                        const std::vector<int>& proposals, bool unlimited, CandidateStats* stats,
                        std::vector<ProposalCandidates>& out);

}  // namespace tane::reviews::assignment::impl
