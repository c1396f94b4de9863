#include "tane/gateway/errors.h"

#include <gmock/gmock.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include "absl/strings/cord.h"
#include "tane/core/errors.h"

namespace tane::gateway {
namespace {

using ::testing::HasSubstr;

TEST(ErrorsTest, EveryCodeHasItsHttpStatus) {
  struct Case {
    absl::StatusCode code;
    int http;
    std::string name;
  } cases[] = {
      {absl::StatusCode::kOk, 200, "OK"},
      {absl::StatusCode::kCancelled, 499, "CANCELLED"},
      {absl::StatusCode::kUnknown, 500, "UNKNOWN"},
      {absl::StatusCode::kInvalidArgument, 400, "INVALID_ARGUMENT"},
      {absl::StatusCode::kDeadlineExceeded, 504, "DEADLINE_EXCEEDED"},
      {absl::StatusCode::kNotFound, 404, "NOT_FOUND"},
      {absl::StatusCode::kAlreadyExists, 409, "ALREADY_EXISTS"},
      {absl::StatusCode::kPermissionDenied, 403, "PERMISSION_DENIED"},
      {absl::StatusCode::kResourceExhausted, 429, "RESOURCE_EXHAUSTED"},
      {absl::StatusCode::kFailedPrecondition, 409, "FAILED_PRECONDITION"},
      {absl::StatusCode::kAborted, 409, "ABORTED"},
      {absl::StatusCode::kOutOfRange, 400, "OUT_OF_RANGE"},
      {absl::StatusCode::kUnimplemented, 501, "UNIMPLEMENTED"},
      {absl::StatusCode::kInternal, 500, "INTERNAL"},
      {absl::StatusCode::kUnavailable, 503, "UNAVAILABLE"},
      {absl::StatusCode::kDataLoss, 500, "DATA_LOSS"},
      {absl::StatusCode::kUnauthenticated, 401, "UNAUTHENTICATED"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(HttpStatusFor(c.code), c.http) << c.name;
    EXPECT_EQ(CodeName(c.code), c.name);
  }
  EXPECT_EQ(HttpStatusFor(static_cast<absl::StatusCode>(42)), 500);
}

TEST(ErrorsTest, BodyCarriesCodeMessageAndTypedDetails) {
  core::Violations violations;
  violations.Add("budget_plan[3].amount_yen", "must be positive");
  violations.Add("title_ja", "must not be empty");
  absl::Status status = violations.ToStatus("invalid application");
  status.SetPayload("type.googleapis.com/example.Unknown", absl::Cord("opaque"));
  const std::string body = ErrorBody(status);

  google::protobuf::Struct parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(body, &parsed).ok()) << body;
  EXPECT_EQ(parsed.fields().at("code").string_value(), "INVALID_ARGUMENT");
  EXPECT_THAT(parsed.fields().at("message").string_value(), HasSubstr("invalid application"));
  const auto& details = parsed.fields().at("details").list_value();
  ASSERT_EQ(details.values_size(), 2);
  const google::protobuf::Struct* bad_request = nullptr;
  bool saw_unknown = false;
  for (const auto& d : details.values()) {
    const std::string& type = d.struct_value().fields().at("@type").string_value();
    if (type == "type.googleapis.com/google.rpc.BadRequest") bad_request = &d.struct_value();
    if (type == "type.googleapis.com/example.Unknown") saw_unknown = true;
  }
  EXPECT_TRUE(saw_unknown);
  ASSERT_NE(bad_request, nullptr) << body;
  const auto& fv = bad_request->fields().at("fieldViolations").list_value();
  ASSERT_EQ(fv.values_size(), 2);
  EXPECT_EQ(fv.values(0).struct_value().fields().at("field").string_value(), "budget_plan[3].amount_yen");
  EXPECT_EQ(fv.values(0).struct_value().fields().at("description").string_value(), "must be positive");
}

TEST(ErrorsTest, BodyWithoutDetailsHasAnEmptyList) {
  EXPECT_EQ(ErrorBody(absl::NotFoundError("no call \"c-1\"")),
            R"({"code":"NOT_FOUND","message":"no call \"c-1\"","details":[]})");
}

}  // namespace
}  // namespace tane::gateway
