#pragma once
/// Declared conflicts after assignment: the reviewer is recused, the pair is
/// released, and just that proposal is refilled with the best available
/// reviewer — every other proposal keeps its reviewers.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tane/reviews/assignment/solver.h"
#include "tane/reviews/assignment/types.h"

namespace tane::reviews::assignment {

struct Refill {
  std::string proposal_id;
  std::string released_reviewer_id;
  /// The released pair had been pinned by the program officer.
  bool released_pin = false;
  /// Reviewers added to bring the proposal back to N (normally one).
  std::vector<AssignedReviewer> added;
  /// Set when the proposal is still short of N after the refill.
  std::optional<Shortfall> shortfall;
};

/// Recuses `conflict.reviewer_id` from `conflict.proposal_id` in `solution`
/// and refills the proposal up to N from every in-scope reviewer that is
/// available, below their load cap (loads counted from `solution`), not
/// already on the proposal, not forbidden, not conflicted (the instance's
/// declared conflicts plus `conflict`) and at or above the minimum affinity;
/// best affinity first, ties by reviewer id. The recused reviewer is never
/// re-picked. Updates the assignment, shortfalls and quality in `solution`.
///
/// NOT_FOUND if the proposal or reviewer is unknown or the reviewer is not
/// assigned to the proposal.
absl::StatusOr<Refill> RecuseAndRefill(const Instance& instance, const Options& options,
                                       const DeclaredConflict& conflict, Solution& solution);

}  // namespace tane::reviews::assignment
