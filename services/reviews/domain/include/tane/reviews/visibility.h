#pragma once
/// Who may see what, as pure functions over the service's read model. The
/// gateway's policy decides which roles may call an RPC; these rules decide
/// which resources and fields each role gets:
/// - reviewer: only the cases they are a current reviewer of and not
///   conflicted on (anything else NOT_FOUND — a case id reveals nothing);
///   within a case, the application, their own assignment and review only —
///   no other reviewer's id or review, no pins, conflicts, history or
///   decision. Their own reviewer record only.
/// - program_officer, operator, auditor: everything, confidential comments
///   included.
/// - partner: cases of joint calls whose partner_agency is their agency
///   (NOT_FOUND otherwise), without reviewer identities, confidential
///   comments, pins, conflicts, history or the decision's internal reasons.
/// - applicant: only the feedback of their own application (NOT_FOUND for
///   others); never a reviewer identity.
/// - anyone else: PERMISSION_DENIED.

#include <span>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tane/reviews/rules.h"

namespace tane::reviews {

inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMaxPageSize = 500;

/// The caller: the gateway's actor, and for role "reviewer" their reviewer
/// record (nullptr when they have none: they see nothing).
struct Viewer {
  common::v1::Actor actor;
  const v1::Reviewer* reviewer = nullptr;
};

bool IsStaff(const common::v1::Actor& actor);  // program_officer, operator, auditor
bool MaySeeConfidential(const common::v1::Actor& actor);

/// A current, unconflicted reviewer of the case (any stage), and the case
/// not withdrawn.
bool ReviewerMaySee(const v1::ReviewCase& review_case, const v1::CallReview& call_review,
                    const v1::Reviewer& reviewer, absl::Time now);

/// The case as `viewer` may see it (redacted per the rules above).
absl::StatusOr<v1::ReviewCase> ViewCase(const v1::ReviewCase& review_case,
                                        const v1::CallReview& call_review, const Viewer& viewer,
                                        absl::Time now);

/// A reviewer record: staff see any; a reviewer only their own (NOT_FOUND).
absl::StatusOr<v1::Reviewer> ViewReviewer(const v1::Reviewer& reviewer, const Viewer& viewer);

/// The caller's own review of the case's current stage. NOT_FOUND unless
/// they may see the case and have submitted one.
absl::StatusOr<v1::Review> ViewMyReview(const v1::ReviewCase& review_case,
                                        const v1::CallReview& call_review,
                                        const v1::Reviewer& reviewer, absl::Time now);

/// The feedback as `viewer` may see it: the applicant who owns the
/// application (Application.applicant_subject) or staff.
absl::StatusOr<v1::Feedback> ViewFeedback(const v1::ReviewCase& review_case,
                                          const ReviewRules& rules, const Viewer& viewer);

/// A call's ranking for staff, or for a partner of a joint call of theirs.
absl::StatusOr<v1::Ranking> ViewRanking(const v1::CallReview& call_review,
                                        std::span<const v1::ReviewCase> cases, Stage stage,
                                        const Viewer& viewer, absl::Time now);

/// A call's cases as `viewer` may see them (staff, or a partner of that
/// joint call), filtered and paged, ordered by application_id.
absl::StatusOr<v1::ListReviewCasesResponse> ListReviewCases(
    const v1::CallReview& call_review, std::span<const v1::ReviewCase> cases,
    const v1::ListReviewCasesRequest& request, const Viewer& viewer, absl::Time now);

/// The call reviews of the cases at hand, found by call_id.
struct CallReviews {
  std::span<const v1::CallReview> items;
  /// nullptr when unknown.
  const v1::CallReview* Find(const std::string& call_id) const;
};

/// The reviewer's assignments over the cases given (any calls; a case whose
/// call review is unknown is skipped), latest deadline first, then case_id;
/// only cases they may see.
absl::StatusOr<v1::ListMyReviewAssignmentsResponse> ListMyReviewAssignments(
    const CallReviews& call_reviews, std::span<const v1::ReviewCase> cases,
    const v1::Reviewer& reviewer, const v1::ListMyReviewAssignmentsRequest& request,
    absl::Time now);

/// The pool, filtered and paged, ordered by reviewer_id (staff only).
absl::StatusOr<v1::ListReviewersResponse> ListReviewers(std::span<const v1::Reviewer> reviewers,
                                                        const v1::ListReviewersRequest& request,
                                                        const Viewer& viewer);

}  // namespace tane::reviews
