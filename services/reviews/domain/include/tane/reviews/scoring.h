#pragma once
/// Reviews and their scores: submitting and revising a review against the
/// program's form until the stage's deadline, and the call's ranking by mean
/// normalised score (the normalisation is documented on v1::Ranking).

#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tane/core/errors.h"
#include "tane/reviews/rules.h"

namespace tane::reviews {

/// Adds every violation of the scores and comments against `form` to `out`:
/// each criterion scored exactly once within its scale, no unknown
/// criterion, the overall score within its scale, a comment to the applicant
/// when the form requires one, comments valid UTF-8 and within the form's
/// length (in code points).
void CollectReviewViolations(const v1::SubmitReviewRequest& request, const v1::ReviewForm& form,
                             core::Violations& out);

/// Submits (revision 1) or revises the caller's review of the case's
/// current stage. `reviewer` is the caller's record. NOT_FOUND unless they
/// are a current, unconflicted reviewer of the stage; FAILED_PRECONDITION
/// when the case is not in review or now >= the stage's review deadline
/// (locked); INVALID_ARGUMENT listing every form violation; ABORTED on a
/// version mismatch. Emits ReviewSubmitted.
absl::StatusOr<CaseTransition> SubmitReview(const v1::ReviewCase& review_case,
                                            const v1::CallReview& call_review,
                                            const v1::Reviewer& reviewer,
                                            const v1::SubmitReviewRequest& request,
                                            const Context& ctx);

/// Floor of the integer square root of v (v >= 0).
unsigned __int128 IntegerSqrt(unsigned __int128 v);

/// The z-score of `x` against n scores with sum s and sum of squares q, in
/// millionths rounded down, exactly: floor((n·x − s)·10^6 / √(n·q − s²)),
/// computed with 128-bit integers only. 0 when n < 1 or the scores are all
/// equal. Scores up to ±10^6 and n up to 10^6 stay within range.
int64_t ZScoreMicro(int64_t n, int64_t s, int64_t q, int64_t x);

/// The call's ranking of `stage` (REVIEW_STAGE_UNSPECIFIED: the first stage)
/// over every case that reached the stage and is not withdrawn. Pure and
/// deterministic: the same reviews always give the same ranking.
v1::Ranking ComputeRanking(const v1::CallReview& call_review,
                           std::span<const v1::ReviewCase> cases, Stage stage, absl::Time now);

/// The entry of `case_id` in `ranking`, or nullptr.
const v1::RankingEntry* FindEntry(const v1::Ranking& ranking, const std::string& case_id);

/// a ranks strictly above b (both ranked; ties are not above).
bool RanksAbove(const v1::RankingEntry& a, const v1::RankingEntry& b);

}  // namespace tane::reviews
