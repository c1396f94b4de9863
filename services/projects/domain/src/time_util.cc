#include "tane/projects/time_util.h"

#include <algorithm>

#include "absl/time/civil_time.h"
#include "tane/core/time.h"

namespace tane::projects {

google::protobuf::Timestamp ToProto(absl::Time t) {
  google::protobuf::Timestamp ts;
  const int64_t nanos = absl::ToUnixNanos(t);
  int64_t seconds = nanos / 1'000'000'000;
  int64_t rest = nanos % 1'000'000'000;
  if (rest < 0) {
    rest += 1'000'000'000;
    --seconds;
  }
  ts.set_seconds(seconds);
  ts.set_nanos(static_cast<int32_t>(rest));
  return ts;
}

absl::Time FromProto(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

absl::Time AddMonths(absl::Time t, int months) {
  const absl::TimeZone tz = core::TokyoTimeZone();
  const absl::TimeZone::CivilInfo info = tz.At(t);
  const absl::CivilSecond cs = info.cs;
  const absl::CivilMonth target = absl::CivilMonth(cs) + months;
  const absl::CivilDay last_day = absl::CivilDay(target + 1) - 1;
  const int day = std::min(cs.day(), last_day.day());
  const absl::CivilSecond moved(target.year(), target.month(), day, cs.hour(), cs.minute(),
                                cs.second());
  return absl::FromCivil(moved, tz) + info.subsecond;
}

int MonthsBetweenCeil(absl::Time from, absl::Time to) {
  int n = 0;
  while (AddMonths(from, n) < to) ++n;
  return n;
}

absl::Time DeadlineOfJstDay(int year, int month, int day) {
  return absl::FromCivil(absl::CivilDay(year, month, day) + 1, core::TokyoTimeZone());
}

std::string JstDate(absl::Time t) { return absl::FormatTime("%Y-%m-%d", t, core::TokyoTimeZone()); }

}  // namespace tane::projects
