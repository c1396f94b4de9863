#include "tane/gateway/policy.h"

#include <google/protobuf/descriptor.h>

#include <algorithm>

#include "absl/strings/str_join.h"
#include "tane/common/v1/policy.pb.h"

namespace tane::gateway {

MethodPolicy PolicyOf(const google::protobuf::MethodDescriptor& method) {
  MethodPolicy policy;
  const auto& options = method.options();
  if (!options.HasExtension(tane::common::v1::policy)) return policy;
  const tane::common::v1::Policy& declared = options.GetExtension(tane::common::v1::policy);
  policy.declared = true;
  policy.anonymous = declared.anonymous();
  policy.roles.assign(declared.roles().begin(), declared.roles().end());
  return policy;
}

absl::Status Authorize(const MethodPolicy& policy, const auth::Principal* caller, std::string_view method_name) {
  const std::string method(method_name);
  if (!policy.declared) {
    return absl::PermissionDeniedError(method + " has no access policy, so it is denied to every caller");
  }
  if (policy.anonymous) return absl::OkStatus();
  const std::string roles = absl::StrJoin(policy.roles, ", ");
  if (caller == nullptr) {
    return absl::UnauthenticatedError(
        method + " needs credentials (Authorization: Bearer <token> or X-Api-Key); roles: " + roles);
  }
  if (std::find(policy.roles.begin(), policy.roles.end(), caller->role) == policy.roles.end()) {
    return absl::PermissionDeniedError("role \"" + caller->role + "\" may not call " + method + " (allowed: " + roles +
                                       ")");
  }
  return absl::OkStatus();
}

}  // namespace tane::gateway
