#include "candidates.h"

#include <algorithm>
#include <atomic>
#include <thread>

namespace tane::reviews::assignment::impl {
namespace {

struct Scratch {
  std::vector<int> stamp;  // reviewer -> last proposal that pooled it
  std::vector<Cand> pool;
  CandidateStats stats;
};

void Generate(const Compiled& c, const Options& options, int p, bool unlimited, Scratch& s,
              ProposalCandidates& out) {
  const CProposal& cp = c.proposals[p];
  s.pool.clear();
  for (const Pin& pin : c.pins[p]) s.stamp[pin.reviewer] = p;  // pins never re-enter
  auto consider = [&](int r) {
    if (s.stamp[r] == p) return;
    s.stamp[r] = p;
    const CReviewer& cr = c.reviewers[r];
    if (!cr.available || cr.max_load <= 0) {
      ++out.unavailable;
      return;
    }
    ++s.stats.scored;
    const int a = c.Affinity(p, r);
    if (a < options.min_affinity) {
      ++out.below_min;
      return;
    }
    s.pool.push_back({r, a});
  };
  if (cp.section >= 0) {
    for (int r : c.family_index[cp.section]) consider(r);
    if (cp.parent >= 0) {
      for (int r : c.family_index[cp.parent]) consider(r);
    }
  }
  if (options.keyword_candidates || cp.section < 0) {
    for (int k : cp.keywords) {
      for (int r : c.keyword_index[k]) consider(r);
    }
  }
  std::sort(s.pool.begin(), s.pool.end(), [](const Cand& a, const Cand& b) {
    return a.affinity != b.affinity ? a.affinity > b.affinity : a.reviewer < b.reviewer;
  });
  const size_t k = unlimited ? s.pool.size() : static_cast<size_t>(std::max(options.top_k, 0));
  out.cands.clear();
  size_t i = 0;
  // Conflicts are checked lazily, best first: only until K are accepted.
  for (; i < s.pool.size() && out.cands.size() < k; ++i) {
    const Cand& cand = s.pool[i];
    ++s.stats.checked;
    if (c.Forbidden(p, cand.reviewer)) {
      ++out.forbidden;
      continue;
    }
    if (c.ConflictReasonIndex(p, cand.reviewer) >= 0) {
      ++out.conflicted;
      ++s.stats.conflicted;
      continue;
    }
    out.cands.push_back(cand);
  }
  out.truncated = i < s.pool.size();
  out.cands.shrink_to_fit();
}

}  // namespace

void GenerateCandidates(const Compiled& c, const Options& options,
                        const std::vector<int>& proposals, bool unlimited, CandidateStats* stats,
                        std::vector<ProposalCandidates>& out) {
  const bool all = proposals.empty();
  const int n = all ? static_cast<int>(c.proposals.size()) : static_cast<int>(proposals.size());
  const int threads = std::max(1, std::min(options.threads, n / 256 + 1));
  std::vector<Scratch> scratch(threads);
  std::atomic<int> next{0};
  constexpr int kChunk = 256;
  auto work = [&](int t) {
    Scratch& s = scratch[t];
    s.stamp.assign(c.reviewers.size(), -1);
    for (;;) {
      const int begin = next.fetch_add(kChunk);
      if (begin >= n) break;
      const int end = std::min(n, begin + kChunk);
      for (int i = begin; i < end; ++i) {
        const int p = all ? i : proposals[i];
        out[p] = ProposalCandidates{};
        Generate(c, options, p, unlimited, s, out[p]);
      }
    }
  };
  if (threads == 1) {
    work(0);
  } else {
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) pool.emplace_back(work, t);
    for (auto& th : pool) th.join();
  }
  if (stats) {
    for (const auto& s : scratch) {
      stats->scored += s.stats.scored;
      stats->checked += s.stats.checked;
      stats->conflicted += s.stats.conflicted;
    }
  }
}

}  // namespace tane::reviews::assignment::impl
