#include "internal.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "tane/core/ids.h"
#include "tane/funds/accounts.h"

namespace tane::funds::internal {

absl::Time ToTime(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  google::protobuf::Timestamp ts;
  const int64_t nanos = absl::ToUnixNanos(t);
  ts.set_seconds(nanos / 1'000'000'000);
  ts.set_nanos(static_cast<int32_t>(nanos % 1'000'000'000));
  return ts;
}

std::string Fingerprint(const google::protobuf::Message& message) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&coded);
  }
  return Fingerprint(absl::StrCat(message.GetDescriptor()->full_name(), "\n", bytes));
}

std::string Fingerprint(std::string_view text) {
  return absl::StrReplaceAll(core::NameUuid("tane.funds.request", text), {{"-", ""}}).substr(0, 16);
}

std::string Prefix(std::string_view kind, std::string_view scope, std::string_view key) {
  return absl::StrCat(std::string(kind), "-",
                      core::NameUuid(absl::StrCat("tane.funds.", std::string(kind)),
                                     absl::StrCat(scope.size(), ":", std::string(scope), std::string(key))));
}

Origin OriginOf(const runtime::RequestContext& ctx) { return Origin{ctx.actor(), ctx.trace_id}; }

void CheckId(std::string_view id, std::string_view field, core::Violations& v, bool required) {
  if (id.empty()) {
    if (required) v.Add(std::string(field), "is required");
    return;
  }
  if (!IsValidIdComponent(id)) v.Add(std::string(field), "must be 1-100 characters of [A-Za-z0-9_-]");
}

void CheckFiscalYear(int fiscal_year, std::string_view field, core::Violations& v) {
  if (fiscal_year < kMinFiscalYear || fiscal_year > kMaxFiscalYear) {
    v.Add(std::string(field), absl::StrCat("must be a fiscal year from ", kMinFiscalYear, " to ", kMaxFiscalYear,
                                           " (e.g. 2024 for FY2024), got ", fiscal_year));
  }
}

void CheckAmount(int64_t amount, std::string_view field, core::Violations& v) {
  if (amount <= 0) {
    v.Add(std::string(field), absl::StrCat("must be a positive number of yen, got ", amount));
  } else if (amount > kMaxLedgerYen) {
    v.Add(std::string(field), absl::StrCat("must be at most ", kMaxLedgerYen, " yen (2^53 - 1), got ", amount));
  }
}

void CheckRequestId(std::string_view request_id, core::Violations& v) {
  if (request_id.empty()) {
    v.Add("request_id", "is required: the idempotency key that makes a retry safe");
  } else if (request_id.size() > 128) {
    v.Add("request_id", "at most 128 bytes");
  }
}

void CheckText(std::string_view text, std::string_view field, core::Violations& v) {
  if (text.size() > 1024) v.Add(std::string(field), "at most 1024 bytes");
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f) {
      v.Add(std::string(field), "must not contain control characters (line breaks included)");
      return;
    }
  }
}

std::string CategoryName(projects::v1::BudgetCategory category) {
  switch (category) {
    case projects::v1::BUDGET_CATEGORY_EQUIPMENT:
      return "equipment";
    case projects::v1::BUDGET_CATEGORY_TRAVEL:
      return "travel";
    case projects::v1::BUDGET_CATEGORY_PERSONNEL:
      return "personnel";
    case projects::v1::BUDGET_CATEGORY_OTHER:
      return "other";
    default:
      return "";
  }
}

std::string LastComponent(const std::string& account_id) {
  const size_t dot = account_id.rfind('.');
  return dot == std::string::npos ? account_id : account_id.substr(dot + 1);
}

std::vector<CategoryAmount> PlannedDirect(const v1::FundedProject& project, int fiscal_year) {
  std::vector<CategoryAmount> out;
  for (const auto& line : project.budget_plan()) {
    if (line.fiscal_year() == fiscal_year) out.push_back({line.category(), core::Yen(line.direct_yen())});
  }
  return out;
}

std::string ClosedYearId(const std::string& program_id, int fiscal_year) {
  return absl::StrCat(program_id, ":", fiscal_year);
}

absl::Status MaySee(const runtime::RequestContext& ctx, const v1::FundedProject& project) {
  if (ctx.caller.role != "applicant") return absl::OkStatus();
  // The PI's gateway subject, as projects applies it; the e-Rad number only
  // for a project started without one.
  const std::string& pi = project.pi_subject().empty() ? project.principal_investigator_id() : project.pi_subject();
  if (!pi.empty() && ctx.caller.subject == pi) return absl::OkStatus();
  return absl::PermissionDeniedError(
      absl::StrCat("project ", project.project_id(), " is not one of yours: an applicant sees the money of the ",
                   "projects they lead as principal investigator"));
}

}  // namespace tane::funds::internal
