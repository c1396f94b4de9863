#include "tane/international/joint_call.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "internal.h"
#include "tane/core/ids.h"
#include "tane/international/money.h"

namespace tane::international {

using core::Violations;
using namespace internal;  // NOLINT

std::string JointCallIdFor(std::string_view call_id) {
  return core::NameUuid(kJointCallIdNamespace, call_id);
}

absl::StatusOr<v1::JointCall> CreateJointCall(const v1::JointCall* existing,
                                              const v1::PartnerAgency* agency,
                                              const v1::CreateJointCallRequest& request,
                                              const Context& ctx) {
  const v1::JointCall& c = request.joint_call();
  if (existing != nullptr) {
    return absl::AlreadyExistsError(
        absl::StrCat("call ", c.call_id(), " already has joint call ", existing->joint_call_id()));
  }
  Violations v;
  if (!core::IsUuid(c.call_id())) v.Add("joint_call.call_id", "must be the Tane call's UUID");
  if (!IsAgencyCode(c.partner_agency())) {
    v.Add("joint_call.partner_agency", "must be a registered partner agency code");
  }
  CheckText(v, "joint_call.title_ja", c.title_ja(), false);
  CheckText(v, "joint_call.title_en", c.title_en(), false);
  if (c.title_ja().empty() && c.title_en().empty()) {
    v.Add("joint_call.title_ja", "a title (ja or en) is required");
  }
  if (c.type() == v1::JOINT_CALL_TYPE_UNSPECIFIED || !v1::JointCallType_IsValid(c.type())) {
    v.Add("joint_call.type", "is required (a SICORP type or SATREPS)");
  }
  if (c.review_model() == v1::JOINT_REVIEW_MODEL_LEAD_AGENCY) {
    if (c.lead_side() != v1::SIDE_JST && c.lead_side() != v1::SIDE_PARTNER) {
      v.Add("joint_call.lead_side",
            "is required for the lead-agency model (SIDE_JST or SIDE_PARTNER)");
    }
  } else if (c.review_model() == v1::JOINT_REVIEW_MODEL_PARALLEL) {
    if (c.lead_side() != v1::SIDE_UNSPECIFIED) {
      v.Add("joint_call.lead_side", "is only for the lead-agency model");
    }
  } else {
    v.Add("joint_call.review_model", "is required (parallel or lead agency)");
  }
  const v1::Agreement& ag = c.agreement();
  if (ag.kind() == v1::AGREEMENT_KIND_UNSPECIFIED || !v1::AgreementKind_IsValid(ag.kind())) {
    v.Add("joint_call.agreement.kind", "is required (MOU, 省庁間合意 or R/D)");
  }
  CheckText(v, "joint_call.agreement.reference", ag.reference(), true, 200);
  CheckText(v, "joint_call.agreement.title", ag.title(), false);
  if (ag.has_signed_at() && FromProto(ag.signed_at()) > ctx.now) {
    v.Add("joint_call.agreement.signed_at", "must not be in the future");
  }
  CheckScopes(v, "joint_call.agreement.shared_data", ag.shared_data());
  CheckText(v, "joint_call.partner_call_reference", c.partner_call_reference(), false, 200);
  if (c.has_partner_budget_min()) {
    ValidateMoney(c.partner_budget_min(), "joint_call.partner_budget_min", false, v);
  }
  if (c.has_partner_budget_max()) {
    ValidateMoney(c.partner_budget_max(), "joint_call.partner_budget_max", true, v);
  }
  if (c.has_partner_budget_min() && c.has_partner_budget_max()) {
    auto cmp = CompareMoney(c.partner_budget_min(), c.partner_budget_max());
    if (!cmp.ok()) {
      v.Add("joint_call.partner_budget_max.currency_code",
            "must be the currency of partner_budget_min");
    } else if (*cmp > 0) {
      v.Add("joint_call.partner_budget_max", "must not be below partner_budget_min");
    }
  }
  if (!v.empty()) return v.ToStatus("invalid joint call");
  if (agency == nullptr || agency->agency_code() != c.partner_agency()) {
    return absl::FailedPreconditionError(
        absl::StrCat("partner agency ", c.partner_agency(), " is not registered"));
  }
  if (c.type() == v1::JOINT_CALL_TYPE_SATREPS && c.partner_agency() != kSatrepsPartnerAgency) {
    return absl::FailedPreconditionError(absl::StrCat(
        "SATREPS calls are run with ", kSatrepsPartnerAgency, ", not ", c.partner_agency()));
  }
  v1::JointCall out = c;
  out.set_joint_call_id(JointCallIdFor(c.call_id()));
  out.set_version(1);
  *out.mutable_create_time() = ToProto(ctx.now);
  *out.mutable_update_time() = ToProto(ctx.now);
  return out;
}

absl::Status AuthorizeJointCall(const common::v1::Actor& actor, const v1::JointCall& call) {
  if (!IsPartner(actor)) return absl::OkStatus();
  if (actor.agency().empty()) {
    return absl::PermissionDeniedError("a partner caller must act for an agency");
  }
  if (actor.agency() != call.partner_agency()) {
    return absl::NotFoundError(absl::StrCat("no joint call ", call.joint_call_id()));
  }
  return absl::OkStatus();
}

std::vector<v1::JointCall> VisibleJointCalls(const common::v1::Actor& actor,
                                             const std::vector<v1::JointCall>& calls,
                                             const v1::ListJointCallsRequest& filter) {
  std::vector<v1::JointCall> out;
  for (const auto& c : calls) {
    if (!AuthorizeJointCall(actor, c).ok()) continue;
    if (!filter.partner_agency().empty() && c.partner_agency() != filter.partner_agency()) continue;
    if (filter.type() != v1::JOINT_CALL_TYPE_UNSPECIFIED && c.type() != filter.type()) continue;
    out.push_back(c);
  }
  return out;
}

std::string PartnerCurrency(const v1::JointCall& call, const v1::PartnerAgency& agency) {
  if (call.has_partner_budget_max()) return call.partner_budget_max().currency_code();
  if (call.has_partner_budget_min()) return call.partner_budget_min().currency_code();
  return agency.currency_code();
}

std::vector<v1::DataScope> EffectiveScopes(const v1::PartnerAgency& agency,
                                           const v1::JointCall& call) {
  std::set<int> allowed(agency.shared_data().begin(), agency.shared_data().end());
  if (call.agreement().shared_data_size() > 0) {
    std::set<int> narrowed;
    for (int s : call.agreement().shared_data()) {
      if (allowed.contains(s)) narrowed.insert(s);
    }
    allowed = std::move(narrowed);
  }
  std::vector<v1::DataScope> out;
  for (int s : allowed) {
    if (s != v1::DATA_SCOPE_UNSPECIFIED && v1::DataScope_IsValid(s)) {
      out.push_back(static_cast<v1::DataScope>(s));
    }
  }
  return out;
}

}  // namespace tane::international
