#pragma once
// The LEMON part: one bipartite transportation problem (proposals on the
// left, reviewers on the right) solved as a min-cost flow.
//
// This header and flow.cc are compiled as C++17 (see CMakeLists.txt), so
// they must not include the C++20 public headers.

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"

namespace tane::reviews::assignment::impl {

enum class McfAlgorithm { kNetworkSimplex, kCostScaling };

struct FlowProblem {
  std::vector<int> left_cap;   // reviewers still wanted per proposal
  std::vector<int> right_cap;  // load left per reviewer
  std::vector<int> arc_left;   // candidate arcs, capacity 1
  std::vector<int> arc_right;
  std::vector<int64_t> arc_gain;  // maximised (cost = −gain)
};

struct FlowResult {
  std::vector<char> used;  // per arc
  int64_t flow = 0;
  int64_t gain = 0;
  double min_cost_seconds = 0;  // inside NetworkSimplex / CostScaling run()
};

// INTERNAL if LEMON reports anything but OPTIMAL (a bug: the problems are
// feasible and bounded by construction).
// Maximum flow first, then maximum gain among maximum flows.
absl::StatusOr<FlowResult> SolveMaxCoverage(const FlowProblem& problem, McfAlgorithm algorithm);

// Maximum gain with every left node sending exactly `demand[i]` (must be
// feasible, e.g. taken from a previous solution).
absl::StatusOr<FlowResult> SolveFixedDemand(const FlowProblem& problem,
                                            const std::vector<int>& demand, McfAlgorithm algorithm);

}  // namespace tane::reviews::assignment::impl
