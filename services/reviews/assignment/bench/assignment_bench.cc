// Reviewer-assignment benchmark on deterministic synthetic instances:
//   program scale   10,000 proposals ×  1,000 reviewers: both LEMON algorithms,
//                   per subproblem and as one network; fairness mode, also on a
//                   tight-capacity variant
//   KAKENHI scale   90,000 proposals ×  8,000 reviewers: the default algorithm
//                   with 2 threads, plain and fair; both algorithms compared on
//                   one thread unless --quick; as one 4.5M-arc network with
//                   --monolithic-90k (slow: ~1 min)
// N = 5, K = 50. Prints plain `key=value` lines.
//
//   reviews_assignment_bench [--quick] [--threads=N] [--seed=S]

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "absl/status/statusor.h"
#include "tane/reviews/assignment/solver.h"
#include "tane/reviews/assignment/synthetic.h"

namespace ra = tane::reviews::assignment;

namespace {

double PeakRssMb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0;  // Linux reports KiB
}

ra::Options BaseOptions(int threads) {
  ra::Options o;
  o.reviewers_per_proposal = 5;
  o.top_k = 50;
  o.threads = threads;
  o.conflicts.as_of = ra::SyntheticSpec{}.as_of;
  return o;
}

// Solves `reps` times; times are the fastest run (the answer is the same).
bool Run(const char* name, const ra::Instance& in, ra::Options o, const char* mode, int reps = 1) {
  absl::StatusOr<ra::Solution> s;
  double candidate_s = 1e300, solve_s = 1e300, flow_s = 1e300, mcf_s = 1e300;
  for (int rep = 0; rep < reps; ++rep) {
    s = ra::Solve(in, o);
    if (!s.ok()) {
      std::printf("instance=%s error=%s\n", name, std::string(s.status().message()).c_str());
      return false;
    }
    candidate_s = std::min(candidate_s, s->stats.candidate_seconds);
    solve_s = std::min(solve_s, s->stats.solve_seconds);
    flow_s = std::min(flow_s, s->stats.flow_seconds);
    mcf_s = std::min(mcf_s, s->stats.min_cost_seconds);
  }
  const auto& st = s->stats;
  std::printf(
      "instance=%s mode=%s algorithm=%s decompose=%d threads=%d reps=%d candidate_s=%.3f "
      "solve_s=%.3f lemon_s=%.3f min_cost_flow_s=%.3f objective=%lld uncovered=%zu min_total=%lld "
      "p5_total=%lld "
      "mean_total=%.1f subproblems=%d "
      "largest_subproblem_proposals=%d largest_subproblem_arcs=%lld candidate_arcs=%lld "
      "pairs_scored=%lld conflict_rate=%.4f expanded=%d peak_rss_mb=%.0f\n",
      name, mode, std::string(ra::AlgorithmName(o.algorithm)).c_str(), o.decompose ? 1 : 0,
      o.threads, reps, candidate_s, solve_s, flow_s, mcf_s,
      static_cast<long long>(s->quality.objective), s->shortfalls.size(),
      static_cast<long long>(s->quality.min_total), static_cast<long long>(s->quality.p5_total),
      s->quality.mean_total, st.subproblems, st.largest_subproblem_proposals,
      static_cast<long long>(st.largest_subproblem_arcs), static_cast<long long>(st.candidate_arcs),
      static_cast<long long>(st.pairs_scored),
      st.pairs_checked ? static_cast<double>(st.pairs_conflicted) / st.pairs_checked : 0.0,
      st.expanded_proposals, PeakRssMb());
  int not_enough = 0, capacity = 0;
  for (const auto& sf : s->shortfalls) {
    (sf.reason == ra::ShortfallReason::kNotEnoughCandidates ? not_enough : capacity)++;
  }
  if (!s->shortfalls.empty()) {
    std::printf(
        "instance=%s uncovered_not_enough_candidates=%d uncovered_capacity_exhausted=%d "
        "example=\"%s: %s\"\n",
        name, not_enough, capacity, s->shortfalls.front().proposal_id.c_str(),
        s->shortfalls.front().detail.c_str());
  }
  if (s->fairness) {
    const auto& f = *s->fairness;
    std::printf(
        "instance=%s fairness plain_objective=%lld fair_objective=%lld cost=%lld "
        "cost_pct=%.3f plain_min=%lld fair_min=%lld min_upper_bound=%lld plain_p5=%lld "
        "fair_p5=%lld plain_mean=%.1f fair_mean=%.1f plain_mean_subproblem_min=%.1f "
        "fair_mean_subproblem_min=%.1f rounds=%d improved_subproblems=%d/%d fairness_s=%.3f "
        "peak_rss_mb=%.0f\n",
        name, static_cast<long long>(f.plain.objective), static_cast<long long>(f.fair.objective),
        static_cast<long long>(f.cost()),
        f.plain.objective ? 100.0 * f.cost() / f.plain.objective : 0.0,
        static_cast<long long>(f.plain.min_total), static_cast<long long>(f.fair.min_total),
        static_cast<long long>(f.min_upper_bound), static_cast<long long>(f.plain.p5_total),
        static_cast<long long>(f.fair.p5_total), f.plain.mean_total, f.fair.mean_total,
        f.plain_mean_subproblem_min, f.fair_mean_subproblem_min, f.rounds, f.improved_subproblems,
        st.subproblems, st.fairness_seconds, PeakRssMb());
  }
  std::fflush(stdout);
  return true;
}

// NetworkSimplex vs CostScaling on the same instance: runs alternate between
// the two (so load from other processes hits both alike), one thread, and the
// fastest of `reps` counts. Returns CostScaling's time over NetworkSimplex's.
double Compare(const char* name, const ra::Instance& in, bool decompose, int reps) {
  constexpr ra::Algorithm kAlgos[] = {ra::Algorithm::kNetworkSimplex, ra::Algorithm::kCostScaling};
  double best_mcf[2] = {1e300, 1e300}, best_solve[2] = {1e300, 1e300};
  long long objective[2] = {0, 0};
  for (int rep = 0; rep < reps; ++rep) {
    for (int a = 0; a < 2; ++a) {
      ra::Options o = BaseOptions(1);
      o.algorithm = kAlgos[a];
      o.decompose = decompose;
      auto s = ra::Solve(in, o);
      if (!s.ok()) return 0;
      best_mcf[a] = std::min(best_mcf[a], s->stats.min_cost_seconds);
      best_solve[a] = std::min(best_solve[a], s->stats.solve_seconds);
      objective[a] = s->quality.objective;
    }
  }
  for (int a = 0; a < 2; ++a) {
    std::printf(
        "instance=%s compare algorithm=%s decompose=%d threads=1 reps=%d "
        "min_cost_flow_s=%.3f solve_s=%.3f objective=%lld\n",
        name, std::string(ra::AlgorithmName(kAlgos[a])).c_str(), decompose ? 1 : 0, reps,
        best_mcf[a], best_solve[a], objective[a]);
  }
  const double ratio = best_mcf[1] / best_mcf[0];
  std::printf(
      "instance=%s compare decompose=%d cost_scaling_over_network_simplex=%.2f "
      "same_objective=%d\n",
      name, decompose ? 1 : 0, ratio, objective[0] == objective[1] ? 1 : 0);
  std::fflush(stdout);
  return ratio;
}

double Since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  bool monolithic = false;
  int threads = 2;
  uint64_t seed = 1;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--quick")) {
      quick = true;
    } else if (!std::strcmp(argv[i], "--monolithic-90k")) {
      monolithic = true;
    } else if (!std::strncmp(argv[i], "--threads=", 10)) {
      threads = std::atoi(argv[i] + 10);
    } else if (!std::strncmp(argv[i], "--seed=", 7)) {
      seed = std::strtoull(argv[i] + 7, nullptr, 10);
    } else {
      std::fprintf(stderr, "usage: %s [--quick] [--monolithic-90k] [--threads=N] [--seed=S]\n",
                   argv[0]);
      return 2;
    }
  }
  const auto total = std::chrono::steady_clock::now();
  bool ok = true;
  constexpr ra::Algorithm kBoth[] = {ra::Algorithm::kNetworkSimplex, ra::Algorithm::kCostScaling};

  {
    ra::SyntheticSpec spec;  // 10,000 × 1,000
    spec.seed = seed;
    auto t = std::chrono::steady_clock::now();
    const ra::Instance in = ra::GenerateSynthetic(spec);
    std::printf("instance=10k_x_1k generate_s=%.3f proposals=%zu reviewers=%zu sections=%zu\n",
                Since(t), in.proposals.size(), in.reviewers.size(), in.sections.size());
    for (ra::Algorithm algo : kBoth) {
      ra::Options o = BaseOptions(threads);
      o.algorithm = algo;
      ok &= Run("10k_x_1k", in, o, "plain");
    }
    Compare("10k_x_1k", in, /*decompose=*/true, quick ? 1 : 5);
    Compare("10k_x_1k", in, /*decompose=*/false, quick ? 1 : 5);
    ra::Options o = BaseOptions(threads);
    o.fairness.enabled = true;
    ok &= Run("10k_x_1k", in, o, "fair");
  }
  {
    // Tight loads (capacity 1.02 × demand): proposals compete for reviewers,
    // so the fairness mode can move the global minimum.
    ra::SyntheticSpec spec;
    spec.seed = seed;
    spec.load_slack = 1.02;
    const ra::Instance in = ra::GenerateSynthetic(spec);
    ra::Options o = BaseOptions(threads);
    o.fairness.enabled = true;
    ok &= Run("10k_x_1k_tight", in, o, "fair");
  }
  {
    const ra::SyntheticSpec spec = ra::KakenhiSpec(seed);
    auto t = std::chrono::steady_clock::now();
    const ra::Instance in = ra::GenerateSynthetic(spec);
    std::printf(
        "instance=90k_x_8k generate_s=%.3f proposals=%zu reviewers=%zu sections=%zu "
        "peak_rss_mb=%.0f\n",
        Since(t), in.proposals.size(), in.reviewers.size(), in.sections.size(), PeakRssMb());
    ra::Options o = BaseOptions(threads);
    ok &= Run("90k_x_8k", in, o, "plain");
    if (!quick) Compare("90k_x_8k", in, /*decompose=*/true, 3);
    if (monolithic) Compare("90k_x_8k", in, /*decompose=*/false, 1);  // one 4.5M-arc network
    o.fairness.enabled = true;
    ok &= Run("90k_x_8k", in, o, "fair");
  }
  std::printf("total_s=%.3f peak_rss_mb=%.0f\n", Since(total), PeakRssMb());
  return ok ? 0 : 1;
}
