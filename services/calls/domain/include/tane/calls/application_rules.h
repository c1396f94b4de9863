#pragma once
/// Rules for applications (応募): what a draft must look like, what a
/// submission must satisfy against its call and program, the server-computed
/// indirect costs, and the life cycle DRAFT → SUBMITTED → WITHDRAWN.
///
/// Every check reports all violations at once, each with the proto field path
/// of the offending value ("budget_plan[3].amount_yen",
/// "co_investigators[0].person.researcher_id"), so an applicant can fix
/// everything in one round. Functions are pure and thread-safe.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/field_mask.pb.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "tane/calls/catalog.h"
#include "tane/calls/v1/calls.pb.h"
#include "tane/core/errors.h"
#include "tane/core/money.h"

namespace tane::calls {

/// Direct and indirect costs of one fiscal year.
struct YearCost {
  int fiscal_year = 0;
  core::Yen direct;
  core::Yen indirect;
  friend bool operator==(const YearCost&, const YearCost&) = default;
};

/// Sums the budget lines per fiscal year (ascending) and computes each year's
/// indirect cost as floor(direct × rate_percent / 100) on that year's total —
/// not per line, so rounding loses at most ¥1 a year. INVALID_ARGUMENT for a
/// negative amount or a rate outside 0–100; OUT_OF_RANGE when a sum overflows
/// int64.
absl::StatusOr<std::vector<YearCost>> ComputeIndirect(
    const google::protobuf::RepeatedPtrField<v1::BudgetLine>& budget, int rate_percent);

/// Sets yearly_costs, total_direct_yen and total_indirect_yen from
/// budget_plan; same errors as ComputeIndirect.
absl::Status FillComputedCosts(v1::Application& application, int rate_percent);

/// Format rules only, for drafts: text fields are valid UTF-8 without control
/// characters; ids (e-Rad, ORCID, country code), attachment fields and
/// categories are well-formed where present; efforts within 0–100 (0: not yet
/// given); amounts, periods and leave months not negative. Missing values are
/// fine. INVALID_ARGUMENT listing every violation.
absl::Status ValidateDraft(const v1::Application& application);

/// The outcome of the submit checks.
struct SubmitCheck {
  core::Violations violations;
  /// The call does not accept submissions at `now` (not PUBLISHED, before
  /// opens_at, or at/after closes_at). Also listed in `violations` under "call_id".
  bool window_closed = false;
  /// Filled only by the CheckForSubmit overload that takes a CommitmentsView
  /// (commitments.h); findings flag, they never make ToStatus fail.
  std::vector<v1::DuplicateFinding> duplicates;
  /// OK; FAILED_PRECONDITION when the window is closed (still carrying the
  /// BadRequest with every violation); INVALID_ARGUMENT otherwise.
  absl::Status ToStatus() const;
};

/// Every rule a submission must meet, judged at `now` (the server clock):
/// - the window (see call_rules.h) and application.call_id == call.call_id;
/// - required: title_ja, abstract, principal_investigator.researcher_id and a
///   name, pi_effort_percent, research_period_months, start_fiscal_year,
///   budget_plan, review_section where the program reviews by section, plus
///   the call's required_fields;
/// - ids: e-Rad researcher numbers (8 digits), ORCID check digit, no person
///   listed twice;
/// - efforts within 1–100;
/// - period within the program's range; start fiscal year not before the
///   call's fiscal year or research_starts_not_before; every budget line's
///   fiscal year within the research period;
/// - amounts not negative, category given, sums without overflow (checked
///   Yen), each fiscal year's direct total within the yearly cap and the whole
///   within the total cap (the call's caps where set, else the program's);
/// - eligibility: years since the doctorate (with childcare leave extension),
///   age, students, institution in Japan, required prior awards;
/// - co-investigators only where the program allows them;
/// - UTF-8 validity of every text field; attachments well-formed.
SubmitCheck CheckForSubmit(const v1::Application& application, const v1::Call& call,
                           const ProgramRule& program, absl::Time now);
/// CheckForSubmit(...).ToStatus().
absl::Status ValidateForSubmit(const v1::Application& application, const v1::Call& call,
                               const ProgramRule& program, absl::Time now);

/// Validates a new draft and returns it ready to store: application_id,
/// call_id, applicant_subject, state DRAFT, create/update times set; computed
/// and server-set fields cleared. FAILED_PRECONDITION unless the call is
/// PUBLISHED and closes_at has not passed.
absl::StatusOr<v1::Application> PrepareNewApplication(v1::Application draft, const v1::Call& call,
                                                      std::string application_id,
                                                      std::string applicant_subject,
                                                      absl::Time now);

/// Applies the `mask` fields of `patch` to a DRAFT application.
/// FAILED_PRECONDITION unless DRAFT or once the call's closes_at has passed;
/// ABORTED on a version mismatch; INVALID_ARGUMENT for an empty mask, a
/// server-set path, or a result failing ValidateDraft.
absl::StatusOr<v1::Application> ApplyApplicationUpdate(const v1::Application& current,
                                                       const v1::Application& patch,
                                                       const google::protobuf::FieldMask& mask,
                                                       const v1::Call& call, absl::Time now);

/// DRAFT → SUBMITTED after ValidateForSubmit; fills the computed costs and
/// submitted_at. Also WITHDRAWN → SUBMITTED: an applicant who withdrew may
/// submit again while the call is open (resubmission; withdrawn_at is
/// cleared, submitted_at is the new instant). FAILED_PRECONDITION from
/// SUBMITTED, or when the window is closed.
absl::StatusOr<v1::Application> SubmitApplication(const v1::Application& current,
                                                  const v1::Call& call, const ProgramRule& program,
                                                  absl::Time now);
/// DRAFT or WITHDRAWN: the states SubmitApplication starts from.
bool IsSubmittable(v1::ApplicationState state);

/// DRAFT or SUBMITTED → WITHDRAWN. FAILED_PRECONDITION when already withdrawn.
absl::StatusOr<v1::Application> WithdrawApplication(const v1::Application& current, absl::Time now);

std::string_view ApplicationStateName(v1::ApplicationState state);

}  // namespace tane::calls
