#pragma once
// Shared helpers for the assignment tests: a tiny random instance generator,
// an independent constraint checker built only on the pure string functions
// (FindConflict, Affinity, InCandidateScope), and a brute-force optimum.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "tane/core/time.h"
#include "tane/reviews/assignment/affinity.h"
#include "tane/reviews/assignment/conflicts.h"
#include "tane/reviews/assignment/solver.h"
#include "tane/reviews/assignment/types.h"

namespace tane::reviews::assignment {
// Readable gtest output.
inline void PrintTo(const AssignedReviewer& r, std::ostream* os) {
  *os << r.reviewer_id << "(" << r.affinity << (r.pinned ? ", pinned" : "") << ")";
}
}  // namespace tane::reviews::assignment

namespace tane::reviews::assignment::testing {

inline absl::Time Jst(int y, int m, int d) {
  return absl::FromCivil(absl::CivilDay(y, m, d), core::TokyoTimeZone());
}

inline Options BaseOptions(int n) {
  Options o;
  o.reviewers_per_proposal = n;
  o.conflicts.as_of = Jst(2024, 10, 1);
  return o;
}

// A small random instance: 2 medium sections of 2 small sections each,
// keyword vocabulary of 6, 5 institutions; random co-authors, past
// affiliations, declared conflicts, forbids, loads and availability, and
// (optionally) pins that are valid by construction.
inline Instance RandomTiny(uint64_t seed, int np, int nr, int n, bool with_pins) {
  std::mt19937_64 rng(seed);
  auto below = [&](int k) { return static_cast<int>(rng() % static_cast<uint64_t>(k)); };
  Instance in;
  in.sections = {{"A", ""}, {"B", ""}, {"A1", "A"}, {"A2", "A"}, {"B1", "B"}, {"B2", "B"}};
  const std::vector<std::string> small = {"A1", "A2", "B1", "B2"};
  auto keywords = [&](int k) {
    std::vector<std::string> out;
    for (int i = 0; i < k; ++i) out.push_back(absl::StrCat("k", below(6)));
    return out;
  };
  for (int i = 0; i < np; ++i) {
    Proposal p;
    p.id = absl::StrCat("p", i);
    p.review_section = small[below(2)];  // mostly the A family
    if (below(5) == 0) p.review_section = small[2 + below(2)];
    p.keywords = keywords(1 + below(3));
    p.pi = {absl::StrCat("pi", i), {absl::StrCat("inst", below(5))}};
    if (below(2))
      p.co_investigators.push_back(
          {absl::StrCat("co", below(8)), {absl::StrCat("inst", below(5))}});
    in.proposals.push_back(std::move(p));
  }
  for (int j = 0; j < nr; ++j) {
    Reviewer r;
    r.id = absl::StrCat("r", j);
    r.researcher_id = below(8) == 0 ? absl::StrCat("co", below(8)) : absl::StrCat("rv", j);
    r.review_sections = {small[below(2)]};
    if (below(3) == 0) r.review_sections.push_back(below(2) ? "A" : small[below(4)]);
    r.keywords = keywords(1 + below(3));
    if (below(4) == 0) {
      r.affiliations.push_back(Affiliation::ForYears(absl::StrCat("inst", below(5)), 2015));
    } else {
      r.affiliations.push_back(Affiliation::ForYears(absl::StrCat("instx", j), 2015));
    }
    if (below(4) == 0) {
      r.affiliations.push_back(
          Affiliation::ForYears(absl::StrCat("inst", below(5)), 2010, 2016 + below(8)));
    }
    if (below(5) == 0) r.coauthor_ids.push_back(absl::StrCat("pi", below(np)));
    if (below(6) == 0) r.relation_ids.push_back(absl::StrCat("co", below(8)));
    r.max_load = below(4);
    r.available = below(8) != 0;
    in.reviewers.push_back(std::move(r));
  }
  for (int k = below(3); k > 0; --k) {
    in.forbids.push_back({absl::StrCat("p", below(np)), absl::StrCat("r", below(nr)), "po"});
  }
  for (int k = below(3); k > 0; --k) {
    in.declared_conflicts.push_back(
        {absl::StrCat("p", below(np)), absl::StrCat("r", below(nr)), "friend"});
  }
  if (with_pins) {
    const Options o = BaseOptions(n);
    absl::flat_hash_map<int, int> per_reviewer;
    for (int k = 1 + below(2); k > 0; --k) {
      const int p = below(np), r = below(nr);
      const Proposal& pp = in.proposals[p];
      const Reviewer& rr = in.reviewers[r];
      bool bad = !rr.available || per_reviewer[r] >= rr.max_load ||
                 FindConflict(pp, rr, o.conflicts, in.declared_conflicts).has_value();
      for (const auto& f : in.forbids) bad |= f.proposal_id == pp.id && f.reviewer_id == rr.id;
      for (const auto& pin : in.pins) bad |= pin.proposal_id == pp.id;  // one pin per proposal
      if (bad) continue;
      ++per_reviewer[r];
      in.pins.push_back({pp.id, rr.id, "po"});
    }
  }
  return in;
}

struct Eligibility {
  std::vector<std::vector<std::pair<int, int>>> options;  // (reviewer, affinity), non-pinned
  std::vector<std::vector<std::pair<int, int>>> pins;
};

inline bool IsForbidden(const Instance& in, const std::string& p, const std::string& r) {
  for (const auto& f : in.forbids) {
    if (f.proposal_id == p && f.reviewer_id == r) return true;
  }
  return false;
}

// Eligible pairs from the pure rules, K ignored (tests keep K large).
inline Eligibility Eligible(const Instance& in, const Options& o) {
  const SectionTree tree(in.sections);
  Eligibility e;
  e.options.resize(in.proposals.size());
  e.pins.resize(in.proposals.size());
  for (size_t i = 0; i < in.proposals.size(); ++i) {
    const Proposal& p = in.proposals[i];
    for (size_t j = 0; j < in.reviewers.size(); ++j) {
      const Reviewer& r = in.reviewers[j];
      const int a = Affinity(p, r, tree, o.affinity);
      bool pinned = false;
      for (const auto& pin : in.pins) pinned |= pin.proposal_id == p.id && pin.reviewer_id == r.id;
      if (pinned) {
        e.pins[i].push_back({static_cast<int>(j), a});
        continue;
      }
      if (!r.available || r.max_load <= 0) continue;
      if (!InCandidateScope(p, r, tree, o.keyword_candidates)) continue;
      if (IsForbidden(in, p.id, r.id)) continue;
      if (FindConflict(p, r, o.conflicts, in.declared_conflicts)) continue;
      if (a < o.min_affinity) continue;
      e.options[i].push_back({static_cast<int>(j), a});
    }
  }
  return e;
}

struct BruteResult {
  int64_t slots = -1;
  int64_t objective = -1;
};

// Exhaustive search over every assignment (subsets of size <= N - pins per
// proposal) for the lexicographic optimum (slots filled, total affinity).
inline BruteResult BruteForce(const Instance& in, const Options& o) {
  const Eligibility e = Eligible(in, o);
  const int n = o.reviewers_per_proposal;
  std::vector<int> load(in.reviewers.size(), 0);
  int64_t base_slots = 0, base_obj = 0;
  for (size_t i = 0; i < in.proposals.size(); ++i) {
    for (auto [r, a] : e.pins[i]) {
      ++load[r];
      ++base_slots;
      base_obj += a;
    }
  }
  BruteResult best;
  std::function<void(size_t, int64_t, int64_t)> rec = [&](size_t i, int64_t slots, int64_t obj) {
    if (i == in.proposals.size()) {
      if (slots > best.slots || (slots == best.slots && obj > best.objective)) best = {slots, obj};
      return;
    }
    const auto& opts = e.options[i];
    const int want = n - static_cast<int>(e.pins[i].size());
    std::vector<int> pick;
    std::function<void(size_t, int64_t, int64_t)> choose = [&](size_t k, int64_t s, int64_t ob) {
      rec(i + 1, s, ob);
      if (static_cast<int>(pick.size()) == want) return;
      for (size_t m = k; m < opts.size(); ++m) {
        const int r = opts[m].first;
        if (load[r] >= in.reviewers[r].max_load) continue;
        ++load[r];
        pick.push_back(r);
        choose(m + 1, s + 1, ob + opts[m].second);
        pick.pop_back();
        --load[r];
      }
    };
    choose(0, slots, obj);
  };
  rec(0, base_slots, base_obj);
  return best;
}

// Every constraint, checked with the pure functions only.
inline void CheckConstraints(const Instance& in, const Options& o, const Solution& s) {
  const SectionTree tree(in.sections);
  const int n = o.reviewers_per_proposal;
  absl::flat_hash_map<std::string, const Reviewer*> reviewers;
  for (const auto& r : in.reviewers) reviewers[r.id] = &r;
  absl::flat_hash_map<std::string, int> load;
  absl::flat_hash_set<std::string> short_ids;
  for (const auto& sf : s.shortfalls) {
    short_ids.insert(sf.proposal_id);
    EXPECT_LT(sf.assigned, n) << sf.proposal_id;
    EXPECT_FALSE(sf.detail.empty());
  }
  ASSERT_EQ(s.assignments.size(), in.proposals.size());
  int64_t objective = 0;
  for (size_t i = 0; i < in.proposals.size(); ++i) {
    const Proposal& p = in.proposals[i];
    const ProposalAssignment& pa = s.assignments[i];
    ASSERT_EQ(pa.proposal_id, p.id);
    const int got = static_cast<int>(pa.reviewers.size());
    EXPECT_LE(got, n) << p.id;
    EXPECT_EQ(got < n, short_ids.contains(p.id)) << p.id << " has " << got;
    absl::flat_hash_set<std::string> seen;
    int64_t total = 0;
    for (const auto& ar : pa.reviewers) {
      ASSERT_TRUE(reviewers.contains(ar.reviewer_id));
      const Reviewer& r = *reviewers[ar.reviewer_id];
      EXPECT_TRUE(seen.insert(ar.reviewer_id).second) << "duplicate " << ar.reviewer_id;
      ++load[ar.reviewer_id];
      EXPECT_TRUE(r.available) << r.id;
      auto conflict = FindConflict(p, r, o.conflicts, in.declared_conflicts);
      EXPECT_FALSE(conflict.has_value())
          << p.id << " " << r.id << " " << (conflict ? conflict->detail : "");
      EXPECT_FALSE(IsForbidden(in, p.id, r.id)) << p.id << " " << r.id;
      EXPECT_EQ(ar.affinity, Affinity(p, r, tree, o.affinity)) << p.id << " " << r.id;
      bool pinned = false;
      for (const auto& pin : in.pins) pinned |= pin.proposal_id == p.id && pin.reviewer_id == r.id;
      EXPECT_EQ(ar.pinned, pinned);
      if (!pinned) {
        EXPECT_GE(ar.affinity, o.min_affinity);
        EXPECT_TRUE(InCandidateScope(p, r, tree, o.keyword_candidates)) << p.id << " " << r.id;
      }
      total += ar.affinity;
    }
    EXPECT_EQ(total, pa.total_affinity);
    objective += total;
  }
  for (const auto& pin : in.pins) {
    bool found = false;
    for (const auto& pa : s.assignments) {
      if (pa.proposal_id != pin.proposal_id) continue;
      for (const auto& ar : pa.reviewers) found |= ar.reviewer_id == pin.reviewer_id;
    }
    EXPECT_TRUE(found) << "pin " << pin.proposal_id << " " << pin.reviewer_id;
  }
  for (const auto& [id, l] : load) EXPECT_LE(l, reviewers[id]->max_load) << id;
  EXPECT_EQ(objective, s.quality.objective);
}

inline int64_t Slots(const Solution& s) {
  int64_t k = 0;
  for (const auto& a : s.assignments) k += static_cast<int64_t>(a.reviewers.size());
  return k;
}

}  // namespace tane::reviews::assignment::testing
