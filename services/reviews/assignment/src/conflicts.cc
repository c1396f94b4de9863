#include "tane/reviews/assignment/conflicts.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "tane/core/time.h"

namespace tane::reviews::assignment {
namespace {

// Every investigator with the role word used in explanations.
template <typename F>
void ForEachInvestigator(const Proposal& p, F&& f) {
  f(p.pi, static_cast<const char*>("PI"));
  for (const auto& ci : p.co_investigators) f(ci, static_cast<const char*>("co-investigator"));
}

bool Contains(const std::vector<std::string>& list, const std::string& value) {
  return !value.empty() && std::find(list.begin(), list.end(), value) != list.end();
}

std::string FormatDay(absl::Time t) {
  if (t == absl::InfiniteFuture()) return "now";
  if (t == absl::InfinitePast()) return "-";
  return absl::FormatTime("%Y-%m-%d", t, core::TokyoTimeZone());
}

}  // namespace

std::string_view ConflictReasonName(ConflictReason reason) {
  switch (reason) {
    case ConflictReason::kInvestigator:
      return "investigator";
    case ConflictReason::kSameInstitution:
      return "same_institution";
    case ConflictReason::kCoauthor:
      return "coauthor";
    case ConflictReason::kRelativeOrSupervisor:
      return "relative_or_supervisor";
    case ConflictReason::kDeclared:
      return "declared";
  }
  return "unknown";
}

absl::Time InstitutionWindowStart(const ConflictPolicy& policy) {
  if (policy.as_of == absl::InfinitePast() || policy.as_of == absl::InfiniteFuture()) {
    return policy.as_of;
  }
  const absl::TimeZone jst = core::TokyoTimeZone();
  const absl::CivilSecond as_of = absl::ToCivilSecond(policy.as_of, jst);
  // Civil-field arithmetic: 29 Feb minus one year normalises to 1 Mar.
  const absl::CivilSecond start(as_of.year() - policy.institution_window_years, as_of.month(),
                                as_of.day(), as_of.hour(), as_of.minute(), as_of.second());
  return absl::FromCivil(start, jst);
}

std::vector<Conflict> FindConflicts(const Proposal& proposal, const Reviewer& reviewer,
                                    const ConflictPolicy& policy,
                                    std::span<const DeclaredConflict> declared) {
  std::vector<Conflict> out;

  ForEachInvestigator(proposal, [&](const Investigator& inv, const char* role) {
    if (!inv.researcher_id.empty() && inv.researcher_id == reviewer.researcher_id) {
      out.push_back({ConflictReason::kInvestigator,
                     absl::StrCat("reviewer is the ", role, " (", inv.researcher_id, ")")});
    }
  });

  const absl::Time window_start = InstitutionWindowStart(policy);
  bool institution_found = false;
  ForEachInvestigator(proposal, [&](const Investigator& inv, const char* role) {
    if (institution_found) return;
    for (const auto& aff : reviewer.affiliations) {
      if (aff.to < window_start) continue;  // ended before the window
      if (!Contains(inv.institution_ids, aff.institution_id)) continue;
      std::string when = aff.to == absl::InfiniteFuture()
                             ? std::string("is at")
                             : absl::StrCat("was at (until ", FormatDay(aff.to), ")");
      if (aff.from > policy.as_of) when = absl::StrCat("moves (from ", FormatDay(aff.from), ") to");
      out.push_back({ConflictReason::kSameInstitution,
                     absl::StrCat("reviewer ", when, " ", aff.institution_id, ", institution of ",
                                  role, " ", inv.researcher_id, " (window ",
                                  policy.institution_window_years, " years)")});
      institution_found = true;
      return;
    }
  });

  bool coauthor_found = false;
  ForEachInvestigator(proposal, [&](const Investigator& inv, const char* role) {
    if (coauthor_found) return;
    const bool co = Contains(reviewer.coauthor_ids, inv.researcher_id);
    if (co || Contains(reviewer.collaborator_ids, inv.researcher_id)) {
      out.push_back({ConflictReason::kCoauthor,
                     absl::StrCat(role, " ", inv.researcher_id, " is the reviewer's ",
                                  co ? "co-author" : "collaborator")});
      coauthor_found = true;
    }
  });

  bool relation_found = false;
  ForEachInvestigator(proposal, [&](const Investigator& inv, const char* role) {
    if (relation_found) return;
    if (Contains(reviewer.relation_ids, inv.researcher_id)) {
      out.push_back({ConflictReason::kRelativeOrSupervisor,
                     absl::StrCat(role, " ", inv.researcher_id,
                                  " is a declared relative or supervisor of the reviewer")});
      relation_found = true;
    }
  });

  for (const auto& d : declared) {
    if (d.proposal_id == proposal.id && d.reviewer_id == reviewer.id) {
      out.push_back({ConflictReason::kDeclared,
                     d.reason.empty() ? std::string("declared by the reviewer")
                                      : absl::StrCat("declared by the reviewer: ", d.reason)});
      break;
    }
  }
  return out;
}

std::optional<Conflict> FindConflict(const Proposal& proposal, const Reviewer& reviewer,
                                     const ConflictPolicy& policy,
                                     std::span<const DeclaredConflict> declared) {
  auto all = FindConflicts(proposal, reviewer, policy, declared);
  if (all.empty()) return std::nullopt;
  return std::move(all.front());
}

}  // namespace tane::reviews::assignment
