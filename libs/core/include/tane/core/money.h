#pragma once
/// Integer yen. Money in Tane is never floating point: every amount is an
/// int64 count of yen and every operation that could overflow says so.

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace tane::core {

class Yen final {
 public:
  constexpr Yen() = default;
  constexpr explicit Yen(int64_t value) : value_(value) {}

  constexpr int64_t value() const { return value_; }
  constexpr bool is_negative() const { return value_ < 0; }

  /// OUT_OF_RANGE when the sum does not fit in int64.
  absl::StatusOr<Yen> Add(Yen other) const;
  /// OUT_OF_RANGE when the difference does not fit in int64.
  absl::StatusOr<Yen> Subtract(Yen other) const;
  /// value * numerator / denominator, rounded down (toward zero for
  /// non-negative amounts), computed without intermediate overflow. Used for
  /// rates such as indirect costs (30/100). INVALID_ARGUMENT for a zero or
  /// negative denominator or a negative numerator; OUT_OF_RANGE on overflow.
  absl::StatusOr<Yen> MultiplyRatio(int64_t numerator, int64_t denominator) const;

  /// Parses a plain decimal integer ("150000000"); no signs other than a
  /// leading '-', no separators, no fractions.
  static absl::StatusOr<Yen> Parse(std::string_view text);
  std::string ToString() const;

  friend constexpr auto operator<=>(Yen, Yen) = default;

 private:
  int64_t value_ = 0;
};

/// Sum of amounts; OUT_OF_RANGE on overflow.
template <typename Range>
absl::StatusOr<Yen> Sum(const Range& amounts) {
  Yen total;
  for (const Yen& a : amounts) {
    auto next = total.Add(a);
    if (!next.ok()) return next.status();
    total = *next;
  }
  return total;
}

}  // namespace tane::core
