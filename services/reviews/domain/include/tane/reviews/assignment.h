#pragma once
/// Assignment commands over one call's cases: solving a stage, pins and
/// forbids, declared conflicts (recusal and refill), manual reassignment and
/// recusal after a profile change. They build the engine's instance from the
/// cases and the reviewer pool (reviews_assignment), run it, and translate
/// its result back into the cases and ReviewersAssigned events.
///
/// Conflict invariant: after any of these commands no conflicted reviewer is
/// a current reviewer of a case, whatever the path — automatic rules at
/// solve time, a declaration before the solve, a declaration after it, or a
/// profile change after it.
///
/// Loads: a reviewer's max_load_per_call caps their current assignments in
/// the call, all stages together.
///
/// `cases` is every case of the call (any state); `pool` is the reviewer
/// pool (every reviewer the cases name must be in it).

#include <span>
#include <string>

#include "absl/status/statusor.h"
#include "tane/reviews/rules.h"

namespace tane::reviews {

struct SolveResult {
  CallTransition transition;
  v1::AssignmentRun run;
};

/// Assigns the stage's short cases (see ReviewsService.SolveAssignment).
/// Reviewers already assigned stay as pins unless they have become
/// conflicted, which releases them (noted in the run). The program officer's
/// pins are honoured unless now conflicted, out of the pool or beyond a load
/// cap (noted). Reviewers outside request.reviewer_ids, without
/// request.required_language, inactive or unavailable at now get no new
/// assignments.
/// FAILED_PRECONDITION before the call closed or while counted applications
/// are missing (ReadyForAssignment); INVALID_ARGUMENT for a stage the call
/// does not have, N outside 1–50, a negative minimum affinity or window,
/// unknown reviewer ids; ABORTED on a call review version mismatch.
absl::StatusOr<SolveResult> SolveAssignment(const v1::CallReview& call_review,
                                            std::span<const v1::ReviewCase> cases,
                                            std::span<const v1::Reviewer> pool,
                                            const v1::SolveAssignmentRequest& request,
                                            const Context& ctx);

/// Pins, forbids or clears a reviewer on a case for the stage's next run:
/// before the stage is assigned, or while it is short of reviewers (the next
/// run fills the gap). FAILED_PRECONDITION once the stage is fully assigned
/// (use ReassignReviewer), for a forbid of a current reviewer, or when the
/// case is no longer in review; INVALID_ARGUMENT for a pin on a conflicted
/// or suspended reviewer or more pins than N; NOT_FOUND for an unknown
/// reviewer or, with CLEAR, no rule on that pair.
absl::StatusOr<CaseTransition> SetPairRule(const v1::ReviewCase& review_case,
                                           const v1::CallReview& call_review,
                                           std::span<const v1::Reviewer> pool,
                                           const v1::SetPairRuleRequest& request,
                                           const Context& ctx);

/// Records a declared conflict. A reviewer (ctx.actor.role "reviewer",
/// `caller` their record) declares for themselves on a case they can see
/// (NOT_FOUND otherwise); a program officer or operator names any reviewer.
/// When the reviewer is assigned they are recused from every stage: removed,
/// their reviews no longer counted, and the current stage refilled from the
/// best available reviewers as the last run would have chosen. Emits
/// ReviewersAssigned (cause RECUSED) when an assignment changed.
/// FAILED_PRECONDITION when already declared or the case is decided or
/// withdrawn; INVALID_ARGUMENT without a reason.
absl::StatusOr<CallTransition> DeclareConflict(const v1::CallReview& call_review,
                                               std::span<const v1::ReviewCase> cases,
                                               std::span<const v1::Reviewer> pool,
                                               const v1::Reviewer* caller,
                                               const v1::DeclareConflictRequest& request,
                                               const Context& ctx);

/// Manual reassignment in the case's current stage, recorded with who and
/// why; the removed reviewer is also forbidden on the case for that stage so
/// a later run does not bring them back (and a forbid of the one added is
/// lifted). FAILED_PRECONDITION when the case is
/// not in review, the stage is not assigned, the removed reviewer is not
/// assigned, or the added one is already on the case, conflicted, not
/// available or at their load cap; INVALID_ARGUMENT without a reason;
/// NOT_FOUND for an unknown reviewer.
absl::StatusOr<CallTransition> ReassignReviewer(const v1::CallReview& call_review,
                                                std::span<const v1::ReviewCase> cases,
                                                std::span<const v1::Reviewer> pool,
                                                const v1::ReassignReviewerRequest& request,
                                                const Context& ctx);

/// After `changed` (already in `pool` with its new profile) was updated:
/// every case of the call on which they are now conflicted loses them (cause
/// AUTOMATIC_CONFLICT; their reviews no longer counted) and its current stage
/// is refilled. An empty transition when nothing changes.
absl::StatusOr<CallTransition> RecuseOnProfileChange(const v1::CallReview& call_review,
                                                     std::span<const v1::ReviewCase> cases,
                                                     std::span<const v1::Reviewer> pool,
                                                     const std::string& changed_reviewer_id,
                                                     const Context& ctx);

}  // namespace tane::reviews
