#pragma once
/// Joint calls: a Tane call linked with a partner agency's call under an
/// agreement (MOU / 省庁間合意), with its type (SICORP types or SATREPS),
/// review model (parallel or lead agency) and the partner's budget range in
/// its currency; and who may see which joint call.

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "tane/international/context.h"
#include "tane/international/v1/international.pb.h"

namespace tane::international {

/// Namespace of joint call ids: NameUuid(kJointCallIdNamespace, call_id).
inline constexpr char kJointCallIdNamespace[] = "tane.international.joint-call";
/// SATREPS runs its partner side with JICA (technical cooperation, ODA).
inline constexpr char kSatrepsPartnerAgency[] = "JICA";

/// The joint call id of a Tane call: one joint call per call, and the JST
/// side can be keyed before the joint call is created.
std::string JointCallIdFor(std::string_view call_id);

/// A new joint call at version 1, id JointCallIdFor(call_id).
/// ALREADY_EXISTS when `existing` is non-null; FAILED_PRECONDITION when the
/// partner agency is not registered (`agency` null) or SATREPS is not run with
/// JICA; INVALID_ARGUMENT listing every violation: call_id a UUID, a title,
/// type, review model, lead_side exactly for the lead-agency model, the
/// agreement's kind and reference, valid scopes, and a budget range in one
/// supported currency with 0 ≤ min ≤ max.
absl::StatusOr<v1::JointCall> CreateJointCall(const v1::JointCall* existing,
                                              const v1::PartnerAgency* agency,
                                              const v1::CreateJointCallRequest& request,
                                              const Context& ctx);

/// Partners see only their own agency's joint calls: NOT_FOUND (the message
/// of an unknown id) for any other, PERMISSION_DENIED for a partner caller
/// without an agency. Staff: OK.
absl::Status AuthorizeJointCall(const common::v1::Actor& actor, const v1::JointCall& call);

/// The calls `actor` may see that match the request's filters, in the order
/// given.
std::vector<v1::JointCall> VisibleJointCalls(const common::v1::Actor& actor,
                                             const std::vector<v1::JointCall>& calls,
                                             const v1::ListJointCallsRequest& filter);

/// The currency partner amounts must be in: the budget range's, else the
/// agency's.
std::string PartnerCurrency(const v1::JointCall& call, const v1::PartnerAgency& agency);

/// What of the JST side the partner of `call` may see: the agency's scopes,
/// narrowed by the agreement's when it lists any. Sorted, each once.
std::vector<v1::DataScope> EffectiveScopes(const v1::PartnerAgency& agency,
                                           const v1::JointCall& call);

}  // namespace tane::international
