#pragma once
/// The reviewer pool: records, their validation, availability, standing
/// conflicts, and the engine's view of a reviewer.
///
/// Reviewer commands emit no events. A change that adds conflicts (a new
/// affiliation, co-author, relation) can make the reviewer conflicted on a
/// case they already review: the caller then runs RecuseOnProfileChange
/// (assignment.h) for each call the reviewer has assignments in.

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/field_mask.pb.h"
#include "tane/core/errors.h"
#include "tane/reviews/assignment/types.h"
#include "tane/reviews/rules.h"

namespace tane::reviews {

inline constexpr int kMaxLoadPerCall = 1000;

/// Adds every violation of a reviewer record to `out`, with field paths:
/// a name (name_ja or name_en); researcher_id an e-Rad number and orcid a
/// valid ORCID where given; affiliations with an institution_id and
/// end_time after start_time; expertise (at least one review section or
/// keyword), no empty entries; languages BCP 47 tags ("ja", "en", "pt-BR");
/// max_load_per_call in 1–1000; unavailable periods with both ends, end after
/// start; standing conflicts with an e-Rad researcher id, a kind, not the
/// reviewer's own id, each researcher once; every text valid UTF-8 without
/// control characters.
void CollectReviewerViolations(const v1::Reviewer& reviewer, core::Violations& out);

/// A new reviewer, version 1, with server-set fields (reviewer_id,
/// timestamps, standing conflicts' declared_at/by) filled in.
/// INVALID_ARGUMENT listing every violation.
absl::StatusOr<ReviewerTransition> NewReviewer(v1::Reviewer reviewer, std::string reviewer_id,
                                               const Context& ctx);

/// Applies the `mask` fields of `patch`. ABORTED on a version mismatch
/// (patch.version non-zero); INVALID_ARGUMENT for an empty mask, an unknown
/// or server-set path, or an invalid result; PERMISSION_DENIED when anyone
/// but an operator removes a standing conflict.
absl::StatusOr<ReviewerTransition> UpdateReviewer(const v1::Reviewer& current,
                                                  const v1::Reviewer& patch,
                                                  const google::protobuf::FieldMask& mask,
                                                  const Context& ctx);

/// Adds a standing conflict. A reviewer may declare only on their own
/// record (NOT_FOUND otherwise); ALREADY_EXISTS when a standing conflict
/// with that researcher is already declared (of any kind).
absl::StatusOr<ReviewerTransition> AddStandingConflict(const v1::Reviewer& current,
                                                       const v1::AddStandingConflictRequest& request,
                                                       const Context& ctx);

/// Takes new assignments at `t`: active and not in an unavailable period.
bool IsAvailableAt(const v1::Reviewer& reviewer, absl::Time t);

/// Reviews in `language` (BCP 47, compared case-insensitively on the primary
/// subtag, so "en" matches "en-GB"). An empty language always matches.
bool ReviewsInLanguage(const v1::Reviewer& reviewer, std::string_view language);

/// The engine's reviewer: affiliations with their periods, sections,
/// keywords, standing conflicts as co-author / collaborator / relation
/// lists. max_load and available are the caller's (they depend on the call).
assignment::Reviewer ToEngineReviewer(const v1::Reviewer& reviewer);

/// A well-formed BCP 47 language tag: a 2–3 letter primary subtag, then
/// 2–8 character alphanumeric subtags separated by '-'.
bool IsLanguageTag(std::string_view tag);

}  // namespace tane::reviews
