#pragma once
/// Rules for calls (公募): what a new or changed call must satisfy against its
/// program, its life cycle (DRAFT → PUBLISHED → CLOSING → CLOSED; DRAFT →
/// CANCELLED; PUBLISHED → CANCELLING → CANCELLED), and whether it accepts
/// submissions at a given instant.
///
/// CLOSING and CANCELLING are the stored intent of a close or cancellation
/// that the service has decided but not finished: the call takes no
/// submissions, and the service stops them in every shard (and counts them)
/// before it moves the call on with Finish*. An intent that a failure
/// interrupted is finished later, so a call never stays half-closed.
///
/// Deadline convention: a call accepts submissions in the half-open window
/// [opens_at, closes_at). closes_at itself is too late; one nanosecond before
/// it is in time. "Closes on 6 June" (JST) is closes_at = 7 June 00:00 JST.
/// The server's clock decides, never the client's.
///
/// Transitions return the changed call and leave `version` alone: the store
/// owns versions (optimistic concurrency in its Lua script). Every function is
/// pure and thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/field_mask.pb.h"
#include "tane/calls/catalog.h"
#include "tane/calls/v1/calls.pb.h"
#include "tane/core/errors.h"

namespace tane::calls {

/// True when the call is PUBLISHED and opens_at <= now < closes_at.
bool IsOpen(const v1::Call& call, absl::Time now);
/// True when a PUBLISHED call's closes_at has passed (the sweeper closes it).
bool IsPastDeadline(const v1::Call& call, absl::Time now);

/// The limits an application to `call` is checked against: the call's own
/// caps where set, else the program's.
struct CallLimits {
  std::optional<int64_t> max_total_direct_yen;
  std::optional<int64_t> max_yearly_direct_yen;
  std::optional<int> indirect_rate_percent;
};
CallLimits EffectiveLimits(const v1::Call& call, const ProgramRule& program);

/// The fiscal year (JST) of the call's opens_at; 0 when opens_at is unset.
int CallFiscalYear(const v1::Call& call);

/// Adds every violation of a new or updated call to `out`, each with its field
/// path: program exists and accepts calls in that fiscal year; title_ja
/// present and valid UTF-8; opens_at and closes_at present, valid, opens_at <
/// closes_at; research_starts_not_before (if set) not before opens_at; caps
/// positive, yearly <= total, within the program's maxima and not below its
/// minima; indirect rate equal to the program's unless the program allows
/// otherwise, within 0–100, and required when the program states none;
/// required_fields known application paths; partner_agency present for
/// international programs and well-formed; research_area_id present for
/// area-based programs and a UUID; when `area` is given, it lists the program.
void CollectCallViolations(const v1::Call& call, const Catalog& catalog,
                           const v1::ResearchArea* area, core::Violations& out);
/// OK, or INVALID_ARGUMENT with a google.rpc.BadRequest listing every violation.
absl::Status ValidateNewCall(const v1::Call& call, const Catalog& catalog,
                             const v1::ResearchArea* area = nullptr);

/// Validates `call` and returns it ready to store as a DRAFT: call_id set,
/// state DRAFT, fiscal_year computed, review_model copied from the program
/// when unset, create/update times set, version 0. Server-set fields in the
/// input are ignored.
absl::StatusOr<v1::Call> PrepareNewCall(v1::Call call, std::string call_id, const Catalog& catalog,
                                        const v1::ResearchArea* area, absl::Time now);

/// ABORTED when `expected` is non-zero and differs from `actual`.
absl::Status CheckExpectedVersion(int64_t expected, int64_t actual, std::string_view what);

/// Applies the fields in `mask` from `patch` to `current` (a DRAFT call) and
/// validates the result. FAILED_PRECONDITION unless DRAFT; ABORTED on a
/// version mismatch (patch.version non-zero); INVALID_ARGUMENT for an empty
/// mask, a path that cannot be changed, or an invalid result.
absl::StatusOr<v1::Call> ApplyCallUpdate(const v1::Call& current, const v1::Call& patch,
                                         const google::protobuf::FieldMask& mask,
                                         const Catalog& catalog, const v1::ResearchArea* area,
                                         absl::Time now);

/// DRAFT → PUBLISHED. FAILED_PRECONDITION from any other state or when
/// closes_at has already passed; INVALID_ARGUMENT when the call no longer
/// satisfies the catalog.
absl::StatusOr<v1::Call> PublishCall(const v1::Call& current, const Catalog& catalog,
                                     absl::Time now);

/// PUBLISHED → CLOSING: the close is decided at `now` (closed_at), early or
/// at the deadline. FAILED_PRECONDITION from any other state.
absl::StatusOr<v1::Call> BeginClose(const v1::Call& current, absl::Time now);

struct ClosedCall {
  v1::Call call;
  /// True when closes_at had passed when the close was decided; false for an
  /// early close by an operator.
  bool by_deadline = false;
};
/// CLOSING → CLOSED, keeping the closed_at BeginClose set.
/// FAILED_PRECONDITION from any other state.
absl::StatusOr<ClosedCall> FinishClose(const v1::Call& current, absl::Time now);

/// DRAFT → CANCELLED; PUBLISHED → CANCELLING (FinishCancel completes it once
/// submissions are stopped). cancelled_at and cancel_reason are set either
/// way. FAILED_PRECONDITION from any other state; INVALID_ARGUMENT for a
/// reason that is not valid UTF-8.
absl::StatusOr<v1::Call> CancelCall(const v1::Call& current, std::string_view reason,
                                    absl::Time now);
/// CANCELLING → CANCELLED, keeping cancelled_at and cancel_reason.
/// FAILED_PRECONDITION from any other state.
absl::StatusOr<v1::Call> FinishCancel(const v1::Call& current, absl::Time now);

/// Application field paths a call may list in required_fields.
bool IsKnownApplicationPath(std::string_view path);

std::string_view CallStateName(v1::CallState state);

}  // namespace tane::calls
