#pragma once
/// Stages and decisions: shortlisting (書類選考 → 面接選考 → decision), the
/// adoption decision (採択/不採択) with its departure-from-ranking rule, and
/// the feedback an applicant receives.
///
/// Departure from the ranking, precisely: a decision on case C is compared
/// with the ranking of C's last review stage S (ComputeRanking(S), at the
/// time of the decision), against the cases of the same call already decided
/// with stage S. It departs when
///   - C is adopted and some already rejected case ranks strictly above C, or
///   - C is rejected and some already adopted case ranks strictly below C.
/// "Strictly" uses the ranking key (mean normalised score, then mean raw
/// score): tied cases never depart from each other. Unranked cases (no
/// counted review) are not compared. Cases decided in another stage (a
/// document-stage rejection against an interview-stage adoption) are not
/// compared either: each stage's ranking ranks only what it reviewed.
/// The supervisor decides, not the average, so a departure is allowed — with
/// a recorded departure_reason.

#include <span>

#include "absl/status/statusor.h"
#include "tane/reviews/rules.h"

namespace tane::reviews {

/// Namespace of decision ids: NameUuid(kDecisionIdNamespace, case_id).
inline constexpr char kDecisionIdNamespace[] = "tane.reviews.decision";

/// The case passes its current stage (see ReviewsService.ShortlistProposal).
/// `cases` is every case of the call (for the rank recorded with it).
/// FAILED_PRECONDITION when not in review, while the stage's reviews are
/// open (not all submitted and before the deadline) or without a counted
/// review; ABORTED on a version mismatch. Emits ProposalShortlisted.
absl::StatusOr<CaseTransition> ShortlistProposal(const v1::ReviewCase& review_case,
                                                 const v1::CallReview& call_review,
                                                 std::span<const v1::ReviewCase> cases,
                                                 const v1::ShortlistProposalRequest& request,
                                                 const Context& ctx);

/// 採択/不採択 (see ReviewsService.DecideProposal and the rule above).
/// INVALID_ARGUMENT without a reason, or without a departure_reason when the
/// decision departs (the violation names the cases it departs from);
/// FAILED_PRECONDITION when decided, withdrawn, adopting a case not awaiting
/// decision, or rejecting one whose stage's reviews are still open; ABORTED
/// on a version mismatch. Emits ProposalDecided with the application
/// snapshot.
absl::StatusOr<CaseTransition> DecideProposal(const v1::ReviewCase& review_case,
                                              const v1::CallReview& call_review,
                                              std::span<const v1::ReviewCase> cases,
                                              const v1::DecideProposalRequest& request,
                                              const Context& ctx);

/// The research start of an adoption without an explicit one: 1 April 00:00
/// JST of the application's start_fiscal_year, or — when that is not after
/// `decided_at` — 00:00 JST of the first day of the month after decided_at.
absl::Time DefaultResearchStart(const calls::v1::Application& application, absl::Time decided_at);

/// The feedback of a decided case: the result, the counted reviews'
/// comments to the applicant labelled "Reviewer 1…" per stage in an order
/// derived from a hash of (case, reviewer) — unrelated to reviewer ids — and
/// for a rejection with a rank the smallest of the rules' rank bands that
/// holds it. No reviewer identity, score by reviewer or confidential
/// comment. FAILED_PRECONDITION before the decision.
absl::StatusOr<v1::Feedback> BuildFeedback(const v1::ReviewCase& review_case,
                                           const ReviewRules& rules);

/// The band of rank r among `ranked`: the smallest b in `bands` with
/// r <= ceil(ranked × b / 100); nullopt-like 0 when r or ranked is 0.
int RankBandPercent(int rank, int ranked, std::span<const int> bands);

}  // namespace tane::reviews
