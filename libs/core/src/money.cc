#include "tane/core/money.h"

#include <charconv>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace tane::core {

absl::StatusOr<Yen> Yen::Add(Yen other) const {
  int64_t out;
  if (__builtin_add_overflow(value_, other.value_, &out)) {
    return absl::OutOfRangeError(absl::StrCat("amount overflow: ", value_, " + ", other.value_));
  }
  return Yen(out);
}

absl::StatusOr<Yen> Yen::Subtract(Yen other) const {
  int64_t out;
  if (__builtin_sub_overflow(value_, other.value_, &out)) {
    return absl::OutOfRangeError(absl::StrCat("amount overflow: ", value_, " - ", other.value_));
  }
  return Yen(out);
}

absl::StatusOr<Yen> Yen::MultiplyRatio(int64_t numerator, int64_t denominator) const {
  if (denominator <= 0) return absl::InvalidArgumentError("ratio denominator must be positive");
  if (numerator < 0) return absl::InvalidArgumentError("ratio numerator must not be negative");
  __int128 product = static_cast<__int128>(value_) * numerator;
  __int128 quotient = product / denominator;
  if (quotient > INT64_MAX || quotient < INT64_MIN) {
    return absl::OutOfRangeError(
        absl::StrCat("amount overflow: ", value_, " * ", numerator, " / ", denominator));
  }
  return Yen(static_cast<int64_t>(quotient));
}

absl::StatusOr<Yen> Yen::Parse(std::string_view text) {
  if (text.empty()) return absl::InvalidArgumentError("amount is empty");
  int64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec == std::errc::result_out_of_range) {
    return absl::OutOfRangeError(absl::StrCat("amount does not fit in int64 yen: ", std::string(text)));
  }
  if (ec != std::errc() || ptr != end) {
    return absl::InvalidArgumentError(absl::StrCat("amount is not an integer number of yen: ", std::string(text)));
  }
  return Yen(value);
}

std::string Yen::ToString() const { return absl::StrCat(value_); }

}  // namespace tane::core
