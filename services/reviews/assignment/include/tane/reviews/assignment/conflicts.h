#pragma once
/// Conflict-of-interest rules. A conflicted reviewer never appears in a
/// proposal's assignment; a pin on a conflicted pair is refused.
///
/// Automatic rules, checked against the PI and every co-investigator:
///  - investigator:          the reviewer is one of the investigators;
///  - same_institution:      the reviewer is, was within the window, or is
///                           announced to be at one of their institutions.
///                           An affiliation counts when it ends on or after
///                           `as_of` minus `institution_window_years`
///                           calendar years (JST), so one that ended exactly
///                           N years before `as_of` still conflicts;
///  - coauthor:              an investigator is on the reviewer's co-author
///                           or collaborator list;
///  - relative_or_supervisor: an investigator is among the reviewer's
///                           declared relatives / supervisors / supervisees.
/// Declared rule:
///  - declared:              the reviewer declared a conflict on the proposal.

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "tane/reviews/assignment/types.h"

namespace tane::reviews::assignment {

enum class ConflictReason {
  kInvestigator,
  kSameInstitution,
  kCoauthor,
  kRelativeOrSupervisor,
  kDeclared,
};

/// "investigator", "same_institution", "coauthor", "relative_or_supervisor",
/// "declared".
std::string_view ConflictReasonName(ConflictReason reason);

struct ConflictPolicy {
  /// A past affiliation conflicts for this many years after it ended.
  int institution_window_years = 3;
  /// The date the rules are evaluated at (normally the call's closing
  /// time). Must be set: Solve refuses InfinitePast().
  absl::Time as_of = absl::InfinitePast();
};

struct Conflict {
  ConflictReason reason;
  std::string detail;  ///< e.g. "reviewer was at inst-7 until 2022-03-31 ..."
  friend bool operator==(const Conflict&, const Conflict&) = default;
};

/// The start of the institution window: `as_of` minus the window in whole
/// calendar years, on the JST calendar.
absl::Time InstitutionWindowStart(const ConflictPolicy& policy);

/// Every rule that makes `reviewer` conflicted on `proposal`, in the order of
/// ConflictReason (empty when none). `declared` may hold declarations for any
/// pairs; only those naming this pair count. Pure; thread-safe.
std::vector<Conflict> FindConflicts(const Proposal& proposal, const Reviewer& reviewer,
                                    const ConflictPolicy& policy,
                                    std::span<const DeclaredConflict> declared = {});

/// The first of FindConflicts(), or nullopt when the reviewer is clear.
std::optional<Conflict> FindConflict(const Proposal& proposal, const Reviewer& reviewer,
                                     const ConflictPolicy& policy,
                                     std::span<const DeclaredConflict> declared = {});

}  // namespace tane::reviews::assignment
