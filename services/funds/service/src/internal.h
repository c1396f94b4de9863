#pragma once
// Helpers shared by the funds service's sources.

#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "google/protobuf/timestamp.pb.h"
#include "tane/core/errors.h"
#include "tane/funds/ledger.h"
#include "tane/funds/v1/state.pb.h"
#include "tane/projects/v1/projects.pb.h"
#include "tane/runtime/service_kit.h"

namespace tane::funds::internal {

inline constexpr char kProjectType[] = "project";
inline constexpr char kClosedYearType[] = "fiscal_year";
inline constexpr char kApprovalType[] = "reallocation_approval";
inline constexpr int kMinFiscalYear = 1990;
inline constexpr int kMaxFiscalYear = 2100;

absl::Time ToTime(const google::protobuf::Timestamp& ts);
google::protobuf::Timestamp ToTimestamp(absl::Time t);

/// 16 hex digits naming a request's content (deterministic serialization).
std::string Fingerprint(const google::protobuf::Message& message);
/// The same for plain text.
std::string Fingerprint(std::string_view text);
/// "<kind>-<uuid>": the transfer-id prefix of one idempotent operation,
/// from its scope (program, project, ...) and key (request id, event id, ...).
std::string Prefix(std::string_view kind, std::string_view scope, std::string_view key);

Origin OriginOf(const runtime::RequestContext& ctx);

void CheckId(std::string_view id, std::string_view field, core::Violations& v, bool required = true);
void CheckFiscalYear(int fiscal_year, std::string_view field, core::Violations& v);
void CheckAmount(int64_t amount, std::string_view field, core::Violations& v);
void CheckRequestId(std::string_view request_id, core::Violations& v);
void CheckText(std::string_view text, std::string_view field, core::Violations& v);

/// "equipment", "travel", "personnel", "other"; "" for UNSPECIFIED.
std::string CategoryName(projects::v1::BudgetCategory category);
/// The category of an account "<kind>.<project>.<FY>.<category>".
std::string LastComponent(const std::string& account_id);

/// The plan's direct costs per category for one year.
std::vector<CategoryAmount> PlannedDirect(const v1::FundedProject& project, int fiscal_year);

/// The aggregate id of a closed fiscal year.
std::string ClosedYearId(const std::string& program_id, int fiscal_year);

/// An applicant may see only the projects whose PI they are: caller subject
/// = the project's pi_subject (or, without one, the PI's e-Rad number).
absl::Status MaySee(const runtime::RequestContext& ctx, const v1::FundedProject& project);

}  // namespace tane::funds::internal
