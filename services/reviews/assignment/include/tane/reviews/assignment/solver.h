#pragma once
/// Optimal reviewer assignment as a min-cost flow (LEMON).
///
/// Network per independent subproblem:
///   source → proposal   capacity N − pins(p)
///   proposal → reviewer capacity 1, cost −affinity   (top-K candidates only)
///   reviewer → sink     capacity max_load − pins(r)
/// Solved lexicographically: first the maximum number of filled review slots
/// (a LEMON Preflow max flow F), then the maximum total affinity among flows
/// of value F (NetworkSimplex or CostScaling with an s–t supply of F). So an
/// instance that cannot be fully covered still assigns everything it can, and
/// the proposals left short are reported with the reason.
///
/// Candidates come from inverted indexes (review-section family, optionally
/// keywords), never from all proposal × reviewer pairs; each proposal keeps
/// its K best unconflicted, unforbidden candidates at or above the minimum
/// affinity, plus its pins. Pins are fixed before the flow (they consume the
/// proposal's N and the reviewer's load). The candidate graph is split into
/// connected components — at KAKENHI scale one per section cluster, since a
/// proposal is reviewed within its section — and each is solved on its own,
/// which is exact and keeps memory to one component at a time per thread.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tane/reviews/assignment/affinity.h"
#include "tane/reviews/assignment/conflicts.h"
#include "tane/reviews/assignment/types.h"

namespace tane::reviews::assignment {

enum class Algorithm {
  kNetworkSimplex,
  kCostScaling,
};
std::string_view AlgorithmName(Algorithm algorithm);

/// The faster of the two on reviews_assignment_bench (alternating runs, one
/// thread, time inside run(), same optimum every time): CostScaling took
/// 0.86–0.97× NetworkSimplex's time at 90k × 8k split into 65 subproblems,
/// 0.61–0.67× on that instance as one 4.5M-arc network, 0.69–0.82× on
/// 10k × 1k as one network, and tied (1.01×) on 10k × 1k split into 8.
/// NetworkSimplex needs less memory (581 vs 871 MB peak on the 4.5M-arc
/// network). Both stay selectable.
inline constexpr Algorithm kDefaultAlgorithm = Algorithm::kCostScaling;

/// Fairness mode: raise the worst-served proposal's total affinity at some
/// cost in total affinity. Iterative reweighting in the spirit of FairFlow:
/// starting from the plain optimum, each round doubles the weight (capped at
/// max_weight) of the proposals whose total is within `band` points of the
/// current minimum and re-solves with cost −weight(p)·affinity, every proposal
/// keeping exactly the number of reviewers the plain optimum gave it. The best
/// round by (minimum total, then total affinity) wins, so the result is never
/// worse than the plain optimum on the minimum and never better on the total.
/// Each subproblem is refined on its own (its own minimum is raised).
struct FairnessOptions {
  bool enabled = false;
  int max_rounds = 10;
  /// Stop a subproblem after this many rounds without a better minimum.
  int patience = 3;
  /// Points above the minimum that still count as worst-served; < 0 means
  /// a quarter of the maximum affinity.
  int band = -1;
  int max_weight = 1024;
};

struct Options {
  /// N: reviewers per proposal for this stage (5 for document review).
  int reviewers_per_proposal = 5;
  /// K: candidate arcs kept per proposal (pins come on top).
  int top_k = 50;
  /// Candidates below this affinity are dropped (pins are exempt).
  int min_affinity = 0;
  /// Also take reviewers outside the section family who share a keyword.
  /// Proposals without a section always use keywords.
  bool keyword_candidates = false;
  /// In subproblems where load caps leave slots unfilled, proposals whose
  /// candidate list was cut at K get all their eligible candidates and those
  /// subproblems are solved again.
  bool expand_on_shortfall = true;
  /// Solve connected components separately (exact). Off: one network.
  bool decompose = true;
  Algorithm algorithm = kDefaultAlgorithm;
  /// Worker threads for candidate generation and subproblem solves.
  int threads = 1;
  AffinityWeights affinity;
  ConflictPolicy conflicts;
  FairnessOptions fairness;
};

struct AssignedReviewer {
  std::string reviewer_id;
  int affinity = 0;
  bool pinned = false;
  friend bool operator==(const AssignedReviewer&, const AssignedReviewer&) = default;
};

struct ProposalAssignment {
  std::string proposal_id;
  std::vector<AssignedReviewer> reviewers;  ///< best affinity first
  int64_t total_affinity = 0;
};

enum class ShortfallReason {
  /// Fewer than N reviewers pass scope, availability, conflicts, forbids and
  /// the minimum affinity.
  kNotEnoughCandidates,
  /// Enough candidates exist, but their loads are taken by other proposals.
  kCapacityExhausted,
};
std::string_view ShortfallReasonName(ShortfallReason reason);

/// A proposal that got fewer than N reviewers (it keeps the ones it got).
struct Shortfall {
  std::string proposal_id;
  int assigned = 0;
  int required = 0;
  ShortfallReason reason = ShortfallReason::kNotEnoughCandidates;
  /// Unconflicted eligible candidates, pins included.
  int eligible = 0;
  /// Reviewers in scope excluded, by cause.
  int conflicted = 0;
  int forbidden = 0;
  int below_min_affinity = 0;
  int unavailable = 0;
  std::string detail;
};

/// Per-proposal totals over fully covered proposals (all of them when none
/// is), plus the objective over every assigned pair.
struct Quality {
  int64_t objective = 0;
  int64_t min_total = 0;
  /// 5th percentile (nearest rank) of the per-proposal totals.
  int64_t p5_total = 0;
  double mean_total = 0;
  int measured_proposals = 0;
};

struct FairnessReport {
  Quality plain;
  Quality fair;
  /// No assignment can give the worst proposal more: the minimum over
  /// proposals of the sum of their best N candidate affinities.
  int64_t min_upper_bound = 0;
  /// Mean over subproblems of their worst proposal's total: what the
  /// per-subproblem refinement raises even when the global minimum is
  /// already at min_upper_bound.
  double plain_mean_subproblem_min = 0;
  double fair_mean_subproblem_min = 0;
  int rounds = 0;  ///< re-solves over all subproblems
  int improved_subproblems = 0;
  /// objective(plain) − objective(fair): what the fairness costs.
  int64_t cost() const { return plain.objective - fair.objective; }
};

struct SolveStats {
  double candidate_seconds = 0;
  double solve_seconds = 0;
  /// Time inside LEMON (network build, Preflow, min-cost flow), summed over
  /// subproblems (so over threads, too).
  double flow_seconds = 0;
  /// The part of flow_seconds inside NetworkSimplex/CostScaling run().
  double min_cost_seconds = 0;
  double fairness_seconds = 0;
  int64_t pairs_scored = 0;      ///< in-scope pairs scored
  int64_t pairs_conflicted = 0;  ///< among pairs checked for conflicts
  int64_t pairs_checked = 0;
  int64_t candidate_arcs = 0;
  int subproblems = 0;
  int largest_subproblem_proposals = 0;
  int64_t largest_subproblem_arcs = 0;
  int expanded_proposals = 0;
};

struct Solution {
  /// One per instance proposal, in instance order.
  std::vector<ProposalAssignment> assignments;
  /// Proposals with fewer than N reviewers, in instance order.
  std::vector<Shortfall> shortfalls;
  Quality quality;
  std::optional<FairnessReport> fairness;
  SolveStats stats;
};

/// INVALID_ARGUMENT with field violations (tane::core::Violations) for
/// duplicate or unknown ids, bad options, a pin on a conflicted, forbidden
/// or unavailable pair, more pins than N on a proposal or than a reviewer's
/// load, and an unset ConflictPolicy::as_of.
absl::Status Validate(const Instance& instance, const Options& options);

/// Validates, then assigns. Deterministic for a given instance and options
/// (threads do not change the result). Thread-safe (no shared state).
absl::StatusOr<Solution> Solve(const Instance& instance, const Options& options);

/// Recomputes Quality from assignments.
Quality Measure(const std::vector<ProposalAssignment>& assignments, int reviewers_per_proposal);

}  // namespace tane::reviews::assignment
