#include "tane/core/time.h"

#include "gtest/gtest.h"

namespace tane::core {
namespace {

absl::Time At(const char* rfc3339) { return ParseRfc3339(rfc3339).value(); }

TEST(FiscalYearTest, StartsFirstAprilInTokyo) {
  EXPECT_EQ(FiscalYear(2017).Start(), At("2017-04-01T00:00:00+09:00"));
  EXPECT_EQ(FiscalYear(2017).End(), At("2018-04-01T00:00:00+09:00"));
  EXPECT_EQ(FiscalYear(2017).ToString(), "FY2017");
}

TEST(FiscalYearTest, BoundaryIsTokyoMidnightNotUtc) {
  // 31 March 15:00 UTC is 1 April 00:00 JST: already the next fiscal year.
  EXPECT_EQ(FiscalYear::Containing(At("2018-03-31T15:00:00Z")).year(), 2018);
  EXPECT_EQ(FiscalYear::Containing(At("2018-03-31T14:59:59Z")).year(), 2017);
  EXPECT_EQ(FiscalYear::Containing(At("2018-01-15T00:00:00+09:00")).year(), 2017);
  EXPECT_EQ(FiscalYear::Containing(At("2017-04-01T00:00:00+09:00")).year(), 2017);
  EXPECT_TRUE(FiscalYear(2017).Contains(At("2017-12-31T23:59:59+09:00")));
  EXPECT_FALSE(FiscalYear(2017).Contains(At("2018-04-01T00:00:00+09:00")));
}

TEST(TimeTest, Rfc3339RoundTripsInUtc) {
  const absl::Time t = At("2017-06-06T12:00:00+09:00");
  EXPECT_EQ(FormatRfc3339Utc(t), "2017-06-06T03:00:00Z");
  EXPECT_EQ(At("2017-06-06T03:00:00Z"), t);
  EXPECT_FALSE(ParseRfc3339("2017-06-06").ok());
  EXPECT_FALSE(ParseRfc3339("yesterday").ok());
}

TEST(ClockTest, ManualClockMoves) {
  ManualClock clock(At("2017-06-06T23:59:59+09:00"));
  clock.Advance(absl::Seconds(1));
  EXPECT_EQ(clock.Now(), At("2017-06-07T00:00:00+09:00"));
  clock.Set(At("2020-01-01T00:00:00Z"));
  EXPECT_EQ(clock.Now(), At("2020-01-01T00:00:00Z"));
}

}  // namespace
}  // namespace tane::core
