#pragma once
/// Review cases and the call review, from the calls service's events.
///
/// A case is the reviews service's own copy of one submitted application
/// (the ApplicationSubmitted snapshot) plus everything review adds to it:
/// assignments per stage, pins and forbids, declared conflicts, reviews,
/// shortlistings and the decision. The call review is the call-level state:
/// whether the call has closed, how many applications were counted at
/// closing, the stages, their deadlines and assignment runs.
///
/// Both are keyed so that one call's aggregates share a shard (hash the
/// call_id), so a command over a whole call (assignment) commits in one script.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tane/calls/v1/events.pb.h"
#include "tane/reviews/assignment/conflicts.h"
#include "tane/reviews/assignment/types.h"
#include "tane/reviews/rules.h"

namespace tane::reviews {

/// Namespace of case ids: NameUuid(kCaseIdNamespace, application_id), so a
/// redelivered ApplicationSubmitted maps to the same case.
inline constexpr char kCaseIdNamespace[] = "tane.reviews.case";
std::string CaseIdForApplication(std::string_view application_id);

/// A new case (version 1, state IN_REVIEW in the first stage) from an
/// ApplicationSubmitted; its application_version is the snapshot's version.
/// Stages come from the event's review model, else the rules.
/// INVALID_ARGUMENT when the snapshot lacks its application_id or call_id or
/// is not SUBMITTED.
absl::StatusOr<CaseTransition> OpenCase(const calls::v1::ApplicationSubmitted& submitted,
                                        const Context& ctx);

/// Where an ApplicationSubmitted or ApplicationWithdrawn stands in its
/// application's history at the calls service: the application's version
/// after it (0 when the event carries none) and when it happened.
struct ApplicationEventOrder {
  int64_t version = 0;
  absl::Time at = absl::InfinitePast();
};

/// Whether an event at `order` comes after everything the case has applied:
/// by version when both are known, else by time (submitted_at, withdrawn_at).
/// False for a redelivered or older event, which must change nothing.
bool FollowsCase(const v1::ReviewCase& review_case, const ApplicationEventOrder& order);

/// A newer ApplicationSubmitted for an application that has a case (it was
/// resubmitted, or withdrawn and submitted again before the deadline): the
/// newer snapshot replaces the case's, a withdrawn case is IN_REVIEW again in
/// the first stage, and any current assignment is released (ReviewersAssigned
/// with cause WITHDRAWN per stage that had reviewers) and cleared, so the
/// first stage is solved afresh over the new snapshot. Pair rules and
/// declared conflicts stay. The same errors as OpenCase; INVALID_ARGUMENT for
/// another application's snapshot; FAILED_PRECONDITION when the case already
/// has reviews, a shortlisting or a decision (a reviewed version is never
/// silently replaced).
absl::StatusOr<CaseTransition> ResubmitCase(const v1::ReviewCase& review_case,
                                            const calls::v1::ApplicationSubmitted& submitted,
                                            const Context& ctx);

/// The call review after an ApplicationSubmitted: created (version 1,
/// COLLECTING) on the call's first application, else filled in where it
/// lacks what the snapshot tells (program, area, partner, N). The stages are
/// the call's review model's (repeats dropped, see DistinctStages); they
/// replace the program's defaults a CallClosed received first filled in, as
/// long as no stage has been assigned. nullopt when nothing changes.
std::optional<v1::CallReview> NoteSubmission(const std::optional<v1::CallReview>& current,
                                             const calls::v1::ApplicationSubmitted& submitted,
                                             const Context& ctx);

/// CallClosed: COLLECTING (or absent) → CLOSED with closed_at and the count
/// of applications submitted at closing; stages from the rules when none are
/// known yet. FAILED_PRECONDITION when already closed.
absl::StatusOr<v1::CallReview> CloseCallReview(const std::optional<v1::CallReview>& current,
                                               const calls::v1::CallClosed& closed,
                                               const Context& ctx);

/// ApplicationWithdrawn: the case is dropped — state WITHDRAWN, every current
/// assignment released (ReviewersAssigned with cause WITHDRAWN for each stage
/// that had reviewers), so the reviewers' loads are free again and nobody
/// reviews it. A decided case keeps its decision and only records the
/// withdrawal (no event). `application_version` is the application's version
/// after the withdrawal (0 when unknown; see FollowsCase). FAILED_PRECONDITION
/// when already withdrawn.
absl::StatusOr<CaseTransition> WithdrawCase(const v1::ReviewCase& review_case,
                                            const calls::v1::ApplicationWithdrawn& withdrawn,
                                            int64_t application_version, const Context& ctx);

/// True once the call has closed and every application ever submitted to it
/// has its case (withdrawn ones included), so an assignment would see them
/// all. Events of different applications can arrive in any order relative
/// to CallClosed.
bool ReadyForAssignment(const v1::CallReview& call_review, std::span<const v1::ReviewCase> cases);

/// Cases of the call counted against CallClosed.applications_ever_submitted:
/// all of them, whatever their state.
int CountedCases(const v1::CallReview& call_review, std::span<const v1::ReviewCase> cases);

/// Sets a stage's review deadline. INVALID_ARGUMENT for an unset or invalid
/// deadline or a stage the call does not have; FAILED_PRECONDITION for a
/// deadline not after now.
absl::StatusOr<v1::CallReview> SetReviewDeadline(const v1::CallReview& current,
                                                 const v1::SetReviewDeadlineRequest& request,
                                                 const Context& ctx);

/// The stage's review deadline, or nullopt before the stage was assigned
/// and without an explicit deadline.
std::optional<absl::Time> ReviewDeadline(const v1::CallReview& call_review, Stage stage);

/// End of the JST day `days` days after `t`: 00:00 JST of the following day.
absl::Time EndOfJstDayAfter(absl::Time t, int days);

/// The engine's proposal: the case id, its review section (else
/// "area:<research_area_id>" so the area's advisors are its candidates, else
/// none: keywords decide), keywords, and PI and co-investigators with their
/// researcher ids and institutions.
assignment::Proposal ToEngineProposal(const v1::ReviewCase& review_case);

/// The conflict policy of the call: its window, evaluated at the call's
/// closing time (at `now` while the call is still open).
assignment::ConflictPolicy ConflictPolicyOf(const v1::CallReview& call_review, absl::Time now);

/// Every conflict of `reviewer` on the case (automatic rules and the case's
/// declarations), empty when clear.
std::vector<assignment::Conflict> ConflictsOf(const v1::ReviewCase& review_case,
                                              const v1::Reviewer& reviewer,
                                              const v1::CallReview& call_review, absl::Time now);

/// The stage assignment of `stage`, or nullptr.
const v1::StageAssignment* FindStageAssignment(const v1::ReviewCase& review_case, Stage stage);
/// Whether `reviewer_id` is a current reviewer of the case in any stage.
bool IsAssigned(const v1::ReviewCase& review_case, std::string_view reviewer_id);
/// Whether the case's current stage has been assigned (solved at least once).
bool StageAssigned(const v1::ReviewCase& review_case, Stage stage);

/// Counted reviews of the stage.
int CountedReviews(const v1::ReviewCase& review_case, Stage stage);

/// Reviews of the case's current stage can no longer change the outcome:
/// every current reviewer has a counted review, or the deadline has passed.
bool StageReviewsClosed(const v1::ReviewCase& review_case, const v1::CallReview& call_review,
                        absl::Time now);

/// The stage after `stage` in the call's stages, or REVIEW_STAGE_UNSPECIFIED
/// after the last.
Stage NextStage(const v1::CallReview& call_review, Stage stage);

}  // namespace tane::reviews
