#pragma once
/// Method-level authorization from the (tane.common.v1.policy) option
/// declared next to each RPC in its proto. Default deny: an RPC without a
/// policy is refused to every caller.

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "tane/auth/roles.h"

namespace google::protobuf {
class MethodDescriptor;
}

namespace tane::gateway {

struct MethodPolicy {
  /// False when the RPC has no (tane.common.v1.policy) option.
  bool declared = false;
  /// Anyone may call, with or without credentials.
  bool anonymous = false;
  std::vector<std::string> roles;
};

MethodPolicy PolicyOf(const google::protobuf::MethodDescriptor& method);

/// Whether `caller` (nullptr: no credentials) may call `method_name` (the
/// RPC's full name, for the message):
///   OK;
///   UNAUTHENTICATED when the policy needs a role and there is no caller;
///   PERMISSION_DENIED when the caller's role is not listed, or the method
///   has no policy at all.
absl::Status Authorize(const MethodPolicy& policy, const auth::Principal* caller, std::string_view method_name);

}  // namespace tane::gateway
