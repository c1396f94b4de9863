#include "flow.h"

#include <lemon/cost_scaling.h>
#include <lemon/network_simplex.h>
#include <lemon/preflow.h>
#include <lemon/smart_graph.h>

#include <chrono>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace tane::reviews::assignment::impl {
namespace {

using Graph = lemon::SmartDigraph;

double Since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

struct Network {
  Graph g;
  Graph::Node source, sink;
  std::vector<Graph::Node> left, right;
  std::vector<Graph::Arc> middle;
  Graph::ArcMap<int> cap{g};
  Graph::ArcMap<int64_t> cost{g};

  Network(const FlowProblem& p, bool with_source) {
    const int nl = static_cast<int>(p.left_cap.size());
    const int nr = static_cast<int>(p.right_cap.size());
    g.reserveNode(nl + nr + 2);
    g.reserveArc(static_cast<int>(p.arc_left.size()) + nl + nr);
    source = g.addNode();
    sink = g.addNode();
    left.reserve(nl);
    right.reserve(nr);
    for (int i = 0; i < nl; ++i) left.push_back(g.addNode());
    for (int j = 0; j < nr; ++j) right.push_back(g.addNode());
    if (with_source) {
      for (int i = 0; i < nl; ++i) {
        Graph::Arc a = g.addArc(source, left[i]);
        cap[a] = p.left_cap[i];
        cost[a] = 0;
      }
    }
    middle.reserve(p.arc_left.size());
    for (size_t k = 0; k < p.arc_left.size(); ++k) {
      Graph::Arc a = g.addArc(left[p.arc_left[k]], right[p.arc_right[k]]);
      cap[a] = 1;
      cost[a] = -p.arc_gain[k];
      middle.push_back(a);
    }
    for (int j = 0; j < nr; ++j) {
      Graph::Arc a = g.addArc(right[j], sink);
      cap[a] = p.right_cap[j];
      cost[a] = 0;
    }
  }
};

template <typename Algo>
FlowResult Finish(const Network& net, const FlowProblem& p, Algo& algo) {
  FlowResult r;
  r.used.assign(p.arc_left.size(), 0);
  for (size_t k = 0; k < net.middle.size(); ++k) {
    if (algo.flow(net.middle[k]) > 0) {
      r.used[k] = 1;
      ++r.flow;
      r.gain += p.arc_gain[k];
    }
  }
  return r;
}

template <typename Configure>
absl::StatusOr<FlowResult> RunMinCost(const Network& net, const FlowProblem& p,
                                      McfAlgorithm algorithm, Configure&& configure) {
  if (algorithm == McfAlgorithm::kNetworkSimplex) {
    lemon::NetworkSimplex<Graph, int, int64_t> ns(net.g);
    ns.upperMap(net.cap).costMap(net.cost);
    configure(ns);
    const auto t = std::chrono::steady_clock::now();
    const auto status = ns.run();
    const double seconds = Since(t);
    // Feasible by construction (the flow value was found by max flow, or the
    // demands come from an existing solution) and bounded (all capacities
    // finite); anything else is a bug.
    if (status != decltype(ns)::OPTIMAL) {
      return absl::InternalError(absl::StrCat("network simplex status ", static_cast<int>(status)));
    }
    FlowResult r = Finish(net, p, ns);
    r.min_cost_seconds = seconds;
    return r;
  }
  lemon::CostScaling<Graph, int, int64_t> cs(net.g);
  cs.upperMap(net.cap).costMap(net.cost);
  configure(cs);
  const auto t = std::chrono::steady_clock::now();
  const auto status = cs.run();
  const double seconds = Since(t);
  if (status != decltype(cs)::OPTIMAL) {
    return absl::InternalError(absl::StrCat("cost scaling status ", static_cast<int>(status)));
  }
  FlowResult r = Finish(net, p, cs);
  r.min_cost_seconds = seconds;
  return r;
}

}  // namespace

absl::StatusOr<FlowResult> SolveMaxCoverage(const FlowProblem& problem, McfAlgorithm algorithm) {
  Network net(problem, /*with_source=*/true);
  lemon::Preflow<Graph, Graph::ArcMap<int>> preflow(net.g, net.cap, net.source, net.sink);
  preflow.runMinCut();
  const int value = preflow.flowValue();
  if (value == 0) {
    FlowResult r;
    r.used.assign(problem.arc_left.size(), 0);
    return r;
  }
  return RunMinCost(net, problem, algorithm,
                    [&](auto& algo) { algo.stSupply(net.source, net.sink, value); });
}

absl::StatusOr<FlowResult> SolveFixedDemand(const FlowProblem& problem,
                                            const std::vector<int>& demand,
                                            McfAlgorithm algorithm) {
  Network net(problem, /*with_source=*/false);
  Graph::NodeMap<int> supply(net.g, 0);
  int total = 0;
  for (size_t i = 0; i < demand.size(); ++i) {
    supply[net.left[i]] = demand[i];
    total += demand[i];
  }
  supply[net.sink] = -total;
  return RunMinCost(net, problem, algorithm, [&](auto& algo) { algo.supplyMap(supply); });
}

}  // namespace tane::reviews::assignment::impl
