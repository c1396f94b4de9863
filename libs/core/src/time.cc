#include "tane/core/time.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace tane::core {

absl::TimeZone TokyoTimeZone() {
  static const absl::TimeZone zone = absl::FixedTimeZone(9 * 60 * 60);
  return zone;
}

absl::StatusOr<absl::Time> ParseRfc3339(std::string_view text) {
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, std::string(text), &t, &err)) {
    return absl::InvalidArgumentError(
        absl::StrCat("not an RFC 3339 time (e.g. 2017-06-06T12:00:00+09:00): ", std::string(text)));
  }
  return t;
}

std::string FormatRfc3339Utc(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", t, absl::UTCTimeZone());
}

FiscalYear FiscalYear::Containing(absl::Time t) {
  absl::CivilSecond local = absl::ToCivilSecond(t, TokyoTimeZone());
  int year = static_cast<int>(local.year());
  return FiscalYear(local.month() >= 4 ? year : year - 1);
}

absl::Time FiscalYear::Start() const {
  return absl::FromCivil(absl::CivilDay(year_, 4, 1), TokyoTimeZone());
}

absl::Time FiscalYear::End() const { return Next().Start(); }

std::string FiscalYear::ToString() const { return absl::StrCat("FY", year_); }

SystemClock& SystemClock::Get() {
  static SystemClock clock;
  return clock;
}

}  // namespace tane::core
