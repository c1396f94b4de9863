#pragma once
/// The inputs of reviewer assignment: proposals (review cases built from
/// submitted applications), the reviewer pool, the review-section tree, and
/// the program officer's pins/forbids and reviewers' declared conflicts.
///
/// Ids are the other services' string ids (application ids, e-Rad researcher
/// numbers, ROR institution ids, section codes); the engine interns them
/// internally, so their format does not matter here.

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace tane::reviews::assignment {

/// A PI or co-investigator as recorded in the application snapshot.
struct Investigator {
  std::string researcher_id;
  /// Current host institution(s).
  std::vector<std::string> institution_ids;
};

struct Proposal {
  std::string id;
  /// The small review section (小区分) the applicant chose; empty when the
  /// program does not use sections (keywords then decide the candidates).
  std::string review_section;
  std::vector<std::string> keywords;
  Investigator pi;
  std::vector<Investigator> co_investigators;
};

/// A period at an institution, [from, to). `to` is InfiniteFuture() while the
/// reviewer is still there; a `from` in the future is an announced move.
struct Affiliation {
  std::string institution_id;
  absl::Time from = absl::InfinitePast();
  absl::Time to = absl::InfiniteFuture();

  /// Whole calendar years in JST: from 1 Jan `from_year` to the end of
  /// `to_year` (or still there when `to_year` is empty).
  static Affiliation ForYears(std::string institution_id, int from_year,
                              std::optional<int> to_year = std::nullopt);
};

struct Reviewer {
  std::string id;
  /// The reviewer's own researcher number, so a reviewer who is also an
  /// investigator on a proposal is caught. May be empty.
  std::string researcher_id;
  std::vector<Affiliation> affiliations;
  /// Sections the reviewer is registered for (small or medium sections).
  std::vector<std::string> review_sections;
  std::vector<std::string> keywords;
  std::vector<std::string> coauthor_ids;      ///< researcher ids
  std::vector<std::string> collaborator_ids;  ///< researcher ids
  /// Declared relatives, supervisors and supervisees (researcher ids).
  std::vector<std::string> relation_ids;
  int max_load = 0;
  bool available = true;
};

/// One node of the review-section tree: small (小区分) → medium (中区分) →
/// large (大区分). `parent_id` is empty at the top.
struct Section {
  std::string id;
  std::string parent_id;
};

/// A program officer's decision on one (proposal, reviewer) pair.
struct PairRule {
  std::string proposal_id;
  std::string reviewer_id;
  std::string note;
};

/// A reviewer's own declaration of a conflict on a proposal.
struct DeclaredConflict {
  std::string proposal_id;
  std::string reviewer_id;
  std::string reason;
};

struct Instance {
  std::vector<Proposal> proposals;
  std::vector<Reviewer> reviewers;
  std::vector<Section> sections;
  /// Forced assignments (must not be conflicted; bypass top-K and minimum
  /// affinity).
  std::vector<PairRule> pins;
  /// Forbidden pairs.
  std::vector<PairRule> forbids;
  std::vector<DeclaredConflict> declared_conflicts;
};

}  // namespace tane::reviews::assignment
