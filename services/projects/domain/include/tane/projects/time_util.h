#pragma once
/// Calendar arithmetic for research periods. Months are counted in JST civil
/// time, so a project starting 1 October 00:00 JST ends on 1 October 00:00 JST
/// whatever the UTC offset does to the date.

#include <string>

#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"

namespace tane::projects {

google::protobuf::Timestamp ToProto(absl::Time t);
absl::Time FromProto(const google::protobuf::Timestamp& ts);

/// t + months in JST, the day clamped to the target month (31 Jan + 1 month
/// = end of February), time of day kept. Negative months go back.
absl::Time AddMonths(absl::Time t, int months);

/// The smallest n >= 0 with AddMonths(from, n) >= to.
int MonthsBetweenCeil(absl::Time from, absl::Time to);

/// The deadline of a due day: the first instant of the next JST day, so
/// something due on 31 May is on time until 31 May 23:59:59.999 JST.
absl::Time DeadlineOfJstDay(int year, int month, int day);

/// "YYYY-MM-DD" of t in JST.
std::string JstDate(absl::Time t);

}  // namespace tane::projects
