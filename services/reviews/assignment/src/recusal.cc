#include "tane/reviews/assignment/recusal.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "tane/reviews/assignment/affinity.h"
#include "tane/reviews/assignment/conflicts.h"

namespace tane::reviews::assignment {

absl::StatusOr<Refill> RecuseAndRefill(const Instance& instance, const Options& options,
                                       const DeclaredConflict& conflict, Solution& solution) {
  const int n = options.reviewers_per_proposal;
  const auto pit = std::find_if(instance.proposals.begin(), instance.proposals.end(),
                                [&](const Proposal& p) { return p.id == conflict.proposal_id; });
  if (pit == instance.proposals.end()) {
    return absl::NotFoundError(absl::StrCat("unknown proposal ", conflict.proposal_id));
  }
  const Proposal& proposal = *pit;
  auto ait =
      std::find_if(solution.assignments.begin(), solution.assignments.end(),
                   [&](const ProposalAssignment& a) { return a.proposal_id == proposal.id; });
  if (ait == solution.assignments.end()) {
    return absl::NotFoundError(absl::StrCat("proposal ", proposal.id, " is not in the solution"));
  }
  ProposalAssignment& pa = *ait;
  auto rit = std::find_if(pa.reviewers.begin(), pa.reviewers.end(), [&](const AssignedReviewer& r) {
    return r.reviewer_id == conflict.reviewer_id;
  });
  if (rit == pa.reviewers.end()) {
    return absl::NotFoundError(absl::StrCat("reviewer ", conflict.reviewer_id,
                                            " is not assigned to proposal ", proposal.id));
  }

  Refill refill;
  refill.proposal_id = proposal.id;
  refill.released_reviewer_id = rit->reviewer_id;
  refill.released_pin = rit->pinned;
  pa.total_affinity -= rit->affinity;
  pa.reviewers.erase(rit);

  // Loads across the whole solution; only this proposal changes.
  absl::flat_hash_map<absl::string_view, int> load;
  for (const auto& a : solution.assignments) {
    for (const auto& r : a.reviewers) ++load[r.reviewer_id];
  }
  absl::flat_hash_set<absl::string_view> on_proposal;
  for (const auto& r : pa.reviewers) on_proposal.insert(r.reviewer_id);
  absl::flat_hash_set<absl::string_view> forbidden;
  for (const auto& f : instance.forbids) {
    if (f.proposal_id == proposal.id) forbidden.insert(f.reviewer_id);
  }
  std::vector<DeclaredConflict> declared;
  for (const auto& d : instance.declared_conflicts) {
    if (d.proposal_id == proposal.id) declared.push_back(d);
  }
  declared.push_back(conflict);

  const SectionTree tree(instance.sections);
  struct Option {
    const Reviewer* reviewer;
    int affinity;
  };
  std::vector<Option> eligible;
  Shortfall stats;
  for (const Reviewer& r : instance.reviewers) {
    if (r.id == conflict.reviewer_id || on_proposal.contains(r.id)) continue;
    if (!InCandidateScope(proposal, r, tree, options.keyword_candidates)) continue;
    if (!r.available || r.max_load <= 0) {
      ++stats.unavailable;
      continue;
    }
    if (forbidden.contains(r.id)) {
      ++stats.forbidden;
      continue;
    }
    if (FindConflict(proposal, r, options.conflicts, declared)) {
      ++stats.conflicted;
      continue;
    }
    const int a = Affinity(proposal, r, tree, options.affinity);
    if (a < options.min_affinity) {
      ++stats.below_min_affinity;
      continue;
    }
    auto it = load.find(r.id);
    if (it != load.end() && it->second >= r.max_load) {
      eligible.push_back({&r, -1});  // eligible, but full
      continue;
    }
    eligible.push_back({&r, a});
  }
  std::sort(eligible.begin(), eligible.end(), [](const Option& a, const Option& b) {
    return a.affinity != b.affinity ? a.affinity > b.affinity : a.reviewer->id < b.reviewer->id;
  });
  for (const Option& o : eligible) {
    if (static_cast<int>(pa.reviewers.size()) >= n || o.affinity < 0) break;
    AssignedReviewer added{o.reviewer->id, o.affinity, false};
    pa.reviewers.push_back(added);
    pa.total_affinity += o.affinity;
    refill.added.push_back(std::move(added));
  }
  std::sort(pa.reviewers.begin(), pa.reviewers.end(),
            [](const AssignedReviewer& a, const AssignedReviewer& b) {
              return a.affinity != b.affinity ? a.affinity > b.affinity
                                              : a.reviewer_id < b.reviewer_id;
            });

  auto& shortfalls = solution.shortfalls;
  shortfalls.erase(std::remove_if(shortfalls.begin(), shortfalls.end(),
                                  [&](const Shortfall& s) { return s.proposal_id == proposal.id; }),
                   shortfalls.end());
  const int got = static_cast<int>(pa.reviewers.size());
  if (got < n) {
    Shortfall sf = stats;
    sf.proposal_id = proposal.id;
    sf.assigned = got;
    sf.required = n;
    sf.eligible =
        got + static_cast<int>(std::count_if(eligible.begin(), eligible.end(),
                                             [](const Option& o) { return o.affinity < 0; }));
    if (sf.eligible < n) {
      sf.reason = ShortfallReason::kNotEnoughCandidates;
      sf.detail =
          absl::StrCat("only ", sf.eligible, " unconflicted eligible candidates for ", n,
                       " reviewers after recusing ", conflict.reviewer_id, " (", sf.conflicted,
                       " conflicted, ", sf.forbidden, " forbidden, ", sf.below_min_affinity,
                       " below minimum affinity, ", sf.unavailable, " unavailable)");
    } else {
      sf.reason = ShortfallReason::kCapacityExhausted;
      sf.detail = absl::StrCat(
          "reviewer capacity exhausted: every other eligible candidate is at "
          "their load cap after recusing ",
          conflict.reviewer_id);
    }
    // Keep instance order.
    const auto index_of = [&](const std::string& id) {
      return std::find_if(solution.assignments.begin(), solution.assignments.end(),
                          [&](const ProposalAssignment& a) { return a.proposal_id == id; }) -
             solution.assignments.begin();
    };
    const auto pos = index_of(proposal.id);
    auto at = std::find_if(shortfalls.begin(), shortfalls.end(),
                           [&](const Shortfall& s) { return index_of(s.proposal_id) > pos; });
    refill.shortfall = sf;
    shortfalls.insert(at, std::move(sf));
  }
  solution.quality = Measure(solution.assignments, n);
  return refill;
}

}  // namespace tane::reviews::assignment
