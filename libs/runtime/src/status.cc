#include "tane/runtime/status.h"

#include <string>

#include "absl/strings/cord.h"
#include "google/protobuf/any.pb.h"
#include "google/rpc/status.pb.h"

namespace tane::runtime {
namespace {

constexpr int kMaxCode = 16;  // UNAUTHENTICATED, the last google.rpc.Code

std::string ToStd(absl::string_view s) { return std::string(s.data(), s.size()); }

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  int code = static_cast<int>(status.code());
  if (code < 1 || code > kMaxCode) code = static_cast<int>(grpc::StatusCode::UNKNOWN);
  std::string message = ToStd(status.message());

  google::rpc::Status details;
  status.ForEachPayload([&](absl::string_view type_url, const absl::Cord& value) {
    // Only payloads that name a message can be an Any a client can decode.
    if (type_url.find('/') == absl::string_view::npos) return;
    google::protobuf::Any* any = details.add_details();
    any->set_type_url(ToStd(type_url));
    any->set_value(std::string(value));
  });
  if (details.details_size() == 0) return grpc::Status(static_cast<grpc::StatusCode>(code), message);
  details.set_code(code);
  details.set_message(message);
  return grpc::Status(static_cast<grpc::StatusCode>(code), message, details.SerializeAsString());
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  int code = static_cast<int>(status.error_code());
  if (code < 1 || code > kMaxCode) code = static_cast<int>(absl::StatusCode::kUnknown);
  absl::Status out(static_cast<absl::StatusCode>(code), status.error_message());
  if (status.error_details().empty()) return out;
  google::rpc::Status details;
  if (!details.ParseFromString(status.error_details())) return out;
  for (const google::protobuf::Any& any : details.details()) {
    out.SetPayload(any.type_url(), absl::Cord(any.value()));
  }
  return out;
}

}  // namespace tane::runtime
