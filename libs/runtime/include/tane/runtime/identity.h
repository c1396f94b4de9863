#pragma once
/// Who is calling, as asserted by the gateway.
///
/// The gateway authenticates end users and partner agencies (JWT), then calls
/// services with this metadata:
///   x-tane-subject         the user or client id (required)
///   x-tane-role            one role name, e.g. "applicant", "program_officer" (required)
///   x-tane-agency          the partner agency code ("NSF"), empty for the agency's own staff
///   x-tane-internal-token  the shared secret TANE_INTERNAL_TOKEN
/// Services trust the first three only when the token matches. With an empty
/// configured token (dev, tests) the identity metadata is taken as sent; in
/// production the services' ports must then not be reachable except from the
/// gateway. Service-to-service calls present the same token with a subject
/// like "service:reviews".
///
/// Errors: UNAUTHENTICATED when the token is required but missing, or the
/// subject or role is missing, empty or sent twice; PERMISSION_DENIED when a
/// token is sent but is not the configured one (the peer is not the gateway).

#include <grpcpp/client_context.h>
#include <grpcpp/server_context.h>

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "tane/telemetry/trace.h"

namespace tane::runtime {

inline constexpr char kSubjectMetadataKey[] = "x-tane-subject";
inline constexpr char kRoleMetadataKey[] = "x-tane-role";
inline constexpr char kAgencyMetadataKey[] = "x-tane-agency";
inline constexpr char kInternalTokenMetadataKey[] = "x-tane-internal-token";

struct CallerIdentity {
  std::string subject;
  std::string role;
  std::string agency;  // empty: the agency's own staff
  friend bool operator==(const CallerIdentity&, const CallerIdentity&) = default;
};

absl::StatusOr<CallerIdentity> IdentityFromMetadata(const telemetry::Metadata& metadata,
                                                    std::string_view internal_token);
absl::StatusOr<CallerIdentity> IdentityFrom(const grpc::ServerContext& context, std::string_view internal_token);

/// Adds the identity metadata (and the token, when non-empty) to an outgoing call.
void AttachIdentity(grpc::ClientContext& context, const CallerIdentity& identity, std::string_view internal_token);

}  // namespace tane::runtime
