#pragma once
/// Time rules: instants are stored in UTC; deadlines and fiscal years are read
/// in Japan Standard Time. Japan has had no daylight saving since 1951, so JST
/// is a fixed UTC+9 offset and we do not depend on the host's tzdata.

#include <atomic>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace tane::core {

/// Asia/Tokyo as a fixed +09:00 zone.
absl::TimeZone TokyoTimeZone();

/// Parses RFC 3339 ("2017-06-06T12:00:00+09:00" or "...Z").
absl::StatusOr<absl::Time> ParseRfc3339(std::string_view text);
/// Formats in UTC with a trailing Z.
std::string FormatRfc3339Utc(absl::Time t);

/// A Japanese fiscal year (年度): FY N runs 1 April N 00:00 JST to
/// 1 April N+1 00:00 JST (exclusive).
class FiscalYear final {
 public:
  constexpr explicit FiscalYear(int year) : year_(year) {}
  static FiscalYear Containing(absl::Time t);

  constexpr int year() const { return year_; }
  absl::Time Start() const;
  /// First instant of the next fiscal year (exclusive end).
  absl::Time End() const;
  bool Contains(absl::Time t) const { return t >= Start() && t < End(); }
  FiscalYear Next() const { return FiscalYear(year_ + 1); }
  /// e.g. "FY2017"
  std::string ToString() const;

  friend constexpr auto operator<=>(FiscalYear, FiscalYear) = default;

 private:
  int year_;
};

/// The source of "now". Services take a Clock so tests can move time.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
  /// A process-wide instance.
  static SystemClock& Get();
};

/// A clock tests set and advance by hand. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(absl::Time start) : now_ns_(absl::ToUnixNanos(start)) {}
  absl::Time Now() const override { return absl::FromUnixNanos(now_ns_.load()); }
  void Set(absl::Time t) { now_ns_.store(absl::ToUnixNanos(t)); }
  void Advance(absl::Duration d) { now_ns_.fetch_add(absl::ToInt64Nanoseconds(d)); }

 private:
  std::atomic<int64_t> now_ns_;
};

}  // namespace tane::core
