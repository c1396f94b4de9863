#include "tane/runtime/status.h"

#include <gtest/gtest.h>

#include "absl/strings/cord.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "tane/core/errors.h"

namespace tane::runtime {
namespace {

TEST(ToGrpcStatus, OkIsOk) {
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
  EXPECT_TRUE(FromGrpcStatus(grpc::Status::OK).ok());
}

TEST(ToGrpcStatus, MapsEveryCodeOneToOne) {
  for (int code = 1; code <= 16; ++code) {
    absl::Status status(static_cast<absl::StatusCode>(code), "m");
    grpc::Status g = ToGrpcStatus(status);
    EXPECT_EQ(static_cast<int>(g.error_code()), code);
    EXPECT_EQ(g.error_message(), "m");
    EXPECT_TRUE(g.error_details().empty());
    EXPECT_EQ(FromGrpcStatus(g), status);
  }
  EXPECT_EQ(ToGrpcStatus(absl::AbortedError("version conflict")).error_code(), grpc::StatusCode::ABORTED);
  EXPECT_EQ(ToGrpcStatus(absl::Status(static_cast<absl::StatusCode>(42), "odd")).error_code(),
            grpc::StatusCode::UNKNOWN);
}

TEST(ToGrpcStatus, ViolationsTravelAsBadRequestDetails) {
  core::Violations violations;
  violations.Add("title_ja", "タイトルを入力してください");
  violations.Add("budget_plan[2].amount", "must be positive");
  const absl::Status status = violations.ToStatus("invalid application");

  const grpc::Status g = ToGrpcStatus(status);
  EXPECT_EQ(g.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(g.error_message(), std::string(status.message()));

  // What any gRPC client (and the gateway) decodes from grpc-status-details-bin.
  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(g.error_details()));
  EXPECT_EQ(details.code(), 3);
  EXPECT_EQ(details.message(), g.error_message());
  ASSERT_EQ(details.details_size(), 1);
  EXPECT_EQ(details.details(0).type_url(), core::kBadRequestTypeUrl);
  google::rpc::BadRequest bad_request;
  ASSERT_TRUE(details.details(0).UnpackTo(&bad_request));
  ASSERT_EQ(bad_request.field_violations_size(), 2);
  EXPECT_EQ(bad_request.field_violations(0).field(), "title_ja");
  EXPECT_EQ(bad_request.field_violations(0).description(), "タイトルを入力してください");

  const absl::Status back = FromGrpcStatus(g);
  EXPECT_EQ(back.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(back.message(), status.message());
  EXPECT_EQ(core::ViolationsOf(back), violations.items());
}

TEST(ToGrpcStatus, SkipsPayloadsThatAreNotTypeUrls) {
  absl::Status status = absl::InternalError("boom");
  status.SetPayload("not-a-type-url", absl::Cord("x"));
  EXPECT_TRUE(ToGrpcStatus(status).error_details().empty());
}

TEST(FromGrpcStatus, KeepsCodeAndMessageWhenDetailsAreGarbage) {
  grpc::Status g(grpc::StatusCode::FAILED_PRECONDITION, "call closed", "\xff\xff\xff garbage");
  absl::Status s = FromGrpcStatus(g);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(), "call closed");
  EXPECT_TRUE(core::ViolationsOf(s).empty());
}

}  // namespace
}  // namespace tane::runtime
