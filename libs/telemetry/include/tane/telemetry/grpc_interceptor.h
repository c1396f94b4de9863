#pragma once
/// Server-side gRPC metrics: every call is counted in
/// grpc_server_handled_total{grpc_service,grpc_method,grpc_code} and timed in
/// grpc_server_handling_seconds{grpc_service,grpc_method}, from the moment the
/// call arrives to the moment its status is sent.
///
///   std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> f;
///   f.push_back(tane::telemetry::MakeServerMetricsInterceptorFactory(metrics));
///   builder.experimental().SetInterceptorCreators(std::move(f));

#include <grpcpp/support/server_interceptor.h>
#include <grpcpp/support/status.h>

#include <memory>
#include <string_view>
#include <utility>

#include "tane/telemetry/metrics.h"

namespace tane::telemetry {

/// `metrics` must outlive the server the factory is installed in.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> MakeServerMetricsInterceptorFactory(
    Metrics& metrics);

/// "/tane.calls.v1.Calls/Submit" -> {"tane.calls.v1.Calls", "Submit"}; a name
/// without that shape -> {"unknown", name}.
std::pair<std::string_view, std::string_view> SplitGrpcMethod(std::string_view full_method);

/// The canonical upper-case name of a code: "OK", "INVALID_ARGUMENT", ...
std::string_view GrpcCodeName(grpc::StatusCode code);

}  // namespace tane::telemetry
