#include "tane/reviews/assignment/solver.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <limits>
#include <mutex>
#include <numeric>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "candidates.h"
#include "compiled.h"
#include "flow.h"
#include "tane/core/errors.h"

namespace tane::reviews::assignment {

std::string_view AlgorithmName(Algorithm algorithm) {
  switch (algorithm) {
    case Algorithm::kNetworkSimplex:
      return "network_simplex";
    case Algorithm::kCostScaling:
      return "cost_scaling";
  }
  return "unknown";
}

std::string_view ShortfallReasonName(ShortfallReason reason) {
  switch (reason) {
    case ShortfallReason::kNotEnoughCandidates:
      return "not_enough_candidates";
    case ShortfallReason::kCapacityExhausted:
      return "capacity_exhausted";
  }
  return "unknown";
}

namespace {

using impl::Cand;
using impl::Compiled;
using impl::ProposalCandidates;

// Arc costs are −weight × affinity. CostScaling multiplies costs by
// 16 × (nodes + 1) and its potentials can grow by about another factor of
// nodes, so at a 100k-node network the largest arc cost must stay well
// below ~5e6 for int64; these caps keep it at ~2e6.
constexpr int kMaxWeightPoints = 100'000;
constexpr int kMaxFairnessWeight = 1 << 20;
constexpr int64_t kMaxArcCost = int64_t{1} << 21;

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// Quality over (reviewer count, total) per proposal.
Quality MeasureTotals(const std::vector<int>& counts, const std::vector<int64_t>& totals, int n) {
  Quality q;
  bool any_full = false;
  for (size_t i = 0; i < counts.size(); ++i) {
    q.objective += totals[i];
    any_full |= counts[i] >= n;
  }
  int64_t sum = 0;
  std::vector<int64_t> measured;
  for (size_t i = 0; i < counts.size(); ++i) {
    if (any_full && counts[i] < n) continue;
    measured.push_back(totals[i]);
    sum += totals[i];
  }
  q.measured_proposals = static_cast<int>(measured.size());
  if (measured.empty()) return q;
  std::sort(measured.begin(), measured.end());
  q.min_total = measured.front();
  q.p5_total = measured[(measured.size() * 5 + 99) / 100 - 1];
  q.mean_total = static_cast<double>(sum) / q.measured_proposals;
  return q;
}

// One connected component of the candidate graph.
struct Component {
  std::vector<int> proposals;
  std::vector<int> reviewers;
  int64_t arcs = 0;
};

struct UnionFind {
  std::vector<int> parent;
  explicit UnionFind(int n) : parent(n) { std::iota(parent.begin(), parent.end(), 0); }
  int Find(int x) {
    while (parent[x] != x) {
      parent[x] = parent[parent[x]];
      x = parent[x];
    }
    return x;
  }
  void Union(int a, int b) {
    a = Find(a);
    b = Find(b);
    if (a != b) parent[std::max(a, b)] = std::min(a, b);
  }
};

std::vector<Component> Decompose(const Compiled& c, const std::vector<ProposalCandidates>& cands,
                                 bool decompose) {
  const int np = static_cast<int>(c.proposals.size());
  const int nr = static_cast<int>(c.reviewers.size());
  std::vector<Component> out;
  if (!decompose) {
    Component all;
    for (int p = 0; p < np; ++p) {
      if (cands[p].cands.empty()) continue;
      all.proposals.push_back(p);
      all.arcs += static_cast<int64_t>(cands[p].cands.size());
    }
    for (int r = 0; r < nr; ++r) all.reviewers.push_back(r);
    if (!all.proposals.empty()) out.push_back(std::move(all));
    return out;
  }
  UnionFind uf(np + nr);
  for (int p = 0; p < np; ++p) {
    for (const Cand& cand : cands[p].cands) uf.Union(p, np + cand.reviewer);
  }
  absl::flat_hash_map<int, int> component_of_root;
  for (int p = 0; p < np; ++p) {
    if (cands[p].cands.empty()) continue;  // nothing to solve
    const int root = uf.Find(p);
    auto [it, inserted] = component_of_root.try_emplace(root, static_cast<int>(out.size()));
    if (inserted) out.emplace_back();
    out[it->second].proposals.push_back(p);
    out[it->second].arcs += static_cast<int64_t>(cands[p].cands.size());
  }
  for (int r = 0; r < nr; ++r) {
    auto it = component_of_root.find(uf.Find(np + r));
    if (it != component_of_root.end()) out[it->second].reviewers.push_back(r);
  }
  // Largest first so threads finish together.
  std::stable_sort(out.begin(), out.end(),
                   [](const Component& a, const Component& b) { return a.arcs > b.arcs; });
  return out;
}

struct ComponentOutcome {
  int rounds = 0;
  bool improved = false;
  // Fewer slots filled than the candidate lists alone would allow: load caps
  // bind, so a cut-off candidate list may be what leaves a proposal short.
  // Unlike "which proposal is short", this does not depend on how the solver
  // breaks ties.
  bool capacity_short = false;
};

class Engine {
 public:
  Engine(const Compiled& c, const Options& options, std::vector<ProposalCandidates>& cands)
      : c_(c), options_(options), n_(options.reviewers_per_proposal), cands_(cands) {
    chosen_.resize(c.proposals.size());
    plain_chosen_.resize(c.proposals.size());
    local_.assign(c.reviewers.size(), -1);
  }

  // Solves the components for which `needed` holds (all when null).
  absl::Status SolveComponents(const std::vector<Component>& components,
                               const std::vector<char>* needed, bool fairness,
                               std::vector<ComponentOutcome>* outcomes) {
    std::vector<int> todo;
    for (size_t k = 0; k < components.size(); ++k) {
      if (needed == nullptr || (*needed)[k]) todo.push_back(static_cast<int>(k));
    }
    if (outcomes) outcomes->assign(components.size(), {});
    // Reviewer-local indices: each reviewer is in exactly one component, so
    // threads write disjoint slots.
    for (int k : todo) {
      const auto& revs = components[k].reviewers;
      for (size_t j = 0; j < revs.size(); ++j) local_[revs[j]] = static_cast<int>(j);
    }
    std::atomic<size_t> next{0};
    std::mutex mu;
    absl::Status first_error;
    auto work = [&] {
      for (;;) {
        const size_t i = next.fetch_add(1);
        if (i >= todo.size()) break;
        ComponentOutcome outcome;
        absl::Status s = SolveOne(components[todo[i]], fairness, outcome);
        if (outcomes) (*outcomes)[todo[i]] = outcome;
        if (!s.ok()) {
          std::lock_guard<std::mutex> lock(mu);
          if (first_error.ok()) first_error = s;
        }
      }
    };
    const int threads = std::max(1, std::min<int>(options_.threads, static_cast<int>(todo.size())));
    if (threads <= 1) {
      work();
    } else {
      std::vector<std::thread> pool;
      for (int t = 0; t < threads; ++t) pool.emplace_back(work);
      for (auto& th : pool) th.join();
    }
    return first_error;
  }

  double flow_seconds() const { return static_cast<double>(flow_nanos_.load()) * 1e-9; }
  double min_cost_seconds() const { return static_cast<double>(mcf_nanos_.load()) * 1e-9; }
  const std::vector<std::vector<Cand>>& chosen() const { return chosen_; }
  const std::vector<std::vector<Cand>>& plain_chosen() const { return plain_chosen_; }

 private:
  impl::McfAlgorithm Mcf() const {
    return options_.algorithm == Algorithm::kCostScaling ? impl::McfAlgorithm::kCostScaling
                                                         : impl::McfAlgorithm::kNetworkSimplex;
  }

  int PinTotal(int p) const {
    int t = 0;
    for (const auto& pin : c_.pins[p]) t += pin.affinity;
    return t;
  }

  absl::Status SolveOne(const Component& comp, bool fairness, ComponentOutcome& outcome) {
    impl::FlowProblem problem;
    const int nl = static_cast<int>(comp.proposals.size());
    problem.left_cap.resize(nl);
    problem.right_cap.resize(comp.reviewers.size());
    for (size_t j = 0; j < comp.reviewers.size(); ++j) {
      const int r = comp.reviewers[j];
      problem.right_cap[j] = std::max(0, c_.reviewers[r].max_load - c_.pins_per_reviewer[r]);
    }
    problem.arc_left.reserve(comp.arcs);
    problem.arc_right.reserve(comp.arcs);
    problem.arc_gain.reserve(comp.arcs);
    std::vector<int> arc_begin(nl + 1, 0);
    for (int i = 0; i < nl; ++i) {
      const int p = comp.proposals[i];
      problem.left_cap[i] = std::max(0, n_ - static_cast<int>(c_.pins[p].size()));
      arc_begin[i] = static_cast<int>(problem.arc_left.size());
      for (const Cand& cand : cands_[p].cands) {  // best first
        problem.arc_left.push_back(i);
        problem.arc_right.push_back(local_[cand.reviewer]);
        problem.arc_gain.push_back(cand.affinity);
      }
    }
    arc_begin[nl] = static_cast<int>(problem.arc_left.size());

    std::vector<char> used;
    if (fairness) {
      // Start from the plain optimum already in chosen_.
      used.assign(problem.arc_left.size(), 0);
      for (int i = 0; i < nl; ++i) {
        const int p = comp.proposals[i];
        for (const Cand& x : chosen_[p]) {
          for (int a = arc_begin[i]; a < arc_begin[i + 1]; ++a) {
            if (cands_[p].cands[a - arc_begin[i]].reviewer == x.reviewer) used[a] = 1;
          }
        }
      }
      auto s = Refine(comp, problem, arc_begin, used, outcome);
      if (!s.ok()) return s;
    } else {
      const auto t = std::chrono::steady_clock::now();
      auto plain = impl::SolveMaxCoverage(problem, Mcf());
      flow_nanos_ +=
          std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t)
              .count();
      if (!plain.ok()) return plain.status();
      mcf_nanos_ += static_cast<int64_t>(plain->min_cost_seconds * 1e9);
      used = std::move(plain->used);
      int64_t reachable = 0;
      for (int i = 0; i < nl; ++i) {
        reachable += std::min(problem.left_cap[i], arc_begin[i + 1] - arc_begin[i]);
      }
      outcome.capacity_short = plain->flow < reachable;
    }
    for (int i = 0; i < nl; ++i) {
      const int p = comp.proposals[i];
      auto& dst = chosen_[p];
      dst.clear();
      for (int a = arc_begin[i]; a < arc_begin[i + 1]; ++a) {
        if (used[a]) dst.push_back(cands_[p].cands[a - arc_begin[i]]);
      }
    }
    return absl::OkStatus();
  }

  // Fairness refinement of one component; `used` is the plain optimum on
  // entry and the chosen solution on return.
  absl::Status Refine(const Component& comp, impl::FlowProblem& problem,
                      const std::vector<int>& arc_begin, std::vector<char>& used,
                      ComponentOutcome& outcome) {
    const int nl = static_cast<int>(comp.proposals.size());
    for (int i = 0; i < nl; ++i) {  // remember the plain optimum
      const int p = comp.proposals[i];
      auto& dst = plain_chosen_[p];
      dst.clear();
      for (int a = arc_begin[i]; a < arc_begin[i + 1]; ++a) {
        if (used[a]) dst.push_back(cands_[p].cands[a - arc_begin[i]]);
      }
    }
    std::vector<int> demand(nl, 0), pins(nl), pin_total(nl);
    std::vector<int64_t> upper(nl);
    for (int i = 0; i < nl; ++i) {
      const int p = comp.proposals[i];
      pins[i] = static_cast<int>(c_.pins[p].size());
      pin_total[i] = PinTotal(p);
      for (int a = arc_begin[i]; a < arc_begin[i + 1]; ++a) demand[i] += used[a];
      upper[i] = pin_total[i];
      for (int a = arc_begin[i]; a < arc_begin[i] + demand[i]; ++a) upper[i] += problem.arc_gain[a];
    }
    bool any_full = false;
    for (int i = 0; i < nl; ++i) any_full |= pins[i] + demand[i] >= n_;
    std::vector<char> measured(nl);
    for (int i = 0; i < nl; ++i) measured[i] = !any_full || pins[i] + demand[i] >= n_;

    const std::vector<int64_t> affinity = problem.arc_gain;
    struct Eval {
      int64_t min = std::numeric_limits<int64_t>::max();
      int64_t objective = 0;
      std::vector<int64_t> totals;
    };
    auto evaluate = [&](const std::vector<char>& u) {
      Eval e;
      e.totals.assign(nl, 0);
      for (int i = 0; i < nl; ++i) {
        int64_t t = pin_total[i];
        for (int a = arc_begin[i]; a < arc_begin[i + 1]; ++a) t += u[a] ? affinity[a] : 0;
        e.totals[i] = t;
        e.objective += t;
        if (measured[i]) e.min = std::min(e.min, t);
      }
      return e;
    };
    int64_t bound = std::numeric_limits<int64_t>::max();
    for (int i = 0; i < nl; ++i) {
      if (measured[i]) bound = std::min(bound, upper[i]);
    }

    Eval best = evaluate(used);
    Eval current = best;
    if (best.min >= bound) return absl::OkStatus();  // already at the bound
    const int band = options_.fairness.band >= 0 ? options_.fairness.band : c_.max_affinity / 4;
    const int64_t max_weight = std::clamp(options_.fairness.max_weight, 1, kMaxFairnessWeight);
    std::vector<int64_t> weight(nl, 1);
    int stale = 0;
    for (int round = 0; round < options_.fairness.max_rounds; ++round) {
      for (int i = 0; i < nl; ++i) {
        if (measured[i] && current.totals[i] <= current.min + band) {
          weight[i] = std::min(weight[i] * 2, max_weight);
        }
      }
      for (int i = 0; i < nl; ++i) {
        for (int a = arc_begin[i]; a < arc_begin[i + 1]; ++a) {
          problem.arc_gain[a] = weight[i] * affinity[a];
        }
      }
      auto res = impl::SolveFixedDemand(problem, demand, Mcf());
      if (!res.ok()) return res.status();
      ++outcome.rounds;
      current = evaluate(res->used);
      const bool better_min = current.min > best.min;
      if (better_min || (current.min == best.min && current.objective > best.objective)) {
        best = current;
        used = std::move(res->used);
        outcome.improved |= better_min;
      }
      stale = better_min ? 0 : stale + 1;
      if (stale >= options_.fairness.patience || best.min >= bound) break;
    }
    problem.arc_gain = affinity;
    return absl::OkStatus();
  }

  const Compiled& c_;
  const Options& options_;
  const int n_;
  std::vector<ProposalCandidates>& cands_;
  std::vector<std::vector<Cand>> chosen_;
  std::vector<std::vector<Cand>> plain_chosen_;
  std::vector<int> local_;
  std::atomic<int64_t> flow_nanos_{0};
  std::atomic<int64_t> mcf_nanos_{0};
};

}  // namespace

Quality Measure(const std::vector<ProposalAssignment>& assignments, int reviewers_per_proposal) {
  std::vector<int> counts;
  std::vector<int64_t> totals;
  counts.reserve(assignments.size());
  totals.reserve(assignments.size());
  for (const auto& a : assignments) {
    counts.push_back(static_cast<int>(a.reviewers.size()));
    totals.push_back(a.total_affinity);
  }
  return MeasureTotals(counts, totals, reviewers_per_proposal);
}

absl::Status Validate(const Instance& instance, const Options& options) {
  core::Violations v;
  const int n = options.reviewers_per_proposal;
  if (n < 1) v.Add("options.reviewers_per_proposal", "must be at least 1");
  if (options.top_k < n) {
    v.Add("options.top_k", absl::StrCat("must be at least reviewers_per_proposal (", n, ")"));
  }
  if (options.min_affinity < 0) v.Add("options.min_affinity", "must not be negative");
  if (options.threads < 1) v.Add("options.threads", "must be at least 1");
  if (options.conflicts.as_of == absl::InfinitePast() ||
      options.conflicts.as_of == absl::InfiniteFuture()) {
    v.Add("options.conflicts.as_of", "must be set to the date conflicts are evaluated at");
  }
  if (options.conflicts.institution_window_years < 0) {
    v.Add("options.conflicts.institution_window_years", "must not be negative");
  }
  const auto& w = options.affinity;
  if (w.exact_section < 0 || w.related_section < 0 || w.keyword < 0 || w.max() > kMaxWeightPoints) {
    v.Add("options.affinity", absl::StrCat("weights must be in [0, ", kMaxWeightPoints, "]"));
  }
  if (options.fairness.enabled) {
    if (options.fairness.max_rounds < 0)
      v.Add("options.fairness.max_rounds", "must not be negative");
    if (options.fairness.patience < 1) v.Add("options.fairness.patience", "must be at least 1");
    if (options.fairness.max_weight < 1 || options.fairness.max_weight > kMaxFairnessWeight) {
      v.Add("options.fairness.max_weight",
            absl::StrCat("must be in [1, ", kMaxFairnessWeight, "]"));
    } else if (int64_t{options.fairness.max_weight} * w.max() > kMaxArcCost) {
      v.Add("options.fairness.max_weight", absl::StrCat("times the maximum affinity (", w.max(),
                                                        ") must not exceed ", kMaxArcCost));
    }
  }

  absl::flat_hash_map<absl::string_view, int> proposals, reviewers;
  for (size_t i = 0; i < instance.proposals.size(); ++i) {
    const auto& id = instance.proposals[i].id;
    const std::string field = absl::StrCat("proposals[", i, "].id");
    if (id.empty()) {
      v.Add(field, "must not be empty");
    } else if (!proposals.try_emplace(id, static_cast<int>(i)).second) {
      v.Add(field, absl::StrCat("duplicate proposal id ", id));
    }
  }
  for (size_t j = 0; j < instance.reviewers.size(); ++j) {
    const auto& r = instance.reviewers[j];
    const std::string field = absl::StrCat("reviewers[", j, "]");
    if (r.id.empty()) {
      v.Add(field + ".id", "must not be empty");
    } else if (!reviewers.try_emplace(r.id, static_cast<int>(j)).second) {
      v.Add(field + ".id", absl::StrCat("duplicate reviewer id ", r.id));
    }
    if (r.max_load < 0) v.Add(field + ".max_load", "must not be negative");
  }
  absl::flat_hash_set<absl::string_view> sections;
  for (size_t s = 0; s < instance.sections.size(); ++s) {
    const auto& id = instance.sections[s].id;
    if (id.empty() || !sections.insert(id).second) {
      v.Add(absl::StrCat("sections[", s, "].id"), "must be non-empty and unique");
    }
  }
  auto check_pair = [&](const char* list, size_t i, const std::string& p, const std::string& r) {
    bool ok = true;
    if (!proposals.contains(p)) {
      v.Add(absl::StrCat(list, "[", i, "].proposal_id"), absl::StrCat("unknown proposal ", p));
      ok = false;
    }
    if (!reviewers.contains(r)) {
      v.Add(absl::StrCat(list, "[", i, "].reviewer_id"), absl::StrCat("unknown reviewer ", r));
      ok = false;
    }
    return ok;
  };
  absl::flat_hash_set<std::pair<absl::string_view, absl::string_view>> forbidden;
  for (size_t i = 0; i < instance.forbids.size(); ++i) {
    const auto& f = instance.forbids[i];
    if (check_pair("forbids", i, f.proposal_id, f.reviewer_id)) {
      forbidden.insert({f.proposal_id, f.reviewer_id});
    }
  }
  for (size_t i = 0; i < instance.declared_conflicts.size(); ++i) {
    const auto& d = instance.declared_conflicts[i];
    check_pair("declared_conflicts", i, d.proposal_id, d.reviewer_id);
  }
  absl::flat_hash_set<std::pair<absl::string_view, absl::string_view>> pinned;
  absl::flat_hash_map<absl::string_view, int> pins_per_proposal, pins_per_reviewer;
  for (size_t i = 0; i < instance.pins.size(); ++i) {
    const auto& pin = instance.pins[i];
    if (!check_pair("pins", i, pin.proposal_id, pin.reviewer_id)) continue;
    const std::string field = absl::StrCat("pins[", i, "].reviewer_id");
    if (!pinned.insert({pin.proposal_id, pin.reviewer_id}).second) {
      v.Add(field, absl::StrCat("duplicate pin of ", pin.reviewer_id, " on ", pin.proposal_id));
      continue;
    }
    const Proposal& p = instance.proposals[proposals.at(pin.proposal_id)];
    const Reviewer& r = instance.reviewers[reviewers.at(pin.reviewer_id)];
    if (forbidden.contains({pin.proposal_id, pin.reviewer_id})) {
      v.Add(field, absl::StrCat(r.id, " is both pinned and forbidden on ", p.id));
    }
    if (!r.available) v.Add(field, absl::StrCat(r.id, " is not available"));
    if (auto conflict = FindConflict(p, r, options.conflicts, instance.declared_conflicts)) {
      v.Add(field, absl::StrCat(r.id, " is conflicted on ", p.id, " (",
                                std::string(ConflictReasonName(conflict->reason)), ": ",
                                conflict->detail, ")"));
    }
    if (++pins_per_proposal[p.id] == n + 1) {
      v.Add(absl::StrCat("pins[", i, "].proposal_id"),
            absl::StrCat("more than ", n, " reviewers pinned on ", p.id));
    }
    if (++pins_per_reviewer[r.id] == r.max_load + 1) {
      v.Add(field, absl::StrCat(r.id, " is pinned on more proposals than their load cap (",
                                r.max_load, ")"));
    }
  }
  return v.ToStatus("invalid assignment request");
}

absl::StatusOr<Solution> Solve(const Instance& instance, const Options& options) {
  if (absl::Status s = Validate(instance, options); !s.ok()) return s;
  const int n = options.reviewers_per_proposal;
  Solution solution;
  SolveStats& stats = solution.stats;

  auto t0 = std::chrono::steady_clock::now();
  const Compiled c = impl::Compile(instance, options);
  const int np = static_cast<int>(c.proposals.size());
  std::vector<ProposalCandidates> cands(np);
  impl::CandidateStats cstats;
  impl::GenerateCandidates(c, options, {}, /*unlimited=*/false, &cstats, cands);
  stats.candidate_seconds = Seconds(t0);

  auto t1 = std::chrono::steady_clock::now();
  Engine engine(c, options, cands);
  std::vector<Component> components = Decompose(c, cands, options.decompose);
  std::vector<ComponentOutcome> first;
  if (auto s = engine.SolveComponents(components, nullptr, false, &first); !s.ok()) return s;

  auto assigned = [&](int p) {
    return static_cast<int>(c.pins[p].size() + engine.chosen()[p].size());
  };
  if (options.expand_on_shortfall) {
    // Every cut-off list in a component where load caps bind is expanded,
    // not just the lists of the proposals that happened to end up short.
    std::vector<int> expand;
    for (size_t k = 0; k < components.size(); ++k) {
      if (!first[k].capacity_short) continue;
      for (int p : components[k].proposals) {
        if (cands[p].truncated) expand.push_back(p);
      }
    }
    std::sort(expand.begin(), expand.end());
    if (!expand.empty()) {
      stats.expanded_proposals = static_cast<int>(expand.size());
      auto te = std::chrono::steady_clock::now();
      impl::GenerateCandidates(c, options, expand, /*unlimited=*/true, &cstats, cands);
      stats.candidate_seconds += Seconds(te);
      components = Decompose(c, cands, options.decompose);
      // Only components holding an expanded proposal changed.
      std::vector<char> is_expanded(np, 0);
      for (int p : expand) is_expanded[p] = 1;
      std::vector<char> needed(components.size(), 0);
      for (size_t k = 0; k < components.size(); ++k) {
        for (int p : components[k].proposals) {
          if (is_expanded[p]) {
            needed[k] = 1;
            break;
          }
        }
      }
      if (auto s = engine.SolveComponents(components, &needed, false, nullptr); !s.ok()) return s;
    }
  }
  stats.solve_seconds = Seconds(t1);
  stats.flow_seconds = engine.flow_seconds();
  stats.min_cost_seconds = engine.min_cost_seconds();
  stats.pairs_scored = cstats.scored;
  stats.pairs_checked = cstats.checked;
  stats.pairs_conflicted = cstats.conflicted;
  stats.subproblems = static_cast<int>(components.size());
  for (const auto& comp : components) {
    stats.candidate_arcs += comp.arcs;
    stats.largest_subproblem_arcs = std::max(stats.largest_subproblem_arcs, comp.arcs);
    stats.largest_subproblem_proposals =
        std::max(stats.largest_subproblem_proposals, static_cast<int>(comp.proposals.size()));
  }

  if (options.fairness.enabled) {
    auto tf = std::chrono::steady_clock::now();
    std::vector<ComponentOutcome> outcomes;
    if (auto s = engine.SolveComponents(components, nullptr, true, &outcomes); !s.ok()) return s;
    FairnessReport report;
    for (const auto& o : outcomes) {
      report.rounds += o.rounds;
      report.improved_subproblems += o.improved ? 1 : 0;
    }
    std::vector<int> counts(np);
    std::vector<int64_t> plain_totals(np), fair_totals(np);
    report.min_upper_bound = std::numeric_limits<int64_t>::max();
    for (int p = 0; p < np; ++p) {
      const int pin_total = [&] {
        int t = 0;
        for (const auto& pin : c.pins[p]) t += pin.affinity;
        return t;
      }();
      counts[p] = assigned(p);
      plain_totals[p] = fair_totals[p] = pin_total;
      for (const Cand& x : engine.plain_chosen()[p]) plain_totals[p] += x.affinity;
      for (const Cand& x : engine.chosen()[p]) fair_totals[p] += x.affinity;
    }
    report.plain = MeasureTotals(counts, plain_totals, n);
    report.fair = MeasureTotals(counts, fair_totals, n);
    {
      const bool full = std::any_of(counts.begin(), counts.end(), [&](int k) { return k >= n; });
      double plain_sum = 0, fair_sum = 0;
      int measured = 0;
      for (const auto& comp : components) {
        int64_t pm = std::numeric_limits<int64_t>::max(), fm = pm;
        for (int p : comp.proposals) {
          if (full && counts[p] < n) continue;
          pm = std::min(pm, plain_totals[p]);
          fm = std::min(fm, fair_totals[p]);
        }
        if (pm == std::numeric_limits<int64_t>::max()) continue;
        plain_sum += static_cast<double>(pm);
        fair_sum += static_cast<double>(fm);
        ++measured;
      }
      if (measured > 0) {
        report.plain_mean_subproblem_min = plain_sum / measured;
        report.fair_mean_subproblem_min = fair_sum / measured;
      }
    }
    // Upper bound on the measured minimum: each measured proposal's best
    // candidates (pins + its first `chosen` candidates, which are the best).
    const bool any_full = std::any_of(counts.begin(), counts.end(), [&](int k) { return k >= n; });
    for (int p = 0; p < np; ++p) {
      if (any_full && counts[p] < n) continue;
      int64_t ub = 0;
      for (const auto& pin : c.pins[p]) ub += pin.affinity;
      const size_t k = engine.chosen()[p].size();
      for (size_t i = 0; i < k && i < cands[p].cands.size(); ++i) ub += cands[p].cands[i].affinity;
      report.min_upper_bound = std::min(report.min_upper_bound, ub);
    }
    if (report.min_upper_bound == std::numeric_limits<int64_t>::max()) report.min_upper_bound = 0;
    solution.fairness = report;
    stats.fairness_seconds = Seconds(tf);
  }

  // Assemble the answer in instance order.
  solution.assignments.resize(np);
  for (int p = 0; p < np; ++p) {
    ProposalAssignment& pa = solution.assignments[p];
    pa.proposal_id = instance.proposals[p].id;
    for (const auto& pin : c.pins[p]) {
      pa.reviewers.push_back({instance.reviewers[pin.reviewer].id, pin.affinity, true});
    }
    for (const Cand& x : engine.chosen()[p]) {
      pa.reviewers.push_back({instance.reviewers[x.reviewer].id, x.affinity, false});
    }
    std::sort(pa.reviewers.begin(), pa.reviewers.end(),
              [](const AssignedReviewer& a, const AssignedReviewer& b) {
                return a.affinity != b.affinity ? a.affinity > b.affinity
                                                : a.reviewer_id < b.reviewer_id;
              });
    for (const auto& r : pa.reviewers) pa.total_affinity += r.affinity;

    const int got = static_cast<int>(pa.reviewers.size());
    if (got >= n) continue;
    const ProposalCandidates& pc = cands[p];
    Shortfall sf;
    sf.proposal_id = pa.proposal_id;
    sf.assigned = got;
    sf.required = n;
    sf.eligible = static_cast<int>(c.pins[p].size() + pc.cands.size());
    sf.conflicted = pc.conflicted;
    sf.forbidden = pc.forbidden;
    sf.below_min_affinity = pc.below_min;
    sf.unavailable = pc.unavailable;
    if (sf.eligible < n) {
      sf.reason = ShortfallReason::kNotEnoughCandidates;
      const int excluded = pc.conflicted + pc.forbidden + pc.below_min + pc.unavailable;
      if (sf.eligible == 0 && excluded == 0) {
        sf.detail =
            instance.proposals[p].review_section.empty()
                ? "no reviewer shares a keyword with the proposal"
                : absl::StrCat("no reviewer is registered for section ",
                               instance.proposals[p].review_section, " or a related section");
      } else {
        sf.detail = absl::StrCat("only ", sf.eligible, " unconflicted eligible candidates for ", n,
                                 " reviewers (", pc.conflicted, " conflicted, ", pc.forbidden,
                                 " forbidden, ", pc.below_min, " below minimum affinity ",
                                 options.min_affinity, ", ", pc.unavailable, " unavailable)");
      }
    } else {
      sf.reason = ShortfallReason::kCapacityExhausted;
      sf.detail = absl::StrCat("reviewer capacity exhausted: ", got, " of ", n,
                               " assigned; the loads of its ", sf.eligible, pc.truncated ? "+" : "",
                               " eligible candidates are taken by other proposals");
    }
    solution.shortfalls.push_back(std::move(sf));
  }
  solution.quality = Measure(solution.assignments, n);
  return solution;
}

}  // namespace tane::reviews::assignment
