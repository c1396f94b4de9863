#pragma once
/// Trace ids: 32 lower-case hex characters (the W3C trace-id shape), carried
/// between services in the gRPC metadata key "x-tane-trace-id" and written in
/// every log line and event envelope of the request.

#include <grpcpp/client_context.h>
#include <grpcpp/server_context.h>
#include <grpcpp/support/string_ref.h>

#include <map>
#include <string>
#include <string_view>

namespace tane::telemetry {

inline constexpr char kTraceIdMetadataKey[] = "x-tane-trace-id";

/// A new random trace id (128 bits, 32 hex chars, never all zero). Thread-safe.
std::string NewTraceId();

/// 32 hex characters (either case), not all zero.
bool IsValidTraceId(std::string_view id);

using Metadata = std::multimap<grpc::string_ref, grpc::string_ref>;

/// The caller's trace id from metadata, lower-cased; "" when absent or invalid.
std::string TraceIdFromMetadata(const Metadata& metadata);
std::string TraceIdFrom(const grpc::ServerContext& context);
/// The caller's trace id, or a new one when it sent none (an edge request).
std::string TraceIdOrNew(const grpc::ServerContext& context);

/// Sends `trace_id` with an outgoing call. Call before the RPC starts.
void SetTraceId(grpc::ClientContext& context, std::string_view trace_id);

}  // namespace tane::telemetry
