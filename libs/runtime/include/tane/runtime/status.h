#pragma once
/// absl::Status <-> grpc::Status at the service edge.
///
/// Codes map 1:1 (both follow google.rpc.Code). Payloads travel the standard
/// way: as google.rpc.Status{code, message, details=[Any...]} serialized into
/// grpc::Status::error_details(), which gRPC sends as "grpc-status-details-bin".
/// So a BadRequest attached by tane::core::Violations::ToStatus() reaches the
/// client (and the gateway's 400 body) intact.

#include <grpcpp/support/status.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace tane::runtime {

/// OK -> grpc::Status::OK. Every payload whose type URL names a message
/// ("type.googleapis.com/...") becomes one Any detail; a code outside
/// google.rpc.Code becomes UNKNOWN.
grpc::Status ToGrpcStatus(const absl::Status& status);

/// The reverse: each Any in the details becomes a payload under its type URL,
/// so tane::core::ViolationsOf() works on the result. Malformed details are
/// dropped (the code and message are kept).
absl::Status FromGrpcStatus(const grpc::Status& status);

/// The end of a unary handler: copies the value into `*out` and returns OK,
/// or returns the error as a grpc::Status.
///   return runtime::Reply(service_.GetCall(ctx, *request), response);
template <typename T>
grpc::Status Reply(absl::StatusOr<T> result, T* out) {
  if (!result.ok()) return ToGrpcStatus(result.status());
  *out = *std::move(result);
  return grpc::Status::OK;
}

}  // namespace tane::runtime
