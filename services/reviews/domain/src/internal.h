#pragma once
// Helpers shared by the command implementations.

#include <cstdint>
#include <span>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"
#include "tane/core/errors.h"
#include "tane/reviews/rules.h"

namespace tane::reviews::internal {

bool IsSet(const google::protobuf::Timestamp& ts);
/// Set and within the range Timestamp allows.
bool IsValidTimestamp(const google::protobuf::Timestamp& ts);
/// "2017-07-01 00:00:00 JST".
std::string FormatJst(absl::Time t);

/// Number of code points, or -1 when `text` is not valid UTF-8.
int64_t CodePoints(absl::string_view text);
/// Valid UTF-8 without C0/C1 control characters (tab, CR and LF allowed when
/// `multiline`).
bool IsCleanText(absl::string_view text, bool multiline);

/// Adds a violation unless `text` is clean and at most `max_chars` code
/// points; with `required`, also when empty (or only whitespace).
void CheckText(absl::string_view text, const std::string& field, bool required, bool multiline,
               int max_chars, core::Violations& v);

inline constexpr int kMaxReasonChars = 2000;
inline constexpr int kMaxNameChars = 200;

/// ABORTED when `expected` is non-zero and differs; INVALID_ARGUMENT when negative.
absl::Status CheckVersion(int64_t expected, int64_t actual, absl::string_view what,
                          absl::string_view id);

/// The actor must have a role and subject (they go into the records).
absl::Status CheckActor(const Context& ctx);

/// Version + 1 and update_time = now (create_time too when unset).
template <typename Aggregate>
void Bump(Aggregate& a, absl::Time now) {
  a.set_version(a.version() + 1);
  *a.mutable_update_time() = ToTimestamp(now);
  if (!a.has_create_time()) *a.mutable_create_time() = ToTimestamp(now);
}

const v1::Reviewer* FindReviewer(std::span<const v1::Reviewer> pool, absl::string_view id);
v1::StageAssignment* MutableStageAssignment(v1::ReviewCase& c, Stage stage);
v1::Review* MutableReview(v1::ReviewCase& c, Stage stage, absl::string_view reviewer_id);
const v1::Review* FindReview(const v1::ReviewCase& c, Stage stage, absl::string_view reviewer_id);

/// Index of `stage` in the call's stages, or -1.
int StageIndex(const v1::CallReview& call_review, Stage stage);
/// `stage`, or the call's first stage when unspecified.
Stage ResolveStage(const v1::CallReview& call_review, Stage stage);

/// N of the call: its review model's, else the rules'.
int ReviewersFor(const v1::CallReview& call_review, const ReviewRules& rules);

/// Appends a change to the case's assignment history (now, by the actor).
v1::AssignmentChange* AddHistory(v1::ReviewCase& c, Stage stage, v1::AssignmentChangeKind kind,
                                 std::string reason, const Context& ctx);

/// The ReviewersAssigned event of `change` to the stage assignment `sa`.
v1::ReviewersAssigned AssignedEvent(const v1::ReviewCase& c, const v1::StageAssignment& sa,
                                    const v1::AssignmentChange& change, const Context& ctx);

}  // namespace tane::reviews::internal
