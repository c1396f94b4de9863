#include "tane/gateway/errors.h"

#include <google/protobuf/any.pb.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/util/json_util.h>

#include "absl/strings/cord.h"
#include "tane/gateway/json.h"
#include "tane/telemetry/grpc_interceptor.h"

namespace tane::gateway {

int HttpStatusFor(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return 200;
    case absl::StatusCode::kCancelled:
      return 499;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return 400;
    case absl::StatusCode::kDeadlineExceeded:
      return 504;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kFailedPrecondition:
      return 409;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kResourceExhausted:
      return 429;
    case absl::StatusCode::kUnimplemented:
      return 501;
    case absl::StatusCode::kUnavailable:
      return 503;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kDataLoss:
    default:
      return 500;
  }
}

std::string_view CodeName(absl::StatusCode code) {
  // absl and gRPC both number their codes after google.rpc.Code.
  return telemetry::GrpcCodeName(static_cast<grpc::StatusCode>(code));
}

std::string ErrorBody(const absl::Status& status) {
  Json details = Json::Array();
  status.ForEachPayload([&](absl::string_view type_url, const absl::Cord& value) {
    google::protobuf::Any any;
    any.set_type_url(std::string(type_url));
    any.set_value(std::string(value));
    std::string json;
    // protobuf renders an Any as its message plus "@type" when the type is
    // in the generated pool.
    if (google::protobuf::util::MessageToJsonString(any, &json).ok()) {
      details.Push(Json::Raw(std::move(json)));
    } else {
      details.Push(Json::Object().Set("@type", std::string(type_url)));
    }
  });
  Json body = Json::Object();
  body.Set("code", std::string(CodeName(status.code())));
  body.Set("message", std::string(status.message()));
  body.Set("details", std::move(details));
  return body.Dump();
}

}  // namespace tane::gateway
