#include "tane/calls/call_rules.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/field_mask_util.h"
#include "tane/calls/text.h"
#include "tane/calls/timestamps.h"
#include "tane/core/ids.h"
#include "tane/core/time.h"

namespace tane::calls {
namespace {

using google::protobuf::util::FieldMaskUtil;

std::string ProgramLabel(const ProgramRule& p) { return p.name_en.empty() ? p.id : p.name_en; }

void CheckText(core::Violations& out, const std::string& field, const std::string& text,
               bool multiline = false) {
  if (!IsValidUtf8(text)) {
    out.Add(field, "is not valid UTF-8");
  } else if (HasControlCharacters(text, multiline)) {
    out.Add(field, "contains control characters");
  }
}

bool IsAgencyCode(std::string_view code) {
  if (code.size() < 2 || code.size() > 16) return false;
  for (char c : code) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return false;
  }
  return true;
}

// Paths a client may change with UpdateCall.
const std::set<std::string, std::less<>>& UpdatableCallPaths() {
  static const auto* paths = new std::set<std::string, std::less<>>{
      "title_ja",
      "title_en",
      "opens_at",
      "closes_at",
      "max_total_direct_yen",
      "max_yearly_direct_yen",
      "indirect_rate_percent",
      "required_fields",
      "partner_agency",
      "research_starts_not_before",
      "review_model",
      "description",
      "research_area_id",
  };
  return *paths;
}

absl::Status WrongState(const v1::Call& call, std::string_view action, std::string_view allowed) {
  return absl::FailedPreconditionError(
      absl::StrCat("call ", call.call_id(), " is ", std::string(CallStateName(call.state())),
                   "; only a ", std::string(allowed), " call can be ", std::string(action)));
}

}  // namespace

std::string_view CallStateName(v1::CallState state) {
  switch (state) {
    case v1::CALL_STATE_DRAFT:
      return "DRAFT";
    case v1::CALL_STATE_PUBLISHED:
      return "PUBLISHED";
    case v1::CALL_STATE_CLOSED:
      return "CLOSED";
    case v1::CALL_STATE_CANCELLED:
      return "CANCELLED";
    case v1::CALL_STATE_CLOSING:
      return "CLOSING";
    case v1::CALL_STATE_CANCELLING:
      return "CANCELLING";
    default:
      return "UNSPECIFIED";
  }
}

bool IsOpen(const v1::Call& call, absl::Time now) {
  if (call.state() != v1::CALL_STATE_PUBLISHED) return false;
  if (!IsValidTimestamp(call.opens_at()) || !IsValidTimestamp(call.closes_at())) return false;
  return ToTime(call.opens_at()) <= now && now < ToTime(call.closes_at());
}

bool IsPastDeadline(const v1::Call& call, absl::Time now) {
  return call.state() == v1::CALL_STATE_PUBLISHED && IsValidTimestamp(call.closes_at()) &&
         now >= ToTime(call.closes_at());
}

CallLimits EffectiveLimits(const v1::Call& call, const ProgramRule& program) {
  CallLimits limits;
  limits.max_total_direct_yen = call.has_max_total_direct_yen()
                                    ? std::optional<int64_t>(call.max_total_direct_yen())
                                    : program.direct_cost.total_max_yen;
  limits.max_yearly_direct_yen = call.has_max_yearly_direct_yen()
                                     ? std::optional<int64_t>(call.max_yearly_direct_yen())
                                     : program.direct_cost.yearly_max_yen;
  limits.indirect_rate_percent = call.has_indirect_rate_percent()
                                     ? std::optional<int>(call.indirect_rate_percent())
                                     : program.indirect_rate_percent;
  return limits;
}

int CallFiscalYear(const v1::Call& call) {
  if (!IsValidTimestamp(call.opens_at())) return 0;
  return core::FiscalYear::Containing(ToTime(call.opens_at())).year();
}

void CollectCallViolations(const v1::Call& call, const Catalog& catalog,
                           const v1::ResearchArea* area, core::Violations& out) {
  const ProgramRule* program = nullptr;
  if (call.program_id().empty()) {
    out.Add("program_id", "is required");
  } else {
    program = catalog.Find(call.program_id());
    if (program == nullptr) {
      out.Add("program_id", absl::StrCat("unknown program \"", call.program_id(), "\""));
    }
  }

  if (call.title_ja().empty()) out.Add("title_ja", "is required");
  CheckText(out, "title_ja", call.title_ja());
  CheckText(out, "title_en", call.title_en());
  CheckText(out, "description", call.description(), /*multiline=*/true);

  const bool opens_ok = IsValidTimestamp(call.opens_at());
  const bool closes_ok = IsValidTimestamp(call.closes_at());
  if (!call.has_opens_at()) {
    out.Add("opens_at", "is required");
  } else if (!opens_ok) {
    out.Add("opens_at", "is not a valid timestamp");
  }
  if (!call.has_closes_at()) {
    out.Add("closes_at", "is required");
  } else if (!closes_ok) {
    out.Add("closes_at", "is not a valid timestamp");
  }
  if (opens_ok && closes_ok && ToTime(call.opens_at()) >= ToTime(call.closes_at())) {
    out.Add("closes_at",
            absl::StrCat("must be after opens_at (", FormatJst(ToTime(call.opens_at())),
                         "); the window is [opens_at, closes_at)"));
  }
  if (call.has_research_starts_not_before()) {
    if (!IsValidTimestamp(call.research_starts_not_before())) {
      out.Add("research_starts_not_before", "is not a valid timestamp");
    } else if (opens_ok && ToTime(call.research_starts_not_before()) < ToTime(call.opens_at())) {
      out.Add("research_starts_not_before", "must not be before opens_at");
    }
  }

  if (call.has_max_total_direct_yen() && call.max_total_direct_yen() <= 0) {
    out.Add("max_total_direct_yen", "must be positive");
  }
  if (call.has_max_yearly_direct_yen() && call.max_yearly_direct_yen() <= 0) {
    out.Add("max_yearly_direct_yen", "must be positive");
  }
  if (call.has_indirect_rate_percent() &&
      (call.indirect_rate_percent() < 0 || call.indirect_rate_percent() > 100)) {
    out.Add("indirect_rate_percent", "must be within 0–100");
  }

  for (int i = 0; i < call.required_fields_size(); ++i) {
    if (!IsKnownApplicationPath(call.required_fields(i))) {
      out.Add(absl::StrCat("required_fields[", i, "]"),
              absl::StrCat("\"", call.required_fields(i),
                           "\" is not an application field that can be required"));
    }
  }
  if (!call.partner_agency().empty() && !IsAgencyCode(call.partner_agency())) {
    out.Add("partner_agency",
            "must be an agency code of 2–16 capital letters, digits, '-' or '_' (e.g. \"NSF\")");
  }
  if (!call.research_area_id().empty() && !core::IsUuid(call.research_area_id())) {
    out.Add("research_area_id", "must be a UUID");
  }
  if (call.has_review_model() && call.review_model().has_reviewers_per_proposal() &&
      call.review_model().reviewers_per_proposal() < 1) {
    out.Add("review_model.reviewers_per_proposal", "must be at least 1");
  }

  if (program == nullptr) return;
  const std::string label = ProgramLabel(*program);

  if (program->available_from_fiscal_year && opens_ok &&
      CallFiscalYear(call) < *program->available_from_fiscal_year) {
    out.Add("opens_at",
            absl::StrCat(label, " accepts calls from FY", *program->available_from_fiscal_year,
                         "; this call opens in FY", CallFiscalYear(call)));
  }
  const DirectCostRule& cost = program->direct_cost;
  if (call.has_max_total_direct_yen() && call.max_total_direct_yen() > 0) {
    if (cost.total_max_yen && call.max_total_direct_yen() > *cost.total_max_yen) {
      out.Add("max_total_direct_yen",
              absl::StrCat(FormatYen(call.max_total_direct_yen()), " exceeds the ", label,
                           " total cap of ", FormatYen(*cost.total_max_yen)));
    }
    if (cost.total_min_yen && call.max_total_direct_yen() < *cost.total_min_yen) {
      out.Add("max_total_direct_yen",
              absl::StrCat(FormatYen(call.max_total_direct_yen()), " is below the ", label,
                           " minimum of ", FormatYen(*cost.total_min_yen)));
    }
  }
  if (call.has_max_yearly_direct_yen() && call.max_yearly_direct_yen() > 0) {
    if (cost.yearly_max_yen && call.max_yearly_direct_yen() > *cost.yearly_max_yen) {
      out.Add("max_yearly_direct_yen",
              absl::StrCat(FormatYen(call.max_yearly_direct_yen()), " exceeds the ", label,
                           " yearly cap of ", FormatYen(*cost.yearly_max_yen)));
    }
    if (cost.yearly_min_yen && call.max_yearly_direct_yen() < *cost.yearly_min_yen) {
      out.Add("max_yearly_direct_yen",
              absl::StrCat(FormatYen(call.max_yearly_direct_yen()), " is below the ", label,
                           " yearly minimum of ", FormatYen(*cost.yearly_min_yen)));
    }
  }
  const CallLimits limits = EffectiveLimits(call, *program);
  if (limits.max_total_direct_yen && limits.max_yearly_direct_yen && !cost.per_site &&
      *limits.max_yearly_direct_yen > *limits.max_total_direct_yen) {
    out.Add("max_yearly_direct_yen",
            absl::StrCat("the yearly cap ", FormatYen(*limits.max_yearly_direct_yen),
                         " exceeds the total cap ", FormatYen(*limits.max_total_direct_yen)));
  }
  if (call.has_indirect_rate_percent()) {
    if (call.indirect_rate_percent() >= 0 && call.indirect_rate_percent() <= 100 &&
        program->indirect_rate_percent && !program->indirect_rate_negotiable &&
        call.indirect_rate_percent() != *program->indirect_rate_percent) {
      out.Add("indirect_rate_percent",
              absl::StrCat(label, " fixes the indirect rate at ", *program->indirect_rate_percent,
                           "%; leave it unset or set ", *program->indirect_rate_percent));
    }
  } else if (!program->indirect_rate_percent) {
    out.Add("indirect_rate_percent",
            absl::StrCat("is required: the catalog states no indirect rate for ", label));
  }

  if (program->kind == v1::PROGRAM_KIND_INTERNATIONAL && call.partner_agency().empty() &&
      program->agency != v1::AGENCY_JSPS) {
    out.Add("partner_agency", absl::StrCat("is required for the international program ", label));
  }
  if (program->area_based && call.research_area_id().empty()) {
    out.Add("research_area_id",
            absl::StrCat("is required: ", label, " calls are made per research area"));
  }
  if (area != nullptr) {
    if (!call.research_area_id().empty() && area->area_id() != call.research_area_id()) {
      out.Add("research_area_id", "does not match the research area given");
    }
    const auto& ids = area->program_ids();
    if (std::find(ids.begin(), ids.end(), call.program_id()) == ids.end()) {
      out.Add("program_id",
              absl::StrCat("research area ", area->area_id(), " does not run ", label));
    }
  }
}

absl::Status ValidateNewCall(const v1::Call& call, const Catalog& catalog,
                             const v1::ResearchArea* area) {
  core::Violations violations;
  CollectCallViolations(call, catalog, area, violations);
  return violations.ToStatus("invalid call");
}

absl::StatusOr<v1::Call> PrepareNewCall(v1::Call call, std::string call_id, const Catalog& catalog,
                                        const v1::ResearchArea* area, absl::Time now) {
  if (auto s = ValidateNewCall(call, catalog, area); !s.ok()) return s;
  const ProgramRule* program = catalog.Find(call.program_id());
  call.set_call_id(std::move(call_id));
  call.set_state(v1::CALL_STATE_DRAFT);
  call.set_version(0);
  call.set_fiscal_year(CallFiscalYear(call));
  if (!call.has_review_model()) {
    *call.mutable_review_model() = program->ToProto(call.fiscal_year()).review_model();
  }
  *call.mutable_create_time() = ToTimestamp(now);
  *call.mutable_update_time() = ToTimestamp(now);
  call.clear_published_at();
  call.clear_closed_at();
  call.clear_cancelled_at();
  call.clear_cancel_reason();
  return call;
}

absl::Status CheckExpectedVersion(int64_t expected, int64_t actual, std::string_view what) {
  if (expected != 0 && expected != actual) {
    return absl::AbortedError(absl::StrCat(std::string(what), " is at version ", actual, ", not ",
                                           expected, "; reload and retry"));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::Call> ApplyCallUpdate(const v1::Call& current, const v1::Call& patch,
                                         const google::protobuf::FieldMask& mask,
                                         const Catalog& catalog, const v1::ResearchArea* area,
                                         absl::Time now) {
  if (current.state() != v1::CALL_STATE_DRAFT) return WrongState(current, "updated", "DRAFT");
  if (auto s = CheckExpectedVersion(patch.version(), current.version(),
                                    absl::StrCat("call ", current.call_id()));
      !s.ok()) {
    return s;
  }
  core::Violations violations;
  if (mask.paths_size() == 0) violations.Add("update_mask", "must name at least one field");
  for (int i = 0; i < mask.paths_size(); ++i) {
    if (UpdatableCallPaths().count(mask.paths(i)) == 0) {
      violations.Add(absl::StrCat("update_mask.paths[", i, "]"),
                     absl::StrCat("\"", mask.paths(i), "\" cannot be changed"));
    }
  }
  if (!violations.empty()) return violations.ToStatus("invalid call update");
  v1::Call updated = current;
  FieldMaskUtil::MergeOptions options;
  options.set_replace_message_fields(true);
  options.set_replace_repeated_fields(true);
  // MergeMessageTo leaves a field untouched when it is unset in the patch;
  // clearing a masked field is explicit here.
  for (const auto& path : mask.paths()) {
    const auto* field = v1::Call::descriptor()->FindFieldByName(path);
    if (field != nullptr) updated.GetReflection()->ClearField(&updated, field);
  }
  FieldMaskUtil::MergeMessageTo(patch, mask, options, &updated);
  if (auto s = ValidateNewCall(updated, catalog, area); !s.ok()) return s;
  updated.set_fiscal_year(CallFiscalYear(updated));
  *updated.mutable_update_time() = ToTimestamp(now);
  return updated;
}

absl::StatusOr<v1::Call> PublishCall(const v1::Call& current, const Catalog& catalog,
                                     absl::Time now) {
  if (current.state() != v1::CALL_STATE_DRAFT) return WrongState(current, "published", "DRAFT");
  if (auto s = ValidateNewCall(current, catalog); !s.ok()) return s;
  if (now >= ToTime(current.closes_at())) {
    return absl::FailedPreconditionError(absl::StrCat(
        "call ", current.call_id(), " closed at ", FormatJst(ToTime(current.closes_at())),
        "; a call cannot be published after its deadline"));
  }
  v1::Call out = current;
  out.set_state(v1::CALL_STATE_PUBLISHED);
  *out.mutable_published_at() = ToTimestamp(now);
  *out.mutable_update_time() = ToTimestamp(now);
  return out;
}

absl::StatusOr<v1::Call> BeginClose(const v1::Call& current, absl::Time now) {
  if (current.state() != v1::CALL_STATE_PUBLISHED) return WrongState(current, "closed", "PUBLISHED");
  v1::Call out = current;
  out.set_state(v1::CALL_STATE_CLOSING);
  *out.mutable_closed_at() = ToTimestamp(now);
  *out.mutable_update_time() = ToTimestamp(now);
  return out;
}

absl::StatusOr<ClosedCall> FinishClose(const v1::Call& current, absl::Time now) {
  if (current.state() != v1::CALL_STATE_CLOSING) {
    return WrongState(current, "finished closing", "CLOSING");
  }
  ClosedCall out{current, IsValidTimestamp(current.closes_at()) && IsValidTimestamp(current.closed_at()) &&
                              ToTime(current.closed_at()) >= ToTime(current.closes_at())};
  out.call.set_state(v1::CALL_STATE_CLOSED);
  *out.call.mutable_update_time() = ToTimestamp(now);
  return out;
}

absl::StatusOr<v1::Call> CancelCall(const v1::Call& current, std::string_view reason,
                                    absl::Time now) {
  if (current.state() != v1::CALL_STATE_DRAFT && current.state() != v1::CALL_STATE_PUBLISHED) {
    return WrongState(current, "cancelled", "DRAFT or PUBLISHED");
  }
  core::Violations violations;
  CheckText(violations, "reason", std::string(reason), /*multiline=*/true);
  if (!violations.empty()) return violations.ToStatus("invalid cancellation");
  v1::Call out = current;
  // A published call may have submissions landing in other shards: they
  // must be stopped before it is CANCELLED.
  out.set_state(current.state() == v1::CALL_STATE_PUBLISHED ? v1::CALL_STATE_CANCELLING
                                                             : v1::CALL_STATE_CANCELLED);
  out.set_cancel_reason(std::string(reason));
  *out.mutable_cancelled_at() = ToTimestamp(now);
  *out.mutable_update_time() = ToTimestamp(now);
  return out;
}

absl::StatusOr<v1::Call> FinishCancel(const v1::Call& current, absl::Time now) {
  if (current.state() != v1::CALL_STATE_CANCELLING) {
    return WrongState(current, "finished cancelling", "CANCELLING");
  }
  v1::Call out = current;
  out.set_state(v1::CALL_STATE_CANCELLED);
  *out.mutable_update_time() = ToTimestamp(now);
  return out;
}

}  // namespace tane::calls
