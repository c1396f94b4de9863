#include "tane/core/money.h"

#include <vector>

#include "gtest/gtest.h"

namespace tane::core {
namespace {

TEST(YenTest, AddsAndSubtracts) {
  EXPECT_EQ(Yen(150'000'000).Add(Yen(50'000'000)).value(), Yen(200'000'000));
  EXPECT_EQ(Yen(10).Subtract(Yen(25)).value(), Yen(-15));
}

TEST(YenTest, RefusesOverflow) {
  EXPECT_EQ(Yen(INT64_MAX).Add(Yen(1)).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(Yen(INT64_MIN).Subtract(Yen(1)).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(Yen(INT64_MAX).MultiplyRatio(2, 1).status().code(), absl::StatusCode::kOutOfRange);
}

TEST(YenTest, IndirectCostIsThirtyPercentRoundedDown) {
  EXPECT_EQ(Yen(7'000'000).MultiplyRatio(30, 100).value(), Yen(2'100'000));
  EXPECT_EQ(Yen(333).MultiplyRatio(30, 100).value(), Yen(99));  // 99.9 -> 99
  // No intermediate overflow: INT64_MAX * 30 overflows int64 but / 100 fits.
  EXPECT_EQ(Yen(INT64_MAX).MultiplyRatio(30, 100).value(), Yen(INT64_MAX / 100 * 30 + (INT64_MAX % 100) * 30 / 100));
}

TEST(YenTest, RatioArgumentsValidated) {
  EXPECT_EQ(Yen(1).MultiplyRatio(1, 0).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Yen(1).MultiplyRatio(-1, 10).status().code(), absl::StatusCode::kInvalidArgument);
}

struct ParseCase {
  const char* text;
  absl::StatusCode code;
  int64_t value;
};

TEST(YenTest, ParsesOnlyPlainIntegers) {
  const std::vector<ParseCase> cases = {
      {"0", absl::StatusCode::kOk, 0},
      {"1200000000", absl::StatusCode::kOk, 1'200'000'000},
      {"-5", absl::StatusCode::kOk, -5},
      {"9223372036854775807", absl::StatusCode::kOk, INT64_MAX},
      {"9223372036854775808", absl::StatusCode::kOutOfRange, 0},
      {"", absl::StatusCode::kInvalidArgument, 0},
      {"1.5", absl::StatusCode::kInvalidArgument, 0},
      {"1,000", absl::StatusCode::kInvalidArgument, 0},
      {"12a", absl::StatusCode::kInvalidArgument, 0},
      {"+3", absl::StatusCode::kInvalidArgument, 0},
  };
  for (const auto& c : cases) {
    auto parsed = Yen::Parse(c.text);
    EXPECT_EQ(parsed.status().code(), c.code) << c.text;
    if (parsed.ok()) {
      EXPECT_EQ(parsed->value(), c.value) << c.text;
      EXPECT_EQ(parsed->ToString(), c.text);
    }
  }
}

TEST(YenTest, SumStopsAtOverflow) {
  std::vector<Yen> ok = {Yen(1), Yen(2), Yen(3)};
  EXPECT_EQ(Sum(ok).value(), Yen(6));
  std::vector<Yen> big = {Yen(INT64_MAX), Yen(1)};
  EXPECT_FALSE(Sum(big).ok());
}

}  // namespace
}  // namespace tane::core
