#include "tane/core/errors.h"

#include "gtest/gtest.h"

namespace tane::core {
namespace {

TEST(ViolationsTest, OkWhenEmpty) {
  Violations v;
  EXPECT_TRUE(v.ToStatus().ok());
}

TEST(ViolationsTest, CarriesEveryFieldAndReason) {
  Violations v;
  v.Add("title_ja", "required");
  v.Add("effort_percent", "must be between 1 and 100, got 120");
  absl::Status s = v.ToStatus("application is invalid");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "application is invalid: title_ja: required (and 1 more)");
  auto back = ViolationsOf(s);
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0], (FieldViolation{"title_ja", "required"}));
  EXPECT_EQ(back[1], (FieldViolation{"effort_percent", "must be between 1 and 100, got 120"}));
}

TEST(ViolationsTest, NoneOnPlainStatus) {
  EXPECT_TRUE(ViolationsOf(absl::NotFoundError("x")).empty());
}

}  // namespace
}  // namespace tane::core
