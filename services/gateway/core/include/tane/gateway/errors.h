#pragma once
/// Errors as the REST API shows them. Every error response has the body
///
///   {"code": "INVALID_ARGUMENT", "message": "…", "details": [ … ]}
///
/// with `code` the google.rpc.Code name and `details` the typed details of
/// the google.rpc.Status (google.rpc.BadRequest with its fieldViolations,
/// …), each as JSON with its "@type". The HTTP status follows the code:
///
///   OK 200, CANCELLED 499, UNKNOWN 500, INVALID_ARGUMENT 400,
///   DEADLINE_EXCEEDED 504, NOT_FOUND 404, ALREADY_EXISTS 409,
///   PERMISSION_DENIED 403, RESOURCE_EXHAUSTED 429, FAILED_PRECONDITION 409,
///   ABORTED 409, OUT_OF_RANGE 400, UNIMPLEMENTED 501, INTERNAL 500,
///   UNAVAILABLE 503, DATA_LOSS 500, UNAUTHENTICATED 401.
///
/// FAILED_PRECONDITION is 409 Conflict, not 412: it means the resource's
/// state forbids the request (publishing a closed call), which is what 409
/// says; 412 is about conditional request headers, which the API does not
/// use. Clients tell FAILED_PRECONDITION from ABORTED (stale version, retry
/// after re-reading) by `code`.

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace tane::gateway {

int HttpStatusFor(absl::StatusCode code);

/// "INVALID_ARGUMENT" etc.
std::string_view CodeName(absl::StatusCode code);

/// The JSON body for a non-OK status. Each payload whose type URL names a
/// message linked into the gateway is rendered as that message; any other
/// is listed with its "@type" only.
std::string ErrorBody(const absl::Status& status);

}  // namespace tane::gateway
